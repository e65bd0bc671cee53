"""TF Serving's gRPC API on tensorflow-serving-api's messages:
PredictionService.Predict / GetModelMetadata (Predict registered without
a deserializer, so that a big message is parsed in serving.parsing's
process) and ModelService.GetModelStatus through its generated servicer;
the other methods answer UNIMPLEMENTED."""

from serving.tensorflow import tf  # first: TensorFlow's quiet start

# isort: split

import functools
import logging
from concurrent import futures
from typing import NamedTuple

import grpc
from google.protobuf.message import DecodeError
from tensorflow_serving.apis import get_model_metadata_pb2, model_service_pb2_grpc, predict_pb2

from serving import protos
from serving.errors import ServingError, invalid, shown
from serving.limits import Budget, check_declared_batch, proto_bytes

log = logging.getLogger("serving")


def _requested(spec):
    """(name, version, label) of a ModelSpec."""
    which = spec.WhichOneof("version_choice")
    version = spec.version.value if which == "version" else None
    label = spec.version_label if which == "version_label" else None
    return spec.name, version, label


def _answer(context, fn, *args):
    """fn(*args), with ServingError (and any other failure) as a gRPC status."""
    try:
        return fn(*args)
    except ServingError as error:
        context.abort(getattr(grpc.StatusCode, error.code, grpc.StatusCode.UNKNOWN), error.message)
    except Exception as error:
        log.exception("gRPC request failed")
        context.abort(grpc.StatusCode.INTERNAL, f"{type(error).__name__}: {error}")


class Decoded(NamedTuple):
    model: tuple  # (name, version, label) of the ModelSpec
    signature: str
    output_filter: tuple
    feed: dict  # {input: array}


def decode_predict(raw, max_batch, max_tensor_bytes):
    """A serialized PredictRequest as plain values, its declared sizes
    checked before tf.make_ndarray allocates anything: each batch against
    `max_batch`, all inputs together against the byte budget. A plain
    function of plain values, so it can run in the parser process."""
    try:
        request = predict_pb2.PredictRequest.FromString(raw)
    except DecodeError as error:
        raise invalid(f"the PredictRequest does not parse: {error}") from None
    budget = Budget(max_tensor_bytes)
    for key, proto in request.inputs.items():  # sizes first: nothing allocated yet
        check_declared_batch(key, proto, max_batch)
        budget.spend(key, proto_bytes(key, proto), "declares")
    feed = {}
    for key, proto in request.inputs.items():
        try:
            feed[key] = tf.make_ndarray(proto)
        except Exception as error:
            raise invalid(f"input '{shown(key)}' is not a valid TensorProto: {error}") from None
    spec = request.model_spec
    return Decoded(_requested(spec), spec.signature_name, tuple(request.output_filter), feed)


class PredictionService:
    """Predict takes the request's bytes (no deserializer: see
    decode_predict), GetModelMetadata the parsed request."""

    def __init__(self, repository, runner, parser, max_tensor_bytes):
        self.repository, self.runner, self.parser = repository, runner, parser
        self.max_tensor_bytes = max_tensor_bytes

    def Predict(self, raw, context):  # noqa: N802 (the proto's name)
        return _answer(context, self._predict, raw, context.time_remaining(), context.peer())

    def _predict(self, raw, time_remaining=None, peer=""):
        decode = functools.partial(
            decode_predict, raw, self.repository.max_batch, self.max_tensor_bytes
        )
        request = self.parser.call(decode, len(raw))
        servable = self.repository.get(*request.model)
        signature = servable.signature(request.signature)
        outputs = self.runner.call(
            servable.predict,
            signature,
            request.feed,
            request.output_filter,
            peer=peer,
            macs=servable.cost(signature, request.feed),
            timeout_s=time_remaining,
        )
        response = predict_pb2.PredictResponse()
        response.model_spec.name = servable.name
        response.model_spec.version.value = servable.version
        response.model_spec.signature_name = signature
        for key, value in outputs.items():
            response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
        return response

    def GetModelMetadata(self, request, context):  # noqa: N802
        return _answer(context, self._metadata, request)

    def _metadata(self, request):
        fields = set(request.metadata_field)
        if fields != {"signature_def"}:
            raise invalid(f"metadata_field must be ['signature_def'], got {sorted(fields)}")
        return protos.metadata_response(self.repository.get(*_requested(request.model_spec)))


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, repository):
        self.repository = repository

    def GetModelStatus(self, request, context):  # noqa: N802
        spec = _requested(request.model_spec)
        return _answer(context, protos.status_response, self.repository, *spec)


def make_server(
    repository,
    runner,
    parser,
    host,
    port,
    max_message_bytes,
    max_tensor_bytes,
    max_rpcs,
    streams_per_connection,
    idle_s=300,
    handshake_s=10,
    max_connections=1024,
):
    """A started-on-demand grpc.Server and the port it bound; models run
    on `runner` (serving.runner), under the request's deadline.

    At most `max_rpcs` RPCs are in the server at once (RESOURCE_EXHAUSTED
    beyond, at once), each connection at most `streams_per_connection`
    (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: the client holds the rest
    back), so one channel's 5,000 streams queue at its own end. Each RPC
    has a thread of its own while it waits for the runner's fair queues.
    At most `max_connections` are open; one that does not finish its
    handshake in `handshake_s`, or idles `idle_s`, is closed."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_rpcs, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_concurrent_streams", streams_per_connection),
            ("grpc.max_connection_idle_ms", int(idle_s * 1000)),
            ("grpc.server_handshake_timeout_ms", int(handshake_s * 1000)),
            ("grpc.max_allowed_incoming_connections", max_connections),
        ],
        maximum_concurrent_rpcs=max_rpcs,
    )
    service = PredictionService(repository, runner, parser, max_tensor_bytes)
    methods = {
        "Predict": grpc.unary_unary_rpc_method_handler(
            service.Predict, response_serializer=predict_pb2.PredictResponse.SerializeToString
        ),
        "GetModelMetadata": grpc.unary_unary_rpc_method_handler(
            service.GetModelMetadata,
            request_deserializer=get_model_metadata_pb2.GetModelMetadataRequest.FromString,
            response_serializer=get_model_metadata_pb2.GetModelMetadataResponse.SerializeToString,
        ),
    }  # Classify, Regress and MultiInference: UNIMPLEMENTED, gRPC's answer to an unknown method
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("tensorflow.serving.PredictionService", methods),)
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(repository), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise OSError(f"cannot bind gRPC to {host}:{port}")
    return server, bound
