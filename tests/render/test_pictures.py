"""The pictures section: thumbnails inline, capped per finding and in all, values escaped."""

from __future__ import annotations

from types import SimpleNamespace

from audit.images.folders import load_image_folders
from audit.images.synthetic import PlantSpec, write_planted_folders
from audit.render.html import pictures
from audit.runner import run_checks
from checks import REGISTRY


def test_strips_show_pairs_and_singles_capped_and_say_what_they_left_out(tmp_path, monkeypatch):
    write_planted_folders(tmp_path, PlantSpec(n_train=120, n_val=40, byte_copies=5, near_copies=0, cross_class_copies=0,
                                              exact_leaks=0, near_leaks=0, wrong_class=0.0, dark=4, overexposed=0,
                                              blurry=0, blank=0, odd_size=0, grayscale=0, unreadable=1, seed=1))
    data = load_image_folders(tmp_path / "train", tmp_path / "val")
    report = SimpleNamespace(data=data, results=run_checks(data, [REGISTRY["duplicates"](), REGISTRY["image_quality"]()]))
    monkeypatch.setattr(pictures, "MAX_ITEMS_PER_FINDING", 3)
    strips = {strip.code: strip for strip in pictures.pictures(report)}
    duplicates = strips["exact_duplicates"]
    assert len(duplicates.items) == 3 and duplicates.more == 2
    assert all(len(item) == 2 and all(t.uri.startswith("data:image/jpeg;base64,") for t in item)
               for item in duplicates.items)
    assert len(strips["dark_images"].items[0]) == 1 and strips["dark_images"].more == 1
    assert strips["unreadable_images"].items == [] and len(strips["unreadable_images"].notes) == 1
    monkeypatch.setattr(pictures, "MAX_THUMBNAILS", 4)
    capped = pictures.pictures(report)
    assert sum(len(item) for strip in capped for item in strip.items) <= 4 + 1


def test_a_table_report_has_no_pictures_section():
    assert pictures.pictures(SimpleNamespace(data=SimpleNamespace(images=None), results=[])) == []
