"""Small pictures for the report: a picture file as a ``data:`` URI of a JPEG thumbnail.

The report embeds its thumbnails (it loads nothing from anywhere), so each is kept small:
at most ``THUMBNAIL_SIDE`` pixels a side at modest JPEG quality, a few kilobytes. A file
that cannot be decoded, or a path that leads out of its folder, gives no thumbnail.
"""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path

THUMBNAIL_SIDE = 72
THUMBNAIL_QUALITY = 70


def thumbnail_uri(root: str, path: str, max_pixels: int) -> str | None:
    """The picture at ``root``/``path`` (``/``-separated) as a JPEG ``data:`` URI, or None
    (also for a picture over ``max_pixels``, or over Pillow's own limit)."""
    from PIL import Image

    from audit.images.listing import leads_outside

    base = Path(root)
    if leads_outside(base, path):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            data = small_jpeg(base.joinpath(*path.split("/")), max_pixels)
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
            return None
    return None if data is None else "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def small_jpeg(path: Path, max_pixels: int) -> bytes | None:
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        if image.width * image.height > max_pixels:
            return None
        image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
        picture = ImageOps.exif_transpose(image).convert("RGB")
    picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()
