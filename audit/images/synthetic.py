"""Planted image folders with recorded truth: the demo's pictures and the tests' fixtures.

Each class is a shape in its own band of hues, drawn at a random place, size and angle on a
softly mottled background, saved as JPEG in the Keras folder layout. ``background="textured"``
draws busy backgrounds instead (crossed stripes of random colours, grain) and shapes of any
hue, so only the shape tells the classes apart: colour histograms cannot, a network can. :func:`write_planted_folders`
plants, and records in :class:`PlantedImages`, each problem the image checks look for: byte
copies, near copies (resized, re-encoded, brightened, slightly cropped), copies filed under
another class, exact and near copies of train pictures in val, pictures in a wrong class
folder, and dark, overexposed, blurred, blank, odd-sized, grayscale and unreadable files.
With every count at zero (:meth:`PlantSpec.clean`) the same generator makes a clean pair.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

CLASSES = ("circle", "square", "triangle", "cross")
HUE_BANDS = {"circle": 0.0, "square": 0.25, "triangle": 0.5, "cross": 0.75}
SIDE_RANGE = (96, 136)
BACKGROUNDS = ("mottled", "textured")


@dataclass(frozen=True)
class PlantSpec:
    """How many pictures of each planted problem (train unless said otherwise)."""

    n_train: int = 400
    n_val: int = 120
    byte_copies: int = 8
    near_copies: int = 8
    cross_class_copies: int = 6
    exact_leaks: int = 6
    near_leaks: int = 6
    wrong_class: float = 0.06
    dark: int = 5
    overexposed: int = 5
    blurry: int = 5
    blank: int = 5
    odd_size: int = 5
    grayscale: int = 5
    unreadable: int = 4
    seed: int = 0
    side_range: tuple[int, int] = SIDE_RANGE
    background: str = "mottled"
    """``mottled`` (each class in its own hues) or ``textured`` (busy backgrounds, shapes of any hue)."""

    def clean(self) -> "PlantSpec":
        """The same sizes with nothing planted."""
        kept = ("n_train", "n_val", "seed", "side_range", "background")
        zero = {name: 0 for name in asdict(self) if name not in kept}
        return replace(self, **zero)


@dataclass
class PlantedImages:
    """Where each planted problem is: (split, path) pairs, and the pair a copy copies."""

    train: Path
    val: Path
    problems: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    pairs: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)
    true_labels: dict[str, str] = field(default_factory=dict)

    def paths(self, problem: str) -> set[tuple[str, str]]:
        return set(map(tuple, self.problems.get(problem, [])))

    def to_json(self) -> str:
        return json.dumps({"problems": self.problems, "pairs": self.pairs, "true_labels": self.true_labels},
                          indent=1, sort_keys=True)


def mottled_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Soft blotches of colour with a little grain."""
    from PIL import Image

    base = rng.uniform(60, 200, size=(6, 6, 3)).astype(np.uint8)
    background = np.asarray(Image.fromarray(base).resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
    return background + rng.normal(0, 14, size=background.shape)


def textured_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Three crossed stripe patterns of random period, angle and colour, over a random base colour, with grain."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    canvas = np.broadcast_to(rng.uniform(70, 180, size=3).astype(np.float32), (height, width, 3)).copy()
    for _ in range(3):
        angle, period = rng.uniform(0, np.pi), rng.uniform(5, 20)
        wave = np.sin((x * np.cos(angle) + y * np.sin(angle)) * 2 * np.pi / period + rng.uniform(0, 2 * np.pi))
        canvas += wave[..., None] * rng.uniform(-45, 45, size=3).astype(np.float32)
    return canvas + rng.normal(0, 18, size=canvas.shape)


def draw_picture(rng: np.random.Generator, label: str, side: tuple[int, int], background: str = "mottled"):
    """One picture of ``label``: its shape on a ``background`` (see :data:`BACKGROUNDS`), in
    its class's hue band on a mottled one, in any hue on a textured one."""
    import colorsys

    from PIL import Image, ImageDraw

    width, height = side
    textured = background == "textured"
    canvas = (textured_background if textured else mottled_background)(rng, width, height)
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    hue = rng.uniform(0, 1) if textured else (HUE_BANDS[label] + rng.uniform(-0.08, 0.08)) % 1.0
    colour = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, rng.uniform(0.75, 1.0), rng.uniform(0.8, 1.0)))
    radius = rng.uniform(0.22, 0.38) * min(width, height)
    cx, cy = rng.uniform(radius, width - radius), rng.uniform(radius, height - radius)
    draw = ImageDraw.Draw(image)
    if label == "circle":
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
    elif label == "square":
        draw.regular_polygon((cx, cy, radius), 4, rotation=float(rng.uniform(0, 90)), fill=colour)
    elif label == "triangle":
        draw.regular_polygon((cx, cy, radius), 3, rotation=float(rng.uniform(0, 120)), fill=colour)
    else:
        bar = radius * 0.35
        draw.rectangle((cx - radius, cy - bar, cx + radius, cy + bar), fill=colour)
        draw.rectangle((cx - bar, cy - radius, cx + bar, cy + radius), fill=colour)
    return image


