"""Photos lose their metadata, and images no phone takes are refused before
their pixels are decoded (gateway.privacy.images)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gateway.privacy.images import MAX_PIXELS, strip_image
from handlers.errors import MediaRefused


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


def test_a_small_file_of_too_many_pixels_is_refused_undecoded():
    """A few kilobytes of PNG claiming 4097 x 4096 pixels (more than WhatsApp ever
    sends) is refused as too large, before its pixels are decoded."""
    data = png(4097, 4096)
    assert len(data) < 100_000 and 4097 * 4096 > MAX_PIXELS
    with pytest.raises(MediaRefused) as refused:
        strip_image(data, "image/png")
    assert refused.value.reason == "size"


def test_the_largest_whatsapp_photo_is_kept():
    """4096 x 4096, the most WhatsApp sends, is re-encoded and kept."""
    out = strip_image(png(4096, 4096), "image/png")
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (4096, 4096) and not image.info.get("exif")
