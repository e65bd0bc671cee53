"""The shipped captioner: its card's figures re-computed from the photos
of a fixed test subset, beam scores against teacher forcing, attention maps,
the package bound, bad images on the Keras path, and the command line."""

import functools

import numpy as np
import pytest

import zoo
from training.data.features import split_names
from training.data.text_data import data_dir
from training.metrics import caption_metrics
from training.tasks import caption
from zoo import cli
from zoo.images import ImageError, read_image

pytestmark = pytest.mark.artifact

NAME = "caption-flickr8k"
FLICKR = data_dir() / "flickr8k"


@functools.cache
def model():
    return zoo.load(NAME)


@functools.cache
def subset():
    """(photos, references) of the card's check subset."""
    count = caption.CHECK_IMAGES
    names = split_names(FLICKR, "test")[:count]
    refs = caption.read_captions(FLICKR / "captions.csv.gz")
    return [read_image(FLICKR / "images" / n) for n in names], [refs[n] for n in names]


@functools.cache
def features():
    """The subset's regions, as Captioner.caption computes them from pixels."""
    return model().features(subset()[0])


@functools.cache
def greedy_and_beam():
    return tuple(model().caption_features(features(), width) for width in (1, 3))


def test_card_figures_are_recomputed_from_the_test_photos():
    photos, _ = subset()
    plain = {"length_penalty": 0.0, "no_repeat_ngram_size": 0}  # as the card measured
    assert model().caption(photos[:4], beam_width=1, **plain) == greedy_and_beam()[0][:4]
    card = model().card
    _, refs = subset()
    got = caption_metrics.scores(greedy_and_beam()[0], refs)
    check = card["metrics"]["check_subset"]
    assert abs(got["bleu4"] - check["bleu4"]) <= 0.3 and abs(got["cider"] - check["cider"]) <= 1.0
    assert card["dataset"]["splits"] == {"train": 6000, "dev": 1000, "test": 1000}
    assert "Flickr8k" in card["dataset"]["name"] and card["dataset"]["terms"]
    assert card["metrics"]["test_bleu4_beam3"] >= 15.0  # the bar, full test set


def teacher_forced_log_prob(tokens):
    """log p of each decoded row (END included, padding not), from one
    teacher-forced pass of the training graph rather than the search."""
    m, search = model(), model().search
    start = np.full((len(tokens), 1), search.start)
    inputs = np.where(tokens == search.pad, search.end, tokens)[:, :-1]
    logits = np.asarray(m((features(), np.concatenate([start, inputs], 1).astype("int32"))))
    logits = logits + search.mask
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True))
    logp -= logits.max(-1, keepdims=True)
    picked = np.take_along_axis(logp, tokens[..., None], -1)[..., 0]
    return np.where(tokens == search.pad, 0.0, picked).sum(1)


def test_beam_scores_are_their_captions_log_probability_and_beat_greedy_on_average():
    # The raw beam can prune greedy's prefix, then finish lower: it does on
    # about a fifth of these images, so "never below" is not asserted.
    greedy_tokens, greedy, _ = model().decode(features())
    beam_tokens, beam, _ = model().decode(features(), beam_width=3)
    np.testing.assert_allclose(teacher_forced_log_prob(greedy_tokens), greedy, atol=1e-3)
    np.testing.assert_allclose(teacher_forced_log_prob(beam_tokens), beam, atol=1e-3)
    assert beam.mean() > greedy.mean() + 0.5 and (beam >= greedy - 1e-4).mean() > 0.5


def test_attention_maps_cover_each_word_and_sum_to_one():
    photos, _ = subset()
    captions, maps = model().caption(photos[:3], return_attention=True)
    for text, weights in zip(captions, maps, strict=True):
        assert weights.shape in ((len(text.split()) + 1, 14, 14), (model().max_length, 14, 14))
        np.testing.assert_allclose(weights.sum(axis=(1, 2)), 1.0, atol=1e-5)
    words = set(model().vocabulary)
    assert all(set(c.split()) <= words and c for c in greedy_and_beam()[1])


def test_package_is_under_15_mb():
    package = zoo.registry.PRETRAINED / NAME
    assert sum(p.stat().st_size for p in package.iterdir()) <= 15_000_000


def test_images_in_any_mode_caption_or_fail_clearly():
    photo = subset()[0][0]
    m = model()
    grey = photo.mean(axis=-1).astype(np.uint8)
    rgba = np.concatenate([photo, np.full(photo.shape[:2] + (1,), 255, np.uint8)], -1)
    deep = photo.astype(np.uint16) * 257
    captions = m.caption([photo, rgba, deep, grey, photo[::3, ::2]], beam_width=1)
    assert captions[0] == captions[1] == captions[2] and all(captions)
    with pytest.raises(ImageError, match="image 0 is 8x8"):
        m.caption([np.zeros((8, 8, 3), np.uint8)])
    with pytest.raises(ImageError, match="at most"):
        m.caption([np.zeros((4097, 4097), np.uint8)])


def test_the_command_line_captions_and_plots(tmp_path, capsys):
    photo = FLICKR / "images" / split_names(FLICKR, "test")[0]
    plot = tmp_path / "attention.png"
    assert cli.main(["caption", NAME, str(photo), "--plot", str(plot)]) == 0
    assert capsys.readouterr().out.strip() == model().caption([read_image(photo)])[0]
    assert plot.stat().st_size > 10_000
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(photo.read_bytes()[:2000])
    assert cli.main(["caption", NAME, str(bad)]) == 2
    assert "corrupt or truncated" in capsys.readouterr().err
