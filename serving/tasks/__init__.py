"""One module per task (zoo.json's "task", `-` as `_`), each with `MODEL`:
the OnnxModel subclass that runs that family's graphs (serving.onnx_model)."""
