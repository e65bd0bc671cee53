"""Captioners: Flickr8k test photos (not in training), greedy through the
server, greedy and beam search through ONNX."""

import numpy as np


def flickr_photos(count, size):
    """The first `count` Flickr8k test photos, the last resized to `size`."""
    from PIL import Image

    from training.data.text_data import data_dir
    from zoo.images import read_image

    folder = data_dir() / "flickr8k"
    names = (folder / "test_images.txt").read_text().split()[:count]
    photos = [read_image(folder / "images" / n) for n in names]
    photos[-1] = np.asarray(Image.fromarray(photos[-1]).resize(size))
    return photos


def photo():
    """One photo small enough for a JSON request, as a batch."""
    return flickr_photos(1, (64, 48))[0][None]


def expected(model, name):
    return model.caption(list(photo()), beam_width=1)


def check_rest(rest, name, want):
    rows = rest.predict(name, inputs={"image": photo()})
    assert list(rows["caption"]) == want and rows["log_prob"][0] < 0


def check_grpc(client, name, want):
    got = client.predict(name, {"image": photo()})
    assert [t.decode() for t in got["caption"]] == want


def onnx_request(name):
    """Two photos of other sizes (on stdin: far over the OS limit on argv)."""
    return {"photos": [p.tolist() for p in flickr_photos(2, (120, 90))]}


def run_onnx(model, request):
    photos = [np.asarray(p, np.uint8) for p in request["photos"]]
    return [model.caption(photos, beam_width=1), model.caption(photos, beam_width=3)]


def check_onnx(model, name, request, got):
    assert got == run_onnx(model, request), name
