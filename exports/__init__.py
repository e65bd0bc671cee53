"""SavedModel (TF Serving) and ONNX export of zoo models and of any Keras
model (depends on zoo): `from exports import export`."""


def export(*args, **kwargs):
    """exports.exporter.export, imported on first use (TensorFlow, tf2onnx)."""
    from exports.exporter import export as run

    return run(*args, **kwargs)
