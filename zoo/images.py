"""Reading and writing images for style transfer, with clear errors.

read_image gives uint8 HWC RGB whatever the file's mode, upright as its EXIF
orientation says: alpha is composited on white, greyscale and palette
images are expanded, 16-bit ones scaled.
Files that are missing, empty, not images or truncated raise ImageError;
images larger than `max_side` are shrunk with a warning. write_image
writes JPEG or PNG (by extension) through a temporary file, so a failed
write never leaves a broken file behind.
"""

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 4096  # longer sides beyond this are shrunk (CPU time, memory)
MIN_SIDE = 16  # the networks' strided convs need a few pixels to reflect
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}


class ImageError(ValueError):
    """A file that is not a usable image."""


def read_image(path, max_side=MAX_SIDE):
    """The image at `path` as uint8 (H, W, 3) RGB."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    if path.stat().st_size == 0:
        raise ImageError(f"{path} is empty (0 bytes), not an image")
    try:
        with Image.open(path) as image:
            image.load()  # decodes now: truncated data fails here, not later
            # Phones store the sensor's rows plus an EXIF orientation tag.
            rgb = to_rgb(ImageOps.exif_transpose(image))
    except UnidentifiedImageError:
        raise ImageError(f"{path} is not an image Pillow can read (JPEG, PNG, ...)") from None
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ImageError(f"{path} is corrupt or truncated: {error}") from None
    if min(rgb.size) < MIN_SIDE:
        raise ImageError(f"{path} is {rgb.width}x{rgb.height}; at least {MIN_SIDE} px a side")
    if max_side and max(rgb.size) > max_side:
        warnings.warn(
            f"{path} is {rgb.width}x{rgb.height}; resized to {max_side} px on the longer side",
            stacklevel=2,
        )
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(rgb)


def to_rgb(image):
    """Any Pillow image -> RGB: transparency composited on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.point(lambda v: v / 256) if image.mode.startswith("I;16") else image
        image = image.convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image).convert("RGB")
    return image.convert("RGB")


def output_format(path):
    """JPEG or PNG from the file name; anything else is an error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ImageError(f"{path}: write .jpg, .jpeg or .png (got {suffix or 'no extension'!r})")
    return FORMATS[suffix]


def write_image(path, array):
    """Write uint8 HWC RGB `array` to `path` (JPEG quality 95 or PNG)."""
    path = Path(path)
    fmt = output_format(path)
    image = Image.fromarray(np.asarray(array, np.uint8), "RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
