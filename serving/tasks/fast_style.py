"""Fast style networks: `stylize` uint8 RGB images."""

import numpy as np

from serving.onnx_model import OnnxModel


class FastStyleOnnx(OnnxModel):
    task = "fast-style"

    def stylize(self, image):
        """uint8 HWC RGB image (or NHWC batch) -> stylised uint8, same shape."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim not in (3, 4) or image.shape[-1] != 3:
            raise ValueError(
                f"stylize() takes uint8 RGB images, HWC or NHWC; got {image.dtype} {image.shape}"
            )
        batch = image[None] if image.ndim == 3 else image
        self._within("max_image_pixels", batch.shape[1] * batch.shape[2], "image pixels")
        out = self.run("model", {"image": batch})["stylized"]
        return out[0] if image.ndim == 3 else out


MODEL = FastStyleOnnx
