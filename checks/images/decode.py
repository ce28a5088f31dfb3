"""Decode one image file into the few numbers and small arrays every image check reads.

A picture is opened once per audit. Pillow decodes it (JPEG in draft mode, near the size the
checks need), EXIF orientation applied, the first frame of an animation; then the facts are
measured on small working copies:

- ``pixel_hash``: a hash of the decoded pixels and the size, so a copy re-saved without change
  (or a byte copy) hashes equal while a changed pixel does not (JPEGs above ``EXACT_MAX_SIDE``
  are hashed at their draft scale, which is still a function of the file's pixels);
- ``dhash``: a 64-bit difference hash of a 9x8 grey copy, for candidate near copies;
- ``shape``: a 16x16 grey copy centred and scaled to unit spread, to verify a candidate
  (brightness changes, re-encoding and small crops move it little; a different picture far);
- ``colour``: the mean colour of a 4x4 grid, so two pictures of one layout in other colours
  stay apart;
- ``features``: a colour histogram and an 8x8 colour copy, the cheap inputs of the
  out-of-fold model behind label issues;
- ``pixels``: a ``NETWORK_SIDE`` x ``NETWORK_SIDE`` RGB copy (uint8), what the baseline's
  convolutional network is trained on (3 KB a picture);
- quality numbers: brightness, the share of near-black and near-white pixels, contrast,
  sharpness (high-frequency share of a 64 px grey copy), colourfulness.

Nothing here raises for a bad file: :func:`decode_image` returns the reason instead, so the
audit goes on and names the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

# The largest side decoded at full size for the pixel hash; a larger JPEG is hashed in draft mode.
EXACT_MAX_SIDE = 1024
SHAPE_SIDE = 16
COLOUR_GRID = 4
FEATURE_SIDE = 8
HISTOGRAM_BINS = 4
SHARPNESS_SIDE = 64
NETWORK_SIDE = 32  # divides SHARPNESS_SIDE: the copy is a mean of its pixel blocks
HUE_BINS = 12
N_FEATURES = HISTOGRAM_BINS**3 + HUE_BINS + FEATURE_SIDE * FEATURE_SIDE * 3
GREY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "F"})


@dataclass(frozen=True)
class DecodedImage:
    """The facts of one readable image; see the module docstring for each."""

    width: int
    height: int
    mode: str
    format: str
    file_bytes: int
    pixel_hash: int
    dhash: int
    shape: np.ndarray
    colour: np.ndarray
    features: np.ndarray
    pixels: np.ndarray
    brightness: float
    dark_share: float
    bright_share: float
    contrast: float
    sharpness: float
    colourfulness: float
    jpeg_quality: int


@dataclass(frozen=True)
class Unreadable:
    """A file that could not be decoded, and why, in words a user can act on."""

    reason: str


def decode_image(path: str, max_pixels: int) -> DecodedImage | Unreadable:
    """The facts of the picture at ``path``, or why it cannot be read."""
    import os
    import warnings

    from PIL import Image

    try:
        size = os.path.getsize(path)
    except OSError as error:
        return Unreadable(f"cannot be read ({error.strerror})")
    if size == 0:
        return Unreadable("the file is empty")
    # Pillow's guard is a module setting: ours holds for this file only, and its warning below
    # twice the limit becomes the refusal above instead.
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = open_upright(path, max_pixels)
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    if isinstance(opened, Unreadable):
        return opened
    rgb, width, height, mode, image_format, quality = opened
    pixels = np.asarray(rgb)
    return measure(pixels, width, height, mode, image_format, size, quality)


def open_upright(path: str, max_pixels: int):
    """(RGB picture upright, width, height, mode, format, JPEG quality), or why it cannot be read."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image_format, mode = image.format or "unknown", image.mode
            width, height = image.size
            if width * height > max_pixels:
                return Unreadable(f"{width}x{height} pixels, over the limit of {max_pixels:,} (--max-image-pixels)")
            quality = jpeg_quality(image)
            if image_format == "JPEG" and max(width, height) > EXACT_MAX_SIDE:
                image.draft("RGB", (SHARPNESS_SIDE * 2, SHARPNESS_SIDE * 2))
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
            if upright.size != image.size:
                width, height = height, width
    except Image.DecompressionBombError:
        return Unreadable(f"over the limit of {max_pixels:,} pixels (--max-image-pixels)")
    except UnidentifiedImageError:
        return Unreadable("not an image Pillow can read (PNG, JPEG, BMP, GIF, WebP, TIFF)")
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        return Unreadable(f"damaged or truncated ({str(error) or type(error).__name__})")
    return rgb, width, height, mode, image_format, quality


