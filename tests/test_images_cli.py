"""``audit run`` on picture folders and ``audit demo --images``, as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from audit.cli import main
from audit.images.synthetic import PlantSpec, write_planted_folders

SMALL = PlantSpec(n_train=120, n_val=40, byte_copies=3, near_copies=2, cross_class_copies=2, exact_leaks=2,
                  near_leaks=2, wrong_class=0.0, dark=2, overexposed=0, blurry=0, blank=0, odd_size=0, grayscale=0,
                  unreadable=2, seed=5)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("pictures")
    return root, write_planted_folders(root, SMALL)


def listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def test_folders_are_audited_with_paths_in_the_json_and_thumbnails_in_the_html(folders, tmp_path, capsys):
    root, truth = folders
    before = listing(root)
    code = main(["run", "--train", str(root / "train"), "--val", str(root / "val"), "--out", str(tmp_path),
                 "--no-baseline", "--quiet"])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    report = json.loads((tmp_path / "train.json").read_text())
    findings = {f["code"]: f for c in report["checks"] for f in c["findings"]}
    unreadable = {(r["split"], r["path"]) for r in findings["unreadable_images"]["rows"]}
    assert unreadable == truth.paths("unreadable")
    leaks = findings["exact_leakage"]["rows"]
    assert {("val", r["path"]) for r in leaks} == truth.paths("exact_leak")
    assert all(r["train_path"].count("/") == 1 for r in leaks)
    html = (tmp_path / "train.html").read_text()
    assert html.count("data:image/jpeg;base64,") >= 2 * len(leaks)
    assert listing(root) == before  # the input folders are only read


def test_a_folder_in_the_wrong_layout_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"\x89PNG")
    code = main(["run", "--train", str(tmp_path / "flat"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "flat: no class subfolders with files; the layout is" in err[0]


@pytest.mark.slow
def test_the_image_demo_runs_end_to_end(tmp_path):
    result = subprocess.run([sys.executable, "-m", "audit.cli", "demo", "--images", "--no-baseline", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600, env={**os.environ})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Demo pictures:" in result.stdout
    html = (tmp_path / "demo-images.html").read_text()
    assert 'id="pictures"' in html and "data:image/jpeg;base64," in html
    assert (tmp_path / "demo-images" / "planted.json").is_file()


@pytest.mark.slow
def test_thumbnails_render_offline_in_chromium(tmp_path):
    """One magenta picture and its copy: the screenshot of the report shows magenta pixels."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Chromium at {chromium}; CI=true requires the browser tests to run")
        pytest.skip(f"no Chromium at {chromium}")
    from PIL import Image

    root = tmp_path / "set"
    write_planted_folders(root, PlantSpec(n_train=40, n_val=12).clean())
    magenta = Image.new("RGB", (90, 90), (255, 0, 255))
    magenta.paste((0, 255, 0), (30, 30, 60, 60))
    magenta.save(root / "train" / "circle" / "zz_magenta.png")
    shutil.copy(root / "train" / "circle" / "zz_magenta.png", root / "train" / "circle" / "zz_magenta_copy.png")
    out = tmp_path / "out"
    assert main(["run", "--train", str(root / "train"), "--val", str(root / "val"), "--out", str(out),
                 "--no-baseline", "--quiet"]) in (0, 1)
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,6000", f"--screenshot={shot}",
                    (out / "train.html").as_uri()], capture_output=True, timeout=120, check=True)
    pixels = Image.open(shot).convert("RGB")
    colours = pixels.getcolors(maxcolors=1 << 20)
    assert sum(n for n, (r, g, b) in colours if r > 200 and g < 60 and b > 200) > 500


def test_fix_writes_the_kept_pictures_in_the_class_layout_and_leaves_the_inputs_alone(folders, tmp_path):
    root, truth = folders
    before = listing(root)
    code = main(["fix", "--train", str(root / "train"), "--val", str(root / "val"), "--out", str(tmp_path),
                 "--no-baseline", "--relabel", "--quiet"])
    assert code == 0
    fixed = tmp_path / "train.fixed"
    manifest = json.loads((fixed / "manifest.json").read_text())
    rows = manifest["rows"] if isinstance(manifest, dict) else manifest
    actions = {(r["split"], r["details"][next(iter(r["details"]))][0]["path"]): r for r in rows}
    kept_train = {str(p.relative_to(fixed / "train")) for p in (fixed / "train").rglob("*.jpg")}
    dropped = {path for (split, path), r in actions.items() if split == "train" and r["action"] == "drop"}
    assert {p for _, p in truth.paths("byte_copy")} <= dropped
    assert not dropped & kept_train
    assert not {p for _, p in truth.paths("unreadable")} & kept_train
    for (split, path), r in actions.items():
        if r["action"] == "relabel":
            moved = f"{r['new_label']}/{path.split('/', 1)[1]}"
            assert moved in kept_train and (fixed / "train" / moved).stat().st_ino == (root / "train" / path).stat().st_ino
    val_files = {str(p.relative_to(root / "val")) for p in (root / "val").rglob("*.jpg")}
    val_dropped = {path for (split, path), r in actions.items() if split == "val"}
    assert {str(p.relative_to(fixed / "val")) for p in (fixed / "val").rglob("*.jpg")} == val_files - val_dropped
    assert listing(root) == before


