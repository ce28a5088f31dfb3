"""What label issues read of pictures: the user's Parquet of path and vector, MobileNetV3Small, or neither."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from audit.cli import main
from audit.images.folders import list_class_folder
from audit.images.pretrained import WEIGHTS_FILE
from audit.images.synthetic import CLASSES, PlantSpec, write_planted_folders

WRONG = replace(PlantSpec(n_train=200, n_val=60, seed=8).clean(), wrong_class=0.1, unreadable=2)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("embedded")
    return root, write_planted_folders(root / "set", WRONG)


@pytest.fixture(scope="module")
def few(tmp_path_factory):
    root = tmp_path_factory.mktemp("few")
    return root, write_planted_folders(root / "set", replace(WRONG, n_train=60, n_val=20, side_range=(64, 65)))


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    return tmp_path / "keras-home"


def telling_vectors(root: Path, truth, split: str, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Every listed path of ``split`` and a vector that tells its true class (one-hot x 4 plus noise)."""
    listed = list_class_folder(root / "set" / split)
    true = [truth.true_labels.get(f"{split}/{path}", label) for path, label in listed]
    rng = np.random.default_rng(seed)
    vectors = np.eye(len(CLASSES))[[CLASSES.index(t) for t in true]] * 4.0 + rng.normal(size=(len(true), len(CLASSES)))
    return [path for path, _ in listed], vectors.astype(np.float32)


def write_list_parquet(target: Path, paths: list[str], vectors: np.ndarray, order: np.ndarray) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"path": [paths[i] for i in order],
                      "embedding": pa.array([vectors[i].tolist() for i in order], type=pa.list_(pa.float32()))})
    pq.write_table(table, target)
    return target


def audit(root: Path, out: Path, *extra: str) -> tuple[int, dict]:
    code = main(["run", "--train", str(root / "set" / "train"), "--val", str(root / "set" / "val"), *extra,
                 "--out", str(out), "--no-baseline", "--quiet", "--checks", "label_issues"])
    report = json.loads((out / "train.json").read_text())
    return code, {f["metrics"]["split"]: f for c in report["checks"] for f in c["findings"]
                  if f["code"] == "label_issues"}


def flagged(finding: dict) -> set[tuple[str, str]]:
    return {(r["split"], r["path"]) for r in finding["rows"]}


def test_a_parquet_of_path_and_vector_is_matched_by_path_whatever_its_row_and_column_order(planted, tmp_path):
    import pandas as pd

    root, truth = planted
    files = {}
    for split in ("train", "val"):
        paths, vectors = telling_vectors(root, truth, split)
        np.save(tmp_path / f"{split}.npy", vectors)
        reversed_rows = np.arange(len(paths))[::-1]
        files[split] = write_list_parquet(tmp_path / f"{split}.parquet", paths, vectors, reversed_rows)
        # The same vectors as numbered columns written out of order, the path column among them.
        frame = pd.DataFrame({f"e{j}": vectors[:, j] for j in (3, 1, 0, 2)})
        frame.insert(2, "path", [f"./{p}" for p in paths])
        frame.sample(frac=1.0, random_state=1).to_parquet(tmp_path / f"{split}-columns.parquet")

    _, by_npy = audit(root, tmp_path / "npy", "--embeddings", str(tmp_path / "train.npy"),
                      "--embeddings", str(tmp_path / "val.npy"))
    _, by_list = audit(root, tmp_path / "list", "--embeddings", str(files["train"]), "--embeddings", str(files["val"]))
    _, by_columns = audit(root, tmp_path / "columns", "--embeddings", str(tmp_path / "train-columns.parquet"),
                          "--embeddings", str(tmp_path / "val-columns.parquet"))

    train = by_list["train"]
    assert flagged(train) <= truth.paths("wrong_class") and len(flagged(train)) >= 12
    assert train["metrics"]["prediction_accuracy"] >= 0.85
    assert train["metrics"]["picture_inputs"]["source"] == "user"
    assert "your embeddings (train.parquet, val.parquet; 4 numbers a picture)" in train["message"]
    assert "out-of-fold accuracy 0." in train["message"]
    for split in ("train", "val"):
        assert flagged(by_list[split]) == flagged(by_npy[split]) == flagged(by_columns[split])
        assert by_list[split]["metrics"]["prediction_accuracy"] == by_columns[split]["metrics"]["prediction_accuracy"]