def measure(pixels: np.ndarray, width: int, height: int, mode: str, image_format: str, file_bytes: int,
            quality: int = 0) -> DecodedImage:
    """The facts of decoded RGB ``pixels`` (height x width x 3, uint8)."""
    from PIL import Image

    rgb = Image.fromarray(pixels, "RGB")
    digest = hashlib.blake2b(pixels.tobytes(), digest_size=8, person=f"{width}x{height}".encode()[:16])
    grey = rgb.convert("L")
    small = np.asarray(rgb.resize((SHARPNESS_SIDE, SHARPNESS_SIDE), Image.Resampling.BOX), dtype=np.float32) / 255
    small_grey = small @ GREY_WEIGHTS
    return DecodedImage(
        width=int(width), height=int(height), mode=mode, format=image_format, file_bytes=int(file_bytes),
        pixel_hash=int.from_bytes(digest.digest(), "little"),
        dhash=difference_hash(grey),
        shape=unit_spread(np.asarray(grey.resize((SHAPE_SIDE, SHAPE_SIDE), Image.Resampling.BOX), dtype=np.float32)),
        colour=np.asarray(rgb.resize((COLOUR_GRID, COLOUR_GRID), Image.Resampling.BOX), dtype=np.float32).ravel() / 255,
        features=cheap_features(small),
        pixels=network_copy(small),
        brightness=float(small_grey.mean()),
        dark_share=float((small_grey < 0.12).mean()),
        bright_share=float((small_grey > 0.94).mean()),
        contrast=float(small_grey.std()),
        sharpness=sharpness(small_grey),
        colourfulness=float(np.abs(small - small.mean(axis=2, keepdims=True)).mean()),
        jpeg_quality=quality,
    )


def network_copy(small: np.ndarray) -> np.ndarray:
    """The ``NETWORK_SIDE`` square RGB copy (uint8) of a ``SHARPNESS_SIDE`` square copy in [0, 1]."""
    block = SHARPNESS_SIDE // NETWORK_SIDE
    means = small.reshape(NETWORK_SIDE, block, NETWORK_SIDE, block, 3).mean(axis=(1, 3))
    return np.rint(means * 255).astype(np.uint8)


def difference_hash(grey) -> int:
    """dHash: whether each pixel of a 9x8 grey copy is brighter than its right neighbour."""
    from PIL import Image

    tiny = np.asarray(grey.resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    bits = (tiny[:, 1:] > tiny[:, :-1]).ravel()
    return int(np.packbits(bits).view(">u8")[0])


def unit_spread(values: np.ndarray) -> np.ndarray:
    """Centred and scaled to unit standard deviation (a flat picture stays flat: zeros)."""
    centred = values.ravel() - values.mean()
    spread = centred.std()
    return (centred / spread if spread > 1.0 else centred * 0).astype(np.float32)


def sharpness(grey: np.ndarray) -> float:
    """The share of a grey picture's variation in its finest detail (a Laplacian over the spread).

    Dividing by the spread makes a dark or low-contrast picture no blurrier than a bright one.
    """
    laplacian = (grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1])
    spread = float(grey.std())
    return float(laplacian.std() / spread) if spread > 1e-3 else 0.0


def cheap_features(small: np.ndarray) -> np.ndarray:
    """A joint colour histogram, a hue histogram of the vivid pixels and an 8x8 colour copy:
    what a shallow model can tell classes by."""
    bins = np.minimum((small * HISTOGRAM_BINS).astype(np.int64), HISTOGRAM_BINS - 1)
    joint = (bins[..., 0] * HISTOGRAM_BINS + bins[..., 1]) * HISTOGRAM_BINS + bins[..., 2]
    histogram = np.bincount(joint.ravel(), minlength=HISTOGRAM_BINS**3).astype(np.float32) / joint.size
    step = small.shape[0] // FEATURE_SIDE
    coarse = small.reshape(FEATURE_SIDE, step, FEATURE_SIDE, step, 3).mean(axis=(1, 3))
    return np.concatenate([histogram, vivid_hues(small), coarse.ravel()]).astype(np.float32)


def vivid_hues(small: np.ndarray) -> np.ndarray:
    """The share of pixels in each of ``HUE_BINS`` hues, counting only saturated, lit pixels."""
    high, low = small.max(axis=2), small.min(axis=2)
    chroma = high - low
    vivid = (chroma > 0.35) & (high > 0.25)
    red, green, blue = small[..., 0], small[..., 1], small[..., 2]
    safe = np.where(chroma > 0, chroma, 1)
    hue = np.where(high == red, ((green - blue) / safe) % 6,
                   np.where(high == green, (blue - red) / safe + 2, (red - green) / safe + 4)) / 6
    codes = np.minimum((hue[vivid] * HUE_BINS).astype(np.int64), HUE_BINS - 1)
    return np.bincount(codes, minlength=HUE_BINS).astype(np.float32) / hue.size


def jpeg_quality(image) -> int:
    """An estimate of a JPEG's quality setting from its luminance table (0 for other formats)."""
    tables = getattr(image, "quantization", None)
    if not tables or 0 not in tables:
        return 0
    mean = float(np.mean(tables[0]))
    # The standard IJG luminance table averages about 57.6 at quality 50.
    scale = mean / 57.6 * 100
    return int(round(100 - scale / 2 if scale <= 100 else 5000 / scale))
