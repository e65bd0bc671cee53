"""`GrpcClient`: TF Serving's gRPC PredictionService / ModelService
through tensorflow-serving-api's stubs. Arrays in, arrays out; every call
has a deadline; failures raise ServingError with the gRPC status code."""

from serving.tensorflow import tf  # first: TensorFlow's quiet start

# isort: split

import grpc
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.errors import ServingError


class GrpcClient:
    def __init__(self, target="127.0.0.1:8500", timeout=30.0, max_message_mb=64):
        size = int(max_message_mb * (1 << 20))
        self.channel = grpc.insecure_channel(
            target,
            options=[
                ("grpc.max_receive_message_length", size),
                ("grpc.max_send_message_length", size),
            ],
        )
        self.timeout = timeout
        self.predictions = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)
        self.models = model_service_pb2_grpc.ModelServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def predict(self, name, inputs, signature_name="", version=None, label=None):
        """{input: array-like} -> {output: numpy array}."""
        return self.predict_versioned(name, inputs, signature_name, version, label)[1]

    def predict_versioned(self, name, inputs, signature_name="", version=None, label=None):
        """(the version that answered, {output: numpy array})."""
        request = predict_pb2.PredictRequest()
        _spec(request.model_spec, name, version, label)
        request.model_spec.signature_name = signature_name or ""
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
        response = self._call(self.predictions.Predict, request)
        outputs = {k: tf.make_ndarray(v) for k, v in response.outputs.items()}
        return response.model_spec.version.value, outputs

    def metadata(self, name, version=None, label=None):
        """{signature name: SignatureDef}."""
        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        _spec(request.model_spec, name, version, label)
        response = self._call(self.predictions.GetModelMetadata, request)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signatures)
        return dict(signatures.signature_def)

    def status(self, name, version=None, label=None):
        """[(version, state name)] of the model's versions."""
        request = get_model_status_pb2.GetModelStatusRequest()
        _spec(request.model_spec, name, version, label)
        response = self._call(self.models.GetModelStatus, request)
        state = get_model_status_pb2.ModelVersionStatus.State
        return [(s.version, state.Name(s.state)) for s in response.model_version_status]

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as error:
            raise ServingError(error.code().name, error.details() or str(error)) from None


def _spec(spec, name, version, label):
    if version is not None and label is not None:
        raise ValueError("give a version or a label, not both")
    spec.name = name
    if version is not None:
        spec.version.value = int(version)
    elif label is not None:
        spec.version_label = label
