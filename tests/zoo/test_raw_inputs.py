"""Keras-style fit/evaluate/predict on raw inputs (zoo.models.raw_inputs),
on tiny classifiers: raw strings train to the same weights as the ids the
model's own tokenisation gives, a tf.data.Dataset of strings works too,
labels by name or index, bad input is refused before training, and
save_package writes a package zoo.load_path takes."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.zoo.test_text_classifier import TEXTS, tiny

LABELS = ["positive", "negative", "negative", "positive", "negative"]


def fresh(**kwargs):
    keras.utils.set_random_seed(0)
    return tiny(**kwargs)


def test_fit_on_raw_strings_equals_fit_on_the_models_own_ids():
    raw, encoded = fresh(), fresh()
    raw.fit(TEXTS, LABELS, batch_size=len(TEXTS), shuffle=False, epochs=1, verbose=0)
    ids, _ = encoded.encode_texts(TEXTS)
    y = np.array([1, 0, 0, 1, 0], np.float32)  # P(labels[1]) = P("positive")
    encoded.compile()
    encoded.fit(ids, y, batch_size=len(TEXTS), shuffle=False, epochs=1, verbose=0)
    moved = [
        not np.allclose(a, b) for a, b in zip(raw.get_weights(), tiny().get_weights(), strict=True)
    ]
    assert any(moved)  # one step changed the weights...
    for a, b in zip(raw.get_weights(), encoded.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # ...and identically


def test_fit_lowers_the_loss_on_names_indices_and_a_dataset_of_strings():
    model = fresh()
    model.compile(optimizer=keras.optimizers.Adam(0.03))  # loss and metrics: the defaults
    before = model.evaluate(TEXTS, LABELS, verbose=0)[0]
    model.fit(TEXTS, LABELS, batch_size=2, epochs=10, verbose=0)
    after = model.evaluate(TEXTS, [1, 0, 0, 1, 0], verbose=0)[0]  # indices: the same labels
    assert after < before * 0.7
    dataset = tf.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(2)
    history = model.fit(dataset, epochs=2, validation_data=(TEXTS, LABELS), verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    logits = model.predict(TEXTS, verbose=0)
    np.testing.assert_allclose(
        1 / (1 + np.exp(-logits)), model.predict_proba(TEXTS), rtol=1e-5, atol=1e-6
    )


def test_three_labels_train_a_softmax_head_and_with_labels_keeps_the_body():
    model = fresh()
    three = model.with_labels(["bad", "fine", "good"])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(three.embedding.embeddings),
        keras.ops.convert_to_numpy(model.embedding.embeddings),
    )
    labels = ["good", "bad", "bad", "good", "fine"]
    three.compile(optimizer=keras.optimizers.Adam(0.03))
    before = three.evaluate(TEXTS, labels, verbose=0)[0]
    three.fit(TEXTS, labels, batch_size=5, epochs=10, verbose=0)
    assert three.evaluate(TEXTS, labels, verbose=0)[0] < before
    assert three.predict_proba(TEXTS).shape == (5, 3)


@pytest.mark.parametrize(
    "texts, labels, message",
    [
        (TEXTS, ["positive", "negative", "meh", "positive", "negative"], r"\['meh'\] are not"),
        (TEXTS, [0, 1, 2, 1, 0], r"integers in \[0, 2\)"),
        (TEXTS, LABELS[:3], "5 inputs but 3 labels"),
        ([*TEXTS[:3], "   ", TEXTS[4]], LABELS, "input 3 is empty"),
        ("one text", LABELS, "a list of texts, not one str"),
    ],
)
def test_bad_inputs_are_refused_before_any_step(texts, labels, message):
    model = fresh()
    before = model.get_weights()
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit(texts, labels, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_save_package_writes_a_loadable_package_that_claims_no_shipped_data(tmp_path):
    model = fresh()
    model.fit(TEXTS, LABELS, batch_size=5, epochs=1, verbose=0)
    card = model.save_package(tmp_path / "mine", card={"dataset": {"name": "five texts"}})
    loaded = zoo.load_path(tmp_path / "mine")
    np.testing.assert_allclose(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS), atol=1e-6)
    assert card["dataset"] == {"name": "five texts"} and "metrics" not in card
    assert json.loads((tmp_path / "mine" / "card.json").read_text())["task"] == "sentiment"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save_package(tmp_path / "mine")
    model.save_package(tmp_path / "mine", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no staging left


PAIRS = [("ab 12", "12"), ("cd, 345", "345-"), ("k.9", "9"), ("p 0 1 2", "0-1-2")]


def test_a_translator_fits_raw_pairs_as_the_training_pipelines_ids():
    """The same step as on arrays made by training.tasks.seq2seq (the
    recipe pipeline's own encoding: START + target in, target + END out)."""
    from tests.zoo.test_seq2seq import tiny as tiny_translator
    from training.tasks.seq2seq import arrays

    def fresh_translator():
        keras.utils.set_random_seed(0)
        return tiny_translator()

    raw, encoded = fresh_translator(), fresh_translator()
    sources, targets = zip(*PAIRS, strict=True)
    raw.fit(list(sources), list(targets), batch_size=4, shuffle=False, epochs=1, verbose=0)
    rows = [(raw.source.encode(s), raw.target.encode(t)) for s, t in PAIRS]
    source_ids, target_in, target_out, _ = arrays(rows, raw.source, raw.target)
    encoded.compile()
    encoded.fit((source_ids, target_in), target_out, batch_size=4, shuffle=False, verbose=0)
    before = tiny_translator().get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(raw.get_weights(), before, strict=True))
    for a, b in zip(raw.get_weights(), encoded.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="target 1 has 9 tokens; this model writes at most 7"):
        raw.fit(["ab", "cd"], ["1", "0123-5678"], verbose=0)


def test_a_captioner_fits_images_and_captions_each_image_through_vgg_once(monkeypatch):
    from tests.zoo.test_captioner import tiny as tiny_captioner

    model = tiny_captioner()
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (32, 40, 3), dtype=np.uint8) for _ in range(2)]
    seen = []
    features = model.features
    monkeypatch.setattr(
        model, "features", lambda pixels: seen.append(len(pixels)) or features(pixels)
    )
    x = [images[0], images[0], images[1]]  # one image, two captions
    y = ["a dog runs", "the dog runs on the grass", "a dog on grass"]
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=3, epochs=5, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    assert seen[:2] == [2, 2]  # each evaluate/fit call: two distinct images
    with pytest.raises(ValueError, match="image 1 .*/no/such.png"):
        model.fit([images[0], "/no/such.png"], y[:2], verbose=0)
    with pytest.raises(ValueError, match="caption 0 has 9 words; this model writes 1 to 7"):
        model.fit([images[0]], ["a dog runs on the grass a dog runs"], verbose=0)
