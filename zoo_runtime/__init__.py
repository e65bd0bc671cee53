"""The TensorFlow-free contracts every stage reads (pure Python + numpy):
artifact layout rules and checksums, argument checks, the limits a call
may ask for, numpy sampling and search, image normalisation, and the
tokenisers an export's zoo.json describes.

`zoo`, `training`, `exports` and `serving` import it; it imports none of
them, nor TensorFlow, Keras or tf2onnx (tests/test_architecture.py). The
`keras.ops` and in-graph versions that compiled graphs need live in `zoo`
and `exports`, and are tested equal to these.
"""
