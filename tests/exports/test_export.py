"""Every kind of shipped model exports (conftest.EXPORTED); the SavedModel reloads with
tf.saved_model.load and its serving_default gives the zoo API's strings
(images); the ONNX graphs use native recurrent nodes; versions appear whole
or not at all; warmup records, zoo.json and models.config are right."""

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
import tensorflow as tf

import exports.exporter as export_module
import zoo
from exports import layout
from exports.exporter import export
from exports.graphs import NotExportable
from exports.graphs.caption import example_images
from exports.onnx_export import op_types
from exports.warmup import read_warmup
from tests.conftest import EXPORTED, load, package_dir
from tests.conftest import task_of as card_task
from zoo_runtime.checksums import sha256

TEXTS = ["Tuesday, March 3rd 2015", "1 Feb 2003", "on 31.12.99 at noon"]
PROMPTS = ["ROMEO:", "First Citizen:\n", ""]
NATIVE = {"lstm": "LSTM", "peephole": "LSTM", "cifg": "LSTM", "gru": "GRU", "rnn": "RNN"}


@pytest.fixture(scope="module")
def out(exported_models):
    return exported_models[0]


@pytest.fixture(scope="module")
def exported(exported_models):
    assert sorted(exported_models[1]) == sorted(EXPORTED)
    return exported_models[1]


def strings(values):
    return [v.decode() for v in values.numpy()]


@pytest.mark.parametrize("name", EXPORTED)
def test_serving_default_gives_what_the_zoo_api_gives(exported, name):
    model = load(name)
    serve = tf.saved_model.load(str(exported[name])).signatures["serving_default"]
    if hasattr(model, "classify"):
        reviews = ["A wonderful film.", "Dull<br />and slow; I didn't care.", "not bad"]
        got = serve(text=tf.constant(reviews))
        np.testing.assert_allclose(
            got["probability"].numpy(), model.predict_proba(reviews), atol=1e-5
        )
        assert strings(got["label"]) == model.classify(reviews)
    elif hasattr(model, "translate"):
        got = serve(text=tf.constant(TEXTS))
        assert strings(got["output"]) == model.translate(TEXTS)
    elif hasattr(model, "caption"):
        images = np.stack(example_images()[:1] * 2)
        got = serve(image=tf.constant(images))
        assert strings(got["caption"]) == model.caption(list(images), beam_width=1)
    elif hasattr(model, "generate"):
        lengths = [60, 30, 45]
        got = serve(
            prompt=tf.constant(PROMPTS),
            length=tf.constant(lengths),
            temperature=tf.zeros(3),
            seed=tf.zeros(3, tf.int64),
        )
        want = [model.generate(p, n, temperature=0) for p, n in zip(PROMPTS, lengths, strict=True)]
        assert strings(got["text"]) == want
        assert np.all(got["log_prob"].numpy() < 0)
    elif hasattr(model, "nearest"):
        words = ["Good", "dull", "two words", ""]
        got = serve(word=tf.constant(words))
        assert got["known"].numpy().tolist() == [True, True, False, False]
        np.testing.assert_array_equal(
            got["vector"].numpy()[:2], [model.vector(w) for w in words[:2]]
        )
        assert not got["vector"].numpy()[2:].any()
        near = tf.saved_model.load(str(exported[name])).signatures["nearest"]
        found = near(word=tf.constant(["dull"]), k=tf.constant(4))
        assert strings(found["words"][0]) == [w for w, _ in model.nearest("dull", 4)]
    else:
        image = np.asarray(np.random.default_rng(0).integers(0, 256, (1, 37, 29, 3)), np.uint8)
        got = serve(image=tf.constant(image))["stylized"].numpy()
        assert got.dtype == np.uint8 and got.shape == image.shape
        assert np.abs(got.astype(int) - model.stylize(image).astype(int)).max() <= 1


@pytest.mark.parametrize("name", EXPORTED)
def test_onnx_graphs_use_native_recurrent_nodes(exported, name):
    card = load(name).card
    sidecar = json.loads((exported[name] / "zoo.json").read_text())
    cell = card.get("config", {}).get("cell") or json.loads(
        (package_dir(name) / "config.json").read_text()
    )["config"].get("cell")
    for filename in sidecar["onnx"]:
        ops = op_types(onnx.load(str(exported[name] / filename)))
        if filename == "search.onnx":  # the search's own loop holds native recurrent nodes
            ops.remove("Loop")
        assert "Loop" not in ops
        if cell and not (sidecar["task"] == "caption" and filename == "encoder.onnx"):  # VGG19
            assert NATIVE[cell] in ops, (filename, sorted(set(ops)))


