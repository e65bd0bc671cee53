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

from zoo_runtime.layout import task_module


def for_task(task):
    module = task_module(__name__, task)
    if module is None:
        raise LookupError(f"no serving test cases for task {task!r} in {__name__}")
    return module
