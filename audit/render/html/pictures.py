"""The pictures section: what the image findings flagged, shown as thumbnails.

Copies and leaks side by side with the picture they copy, label issues with the given and
the suggested class, a strip of each quality problem, unreadable files by path and reason.
Thumbnails are inline ``data:`` JPEGs (the page's Content-Security-Policy allows images from
``data:`` only), capped per finding and in all, so a report on 100,000 pictures stays a few
megabytes; each strip says how many it left out, and the JSON report lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.images.thumbnails import thumbnail_uri

if TYPE_CHECKING:
    from audit.report import AuditReport
    from checks.images.table import ImageSet

MAX_ITEMS_PER_FINDING = 8
MAX_THUMBNAILS = 400
PAIR_CODES = ("exact_duplicates", "near_duplicates", "conflicting_labels", "exact_leakage", "near_leakage")
SINGLE_CODES = ("label_issues", "dark_images", "overexposed_images", "blurry_images", "blank_images",
                "odd_size_images", "grayscale_images")


@dataclass(frozen=True)
class Thumbnail:
    """One picture: its data URI (None when it cannot be shown), its split and path, a caption."""

    uri: str | None
    split: str
    path: str
    caption: str


@dataclass(frozen=True)
class Strip:
    """The pictures of one finding: items of one or two thumbnails, and how many were left out."""

    code: str
    title: str
    items: list[tuple[Thumbnail, ...]]
    more: int
    notes: list[str] = field(default_factory=list)


class Thumbnails:
    """Makes each picture's thumbnail once, and stops at ``MAX_THUMBNAILS``."""

    def __init__(self, images: ImageSet):
        self.images = images
        self.made: dict[tuple[str, str], str | None] = {}

    @property
    def full(self) -> bool:
        return len(self.made) >= MAX_THUMBNAILS

    def of(self, split: str, path: str, caption: str) -> Thumbnail:
        key = (split, path)
        if key not in self.made:
            self.made[key] = thumbnail_uri(self.images.roots[split], path, self.images.max_pixels)
        return Thumbnail(self.made[key], split, path, caption)


def pictures(report: AuditReport) -> list[Strip]:
    """The strips of every image finding, in the order of the checks; none for table data."""
    images = getattr(report.data, "images", None)
    if images is None:
        return []
    maker = Thumbnails(images)
    strips = []
    for result in report.results:
        for finding in result.findings:
            if not finding.rows or not (finding.code in PAIR_CODES or finding.code in SINGLE_CODES
                                        or finding.code == "unreadable_images"):
                continue
            strips.append(strip(finding.code, finding.message, finding.rows, maker))
    return strips


def strip(code: str, title: str, rows: list[Mapping[str, Any]], maker: Thumbnails) -> Strip:
    if code == "unreadable_images":
        return Strip(code, title, [], 0, [f"{row.get('path')}: {row.get('reason')}" for row in rows])
    items = []
    for row in rows:
        if len(items) >= MAX_ITEMS_PER_FINDING or maker.full:
            break
        items.append(item(code, row, maker))
    return Strip(code, title, items, len(rows) - len(items))


def item(code: str, row: Mapping[str, Any], maker: Thumbnails) -> tuple[Thumbnail, ...]:
    split, path = str(row["split"]), str(row.get("path"))
    if code == "label_issues":
        return (maker.of(split, path, f"{path}: filed as {row.get('given_label')}, "
                                      f"looks like {row.get('suggested_label')}"),)
    if code in SINGLE_CODES:
        return (maker.of(split, path, f"{path} (score {row.get('score')})"),)
    if row.get("train_path") is not None:
        partner = ("train", str(row["train_path"]))
    else:
        partner = (str(row.get("duplicate_split") or split), str(row.get("duplicate_of_path")))
    if partner == (split, path):
        return (maker.of(split, path, f"{split}/{path}"),)
    distance = f" at distance {row['distance']:.3g}" if isinstance(row.get("distance"), float) else ""
    return (maker.of(split, path, f"{split}/{path}"),
            maker.of(partner[0], partner[1], f"copies {partner[0]}/{partner[1]}{distance}"))
