"""Zoo: gated recurrent networks, Bahdanau seq2seq and VGG style transfer for
Keras 3, exportable to TF Serving and ONNX.

`zoo.layers` holds the cells. The pretrained registry (`zoo.load`,
`zoo.list_models`) arrives with the first shipped models.
"""

__version__ = "0.1.0"