def test_fixed_folders_are_never_written_inside_an_input_folder(folders, capsys):
    root, _ = folders
    code = main(["fix", "--train", str(root / "train"), "--val", str(root / "val"), "--out", str(root / "train"),
                 "--no-baseline", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "inside the train folder (--train)" in err[0]


def test_a_table_of_paths_is_audited_as_pictures_and_paths_out_of_its_folder_are_refused(folders, tmp_path):
    import csv

    root, truth = folders
    table = root / "listing.csv"
    files = sorted((root / "train").rglob("*.jpg"))
    with table.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["file", "kind"])
        writer.writerows([f"train/{p.relative_to(root / 'train').as_posix()}", p.parent.name] for p in files)
        writer.writerows([["../outside.jpg", "circle"], ["/etc/hostname", "circle"]])
    code = main(["run", "--train", str(table), "--image-column", "file", "--label", "kind", "--out", str(tmp_path),
                 "--no-baseline", "--quiet"])
    assert code == 1
    report = json.loads((tmp_path / "listing.json").read_text())
    findings = {f["code"]: f for c in report["checks"] for f in c["findings"]}
    refused = {r["path"]: r["reason"] for r in findings["unreadable_images"]["rows"]}
    assert {p for p, reason in refused.items() if "out of the table's folder" in reason} == {"../outside.jpg",
                                                                                           "/etc/hostname"}
    assert {p for p in refused if p.startswith("train/")} == {f"train/{p}" for _, p in truth.paths("unreadable")}
    duplicates = {frozenset([r["path"], r["duplicate_of_path"]]) for r in findings["exact_duplicates"]["rows"]}
    planted = {frozenset([f"train/{p}", f"train/{op}"]) for kind in ("byte_copy", "cross_class_copy")
               for _, p, _, op in truth.pairs[kind]}
    assert duplicates == planted
    rows = {r["row"] for r in findings["unreadable_images"]["rows"]}
    assert rows >= {len(files), len(files) + 1}  # table rows, counted from 0 after the header


def test_an_npz_of_picture_arrays_is_pictures_not_columns(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(120, 12, 12), dtype=np.uint8)
    y = np.arange(120) % 3
    x[7] = x[3]
    x_val = rng.integers(0, 256, size=(30, 12, 12), dtype=np.uint8)
    x_val[5] = x[10]
    np.savez(tmp_path / "pictures.npz", x_train=x, y_train=y, x_val=x_val, y_val=np.arange(30) % 3)
    code = main(["run", "--train", str(tmp_path / "pictures.npz"), "--out", str(tmp_path / "out"), "--no-baseline",
                 "--quiet"])
    assert code == 1
    report = json.loads((tmp_path / "out" / "pictures.json").read_text())
    assert report["inputs"]["train"]["columns"] == ["path", "label"]
    findings = {f["code"]: f for c in report["checks"] for f in c["findings"]}
    assert [(r["path"], r["duplicate_of_path"]) for r in findings["exact_duplicates"]["rows"]] == [("x_train[7]",
                                                                                                    "x_train[3]")]
    assert [(r["path"], r["train_path"]) for r in findings["exact_leakage"]["rows"]] == [("x_val[5]", "x_train[10]")]


def test_the_spark_engine_refuses_pictures_in_one_line_naming_the_pandas_engine(folders, tmp_path, capsys):
    pytest.importorskip("pyspark")
    root, _ = folders
    code = main(["run", "--train", str(root / "train"), "--val", str(root / "val"), "--engine", "spark",
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "run with --engine pandas" in err[0]


def label_issues_with_embeddings(tmp_path: Path, truth, signal: float, name: str) -> dict:
    import numpy as np

    from audit.images.folders import list_class_folder
    from audit.images.synthetic import CLASSES

    rng = np.random.default_rng(0)
    vectors = []
    for split in ("train", "val"):
        listed = list_class_folder(tmp_path / "set" / split)
        true = [truth.true_labels.get(f"{split}/{path}", label) for path, label in listed]
        vectors.append(tmp_path / f"{name}-{split}.npy")
        np.save(vectors[-1], np.eye(len(CLASSES))[[CLASSES.index(t) for t in true]] * signal
                + rng.normal(size=(len(true), len(CLASSES))))
    out = tmp_path / name
    assert main(["run", "--train", str(tmp_path / "set" / "train"), "--val", str(tmp_path / "set" / "val"),
                 "--embeddings", str(vectors[0]), "--embeddings", str(vectors[1]), "--out", str(out),
                 "--no-baseline", "--quiet"]) in (0, 1)
    report = json.loads((out / "train.json").read_text())
    [train] = [f for c in report["checks"] for f in c["findings"]
               if f["code"] == "label_issues" and f["metrics"]["split"] == "train"]
    return train


def test_user_embeddings_replace_the_colour_features_of_label_issues(tmp_path):
    truth = write_planted_folders(tmp_path / "set", replace(PlantSpec(n_train=200, n_val=60, seed=8).clean(),
                                                            wrong_class=0.1))
    telling = label_issues_with_embeddings(tmp_path, truth, 4.0, "telling")
    flagged = {("train", r["path"]) for r in telling["rows"]}
    assert flagged <= truth.paths("wrong_class") and len(flagged) >= 10
    assert telling["metrics"]["prediction_accuracy"] >= 0.85  # the 10% in a wrong folder disagree
    noise = label_issues_with_embeddings(tmp_path, truth, 0.0, "noise")
    assert noise["metrics"]["prediction_accuracy"] < 0.5  # the pictures' colours are not read


def test_embeddings_of_the_wrong_length_are_one_line_naming_the_file(folders, tmp_path, capsys):
    import numpy as np

    root, _ = folders
    np.save(tmp_path / "short.npy", np.zeros((3, 4)))
    code = main(["run", "--train", str(root / "train"), "--embeddings", str(tmp_path / "short.npy"),
                 "--out", str(tmp_path / "out"), "--no-baseline"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "short.npy: has shape (3, 4)" in err[0]
