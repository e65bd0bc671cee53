"""Serving of exported artifacts: reads files only, never imports zoo,
training or exports; its ONNX path needs no TensorFlow."""
