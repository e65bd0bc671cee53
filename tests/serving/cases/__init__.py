"""What the serving tests ask each family and expect, one module per task
(the card's task, `-` as `_`), each with the same functions:

- `expected(model, name)`: the zoo API's answers (Keras);
- `check_rest(rest, name, want)` / `check_grpc(client, name, want)`: a
  REST and a gRPC round trip through the embedded server give them;
- `onnx_request(name)`: JSON inputs for `run_onnx(model, request)`, which
  runs in a process without TensorFlow (numpy only at module level here),
  and `check_onnx(model, name, request, got)`, which compares with Keras.

A new family adds its module; no test dispatches on a task or a name.
"""

import importlib


def for_task(task):
    return importlib.import_module(f"{__name__}.{task.replace('-', '_')}")
