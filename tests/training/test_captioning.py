"""Captioning's training side: the metrics against pycocoevalcap (the COCO
caption evaluation), the feature cache against computing the features,
the batches, and the retrieval baseline's consensus."""

import numpy as np
import pytest
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider

from training.data import features
from training.data.text_data import data_dir
from training.metrics import caption_metrics, retrieval
from training.tasks import caption
from zoo.images import read_image
from zoo.models import Captioner
from zoo.models.captioner import SPECIALS

FLICKR = data_dir() / "flickr8k"
VGG = data_dir() / "vgg19_notop.weights.h5"


@pytest.fixture(scope="module")
def flickr_captions():
    return caption.read_captions(FLICKR / "captions.csv.gz")


def test_metrics_agree_with_pycocoevalcap(flickr_captions):
    """Fixed examples: 200 test images' first caption, some swapped for
    another image's, scored against the other four by both."""
    names = features.split_names(FLICKR, "test")[:200]
    hyps = [flickr_captions[names[(i * 7) % 200 if i % 3 else i]][0] for i in range(200)]
    refs = [flickr_captions[n][1:] for n in names]
    toks = lambda t: " ".join(caption_metrics.tokens(t))  # noqa: E731
    gts = {i: [toks(r) for r in rs] for i, rs in enumerate(refs)}
    res = {i: [toks(h)] for i, h in enumerate(hyps)}
    want_bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    want_cider, want_each = Cider().compute_score(gts, res)
    cands = [caption_metrics.tokens(h) for h in hyps]
    references = [[caption_metrics.tokens(r) for r in rs] for rs in refs]
    np.testing.assert_allclose(caption_metrics.bleu(cands, references), want_bleu, rtol=1e-9)
    got_cider, got_each = caption_metrics.cider(cands, references)
    np.testing.assert_allclose(got_cider, want_cider, rtol=1e-9)
    np.testing.assert_allclose(got_each, want_each, rtol=1e-9)
    scores = caption_metrics.scores(hyps, refs)
    assert scores["bleu4"] == round(100 * want_bleu[3], 2)
    assert scores["cider"] == round(100 * want_cider, 2)


def test_a_perfect_caption_scores_higher_than_a_wrong_one(flickr_captions):
    names = features.split_names(FLICKR, "test")[:50]
    refs = [flickr_captions[n][1:] for n in names]
    right = caption_metrics.scores([flickr_captions[n][0] for n in names], refs)
    wrong = caption_metrics.scores([flickr_captions[n][0] for n in names[1:] + names[:1]], refs)
    assert right["bleu4"] > 2 * wrong["bleu4"] and right["cider"] > 3 * wrong["cider"]


@pytest.fixture(scope="module")
def three_images():
    return [FLICKR / "images" / n for n in features.split_names(FLICKR, "test")[:3]]


def test_cached_features_are_the_captioners_features(tmp_path, three_images):
    """Extracted in chunks (a run killed after the first resumes with the
    second), loaded back, and batched for training: the regions that
    Captioner.features computes from the same files (float16 apart)."""
    folder = tmp_path / "cache"
    features.extract(three_images, folder, str(VGG), chunk=2, log=lambda m: None)
    first, second = folder / "chunk-0000.npy", folder / "chunk-0001.npy"
    second.unlink()
    kept = first.stat().st_mtime_ns
    with pytest.raises(FileNotFoundError, match="incomplete"):
        features.load(folder, chunk=2)
    features.extract(three_images, folder, str(VGG), chunk=2, log=lambda m: None)
    assert first.stat().st_mtime_ns == kept and second.is_file()
    table = features.load(folder, chunk=2)
    model = Captioner(
        [*SPECIALS, "a"],
        units=4,
        embedding_dim=2,
        attention_units=2,
        memory_dim=4,
        vgg_weights=str(VGG),
    )
    direct = model.features([read_image(p) for p in three_images])
    names = [p.name for p in three_images]
    (batch, inputs), targets = caption.batch_at(table, names, [[4, 5], [4], [6]], [2, 0])
    np.testing.assert_allclose(batch, direct[[2, 0]], rtol=2e-3, atol=2e-3)
    np.testing.assert_array_equal(inputs, [[2, 6, 0], [2, 4, 5]])
    np.testing.assert_array_equal(targets, [[6, 3, 0], [4, 5, 3]])
    with pytest.raises(ValueError, match="another image list"):
        features.extract(three_images[::-1], folder, str(VGG), log=lambda m: None)


def test_epochs_replay_after_a_resume():
    rows = [[4, 5]] * 10
    table = {f"i{k}": np.full((196, 512), k, np.float16) for k in range(10)}
    names = [f"i{k}" for k in range(10)]
    full = list(caption.batches(table, names, rows, 3, seed=1, epochs=2))
    resumed = list(caption.batches(table, names, rows, 3, seed=1, epochs=2, start_epoch=1))
    assert len(full) == 6 and len(resumed) == 3
    for a, b in zip(full[3:], resumed, strict=True):
        np.testing.assert_array_equal(a[0][0], b[0][0])


def test_length_pools_keep_every_caption_once_and_pad_less():
    rng = np.random.default_rng(0)
    rows = [[4] * int(n) for n in rng.integers(1, 23, 1000)]
    pooled = caption.epoch_batches(rows, 16, seed=2, epoch=1, pool=10)
    plain = caption.epoch_batches(rows, 16, seed=2, epoch=1, pool=1)
    assert len(pooled) == len(plain) == 62  # whole batches only
    assert sorted(np.concatenate(pooled)) == sorted(np.concatenate(plain))  # the same captions
    assert len(set(np.concatenate(pooled))) == 992
    padded = [np.mean([max(len(rows[i]) for i in b) for b in bs]) for bs in (pooled, plain)]
    assert padded[0] < 0.75 * padded[1]
    again = caption.epoch_batches(rows, 16, seed=2, epoch=1, pool=10)
    assert all((a == b).all() for a, b in zip(pooled, again, strict=True))
    other = caption.epoch_batches(rows, 16, seed=2, epoch=2, pool=10)
    assert any((a != b).any() for a, b in zip(pooled, other, strict=True))


def test_retrieval_consensus_picks_the_caption_its_neighbours_agree_on():
    table = {
        "train0": np.ones((196, 512)),
        "train1": -np.ones((196, 512)),
        "query": np.ones((196, 512)),
    }
    captions = [
        ["a dog runs on grass", "a dog runs", "a brown dog runs on the grass", "cats sleep"],
        ["a man climbs a rock"] * 4,
    ]
    baseline = retrieval.Retrieval(table, ["train0", "train1"], captions, k=1)
    assert baseline.caption(table, ["query"]) == ["a dog runs on grass"]
