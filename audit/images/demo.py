"""``audit demo --images``: planted picture folders, written and audited as a user's would be.

The pictures are generated (shapes in class colours on textured backgrounds; nothing is
downloaded), with every problem the image checks look for planted at recorded paths, so the
report shows each finding with its thumbnails. The baseline's CNN trains ``DEMO_EPOCHS`` epochs
unless told otherwise: its five runs (raw, fixed, one a fix family) then stay within the demo's
few minutes on two cores, and on these pictures the verdict and the attribution read the same
as after 40 epochs (the reference loss has flattened by then).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from audit.errors import InputError
from audit.images.synthetic import PlantedImages, PlantSpec, write_planted_folders
from audit.progress import Progress, no_progress
from audit.report import AuditReport

TRUTH_FILE = "planted.json"
DEMO_SPEC = PlantSpec(n_train=600, n_val=160, byte_copies=10, near_copies=10, cross_class_copies=6, exact_leaks=6,
                      near_leaks=8, wrong_class=0.06)
DEMO_EPOCHS = 20


def write_demo_folders(folder: Path, seed: int) -> PlantedImages:
    """The demo's folders in ``folder`` (replacing an earlier demo's, never anything else)."""
    if folder.exists():
        if not (folder / TRUTH_FILE).is_file():
            raise InputError(f"{folder}: exists and was not written by the demo; choose another --out")
        shutil.rmtree(folder)
    planted = write_planted_folders(folder, replace(DEMO_SPEC, seed=seed))
    (folder / TRUTH_FILE).write_text(planted.to_json(), encoding="utf-8")
    return planted


def describe(planted: PlantedImages) -> str:
    counts = ", ".join(f"{len(paths)} {problem.replace('_', ' ')}" for problem, paths in sorted(planted.problems.items()))
    return f"Demo pictures: {planted.train} and {planted.val}, planted: {counts}."


def run_image_demo(out: Path, seed: int = 0, baseline: dict | None = None,
                   progress: Progress = no_progress) -> tuple[AuditReport, PlantedImages]:
    """Write the demo folders into ``out/demo-images`` and audit them."""
    from audit.config import Settings, configure
    from audit.engines.base import Inputs
    from audit.run import Job, run_job

    planted = write_demo_folders(out / "demo-images", seed)
    settings = Settings(seed=seed, out=str(out), baseline={"epochs": DEMO_EPOCHS, **(baseline or {})})
    job = Job(configure(settings, {}), Inputs(planted.train, planted.val), extra_settings={"demo": "images"})
    return run_job(job, progress).report, planted
