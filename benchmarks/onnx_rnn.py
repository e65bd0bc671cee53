"""onnxruntime latency of every zoo cell exported with native recurrent
nodes, against the stock keras.layers.LSTM exported by Keras' own ONNX
export, against tf2onnx's plain conversion of the same zoo layer (a Loop),
and against TensorFlow (tf.function) running the same Keras model.

One recurrent layer, T=100, 256 units, 256 input features, batch 1 and 32,
whole output sequence. Every model is timed round-robin in one process; a
figure is the median over rounds (in a fresh random order each round),
so noise hits all alike. onnxruntime sessions run without thread spinning,
which otherwise lets one idle session slow the next.

    python -m benchmarks.onnx_rnn [--rounds 7] [--repeats 10]
"""

import argparse
import os
import statistics
import tempfile
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

from exports.onnx_export import OPSET, op_types, to_onnx  # noqa: E402
from exports.onnx_rnn import LoopFallbackWarning  # noqa: E402
from zoo import layers  # noqa: E402

STEPS, UNITS, FEATURES, BATCHES = 100, 256, 256, (1, 32)
SEQ = {"return_sequences": True}
CELLS = {
    "LSTM": lambda: layers.LSTM(UNITS, **SEQ),
    "peephole": lambda: layers.LSTM(UNITS, peepholes=True, **SEQ),
    "CIFG": lambda: layers.LSTM(UNITS, coupled=True, **SEQ),
    "GRU": lambda: layers.GRU(UNITS, **SEQ),
    "GRU reset_before": lambda: layers.GRU(UNITS, reset_after=False, **SEQ),
    "SimpleRNN": lambda: layers.SimpleRNN(UNITS, **SEQ),
    "bidirectional LSTM": lambda: keras.layers.Bidirectional(layers.LSTM(UNITS // 2, **SEQ)),
    "layer-norm (Loop)": lambda: layers.LSTM(UNITS, layer_norm=True, **SEQ),
}
PLAIN_TF2ONNX = ("GRU", "peephole")  # what tf2onnx alone makes of them


def model_of(layer):
    inputs = keras.Input((None, FEATURES), name="x")
    model = keras.Model(inputs, layer(inputs))
    model(np.zeros((1, 2, FEATURES), np.float32))  # Keras' ONNX export wants a called model
    return model


def signature():
    return [tf.TensorSpec((None, None, FEATURES), tf.float32, name="x")]


def zoo_session(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LoopFallbackWarning)
        proto = to_onnx(lambda x: {"y": model(x)}, signature(), model)
    return session(proto.SerializeToString()), proto


def plain_tf2onnx_session(model):
    function = tf.function(lambda x: {"y": model(x)}, input_signature=signature())
    proto, _ = tf2onnx.convert.from_function(function, signature(), opset=OPSET)
    return session(proto.SerializeToString()), proto


def keras_export_session(model, directory):
    path = os.path.join(directory, "stock.onnx")
    model.export(path, format="onnx", verbose=False)
    return session(path), None


def session(model):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Idle sessions' threads would otherwise spin and slow whichever runs next.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def runner(kind, thing):
    if kind == "onnx":
        name = thing.get_inputs()[0].name
        return lambda x: thing.run(None, {name: x})
    function = tf.function(thing, input_signature=signature())
    return lambda x: function(tf.constant(x)).numpy()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--repeats", type=int, default=10, help="calls per timing")
    args = p.parse_args(argv)
    keras.utils.set_random_seed(0)
    runners, natives = {}, {}
    with tempfile.TemporaryDirectory() as directory:
        stock = model_of(keras.layers.LSTM(UNITS, **SEQ))
        runners["stock keras LSTM (Keras ONNX export)"] = runner(
            "onnx", keras_export_session(stock, directory)[0]
        )
        for name, make in CELLS.items():
            model = model_of(make())
            sess, proto = zoo_session(model)
            natives[name] = sorted(
                {o for o in op_types(proto) if o in ("LSTM", "GRU", "RNN", "Loop")}
            )
            runners[f"zoo {name} (onnxruntime)"] = runner("onnx", sess)
            runners[f"zoo {name} (TensorFlow)"] = runner("tf", model)
            if name in PLAIN_TF2ONNX:
                runners[f"zoo {name} (plain tf2onnx)"] = runner(
                    "onnx", plain_tf2onnx_session(model)[0]
                )
    rng = np.random.default_rng(0)
    inputs = {b: rng.normal(size=(b, STEPS, FEATURES)).astype(np.float32) for b in BATCHES}
    times = {(n, b): [] for n in runners for b in BATCHES}
    for run in runners.values():
        for x in inputs.values():
            run(x)  # warm up (tracing, allocation)
    order = list(times)
    for _ in range(args.rounds):
        rng.shuffle(order)  # no model always follows the same neighbour
        for name, batch in order:
            samples = times[name, batch]
            run, x = runners[name], inputs[batch]
            start = time.perf_counter()
            for _ in range(args.repeats):
                run(x)
            samples.append((time.perf_counter() - start) / args.repeats)
    report(times, natives)


def report(times, natives):
    median = {k: statistics.median(v) for k, v in times.items()}
    stock = "stock keras LSTM (Keras ONNX export)"
    print(f"T={STEPS}, {UNITS} units, {FEATURES} features; medians; onnxruntime CPU\n")
    print("| cell | ONNX node | batch | ORT ms | vs stock LSTM (ORT) | TF ms | TF / ORT |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for b in BATCHES:
        print(f"| stock keras LSTM | LSTM | {b} | {median[stock, b] * 1e3:.2f} | 1.00 | | |")
        for name in CELLS:
            ort_ms = median[f"zoo {name} (onnxruntime)", b]
            tf_ms = median[f"zoo {name} (TensorFlow)", b]
            ratio = ort_ms / median[stock, b]
            print(
                f"| {name} | {','.join(natives[name])} | {b} | {ort_ms * 1e3:.2f} | "
                f"{ratio:.2f} | {tf_ms * 1e3:.2f} | {tf_ms / ort_ms:.1f} |"
            )
    print("\n| cell | batch | plain tf2onnx ms (a Loop) | ours ms (native) | plain / ours |")
    print("|---|---:|---:|---:|---:|")
    for name in PLAIN_TF2ONNX:
        for b in BATCHES:
            plain = median[f"zoo {name} (plain tf2onnx)", b]
            ours = median[f"zoo {name} (onnxruntime)", b]
            print(f"| {name} | {b} | {plain * 1e3:.2f} | {ours * 1e3:.2f} | {plain / ours:.1f} |")


if __name__ == "__main__":
    main()
