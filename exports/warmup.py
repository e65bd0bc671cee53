"""TF Serving warmup records: assets.extra/tf_serving_warmup_requests, a
TFRecord of PredictionLogs that the server replays at load, so the first
real request does not pay for graph initialisation."""

from pathlib import Path

import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

from zoo_runtime.layout import WARMUP


def write_warmup(directory, model_name, examples):
    """`examples`: signature name -> list of {input name: numpy array}."""
    path = Path(directory) / WARMUP
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for signature, feeds in examples.items():
            for feed in feeds:
                writer.write(_log(model_name, signature, feed).SerializeToString())
    return path


def _log(model_name, signature, feed):
    request = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature)
    )
    for name, value in feed.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    )


def read_warmup(directory):
    """The PredictionLogs of a version directory (for tests and checks)."""
    path = Path(directory) / WARMUP
    return [
        prediction_log_pb2.PredictionLog.FromString(record.numpy())
        for record in tf.data.TFRecordDataset(str(path))
    ]
