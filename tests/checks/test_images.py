"""Image folders: loading, exact and near copies, leakage, conflicts and quality on planted pictures.

Every test compares the flagged paths with the generator's recorded truth, and the same
generator with nothing planted must give no copy, leak or quality finding.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit.errors import InputError
from audit.images.folders import load_image_folders
from audit.images.synthetic import PlantSpec, write_planted_folders
from audit.runner import run_checks
from checks import REGISTRY, Severity

SPEC = PlantSpec(n_train=240, n_val=80, byte_copies=4, near_copies=5, cross_class_copies=3, exact_leaks=3,
                 near_leaks=4, wrong_class=0.0, dark=3, overexposed=3, blurry=3, blank=3, odd_size=3, grayscale=3,
                 unreadable=4, seed=3)
QUALITY_CODES = {"dark": "dark_images", "overexposed": "overexposed_images", "blurry": "blurry_images",
                 "blank": "blank_images", "odd_size": "odd_size_images", "grayscale": "grayscale_images",
                 "unreadable": "unreadable_images"}
IMAGE_CHECKS = ("duplicates", "exact_leakage", "image_near_copies", "image_quality", "metadata_shortcut",
                "class_balance")


def audit_folders(root: Path):
    data = load_image_folders(root / "train", root / "val")
    results = run_checks(data, [REGISTRY[name]() for name in IMAGE_CHECKS])
    assert all(r.status == "ran" for r in results), [(r.check, r.detail) for r in results]
    return data, [f for r in results for f in r.findings]


def flagged(findings, code, **where) -> set[tuple[str, str]]:
    return {(row["split"], row["path"]) for f in findings if f.code == code
            and all(f.metrics.get(k) == v for k, v in where.items()) for row in f.rows}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    truth = write_planted_folders(root, SPEC)
    return truth, *audit_folders(root)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    write_planted_folders(root, SPEC.clean())
    return audit_folders(root)


def test_every_file_is_a_row_or_an_unreadable_file_with_its_reason(planted):
    truth, data, _ = planted
    listed = sum(1 for _ in (truth.train).rglob("*.jpg"))
    assert len(data.frames["train"]) + sum(f.split == "train" for f in data.images.unreadable) == listed
    assert {("train", f.path) for f in data.images.unreadable} == truth.paths("unreadable")
    reasons = {f.reason for f in data.images.unreadable}
    assert "the file is empty" in reasons and any("truncated" in r for r in reasons)
    frame = data.frames["train"]
    assert list(frame.columns) == ["path", "label"]
    assert (frame["path"].str.split("/").str[0] == frame["label"]).all()


def test_byte_copies_and_copies_under_another_class_are_exact_duplicates_with_both_paths(planted):
    truth, _, findings = planted
    [finding] = [f for f in findings if f.code == "exact_duplicates"]
    assert {("train", r["path"]) for r in finding.rows} == truth.paths("byte_copy") | truth.paths("cross_class_copy")
    copies = {(s, p): (os_, op) for s, p, os_, op in truth.pairs["byte_copy"]}
    for row in finding.rows:
        if ("train", row["path"]) in copies:
            assert ("train", row["duplicate_of_path"]) == copies[("train", row["path"])]


def test_a_picture_under_two_classes_is_a_conflicting_label(planted):
    truth, _, findings = planted
    conflicts = {row["path"] for f in findings if f.code == "conflicting_labels" for row in f.rows}
    copies = truth.pairs["cross_class_copy"]
    assert {p for _, p, _, _ in copies} | {op for _, _, _, op in copies} == conflicts


def test_val_copies_of_train_pictures_are_exact_and_near_leakage(planted):
    truth, _, findings = planted
    assert flagged(findings, "exact_leakage") == truth.paths("exact_leak")
    assert flagged(findings, "near_leakage") == truth.paths("near_leak")
    [near] = [f for f in findings if f.code == "near_leakage"]
    sources = {p: op for _, p, _, op in truth.pairs["near_leak"]}
    assert {r["path"]: r["train_path"] for r in near.rows} == sources
    assert near.severity == Severity.FAIL and near.metrics["threshold_source"] == "relative"


def test_resized_reencoded_brightened_cropped_copies_are_near_duplicates(planted):
    truth, _, findings = planted
    assert flagged(findings, "near_duplicates") == truth.paths("near_copy")


@pytest.mark.parametrize("problem", sorted(QUALITY_CODES))
def test_each_quality_problem_is_flagged_alone(planted, problem):
    truth, _, findings = planted
    code = QUALITY_CODES[problem]
    assert flagged(findings, code) == truth.paths(problem)
    [finding] = [f for f in findings if f.code == code]
    assert all("path" in r for r in finding.rows)
    if code != "unreadable_images":
        assert any(word in finding.metrics["rule"] for word in ("train median", "usual", "train pictures"))
        assert all(isinstance(r["score"], float) for r in finding.rows)


def test_clean_folders_give_no_copy_leak_conflict_or_quality_finding(clean):
    _, findings = clean
    assert {f.code for f in findings} <= {"class_imbalance", "label_shift"}
    assert all(f.severity == Severity.INFO for f in findings)


def test_a_link_out_of_the_folder_is_not_followed_and_is_named(tmp_path):
    write_planted_folders(tmp_path / "set", SPEC.clean())
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(next((tmp_path / "set" / "train" / "circle").iterdir()).read_bytes())
    os.symlink(secret, tmp_path / "set" / "train" / "circle" / "zz_link.jpg")
    os.symlink(tmp_path, tmp_path / "set" / "train" / "square" / "zz_folder")
    data = load_image_folders(tmp_path / "set" / "train", None)
    refused = {f.path: f.reason for f in data.images.unreadable}
    assert set(refused) == {"circle/zz_link.jpg", "square/zz_folder"}
    assert all("not followed" in reason for reason in refused.values())


def test_a_folder_without_class_subfolders_is_one_clear_error(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "a.jpg").write_bytes(b"x")
    with pytest.raises(InputError, match=r"train: no class subfolders with files; the layout is .*/<class>/<picture>"):
        load_image_folders(tmp_path / "train", None)


def test_one_class_of_another_size_is_a_metadata_shortcut(tmp_path):
    from PIL import Image

    write_planted_folders(tmp_path, SPEC.clean())
    for path in (tmp_path / "train" / "square").iterdir():
        with Image.open(path) as image:
            resized = image.resize((220, 80))
        resized.save(path, quality=90)
    _, findings = audit_folders(tmp_path)
    [finding] = [f for f in findings if f.code == "metadata_shortcut"]
    assert finding.severity == Severity.FAIL
    assert {c["column"] for c in finding.columns} == {"width", "aspect_ratio"}
    assert {c["class"] for c in finding.columns} == {"square"}


def test_planted_problems_spread_over_every_class_are_no_shortcut(planted):
    _, _, findings = planted
    assert not [f for f in findings if f.code == "metadata_shortcut"]


def test_pictures_in_a_wrong_class_folder_are_label_issues(tmp_path):
    from dataclasses import replace

    truth = write_planted_folders(tmp_path, replace(SPEC.clean(), n_train=320, wrong_class=0.1))
    data = load_image_folders(tmp_path / "train", tmp_path / "val")
    [result] = run_checks(data, [REGISTRY["label_issues"]()])
    [train] = [f for f in result.findings if f.metrics["split"] == "train"]
    flagged_paths = {("train", row["path"]) for row in train.rows}
    planted = truth.paths("wrong_class")
    hits = len(flagged_paths & planted)
    f1 = 2 * hits / (len(flagged_paths) + len(planted))
    assert f1 >= 0.7, (f1, len(flagged_paths), len(planted))
    assert train.metrics["prediction_accuracy"] > 0.8
    suggested = {row["path"]: row["suggested_label"] for row in train.rows}
    true_labels = {path.split("/", 1)[1]: label for path, label in truth.true_labels.items()}
    right = [suggested[p] == true_labels[p] for _, p in flagged_paths & planted]
    assert sum(right) >= 0.8 * len(right)


def test_every_pillow_format_is_read_exif_orientation_applied_and_the_pixel_limit_refuses(tmp_path):
    import numpy as np

    from audit.images.synthetic import draw_picture

    rng = np.random.default_rng(0)
    for i, suffix in enumerate(["png", "jpg", "bmp", "gif", "webp", "tiff"] * 3):
        folder = tmp_path / "train" / ("a" if i % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        draw_picture(rng, "circle", (60, 40)).save(folder / f"p{i}.{suffix}")
    turned = draw_picture(rng, "square", (60, 40))
    exif = turned.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    turned.save(tmp_path / "train" / "a" / "turned.jpg", exif=exif)
    draw_picture(rng, "square", (300, 300)).save(tmp_path / "train" / "b" / "large.png")
    data = load_image_folders(tmp_path / "train", None, max_pixels=50_000)
    table = data.images.tables["train"]
    assert set(table.format) == {"PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"}
    position = list(table.paths).index("a/turned.jpg")
    assert (table.width[position], table.height[position]) == (40, 60)
    [refused] = data.images.unreadable
    assert refused.path == "b/large.png" and "over the limit of 50,000" in refused.reason
