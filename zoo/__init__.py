"""Zoo: gated recurrent networks, Bahdanau seq2seq and VGG style transfer for
Keras 3, exportable to TF Serving and ONNX.

    import zoo
    zoo.list_models()                      # the model cards
    lm = zoo.load("char-lstm-shakespeare") # offline, checksum-verified
    lm.generate("ROMEO:", length=200, temperature=0.8, seed=0)

`zoo.layers` holds the cells, `zoo.models` the models.
"""

from zoo.startup import quiet_backend

quiet_backend()

from zoo.registry import (  # noqa: E402
    BadPackageError,
    ChecksumError,
    UnknownModelError,
    list_models,
    load,
    load_path,
)

__version__ = "0.1.0"
__all__ = [
    "BadPackageError",
    "ChecksumError",
    "UnknownModelError",
    "list_models",
    "load",
    "load_path",
]