def refusal(root: Path, tmp_path: Path, capsys, train_file: Path) -> list[str]:
    code = main(["run", "--train", str(root / "set" / "train"), "--embeddings", str(train_file),
                 "--out", str(tmp_path / "out"), "--no-baseline"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and not (tmp_path / "out").exists()
    return err[0]


def test_missing_extra_or_twice_given_paths_are_one_line_naming_the_file_and_the_path(planted, tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root, truth = planted
    paths, vectors = telling_vectors(root, truth, "train")
    readable = [i for i, p in enumerate(paths) if ("train", p) not in truth.paths("unreadable")]
    dropped = readable[5]
    short = write_list_parquet(tmp_path / "short.parquet", paths, vectors, np.delete(np.arange(len(paths)), dropped))
    assert "short.parquet: 1 picture(s) of train" in (line := refusal(root, tmp_path, capsys, short))
    assert f"have no vector, the first {paths[dropped]!r}" in line

    extra = write_list_parquet(tmp_path / "extra.parquet", paths + ["cat/elsewhere.jpg"],
                               np.vstack([vectors, vectors[:1]]), np.arange(len(paths) + 1))
    line = refusal(root, tmp_path, capsys, extra)
    assert "extra.parquet: 1 path(s) are not files of train" in line and "'cat/elsewhere.jpg'" in line

    twice = write_list_parquet(tmp_path / "twice.parquet", paths, vectors, np.r_[np.arange(len(paths)), 0])
    assert f"twice.parquet: the path {paths[0]!r} has two rows (0 and {len(paths)})" in refusal(root, tmp_path,
                                                                                              capsys, twice)

    pq.write_table(pa.table({"file": paths, "v0": vectors[:, 0]}), tmp_path / "nopath.parquet")
    assert "nopath.parquet: has no 'path' column" in refusal(root, tmp_path, capsys, tmp_path / "nopath.parquet")

    pq.write_table(pa.table({"path": paths, "v0": vectors[:, 0], "note": ["x"] * len(paths)}),
                   tmp_path / "text.parquet")
    assert "text.parquet: the column 'note' holds string, not numbers" in refusal(root, tmp_path, capsys,
                                                                                 tmp_path / "text.parquet")

    ragged = pa.array([[1.0, 2.0]] * (len(paths) - 1) + [[1.0]], type=pa.list_(pa.float64()))
    pq.write_table(pa.table({"path": paths, "vector": ragged}), tmp_path / "ragged.parquet")
    assert (f"ragged.parquet: the vectors in 'vector' have 2 numbers (row 0) and 1 (row {len(paths) - 1})"
            in refusal(root, tmp_path, capsys, tmp_path / "ragged.parquet"))

    with_nan = vectors.copy()
    with_nan[3, 1] = np.nan
    nan_file = write_list_parquet(tmp_path / "nan.parquet", paths, with_nan, np.arange(len(paths)))
    assert (f"nan.parquet: the vector of row 3 ({paths[3]!r}) holds an empty, NaN or infinite value"
            in refusal(root, tmp_path, capsys, nan_file))


def test_without_cached_weights_the_colour_features_are_used_and_the_report_says_why(few, tmp_path,
                                                                                      empty_keras_home, capsys):
    root, _ = few
    _, findings = audit(root, tmp_path / "auto")
    train = findings["train"]
    inputs = train["metrics"]["picture_inputs"]
    assert inputs["source"] == "built_in"
    assert inputs["note"].startswith("not MobileNetV3Small: no pretrained weights in the Keras cache")
    assert str(empty_keras_home / "models" / WEIGHTS_FILE) in inputs["note"]
    assert "weights='imagenet'" in inputs["remedy"]
    assert "on colour histograms, a hue histogram and 8x8 colour copies, out-of-fold accuracy" in train["message"]
    assert "not MobileNetV3Small" in train["message"] and "not MobileNetV3Small" not in findings["val"]["message"]

    _, chosen_none = audit(root, tmp_path / "none", "--image-model", "none")
    assert chosen_none["train"]["metrics"]["picture_inputs"]["note"] is None
    assert "(--image-model none)" in chosen_none["train"]["message"]
    # The same inputs, so the same rows.
    assert flagged(chosen_none["train"]) == flagged(train)

    code = main(["run", "--train", str(root / "set" / "train"), "--image-model", "mobilenet_v3_small",
                 "--out", str(tmp_path / "refused"), "--no-baseline"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "--image-model mobilenet_v3_small: no pretrained weights in the Keras cache" in err[0]
    assert not (tmp_path / "refused").exists()

    from audit.api import load
    from audit.data import ReadOptions, Roles
    from audit.errors import InputError

    with pytest.raises(InputError, match="image model 'resnet' is not one of auto, mobilenet_v3_small, none"):
        load(root / "set" / "train", None, Roles(label="label"), read_options=ReadOptions(image_model="resnet"))


def save_random_mobilenet_weights(target: Path) -> None:
    """A randomly initialised MobileNetV3Small's weights, in the legacy HDF5 layout of Keras' cached files."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    model = keras.applications.MobileNetV3Small(input_shape=(96, 96, 3), include_top=False, pooling="avg",
                                                weights=None)
    target.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(target, "w") as stream:
        legacy_h5_format.save_weights_to_hdf5_group(stream, model)


@pytest.mark.slow
def test_cached_mobilenet_weights_are_loaded_and_their_embeddings_feed_label_issues(few, tmp_path, empty_keras_home):
    from audit.data import ReadOptions
    from audit.images.embeddings import attach_picture_inputs
    from audit.images.folders import load_image_folders
    from checks.features import model_inputs

    root, truth = few
    save_random_mobilenet_weights(empty_keras_home / "models" / WEIGHTS_FILE)

    data = attach_picture_inputs(load_image_folders(root / "set" / "train", root / "set" / "val"), ReadOptions())
    assert data.images.inputs.source == "pretrained"
    assert {split: table.embedding.shape for split, table in data.images.tables.items()} == {
        "train": (60, 576), "val": (20, 576)}
    assert model_inputs(data).matrices["train"].shape == (60, 576)

    code, findings = audit(root, tmp_path / "out")
    train = findings["train"]
    assert code in (0, 1) and train["metrics"]["picture_inputs"]["source"] == "pretrained"
    assert "on MobileNetV3Small embeddings (weights from " in train["message"]
    assert "whose checksum is not the published ImageNet file's; 576 numbers a picture" in train["message"]
    assert train["metrics"]["prediction_accuracy"] is not None
    assert truth.paths("wrong_class")  # the planted pair does hold wrong labels to judge

    # A damaged file in the cache: auto says so and goes on with the colour features; asked for, it refuses.
    (empty_keras_home / "models" / WEIGHTS_FILE).write_bytes(b"not an HDF5 file")
    _, damaged = audit(root, tmp_path / "damaged")
    assert damaged["train"]["metrics"]["picture_inputs"]["source"] == "built_in"
    assert "cannot be loaded" in damaged["train"]["metrics"]["picture_inputs"]["note"]


def test_auto_fits_a_logistic_regression_only_on_many_rows_of_embeddings():
    import pandas as pd

    from checks.base import AuditData
    from checks.images.table import ImageSet, ImageTable, PictureInputs
    from checks.label_noise import LabelIssues

    def data(n_rows: int, width: int, source: str) -> AuditData:
        table = replace(ImageTable.of([], [], []), embedding=np.zeros((0, width), dtype=np.float32))
        bundle = AuditData(frames={"train": pd.DataFrame({"path": ["p"] * n_rows, "label": ["a"] * n_rows})},
                           label="label")
        bundle.images = ImageSet({"train": "."}, {"train": table}, inputs=PictureInputs(source))
        return bundle

    assert LabelIssues().model_for(data(8000, 128, "user")) == "logistic_regression"
    assert LabelIssues().model_for(data(8000, 576, "pretrained")) == "auto"  # fewer than 50 rows a number
    assert LabelIssues().model_for(data(4000, 4, "user")) == "auto"  # few rows: the careful choice is cheap
    assert LabelIssues().model_for(data(8000, 128, "built_in")) == "auto"
    assert LabelIssues(model="extra_trees").model_for(data(8000, 128, "user")) == "extra_trees"