@pytest.mark.parametrize("name", EXPORTED)
def test_sidecar_and_metadata(exported, name):
    directory = exported[name]
    sidecar = json.loads((directory / "zoo.json").read_text())
    assert sidecar["name"] == name and sidecar["card"]["name"] == name
    assert sidecar["task"] == card_task(name)
    for path, digest in sidecar["sha256"].items():
        assert sha256(directory / path) == digest
    assert "saved_model.pb" in sidecar["sha256"]
    greedy = sidecar["verified"].pop("greedy decoding, tokens equal", None)
    assert greedy is None or greedy >= 15  # real decodes compared: e.g. two photos' captions
    assert all(v <= 1e-4 for v in sidecar["verified"].values())
    for filename, io in sidecar["onnx"].items():
        proto = onnx.load(str(directory / filename))
        assert [i.name for i in proto.graph.input] == list(io["inputs"])
        meta = {p.key: p.value for p in proto.metadata_props}
        assert json.loads(meta["zoo"])["name"] == name
    signature = sidecar["signatures"]["serving_default"]
    assert not any(k.startswith("output_") for k in signature["outputs"])


def test_warmup_records_replay_every_signature(exported):
    directory = exported["date-normalizer"]
    logs = read_warmup(directory)
    assert logs, "no warmup records"
    serve = tf.saved_model.load(str(directory)).signatures
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.name == "date-normalizer"
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        serve[request.model_spec.signature_name](**{k: tf.constant(v) for k, v in inputs.items()})


def test_models_config_names_every_export(exported, out):
    text = (out / "models.config").read_text()
    for name in EXPORTED:
        assert f'name: "{name}"' in text and f'base_path: "/models/{name}"' in text


def test_no_cudnn_ops_in_the_saved_graphs(exported):
    from tensorflow.core.protobuf import saved_model_pb2

    for directory in exported.values():
        saved = saved_model_pb2.SavedModel.FromString((directory / "saved_model.pb").read_bytes())
        graph = saved.meta_graphs[0].graph_def
        ops = {n.op for n in graph.node}
        ops |= {n.op for f in graph.library.function for n in f.node_def}
        assert not any(op.startswith("CudnnRNN") for op in ops)
        assert ops, "read no ops"


