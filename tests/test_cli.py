"""The `zoo` command line: listing, generating, delegating `train`."""

import subprocess
import sys

import pytest

from zoo import cli

pytestmark = pytest.mark.system


def test_list_shows_the_shipped_models(capsys):
    assert cli.main(["list"]) == 0
    assert "char-lstm-shakespeare" in capsys.readouterr().out


def test_generate_prints_prompt_and_continuation(capsys):
    args = ["generate", "char-lstm-shakespeare", "--prompt", "ROMEO:", "--length", "40"]
    assert cli.main([*args, "--seed", "0"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("ROMEO:") and len(first.rstrip("\n")) == len("ROMEO:") + 40
    cli.main([*args, "--seed", "0"])
    assert capsys.readouterr().out == first


def test_generate_errors_are_messages_not_tracebacks(capsys):
    assert cli.main(["generate", "char-lstm-shakespear"]) == 2
    assert "Did you mean char-lstm-shakespeare" in capsys.readouterr().err
    assert cli.main(["generate", "char-lstm-shakespeare", "--length", "-3"]) == 2
    assert "length" in capsys.readouterr().err
    assert cli.main(["generate", "date-normalizer"]) == 2
    assert "not a language model" in capsys.readouterr().err


def test_train_is_delegated_to_the_training_package(capsys):
    assert cli.main(["train", "--list"]) == 0
    assert "char-gru-shakespeare" in capsys.readouterr().out.split()


def test_training_module_usage_errors():
    run = subprocess.run([sys.executable, "-m", "training"], capture_output=True, text=True)
    assert run.returncode == 2 and "give a recipe" in run.stderr
    with pytest.raises(SystemExit):
        cli.main(["nonsense"])


def test_training_errors_are_messages(tmp_path, capsys):
    assert cli.main(["train", "no-such-recipe"]) == 2
    assert "no recipe 'no-such-recipe'" in capsys.readouterr().err
    args = [
        "train",
        "char-lstm-shakespeare",
        "--data-dir",
        str(tmp_path),
        "--run-dir",
        str(tmp_path),
    ]
    assert cli.main(args) == 2
    assert "--data-dir" in capsys.readouterr().err


def test_classify_prints_labels_explains_and_plots(capsys, tmp_path):
    import zoo

    texts = ["A wonderful, moving film.", "Dull and tedious."]
    plot = tmp_path / "words.png"
    assert cli.main(["classify", "sentiment-sst2", *texts, "--explain", "--plot", str(plot)]) == 0
    lines = capsys.readouterr().out.splitlines()
    model = zoo.load("sentiment-sst2")
    for text, label, p, line in zip(
        texts, model.classify(texts), model.predict_proba(texts), lines[::2], strict=True
    ):
        assert line == f"{label}\t{p:.4f}\t{text}"
    tokens, weights = model.explain(texts[0])
    assert lines[1] == "\t" + " ".join(f"{t}:{w:.3f}" for t, w in zip(tokens, weights, strict=True))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_classify_errors_are_messages(capsys):
    assert cli.main(["classify", "sentiment-sst2", "fine", "   "]) == 2
    assert "input 1 is empty or only whitespace" in capsys.readouterr().err
    assert cli.main(["classify", "date-normalizer", "good"]) == 2
    assert "not a text classifier" in capsys.readouterr().err


def test_nearest_prints_neighbours_analogies_and_clear_errors(capsys):
    import zoo

    model = zoo.load("word2vec-en")
    assert cli.main(["nearest", "word2vec-en", "dog", "Film", "-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for word, line in zip(("dog", "Film"), lines, strict=True):
        listed = ", ".join(f"{w} ({c:.2f})" for w, c in model.nearest(word, 3))
        assert line == f"{word}: {listed}"
    assert cli.main(["nearest", "word2vec-en", "man", "king", "woman", "--analogy", "-k", "2"]) == 0
    listed = ", ".join(f"{w} ({c:.2f})" for w, c in model.analogy("man", "king", "woman", 2))
    assert capsys.readouterr().out == f"man : king :: woman : {listed}\n"
    assert cli.main(["nearest", "word2vec-en", "qqqzzzxx"]) == 2
    assert capsys.readouterr().err.startswith("zoo nearest: 'qqqzzzxx' is not in this model's")
    assert cli.main(["nearest", "sentiment-sst2", "dog"]) == 2
    assert "not word vectors" in capsys.readouterr().err
