"""A reporter's photo without what it says about them.

A phone's photo carries EXIF (the GPS position where it was taken, the
phone's make and serial, the time), XMP and ICC profile comments.  The photo
is opened with Pillow (which also proves the bytes are the image type they
claim to be), turned upright by its EXIF orientation, and re-encoded from
its pixels alone into a new image: no metadata block of the original is
copied.  Only that copy is ever stored.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from handlers.errors import MediaRefused

#: The format Pillow must find for each accepted image type, and how it is saved.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
#: A decompression bomb (a small file of huge dimensions) is refused: WhatsApp
#: sends photos of at most 4096 pixels a side, so more is never a phone's photo
#: (and each copy of the pixels costs the worker up to 64 MB).
MAX_PIXELS = 4096 * 4096


def strip_image(data: bytes, content_type: str) -> bytes:
    """The image re-encoded without metadata; ``MediaRefused("unreadable")``
    when the bytes are not an image of ``content_type``."""
    expected = FORMATS.get(content_type)
    if expected is None:
        raise MediaRefused("type", f"type {content_type!r} is not an accepted image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise MediaRefused("size", "the image has too many pixels")
                upright = ImageOps.exif_transpose(opened)
                pixels = upright.convert(_mode(upright.mode, expected))
    except MediaRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRefused("unreadable", f"not a readable {expected} image") from None
    # A new image holds the pixels only: no info dict (EXIF, XMP, ICC, comments);
    # pasted, not copied through bytes, so no third copy of the pixels is made.
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    del pixels, upright
    out = io.BytesIO()
    if expected == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
    elif expected == "WEBP":
        clean.save(out, "WEBP", quality=85)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def _mode(mode: str, fmt: str) -> str:
    if fmt == "JPEG":
        return mode if mode in ("RGB", "L") else "RGB"
    if fmt == "WEBP":
        return "RGBA" if "A" in mode or mode == "P" else "RGB"
    return mode if mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
