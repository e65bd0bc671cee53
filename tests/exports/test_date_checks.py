"""A date translator's output check (zoo_runtime.dates) flags alike on
every path: Keras and OnnxModel answer None, the SavedModel "" with valid
false, the JavaScript of the Node and browser apps null. The rule itself is
checked against dates and years picked by hand, not against its own code."""

import json
import shutil
import subprocess

import pytest
import tensorflow as tf

from exports.exporter import export
from serving import OnnxModel
from tests.zoo.test_seq2seq import tiny
from zoo.models import Seq2Seq
from zoo_runtime.dates import DateCheck, output_check

SPAN = {"kind": "date", "first": "1950-01-01", "last": "2049-12-31"}
# (text, a calendar date in the span?) by hand: month ends, leap days, the edges.
OUTPUTS = [
    ("2021-06-30", True),
    ("2021-06-31", False),
    ("2000-02-29", True),  # divisible by 400: a leap year
    ("2001-02-29", False),
    ("2024-02-29", True),
    ("2100-02-29", False),  # outside the span, and not a leap year either
    ("1950-01-01", True),
    ("1949-12-31", False),
    ("2049-12-31", True),
    ("2050-01-01", False),
    ("2021-13-01", False),
    ("2021-00-10", False),
    ("2021-01-00", False),
    ("20009-01-07", False),
    ("2021-1-07", False),
    ("2021/01/07", False),
    (" 2021-01-07", False),
    ("", False),
]
INPUTS = [
    ("October twelfth 1492", "1492"),
    ("12 Feb 2050", "2050"),
    ("1 Feb 2003", None),
    ("19991231", None),  # eight digits: a date, not a year
    ("room 12345, June 3 1999", None),
    ("'45 and 2049", None),
]


def test_the_rule_agrees_with_the_calendar():
    check = DateCheck(SPAN)
    for text, want in OUTPUTS:
        assert check.is_date(text) is want, text
    for text, year in INPUTS:
        assert check.reads(text) is (year is None), text
    assert check.answer("1 Feb 2003", "2003-02-01") == "2003-02-01"
    assert check.answer("1 Feb 2003", "2003-02-31") is None
    assert check.answer("Feb 1st 1492", "1992-02-01") is None
    assert output_check(None) is None
    with pytest.raises(ValueError, match="kind 'date'"):
        output_check({"kind": "time"})


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """A tiny untrained date translator (its outputs are never dates) and
    its export."""
    plain = tiny(max_output_length=10)
    model = Seq2Seq.from_config({**plain.get_config(), "output_check": SPAN})
    model.build()
    model.set_weights(plain.get_weights())
    # check=False: the verification translates examples, which this model cannot.
    directory = export(model, tmp_path_factory.mktemp("dated"), name="dated", check=False)
    return model, directory


def test_every_python_path_flags_alike(dated):
    model, directory = dated
    texts = ["October twelfth 1492", "1 Feb 2003", "12/25/99"]
    raw = model.decode(model.encode_texts(texts))[0]
    answers = [model.target.decode(model.output_ids(row)) for row in raw]
    assert not any(DateCheck(SPAN).is_date(a) for a in answers)  # the set-up: no dates
    assert model.translate(texts) == [None] * 3
    assert OnnxModel(directory).translate(texts) == [None] * 3
    serve = tf.saved_model.load(str(directory)).signatures["serving_default"]
    served = serve(text=tf.constant(texts))
    assert served["output"].numpy().tolist() == [b""] * 3
    assert served["valid"].numpy().tolist() == [False] * 3
    assert json.loads((directory / "zoo.json").read_text())["output_check"] == SPAN
    assert Seq2Seq.from_config(model.get_config()).output_check == SPAN


def test_the_graph_check_agrees_with_the_rule():
    """exports.graphs.dates on the same outputs and inputs as above."""
    from exports.graphs.dates import answered

    check = DateCheck(SPAN)
    texts = [t for t, _ in INPUTS] + ["1 Feb 2003"] * len(OUTPUTS)
    outputs = ["2003-02-01"] * len(INPUTS) + [t for t, _ in OUTPUTS]
    valid = answered(tf.constant(texts), tf.constant(outputs), SPAN).numpy().tolist()
    want = [check.answer(t, o) is not None for t, o in zip(texts, outputs, strict=True)]
    assert valid == want
    readable = sum(year is None for _, year in INPUTS)
    assert sum(want) == readable + sum(ok for _, ok in OUTPUTS)  # both outcomes occur


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_javascript_agrees_with_python(dated, tmp_path):
    """zoo-core.mjs' dateCheck on the same outputs and inputs."""
    from tests.serving.test_node_app import APP

    script = tmp_path / "check.mjs"
    core = (APP.parent / "shared" / "zoo-core.mjs").as_uri()
    lines = [
        f'import {{ dateCheck }} from "{core}";',
        f"const check = dateCheck({json.dumps(SPAN)});",
        f"const outputs = {json.dumps([t for t, _ in OUTPUTS])};",
        f"const inputs = {json.dumps([t for t, _ in INPUTS])};",
        "console.log(JSON.stringify({",
        "  outputs: outputs.map((t) => check.answer('1 Feb 2003', t)),",
        "  inputs: inputs.map((t) => check.answer(t, '2003-02-01')),",
        "}));",
    ]
    script.write_text("\n".join(lines))
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    check = DateCheck(SPAN)
    assert found["outputs"] == [check.answer("1 Feb 2003", t) for t, _ in OUTPUTS]
    assert found["inputs"] == [check.answer(t, "2003-02-01") for t, _ in INPUTS]
    if (APP / "node_modules" / "onnxruntime-node").is_dir():  # and the app, end to end
        done = subprocess.run(
            ["node", "zoo.mjs", "translate", str(dated[1]), "October twelfth 1492", "1 Feb 2003"],
            cwd=APP,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["outputs"] == [None, None]
