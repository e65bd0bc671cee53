"""`zoo train TASK --data FILES`: a user's own files, written here, train a
package whose card describes them, which loads, exports and serves; fine-
tuning keeps the base's vocabulary and refuses another label set unless
mapped or given a new head; bad data fails before training, naming the
file and line, and writes nothing."""

import csv
import json
import logging

import numpy as np
import pytest

import zoo
from exports.exporter import export
from serving import RestClient
from serving.server import EmbeddedServer
from tests.serving import cases
from tests.training.test_sentiment_training import reviews as tiny_reviews
from training.__main__ import main
from training.core import own_data
from training.core import recipe as recipes
from training.tasks import fast_style
from zoo import cli
from zoo.models import FastStyle


def reviews(count, seed, names=("neg", "pos")):
    """test_sentiment_training's tiny reviews, as rows of a user's table."""
    return [{"review": text, "stars": names[label]} for label, text in tiny_reviews(count, seed)]


def write_csv(path, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


COLUMNS = ["--text-column", "review", "--label-column", "stars", "--quiet"]


def train(tmp_path, name, *args):
    run, out = tmp_path / f"run-{name}", tmp_path / name
    argv = ["sentiment", *args, *COLUMNS, "--run-dir", str(run), "--out", str(out)]
    return main(argv), out


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A classifier trained from scratch on 200 rows of a CSV."""
    tmp_path = tmp_path_factory.mktemp("own")
    data = write_csv(tmp_path / "reviews.csv", reviews(200, 0))
    code, out = train(tmp_path, "mine", "--data", str(data), "--epochs", "3", "--batch-size", "16")
    assert code == 0
    return out


def test_a_users_csv_trains_a_package_whose_card_describes_that_csv(own, capsys):
    card = json.loads((own / "card.json").read_text())
    dataset = card["dataset"]
    assert dataset["files"] == {"files": ["reviews.csv"]}
    assert dataset["splits"] == {"train": 180, "validation": 20}
    assert sorted(dataset["labels"]) == ["neg", "pos"] and sum(dataset["labels"].values()) == 180
    assert "imdb" not in json.dumps(card).lower()  # no claim about a shipped data set
    history = card["training"]["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    assert card["metrics"]["validation_accuracy"] >= 0.9
    model = zoo.load_path(own)
    assert model.labels == ["neg", "pos"]
    assert model.classify(["a great film", "the dull plot"]) == ["pos", "neg"]
    assert cli.main(["classify", str(own), "a great film"]) == 0  # a folder is a model name
    assert capsys.readouterr().out.startswith("pos\t")


def test_the_package_exports_quietly_and_serves(own, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        exported = export(own, tmp_path / "exports")
    assert not caplog.records, caplog.text  # TensorFlow's and tf2onnx's known warnings
    case = cases.for_task("sentiment")
    with EmbeddedServer(tmp_path / "exports", rest_port=0, grpc_port=None) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
        case.check_rest(rest, exported.parent.name, case.expected(zoo.load_path(own), "mine"))


def test_fine_tuning_keeps_the_vocabulary_and_maps_or_replaces_labels(own, tmp_path, capsys):
    numbered = write_csv(tmp_path / "more.tsv", reviews(64, 1, names=("0", "1")), "\t")
    data = ["--data", str(numbered), "--from", str(own), "--epochs", "1", "--batch-size", "16"]
    code, out = train(tmp_path, "refused", *data)
    assert code == 2 and not out.exists()
    assert "['0', '1'] are not mine's ['neg', 'pos']" in capsys.readouterr().err
    code, out = train(tmp_path, "mapped", *data, "--label-map", "0=neg,1=pos")
    assert code == 0
    tuned = zoo.load_path(out)
    assert tuned.vocabulary == zoo.load_path(own).vocabulary
    assert tuned.card["base_model"] == "mine" and tuned.labels == ["neg", "pos"]
    code, out = train(tmp_path, "relabelled", *data, "--new-head")
    assert code == 0 and zoo.load_path(out).labels == ["0", "1"]


BAD_TABLES = {
    "missing column": ("t.csv", b"text,stars\nok film,pos\n", "has no column 'review'"),
    "empty text": (
        "t.csv",
        b"review,stars\ngood,pos\n  ,neg\nbad,neg\n",
        "t.csv line 3: the 'review' is empty",
    ),
    "single label": ("t.csv", b"review,stars\n" + b"good film,pos\n" * 20, "has the label 'pos'"),
    "not utf-8": (
        "t.csv",
        b"review,stars\ngood,pos\ncaf\xe9 bad,neg\n",
        "not UTF-8 text (byte 0xe9 on line 3)",
    ),
    "not a table": ("t.txt", b"good film\n", "must end in .csv, .tsv, .jsonl"),
    "bad json": (
        "t.jsonl",
        b'{"review": "good", "stars": "pos"}\n{oops\n',
        "t.jsonl line 2 is not JSON",
    ),
}


@pytest.mark.parametrize("case", BAD_TABLES)
def test_bad_data_fails_before_training_and_writes_nothing(case, tmp_path, capsys):
    filename, content, message = BAD_TABLES[case]
    (tmp_path / filename).write_bytes(content)
    code, out = train(tmp_path, "bad", "--data", str(tmp_path / filename))
    assert code == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [filename]  # no run, no package


MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August"]


def german_dates(count, seed):
    """'3. März 2015<TAB>2015-03-03' lines: a format date-normalizer never saw."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        day, month, year = (
            int(rng.integers(1, 29)),
            int(rng.integers(8)),
            int(rng.integers(1950, 2030)),
        )
        rows.append(f"{day}. {MONTHS[month]} {year}\t{year}-{month + 1:02d}-{day:02d}\n")
    return "".join(rows)


