"""The TF Serving deployment files: models.config as exports writes it is
a valid ModelServerConfig whose base paths are where docker-compose.yml
mounts exports/; batching.config uses only BatchingParameters fields; and,
where a `tensorflow_model_server` binary is installed, TF Serving itself
serves the exports with the zoo API's answers (skipped where it is not:
neither the binary nor its Docker image can be fetched on the CI machine)."""

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import zoo
from exports import layout
from serving import RestClient, ServingError
from tests.ports import free_ports

pytestmark = pytest.mark.system

SERVING = Path(__file__).resolve().parents[2] / "serving"
# tensorflow_serving/servables/tensorflow/session_bundle_config.proto
BATCHING_FIELDS = {
    "max_batch_size",
    "batch_timeout_micros",
    "max_enqueued_batches",
    "num_batch_threads",
    "thread_pool_name",
    "allowed_batch_sizes",
    "pad_variable_length_inputs",
    "enable_large_batch_splitting",
    "max_execution_batch_size",
}


def test_models_config_is_what_the_compose_file_mounts(exported_models):
    out, exported = exported_models
    config = layout.read_models_config(out / "models.config")
    entries = {e.name: e.base_path for e in config.model_config_list.config}
    assert entries == {name: f"/models/{name}" for name in exported}
    compose = (SERVING / "docker-compose.yml").read_text()
    assert "../exports:/models:ro" in compose and "./:/config:ro" in compose
    assert "--model_config_file=/config/models.config" in compose
    assert '"127.0.0.1:8500:8500"' in compose and '"127.0.0.1:8501:8501"' in compose


def test_batching_config_names_only_batching_parameters():
    text = (SERVING / "batching.config").read_text()
    fields = re.findall(r"^\s*([a-z_]+)\s*[{:]", text, flags=re.MULTILINE)
    assert fields and set(fields) <= BATCHING_FIELDS, fields
    assert re.search(r"max_batch_size \{ value: \d+ \}", text)


@pytest.mark.skipif(
    not shutil.which("tensorflow_model_server"), reason="TF Serving is not installed here"
)
def test_tf_serving_itself_serves_the_exports(exported_models, tmp_path):
    out, _ = exported_models
    config = tmp_path / "models.config"
    layout.models_config(out, config, base_path_prefix=str(out))
    rest_port, grpc_port = free_ports(2)
    server = subprocess.Popen(
        [
            "tensorflow_model_server",
            f"--port={grpc_port}",
            f"--rest_api_port={rest_port}",
            f"--model_config_file={config}",
            f"--batching_parameters_file={SERVING / 'batching.config'}",
            "--enable_batching=true",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        rest = RestClient(f"http://127.0.0.1:{rest_port}", timeout=60)
        deadline = time.time() + 120
        while True:
            try:
                rest.status("date-normalizer")
                break
            except ServingError:
                assert time.time() < deadline, "TF Serving did not come up"
                time.sleep(1)
        texts = ["Tuesday, March 3rd 2015", "1 Feb 2003"]
        rows = rest.predict("date-normalizer", instances=texts)
        assert [r["output"] for r in rows] == zoo.load("date-normalizer").translate(texts)
    finally:
        server.terminate()
        server.wait()
