"""The `zoo` command prints what it was asked for and nothing of
TensorFlow's C++ or absl start-up; real errors still reach stderr."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

ZOO = Path(sys.executable).with_name("zoo")
# What TensorFlow and absl print at start-up: glog-style lines (I0000 ...),
# absl's notice, oneDNN, CUDA probing and CPU feature lines.
NOISE = re.compile(
    r"^[IWEF]\d{4} |absl::InitializeLog|oneDNN|cuda|cuInit|rebuild TensorFlow",
    re.MULTILINE | re.IGNORECASE,
)


def zoo(*args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([str(ZOO), *args], capture_output=True, text=True, timeout=300, env=env)


def test_generate_prints_only_the_text():
    done = zoo(
        "generate", "char-lstm-shakespeare", "--prompt", "ROMEO:", "--length", "40", "--seed", "0"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("ROMEO:") and len(done.stdout.strip()) >= 40


def test_translate_prints_only_the_dates():
    """Also quiet once ops run (TensorFlow's runtime C++ log included)."""
    done = zoo("translate", "date-normalizer", "1 Feb 2003", "31/12/1999")
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("2003-02-01\n1999-12-31\n", "")


def test_a_real_error_still_reaches_stderr_without_the_noise():
    done = zoo("translate", "date-normalizer", "   ")
    assert done.returncode == 2
    assert "empty or only whitespace" in done.stderr
    assert not NOISE.search(done.stderr), done.stderr


def test_the_noise_pattern_would_catch_tensorflows_start_up_lines():
    """The check above can fail: a bare TensorFlow import shows what it hides."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", "import tensorflow as tf; tf.constant(1) + 1"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert NOISE.search(done.stderr), done.stderr


def quiet_python(*args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_training_list_prints_only_the_recipes():
    done = quiet_python("-m", "training", "--list")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "char-lstm-shakespeare" in done.stdout.split()


def test_the_grpc_client_imports_quietly():
    done = quiet_python("-c", "from serving import GrpcClient; print(GrpcClient.__name__)")
    assert (done.returncode, done.stdout, done.stderr) == (0, "GrpcClient\n", "")