def test_a_translator_fine_tunes_on_a_tsv_and_exports_and_serves(tmp_path):
    (tmp_path / "de.tsv").write_text(german_dates(160, 0), encoding="utf-8")
    argv = ["seq2seq", "--data", str(tmp_path / "de.tsv"), "--from", "date-normalizer"]
    argv += ["--epochs", "2", "--batch-size", "16", "--quiet", "--out", str(tmp_path / "de")]
    assert main([*argv, "--run-dir", str(tmp_path / "run")]) == 0
    card = json.loads((tmp_path / "de" / "card.json").read_text())
    assert card["dataset"]["files"] == {"files": ["de.tsv"]}
    assert card["dataset"]["splits"] == {"train": 144, "validation": 16}
    assert card["base_model"] == "date-normalizer" and "test_unseen" not in json.dumps(card)
    history = card["training"]["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    assert card["metrics"]["validation_exact_match"] >= 0.9
    tuned = zoo.load_path(tmp_path / "de")
    assert tuned.source.tokens == zoo.load("date-normalizer").source.tokens  # kept
    exported = export(tuned, tmp_path / "exports", formats=("savedmodel",))
    texts = ["7. März 1999", "21. August 2004"]
    with EmbeddedServer(tmp_path / "exports", rest_port=0, grpc_port=None) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
        rows = rest.predict(exported.parent.name, instances=texts)
    assert [row["output"] for row in rows] == tuned.translate(texts) == ["1999-03-07", "2004-08-21"]


BAD_PAIRS = {
    "missing column": (["t.tsv"], ["1 Mai 2000\n"], [], "t.tsv line 1 has 1 tab-separated columns"),
    "empty target": (
        ["t.tsv"],
        ["1 Mai 2000\t2000-05-01\n2 Mai 2000\t \n"],
        [],
        "t.tsv line 2: the target is empty",
    ),
    "unaligned": (
        ["s.txt", "t.txt"],
        ["a\nb\n", "1\n"],
        ["--aligned"],
        "s.txt has 2 lines but ",
    ),
}


@pytest.mark.parametrize("case", BAD_PAIRS)
def test_bad_pairs_fail_before_training_and_write_nothing(case, tmp_path, capsys):
    names, contents, flags, message = BAD_PAIRS[case]
    for name, content in zip(names, contents, strict=True):
        (tmp_path / name).write_text(content, encoding="utf-8")
    files = [str(tmp_path / name) for name in names]
    code = main(["seq2seq", "--data", *files, *flags, "--run-dir", str(tmp_path / "run")])
    assert code == 2 and message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_a_recipe_of_a_users_text_trains_a_language_model_that_exports_and_serves(tmp_path):
    """The recipe route: [data] files in a TOML, with a tiny [model]."""
    verse = "the cat sat on the mat. the dog sat on the log. " * 40
    (tmp_path / "verse.txt").write_text(verse, encoding="utf-8")
    (tmp_path / "verse.toml").write_text(
        f'name = "verse"\ntask = "char-lm"\n[data]\nfiles = ["{tmp_path / "verse.txt"}"]\n'
        'seq_len = 20\nbatch_size = 8\n[model]\ncell = "gru"\nunits = 32\nembedding_dim = 8\n'
        "[train]\nepochs = 3\nlearning_rate = 0.01\nfinal_learning_rate = 0.01\n"
    )
    out = tmp_path / "verse"
    args = [str(tmp_path / "verse.toml"), "--quiet", "--out", str(out)]
    assert main([*args, "--run-dir", str(tmp_path / "run")]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["dataset"]["files"] == {"files": ["verse.txt"]}
    assert card["dataset"]["splits"] == {"train": 1728, "validation": 192}  # 1,920 characters
    assert "shakespeare" not in json.dumps(card).lower()
    history = card["training"]["history"]
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    model = zoo.load_path(out)
    exported = export(model, tmp_path / "exports", formats=("savedmodel",))
    case = cases.for_task("char-lm")  # prompts with characters the text never had
    with EmbeddedServer(tmp_path / "exports", rest_port=0, grpc_port=None) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
        case.check_rest(rest, exported.parent.name, case.expected(model, "verse"))
    words = model.generate("the ", 40, temperature=0).replace(".", " ").split()[:-1]
    assert words and set(words) <= set(verse.replace(".", " ").split())  # the text's words


COLOURS = {"red": (220, 30, 30), "blue": (30, 40, 220), "green": (30, 200, 40)}
CAPTION_RECIPE = """name = "squares"
task = "caption"
[data]
files = ["{folder}", "{table}"]
min_count = 1
batch_size = 8
validation_share = 0.25
[model]
units = 16
embedding_dim = 8
attention_units = 8
memory_dim = 16
dropout = 0.0
max_length = 8
[train]
epochs = 3
learning_rate = 0.01
final_learning_rate = 0.01
"""


def photos(folder, count=24):
    """Flat-colour photos with a caption naming the colour; -> table rows."""
    from PIL import Image

    folder.mkdir()
    rows, rng = [], np.random.default_rng(0)
    for i in range(count):
        colour = list(COLOURS)[i % 3]
        noisy = np.clip(rng.normal(COLOURS[colour], 20, (40, 48, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"p{i}.png")
        rows += [{"image": f"p{i}.png", "caption": f"a {colour} square"}]
    return rows


def test_a_captioner_trains_on_a_photo_folder_and_a_captions_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))  # its VGG19 regions
    rows = photos(tmp_path / "photos")
    table = write_csv(tmp_path / "captions.csv", rows)
    recipe = CAPTION_RECIPE.format(folder=tmp_path / "photos", table=table)
    (tmp_path / "squares.toml").write_text(recipe)
    out = tmp_path / "squares"
    args = [str(tmp_path / "squares.toml"), "--quiet", "--out", str(out)]
    assert main([*args, "--run-dir", str(tmp_path / "run")]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["dataset"]["files"] == {"files": ["photos", "captions.csv"]}
    assert card["dataset"]["splits"] == {"train": 18, "validation": 6}
    assert "flickr" not in json.dumps(card).lower()
    history = card["training"]["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    model = zoo.load_path(out)
    from zoo.images import read_image

    captions = model.caption([read_image(tmp_path / "photos" / f"p{i}.png") for i in range(3)], 1)
    assert all(c.split()[-1] == "square" for c in captions), captions
    exported = export(model, tmp_path / "exports", formats=("savedmodel",))
    case = cases.for_task("caption")
    with EmbeddedServer(tmp_path / "exports", rest_port=0, grpc_port=None) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
        case.check_rest(rest, exported.parent.name, case.expected(model, "squares"))


def test_an_unreadable_photo_is_named_with_its_line_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))
    rows = photos(tmp_path / "photos", count=6)
    (tmp_path / "photos" / "p4.png").write_bytes(b"not a png")
    table = write_csv(tmp_path / "captions.csv", rows)
    argv = [
        "caption",
        "--data",
        str(tmp_path / "photos"),
        str(table),
        "--run-dir",
        str(tmp_path / "run"),
    ]
    assert main(argv) == 2
    assert "captions.csv line 6: image p4.png:" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["captions.csv", "photos"]  # no cache


STYLE_RECIPE = """name = "stripes"
task = "fast-style"
[data]
files = ["{painting}", "{photos}"]
validation_share = 0.25
crop = 32
batch_size = 2
check_photos = 1
[model]
filters = [4, 8, 8]
residual_blocks = 1
[train]
epochs = 2
steps_per_epoch = 4
learning_rate = 0.01
"""


def painting_and_photos(folder, count=4):
    """A striped 'painting' and a folder of noisy photos; -> (painting, folder)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[::8] = (240, 200, 20)
    Image.fromarray(stripes).save(folder / "stripes.png")
    (folder / "photos").mkdir()
    for i in range(count):
        photo = rng.normal(120 + 20 * i, 30, (48, 56, 3)).clip(0, 255).astype(np.uint8)
        Image.fromarray(photo).save(folder / "photos" / f"photo[{i}].jpg")  # [ ] as in globs
    (folder / "photos" / "notes.txt").write_text("not a photo, and not read as one")
    return folder / "stripes.png", folder / "photos"


def test_a_style_network_trains_on_a_painting_and_a_photo_folder(tmp_path):
    """The recipe route with a tiny network; --from starts from its package."""
    painting, folder = painting_and_photos(tmp_path)
    recipe = STYLE_RECIPE.format(painting=painting, photos=folder)
    (tmp_path / "stripes.toml").write_text(recipe)
    out = tmp_path / "stripes"
    args = [str(tmp_path / "stripes.toml"), "--quiet", "--out", str(out)]
    assert main([*args, "--run-dir", str(tmp_path / "run")]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["dataset"]["files"] == {"files": ["stripes.png", "photos"]}
    assert card["dataset"]["splits"] == {"train": 3, "validation": 1}
    assert card["dataset"]["painting"] == "stripes.png"
    assert card["metrics"]["held_out"]["photos"] == 1
    assert not {"style", "content", "validation"} & set(card["recipe"]["data"])
    assert "wave" not in json.dumps(card).lower() and "terms" in card["dataset"]
    history = card["training"]["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    model = zoo.load_path(out)
    assert model.style == "stripes.png"
    exported = export(model, tmp_path / "exports", formats=("savedmodel",))
    case = cases.for_task("fast-style")
    with EmbeddedServer(tmp_path / "exports", rest_port=0, grpc_port=None) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
        case.check_rest(rest, exported.parent.name, case.expected(model, "stripes"))

    tuned = recipes.load_recipe(tmp_path / "stripes.toml")
    tuned["train"]["fine_tune"] = str(out)
    tuned = fast_style.with_own_files(tuned)  # --from: the network starts as the package's
    net = fast_style.new_network(tuned, tmp_path, own_data.load_base(str(out), FastStyle))
    for mine, base in zip(net.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, base)


@pytest.mark.parametrize(
    "data, message",
    [
        (["stripes.png"], "a painting and photos"),
        (["photos", "stripes.png"], "a painting and photos"),
        (["stripes.png", "photos/photo[0].jpg"], "two photos or more"),
        (["stripes.png", "photos", "broken.png"], "broken.png is not an image"),
        (["stripes.png", "photos", "--vgg-weights", "none.h5"], "none.h5 not found"),
    ],
)
def test_bad_style_data_is_refused_before_training(tmp_path, capsys, data, message):
    painting_and_photos(tmp_path, count=2)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    files = [arg if arg.startswith("--") else str(tmp_path / arg) for arg in data]
    code = main(["fast-style", "--data", *files, "--run-dir", str(tmp_path / "run")])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