def test_saved_model_cli_lists_named_inputs_and_outputs(exported):
    cli = [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]
    shown = subprocess.run(
        [
            *cli,
            "show",
            "--dir",
            str(exported["char-lstm-shakespeare"]),
            "--tag_set",
            "serve",
            "--signature_def",
            "serving_default",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ("prompt", "length", "temperature", "seed", "text", "log_prob"):
        assert f"['{name}']" in shown, shown


def test_bad_input_is_a_request_error_not_a_crash(exported):
    serve = tf.saved_model.load(str(exported["date-normalizer"])).signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="over 256 characters"):
        serve(text=tf.constant(["x" * 300]))
    for blank in ("", "  \t", "\n\r\f\v"):
        with pytest.raises(tf.errors.InvalidArgumentError, match="empty or whitespace-only"):
            serve(text=tf.constant(["fine", blank]))
    assert strings(serve(text=tf.constant(TEXTS[:1]))["output"]) == ["2015-03-03"]


def test_blank_text_is_refused_the_same_way_everywhere(exported):
    """Keras, the SavedModel (above) and OnnxModel's numpy code agree on
    what is blank: the characters zoo.json lists."""
    from serving import OnnxModel

    sidecar = json.loads((exported["date-normalizer"] / "zoo.json").read_text())
    runtime = OnnxModel(exported["date-normalizer"])
    for text in ("   ", sidecar["blank_characters"]):
        for translate in (zoo.load("date-normalizer").translate, runtime.translate):
            with pytest.raises(ValueError, match="empty or only whitespace"):
                translate([text])
    assert runtime.translate(["\u00a01 Feb 2003"]) == zoo.load("date-normalizer").translate(
        ["\u00a01 Feb 2003"]
    )  # a non-breaking space is not blank in any of the three


def test_each_generated_row_depends_only_on_its_own_seed(exported):
    serve = tf.saved_model.load(str(exported["char-rnn-shakespeare"])).signatures["serving_default"]

    def generate(prompts, seeds):
        n = len(prompts)
        out = serve(
            prompt=tf.constant(prompts),
            length=tf.fill([n], 30),
            temperature=tf.fill([n], 1.0),
            seed=tf.constant(seeds, tf.int64),
        )
        return strings(out["text"])

    batch = generate(["ROMEO:", "JULIET:", "ROMEO:"], [11, 12, 13])
    alone = [
        generate([p], [s])[0]
        for p, s in zip(["ROMEO:", "JULIET:", "ROMEO:"], [11, 12, 13], strict=True)
    ]
    assert batch == alone
    assert batch[0] != batch[2]  # same prompt, other seed: other text
    assert generate(["ROMEO:"], [11]) == generate(["ROMEO:"], [11])


@pytest.mark.parametrize("name", ["char-lstm-shakespeare", "char-rnn-shakespeare"])
def test_a_seed_gives_the_same_sampled_text_in_keras_the_savedmodel_and_onnx(exported, name):
    """One sampler everywhere (zoo_runtime.search.sample, its in-graph twin
    exports.graphs.sampling.gumbel): for each seed and temperature, Keras'
    generate, the SavedModel and OnnxModel write the same characters."""
    from serving import OnnxModel

    model, runtime = load(name), OnnxModel(exported[name])
    serve = tf.saved_model.load(str(exported[name])).signatures["serving_default"]
    cases = [("ROMEO:", 0.8, 0), ("", 1.0, 12345), ("To be, or not", 0.5, -7), ("Ay", 1.3, 2**40)]
    got = serve(
        prompt=tf.constant([p for p, _, _ in cases]),
        length=tf.fill([4], 50),
        temperature=tf.constant([t for _, t, _ in cases], tf.float32),
        seed=tf.constant([s for *_, s in cases], tf.int64),
    )
    keras_texts = [model.generate(p, 50, temperature=t, seed=s) for p, t, s in cases]
    assert strings(got["text"]) == keras_texts
    assert [runtime.generate(p, 50, temperature=t, seed=s) for p, t, s in cases] == keras_texts
    assert keras_texts[0] != model.generate("ROMEO:", 50, temperature=0.8, seed=1)


def test_the_savedmodels_no_repeat_signature_blocks_as_keras_does(exported):
    """`no_repeat`: each row its own n (greedy char-lstm loops within 150
    characters of "ROMEO:"), greedy or sampled, as Keras' generate(...,
    no_repeat_ngram_size=n) writes them, whatever shares the batch."""
    model = load("char-lstm-shakespeare")
    serve = tf.saved_model.load(str(exported["char-lstm-shakespeare"])).signatures["no_repeat"]
    cases = [("ROMEO:", 0.0, 0, 8), ("ROMEO:", 0.8, 5, 4), ("", 0.0, 0, 0), ("To be", 1.0, 3, 1)]
    # n = 1 over 150 characters: every character once, then the block gives way

    def generate(rows, length=150):
        return strings(
            serve(
                prompt=tf.constant([p for p, *_ in rows]),
                length=tf.fill([len(rows)], length),
                temperature=tf.constant([t for _, t, *_ in rows], tf.float32),
                seed=tf.constant([s for *_, s, _ in rows], tf.int64),
                no_repeat_ngram_size=tf.constant([n for *_, n in rows]),
            )["text"]
        )

    want = [
        model.generate(p, 150, temperature=t, seed=s, no_repeat_ngram_size=n)
        for p, t, s, n in cases
    ]
    assert generate(cases) == want
    assert generate(cases[1:2]) == want[1:2]
    assert want[0] != model.generate("ROMEO:", 150, temperature=0)  # the block acts
    assert len(set(generate(cases[3:], 60)[0])) == 60  # n = 1: no character twice
    with pytest.raises(tf.errors.InvalidArgumentError, match="no_repeat_ngram_size"):
        generate([("ROMEO:", 0.0, 0, 9)])


def test_the_runtime_noise_is_the_graphs_bit_for_bit():
    from exports.graphs import sampling
    from zoo_runtime.search import gumbel

    seeds = [0, 1, -5, 2**40 + 3, -(2**63), 2**63 - 1]
    for step in (0, 7, 4095):
        graph = sampling.gumbel(tf.constant(seeds, tf.int64), tf.constant(step), 66).numpy()
        ours = np.stack([gumbel(seed, step, 66) for seed in seeds])
        np.testing.assert_array_equal(ours, graph)


def test_limits_are_enforced_and_recorded(exported, tmp_path):
    from exports.graphs import LIMITS

    sidecar = json.loads((exported["char-rnn-shakespeare"] / "zoo.json").read_text())
    assert sidecar["limits"] == {k: LIMITS[k] for k in ("max_prompt_chars", "max_generate_length")}
    directory = export(
        "char-rnn-shakespeare",
        tmp_path,
        formats=("savedmodel",),
        check=False,
        limits={"max_prompt_chars": 8},
    )
    assert json.loads((directory / "zoo.json").read_text())["limits"]["max_prompt_chars"] == 8
    serve = tf.saved_model.load(str(directory)).signatures["serving_default"]
    feed = {"length": tf.constant([3]), "temperature": tf.zeros(1), "seed": tf.zeros(1, tf.int64)}
    assert len(strings(serve(prompt=tf.constant(["12345678"]), **feed)["text"])[0]) == 3
    with pytest.raises(tf.errors.InvalidArgumentError, match="prompt characters"):
        serve(prompt=tf.constant(["123456789"]), **feed)
    with pytest.raises(ValueError, match="unknown limit"):
        export("char-rnn-shakespeare", tmp_path, limits={"max_prompt": 8})


def test_the_text_cap_of_a_translator_is_set_at_export(exported, tmp_path):
    from serving import OnnxModel

    shipped = json.loads((exported["date-normalizer"] / "zoo.json").read_text())
    assert shipped["limits"] == {"max_text_chars": 256}  # the model's own maximum
    directory = export("date-normalizer", tmp_path, check=False, limits={"max_text_chars": 12})
    assert json.loads((directory / "zoo.json").read_text())["limits"] == {"max_text_chars": 12}
    serve = tf.saved_model.load(str(directory)).signatures["serving_default"]
    assert strings(serve(text=tf.constant(["1 Feb 2003"]))["output"]) == ["2003-02-01"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="over 12 characters"):
        serve(text=tf.constant(["Tuesday, March 3rd 2015"]))
    with pytest.raises(ValueError, match="at most 12"):
        OnnxModel(directory).translate(["Tuesday, March 3rd 2015"])


def test_interrupted_export_leaves_no_version(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(export_module, "write_sidecar", fail)
    with pytest.raises(RuntimeError, match="injected"):
        export("char-rnn-shakespeare", tmp_path, formats=["onnx"])
    base = tmp_path / "char-rnn-shakespeare"
    assert [p for p in base.rglob("*") if p.is_file() or p.name.isdigit()] == []


def test_reexport_makes_the_next_version_and_leaves_the_last_alone(tmp_path):
    first = export("char-rnn-shakespeare", tmp_path, formats=["onnx"])
    before = {p.name: sha256(p) for p in first.iterdir()}
    second = export("char-rnn-shakespeare", tmp_path, formats=["onnx"])
    assert (first.name, second.name) == ("1", "2")
    assert {p.name: sha256(p) for p in first.iterdir()} == before
    assert layout.versions(tmp_path / "char-rnn-shakespeare") == [1, 2]


def test_style_transfer_is_not_exportable_and_says_why(tmp_path):
    with pytest.raises(NotExportable, match="optimisation"):
        export("style-transfer-vgg19", tmp_path)
    assert not (tmp_path / "style-transfer-vgg19").exists() or not any(
        (tmp_path / "style-transfer-vgg19").iterdir()
    )


def test_command_line_exports_and_reports_errors(tmp_path):
    run = [
        sys.executable,
        "-m",
        "zoo.cli",
        "export",
        "--out",
        str(tmp_path),
        "--models-config",
        str(tmp_path / "m.config"),
    ]
    bad = subprocess.run([*run, "no-such-model"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no pretrained model named" in bad.stderr
    good = subprocess.run(
        [*run, "--formats", "onnx", "char-rnn-shakespeare"], capture_output=True, text=True
    )
    assert good.returncode == 0, good.stderr
    assert (tmp_path / "char-rnn-shakespeare" / "onnx-only" / "1" / "model.onnx").is_file()


def test_models_config_keeps_and_moves_version_labels(tmp_path):
    config = tmp_path / "models.config"
    run = dict(formats=["savedmodel"], check=False, models_config=config)
    export("char-rnn-shakespeare", tmp_path, labels=["stable"], **run)
    export("char-rnn-shakespeare", tmp_path, labels=["canary"], **run)
    export("char-gru-shakespeare", tmp_path, **run)
    export("char-rnn-shakespeare", tmp_path, **run)
    entries = {e.name: e for e in layout.read_models_config(config).model_config_list.config}
    rnn = entries["char-rnn-shakespeare"]
    assert dict(rnn.version_labels) == {"stable": 1, "canary": 2}
    assert list(rnn.model_version_policy.specific.versions) == [1, 2, 3]
    assert not entries["char-gru-shakespeare"].version_labels
    assert entries["char-gru-shakespeare"].base_path == "/models/char-gru-shakespeare"
    export("char-rnn-shakespeare", tmp_path, labels=["stable"], **run)  # promote version 4
    rnn = layout.read_models_config(config).model_config_list.config[1]
    assert dict(rnn.version_labels) == {"stable": 4, "canary": 2}
    assert list(rnn.model_version_policy.specific.versions) == [2, 4]
