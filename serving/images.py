"""Image arrays as captioners read them, in numpy (zoo.images.as_rgb's
rules restated: serving cannot import zoo): uint8 or uint16 pixels,
greyscale repeated to RGB, alpha composited on white in integers."""

import numpy as np

CHANNELS = (1, 3, 4)


def as_rgb(array, name="image", min_side=16, max_pixels=4096 * 4096):
    """uint8 (H, W, 3) from (H, W), (H, W, 1|3|4) uint8 or uint16 arrays;
    ValueError / TypeError naming `name` for anything else."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} is a {type(array).__name__}, not a numpy image array")
    if array.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"{name} has dtype {array.dtype}; give uint8 (or uint16) pixels")
    image = array[..., None] if array.ndim == 2 else array
    if image.ndim != 3 or image.shape[-1] not in CHANNELS:
        raise ValueError(f"{name} has shape {array.shape}; expected (H, W), (H, W, 1|3|4)")
    height, width = image.shape[:2]
    if min(height, width) < min_side:
        raise ValueError(f"{name} is {width}x{height}; at least {min_side} px a side")
    if height * width > max_pixels:
        raise ValueError(f"{name} is {width}x{height}; at most {max_pixels:,} pixels")
    if image.dtype == np.uint16:
        image = ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if image.shape[-1] == 1:
        return np.repeat(image, 3, axis=-1)
    if image.shape[-1] == 4:
        rgba = image.astype(np.int32)
        alpha = rgba[..., 3:]
        return ((rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    return np.ascontiguousarray(image)
