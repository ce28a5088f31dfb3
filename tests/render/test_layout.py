"""The demo report laid out by headless Chromium at 1280 and 800 px wide.

A copy of the report gets a measuring script (tests/render/layout_probe.js; the report
itself runs none, and its Content-Security-Policy would refuse it) that lists every element
wider than its container or clipping its content, and where the first screen's elements end.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from audit.output import write_atomic
from tests.render.test_browser import run_chromium

pytestmark = pytest.mark.slow

PROBE = Path(__file__).with_name("layout_probe.js")
WIDTHS = (1280, 800)
FIRST_SCREEN_PX = 900
FIRST_SCREEN = {"the gate": "#verdict h1", "the verdict": "#verdict .baseline-verdict",
                "the next command": "#next-step .command"}


def probed(page: str, marks: list[str]) -> str:
    """The page without its CSP, with the probe run at the end of the body."""
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    page = page.replace("<body>", f'<body data-probe-marks="{html.escape("|".join(marks))}">', 1)
    return page.replace("</body>", f"<script>{PROBE.read_text(encoding='utf-8')}</script></body>", 1)


def layout(chromium: str, tmp_path: Path, page: str, width: int, marks: list[str] = ()) -> dict:
    path = write_atomic(tmp_path / f"probed-{width}.html", probed(page, list(marks)))
    dom = run_chromium(chromium, tmp_path, "--hide-scrollbars", f"--window-size={width},{FIRST_SCREEN_PX}",
                       "--dump-dom", path.as_uri()).stdout
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe did not run"
    return {**json.loads(html.unescape(found.group(1))), "dom": dom}


def test_the_probe_sees_an_overflow(chromium, tmp_path):
    page = ('<!DOCTYPE html><html><body><div style="width:300px"><table><tr><td style="white-space:nowrap">'
            + "wide " * 200 + '</td></tr></table></div><div style="width:300px;overflow-x:auto">'
            + '<div style="width:900px">scrolls</div></div></body></html>')
    measured = layout(chromium, tmp_path, page, 800)
    assert any(p.startswith("sticks out of its container") and "wide wide" in p for p in measured["problems"])
    assert any(p.startswith("clips or scrolls its content by 600 px") for p in measured["problems"])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_demo_report_fits_and_its_first_screen_says_what_to_do(chromium, tmp_path, demo_cli_json, width):
    page = demo_cli_json.with_suffix(".html").read_text(encoding="utf-8")
    measured = layout(chromium, tmp_path, page, width, list(FIRST_SCREEN.values()))

    assert measured["width"] == width
    assert measured["problems"] == []
    for what, selector in FIRST_SCREEN.items():
        bottom = measured["bottoms"][selector]
        assert bottom is not None and bottom <= FIRST_SCREEN_PX, f"{what} ends at {bottom} px"

    text = html.unescape(re.sub(r"<[^>]+>", "", measured["dom"]))
    document = json.loads(demo_cli_json.read_text(encoding="utf-8"))
    snippets = [c["snippet"] for c in document["diagnosis"]["causes"]
                if c["snippet"] and c["verdict"] in ("likely", "inconclusive")]
    assert snippets and all(snippet in text for snippet in snippets)
    command = re.search(r'<div class="command"><code>(.*?)</code></div>', measured["dom"], re.S)
    train = Path(document["inputs"]["train"]["path"])
    assert html.unescape(command.group(1)) == (
        f"audit fix --train {train} --val {train.with_name('val.csv')} --label digit --id-column image_id "
        f"--out {train.parent.parent}")
