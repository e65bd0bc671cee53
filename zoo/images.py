"""Reading and writing images for style transfer, with clear errors.

read_image gives uint8 HWC RGB whatever the file's mode, upright as its EXIF
orientation says: alpha is composited on white, greyscale and palette
images are expanded, 16-bit ones scaled.
Files that are missing, empty, not images or truncated raise ImageError,
and so do those whose header declares more than limits.MAX_DECODED_PIXELS
(checked before decoding); images larger than `max_side` are shrunk with a
warning. write_image
writes JPEG or PNG (by extension) through a temporary file, so a failed
write never leaves a broken file behind.
"""

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from zoo_runtime import images as runtime_images
from zoo_runtime import limits
from zoo_runtime.files import atomic_writer
from zoo_runtime.images import ImageError, on_white

MAX_SIDE = 4096  # longer sides beyond this are shrunk (CPU time, memory)
MIN_SIDE = 16  # the networks' strided convs need a few pixels to reflect
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}


def read_image(path, max_side=MAX_SIDE):
    """The image at `path` as uint8 (H, W, 3) RGB."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    if path.stat().st_size == 0:
        raise ImageError(f"{path} is empty (0 bytes), not an image")
    return _decode(path, str(path), max_side)


def decode_image(data, name="image", max_side=MAX_SIDE):
    """Encoded image bytes (JPEG, PNG, ...) as read_image reads a file."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"{name} is a {type(data).__name__}, not bytes")
    if not data:
        raise ImageError(f"{name} is empty (0 bytes), not an image")
    return _decode(io.BytesIO(data), name, max_side)


def _decode(source, name, max_side):
    try:
        with warnings.catch_warnings():  # Pillow's bomb warning: _check_declared decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)  # reads the header only
        with image:
            _check_declared(image, name, max_side)
            image.load()  # decodes now: truncated data fails here, not later
            # Phones store the sensor's rows plus an EXIF orientation tag.
            rgb = to_rgb(ImageOps.exif_transpose(image))
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image Pillow can read (JPEG, PNG, ...)") from None
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ImageError(f"{name} is corrupt or truncated: {error}") from None
    if max_side and max(rgb.size) > max_side:
        warnings.warn(
            f"{name} is {rgb.width}x{rgb.height}; resized to {max_side} px on the longer side",
            stacklevel=3,
        )
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(rgb)


def _check_declared(image, name, max_side):
    """Refuse, from the header alone, what would decode to too many pixels
    or shrink below MIN_SIDE; a JPEG is decoded scaled by 1/2..1/8 when
    that still leaves `max_side` (its DCT makes that nearly free)."""
    width, height = image.size
    if max_side and max(width, height) > max_side:
        short = min(width, height) * max_side / max(width, height)
        if short < MIN_SIDE:
            raise ImageError(
                f"{name} is {width}x{height}: shrunk to {max_side} px on the longer side it "
                f"would be under {MIN_SIDE} px on the shorter"
            )
        if image.format == "JPEG":
            scale = max_side / max(width, height)
            image.draft(image.mode, (int(width * scale), int(height * scale)))
            width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"{name} is {width}x{height}; at least {MIN_SIDE} px a side")
    if width * height > limits.MAX_DECODED_PIXELS:
        raise ImageError(
            f"{name} declares {width}x{height} = {width * height:,} pixels; the most decoded "
            f"is {limits.MAX_DECODED_PIXELS:,}"
        )


def to_rgb(image):
    """Any Pillow image -> RGB: transparency composited on white (as
    on_white computes it)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.point(lambda v: v / 256) if image.mode.startswith("I;16") else image
        image = image.convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return Image.fromarray(on_white(np.asarray(image.convert("RGBA"))), "RGB")
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
    with atomic_writer(path, "wb") as f:
        image.save(f, fmt, **({"quality": 95} if fmt == "JPEG" else {}))


MAX_PIXELS = MAX_SIDE * MAX_SIDE  # an in-memory array beyond this is refused


def as_rgb(array, name="image"):
    """uint8 (H, W, 3) RGB from an image array (zoo_runtime.images.as_rgb):
    a side under MIN_SIDE or more than MAX_PIXELS pixels is refused."""
    return runtime_images.as_rgb(array, name, MIN_SIDE, MAX_PIXELS)
