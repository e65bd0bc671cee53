"""Image arrays as the image models read them, in numpy: uint8 or uint16
pixels, greyscale repeated to RGB, alpha composited on white in integers;
and the pixel count a PNG or JPEG header declares, read before decoding."""

import numpy as np

CHANNELS = (1, 3, 4)


class ImageError(ValueError):
    """An image that cannot be read or used: what was wrong and what to do."""


def as_rgb(array, name="image", min_side=16, max_pixels=4096 * 4096):
    """uint8 (H, W, 3) RGB from an image array: uint8 or uint16 (scaled to
    8 bits); (H, W) or (H, W, 1) greyscale, (H, W, 3) RGB or (H, W, 4) RGBA
    (alpha composited on white). Anything else, or a side under `min_side`
    or more than `max_pixels` pixels, raises ImageError / TypeError naming
    `name`."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} is a {type(array).__name__}, not a numpy image array")
    if array.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"{name} has dtype {array.dtype}; give uint8 (or uint16) pixels")
    image = array[..., None] if array.ndim == 2 else array
    if image.ndim != 3 or image.shape[-1] not in CHANNELS:
        raise ImageError(f"{name} has shape {array.shape}; expected (H, W), (H, W, 1|3|4)")
    height, width = image.shape[:2]
    if min(height, width) < min_side:
        raise ImageError(f"{name} is {width}x{height}; at least {min_side} px a side")
    if height * width > max_pixels:
        raise ImageError(f"{name} is {width}x{height}; at most {max_pixels:,} pixels")
    if image.dtype == np.uint16:
        image = ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if image.shape[-1] == 1:
        return np.repeat(image, 3, axis=-1)
    return on_white(image) if image.shape[-1] == 4 else np.ascontiguousarray(image)


def on_white(rgba):
    """uint8 (H, W, 4) -> (H, W, 3): alpha composited on white in integers,
    (rgb a + 255 (255 - a) + 127) // 255, as exported graphs and apps do."""
    rgba = rgba.astype(np.int32)
    alpha = rgba[..., 3:]
    return ((rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (C0-CF but C4 DHT, C8 JPG, CC DAC) hold the size.
SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def declared_pixels(data, most_segments=256):
    """Width x height that a PNG's or JPEG's header declares, read without
    decoding; None for anything else, or a JPEG whose size is not among
    its first `most_segments` segments."""
    if data[:8] == PNG_MAGIC and len(data) >= 24:
        return int.from_bytes(data[16:20], "big") * int.from_bytes(data[20:24], "big")
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    for _ in range(most_segments):
        if at + 9 > len(data) or data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in SOF:
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            return width * height
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None