def jpeg_bytes(image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def near_copy(rng: np.random.Generator, image):
    """Resized x0.6-1.6, brightened +-8%, cropped up to 4% (re-encoded when saved)."""
    from PIL import ImageEnhance

    width, height = image.size
    crop_x, crop_y = (int(rng.uniform(0, 0.04) * width), int(rng.uniform(0, 0.04) * height))
    left, top = int(rng.integers(0, crop_x + 1)), int(rng.integers(0, crop_y + 1))
    cropped = image.crop((left, top, width - (crop_x - left), height - (crop_y - top)))
    scale = rng.uniform(0.6, 1.6)
    resized = cropped.resize((max(16, int(cropped.width * scale)), max(16, int(cropped.height * scale))))
    return ImageEnhance.Brightness(resized).enhance(rng.uniform(0.92, 1.08))


def spoiled(rng: np.random.Generator, image, problem: str):
    """The picture with one quality problem."""
    from PIL import Image, ImageEnhance, ImageFilter

    if problem == "dark":
        return ImageEnhance.Brightness(image).enhance(rng.uniform(0.08, 0.18))
    if problem == "overexposed":
        pixels = np.asarray(image, dtype=np.float32) * rng.uniform(2.6, 3.2) + 60
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if problem == "blurry":
        return image.filter(ImageFilter.GaussianBlur(rng.uniform(3.0, 4.5)))
    if problem == "blank":
        flat = np.full((image.height, image.width, 3), rng.integers(30, 220, size=3), dtype=np.float32)
        flat += rng.normal(0, 1.0, size=flat.shape)
        return Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8))
    if problem == "grayscale":
        return image.convert("L")
    raise ValueError(problem)


class Writer:
    """Writes pictures into the two split folders and records what it planted."""

    def __init__(self, out: Path, rng: np.random.Generator):
        self.root = out
        self.rng = rng
        self.planted = PlantedImages(out / "train", out / "val")
        self.counter = 0

    def write(self, split: str, label: str, data: bytes, problem: str | None = None, suffix: str = ".jpg") -> str:
        self.counter += 1
        relative = f"{label}/img_{self.counter:05d}{suffix}"
        target = self.root / split / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if problem:
            self.planted.problems.setdefault(problem, []).append((split, relative))
        return relative

    def pair(self, kind: str, split: str, path: str, of_split: str, of_path: str) -> None:
        self.planted.pairs.setdefault(kind, []).append((split, path, of_split, of_path))


def write_planted_folders(out: Path, spec: PlantSpec = PlantSpec()) -> PlantedImages:
    """Write ``out/train`` and ``out/val`` with the problems ``spec`` asks for; return the truth."""
    rng = np.random.default_rng(spec.seed)
    writer = Writer(Path(out), rng)
    originals: list[tuple[str, str, object]] = []

    if spec.background not in BACKGROUNDS:
        raise ValueError(f"background {spec.background!r} is not one of {', '.join(BACKGROUNDS)}")

    def side() -> tuple[int, int]:
        return int(rng.integers(*spec.side_range)), int(rng.integers(*spec.side_range))

    def draw(label: str, size: tuple[int, int]):
        return draw_picture(rng, label, size, spec.background)

    for split, n in (("train", spec.n_train), ("val", spec.n_val)):
        n_wrong = int(round(spec.wrong_class * n)) if split == "train" else 0
        for i in range(n):
            label = CLASSES[i % len(CLASSES)]
            image = draw(label, side())
            if i < n_wrong:
                filed = CLASSES[(CLASSES.index(label) + 1 + int(rng.integers(0, len(CLASSES) - 1))) % len(CLASSES)]
                path = writer.write(split, filed, jpeg_bytes(image), "wrong_class")
                writer.planted.true_labels[f"{split}/{path}"] = label
            else:
                path = writer.write(split, label, jpeg_bytes(image))
                if split == "train":
                    originals.append((label, path, image))
    order = rng.permutation(len(originals))
    sources = iter([originals[i] for i in order])

    def copy_from(count: int, problem: str, split: str, make, other_class: bool = False) -> None:
        for _ in range(count):
            label, path, image = next(sources)
            filed = CLASSES[(CLASSES.index(label) + 1) % len(CLASSES)] if other_class else label
            copied = writer.write(split, filed, make(image, path), problem)
            writer.pair(problem, split, copied, "train", path)

    read = lambda path: (writer.root / "train" / path).read_bytes()  # noqa: E731
    copy_from(spec.byte_copies, "byte_copy", "train", lambda image, path: read(path))
    copy_from(spec.near_copies, "near_copy", "train",
              lambda image, path: jpeg_bytes(near_copy(rng, image), int(rng.integers(60, 96))))
    copy_from(spec.cross_class_copies, "cross_class_copy", "train", lambda image, path: read(path), other_class=True)
    copy_from(spec.exact_leaks, "exact_leak", "val", lambda image, path: read(path))
    copy_from(spec.near_leaks, "near_leak", "val",
              lambda image, path: jpeg_bytes(near_copy(rng, image), int(rng.integers(60, 96))))

    for problem in ("dark", "overexposed", "blurry", "blank", "grayscale"):
        for i in range(getattr(spec, problem)):
            label = CLASSES[i % len(CLASSES)]
            writer.write("train", label, jpeg_bytes(spoiled(rng, draw(label, side()), problem)), problem)
    for i in range(spec.odd_size):
        label = CLASSES[i % len(CLASSES)]
        odd = (int(rng.integers(380, 460)), int(rng.integers(40, 56))) if i % 2 else (24, 24)
        writer.write("train", label, jpeg_bytes(draw(label, odd)), "odd_size")
    for i in range(spec.unreadable):
        label = CLASSES[i % len(CLASSES)]
        whole = jpeg_bytes(draw(label, side()))
        broken = [whole[: len(whole) // 3], b"", b"not a picture at all\n", whole[:40]][i % 4]
        writer.write("train", label, broken, "unreadable")
    return writer.planted
