"""SavedModel (TF Serving) and ONNX export of zoo models (depends on zoo)."""
