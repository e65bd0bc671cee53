"""TF Serving's status and metadata responses, built once as protos: the
gRPC services return them, the REST API returns their JSON form."""

from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, status_pb2

from serving.errors import CODES

STATES = get_model_status_pb2.ModelVersionStatus.State


def status_response(repository, name, version=None, label=None):
    response = get_model_status_pb2.GetModelStatusResponse()
    for number, state, code, message in repository.status(name, version, label):
        response.model_version_status.add(
            version=number,
            state=STATES.Value(state),
            status=status_pb2.StatusProto(error_code=CODES.index(code), error_message=message),
        )
    return response


def metadata_response(servable):
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = servable.name
    response.model_spec.version.value = servable.version
    signatures = get_model_metadata_pb2.SignatureDefMap()
    for key, definition in servable.signature_defs.items():
        signatures.signature_def[key].CopyFrom(definition)
    response.metadata["signature_def"].Pack(signatures)
    return response


def to_json(message):
    """A response as TF Serving's REST API writes it (field names as in the
    .proto, enums by name, defaults included, no Any type URLs)."""
    body = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    for value in body.get("metadata", {}).values():
        value.pop("@type", None)
    return body
