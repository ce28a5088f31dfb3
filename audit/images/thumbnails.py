"""Small pictures for the report: a picture file as a ``data:`` URI of a JPEG thumbnail.

The report embeds its thumbnails (it loads nothing from anywhere), so each is kept small:
at most ``THUMBNAIL_SIDE`` pixels a side at modest JPEG quality, a few kilobytes. A file
that cannot be decoded, or a path that leads out of its folder, gives no thumbnail.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

THUMBNAIL_SIDE = 72
THUMBNAIL_QUALITY = 70


def thumbnail_uri(root: str, path: str, max_pixels: int) -> str | None:
    """The picture at ``root``/``path`` (``/``-separated) as a JPEG ``data:`` URI, or None."""
    from PIL import Image, ImageOps

    from audit.images.listing import leads_outside

    base = Path(root)
    if leads_outside(base, path):
        return None
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(base.joinpath(*path.split("/"))) as image:
            image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
            picture = ImageOps.exif_transpose(image).convert("RGB")
            picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
