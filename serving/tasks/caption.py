"""Captioners: `caption` of uint8 images of any size, greedy or beam search."""

import numpy as np

from serving.tasks.encoder_decoder import EncoderDecoderOnnx
from zoo_runtime.checks import check_beam_width
from zoo_runtime.images import as_rgb


class CaptionOnnx(EncoderDecoderOnnx):
    task = "caption"

    def caption(self, images, beam_width=3, length_penalty=0.0):
        """Captions of uint8 images (a list of HWC arrays of any size;
        greyscale, RGBA and 16-bit converted as zoo.images.as_rgb), as zoo's
        Captioner.caption. Images go through encoder.onnx one at a time
        (each has its own size); decoding runs as one batch."""
        check_beam_width(beam_width)
        if isinstance(images, np.ndarray) and images.ndim != 4:
            raise TypeError("caption() takes a list of images; wrap a single image in a list")
        c = self.contract
        most = self.limits.get("max_image_pixels", 4096 * 4096)
        rgb = [
            as_rgb(image, f"image {i}", c["min_image_side"], most) for i, image in enumerate(images)
        ]
        if not rgb:
            return []
        return self.captions_of(self.encode_images(rgb), beam_width, length_penalty)

    def encode_images(self, rgb):
        """encoder.onnx's outputs for uint8 (H, W, 3) RGB images, run one at
        a time (each has its own size) and stacked."""
        parts = [self.run("encoder", {"image": image[None]}) for image in rgb]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def captions_of(self, encoded, beam_width=3, length_penalty=0.0):
        """Captions from encode_images' outputs: the decoder alone."""
        words, longest = self.contract["vocabulary"], self.contract["max_length"]
        tokens = self.search(encoded, len(words), longest, beam_width, length_penalty)
        return [" ".join(words[t] for t in self.kept(row)) for row in tokens]


MODEL = CaptionOnnx
