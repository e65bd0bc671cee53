"""Captioners: `caption` of uint8 images of any size, greedy or beam search."""

import numpy as np

from serving.tasks.encoder_decoder import EncoderDecoderOnnx
from zoo_runtime.checks import check_beam_width, check_ngram_size
from zoo_runtime.images import as_rgb

IMAGES_PER_RUN = 8


class CaptionOnnx(EncoderDecoderOnnx):
    task = "caption"

    def caption(self, images, beam_width=3, length_penalty=None, no_repeat_ngram_size=None):
        """Captions of uint8 images (a list of HWC arrays of any size;
        greyscale, RGBA and 16-bit converted as zoo.images.as_rgb), as zoo's
        Captioner.caption, whose defaults zoo.json gives. Images of one size
        run together, IMAGES_PER_RUN at a time (search.onnx: the encoder and
        the search in one call)."""
        length_penalty, no_repeat_ngram_size = self.chosen_decoding(
            length_penalty, no_repeat_ngram_size
        )
        check_beam_width(beam_width)
        check_ngram_size(no_repeat_ngram_size)
        if isinstance(images, np.ndarray) and images.ndim != 4:
            raise TypeError("caption() takes a list of images; wrap a single image in a list")
        c = self.contract
        most = self.limits.get("max_image_pixels", 4096 * 4096)
        rgb = [
            as_rgb(image, f"image {i}", c["min_image_side"], most) for i, image in enumerate(images)
        ]
        if not rgb:
            return []
        words, longest = self.contract["vocabulary"], self.contract["max_length"]
        tokens = [None] * len(rgb)
        for rows in _runs(rgb):
            feed = {"image": np.stack([rgb[i] for i in rows])}
            search = (beam_width, length_penalty, no_repeat_ngram_size)
            ids, _ = self.decode(feed, len(words), longest, *search)
            for i, row in zip(rows, ids, strict=True):
                tokens[i] = row
        return [" ".join(words[t] for t in self.kept(row)) for row in tokens]


def _runs(images):
    """Lists of indices of images of one shape, at most IMAGES_PER_RUN long:
    a batch holds one size, and its float copy stays a few hundred MB."""
    groups = {}
    for i, image in enumerate(images):
        groups.setdefault(image.shape, []).append(i)
    for rows in groups.values():
        yield from (rows[i : i + IMAGES_PER_RUN] for i in range(0, len(rows), IMAGES_PER_RUN))


MODEL = CaptionOnnx
