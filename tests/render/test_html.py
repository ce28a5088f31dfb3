"""The HTML report: escaped whatever the data holds, complete, capped, and self-contained."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.api import audit_data, load
from audit.cli import main
from audit.data import Roles
from audit.fixes import FixOptions, FixSummary
from audit.render.html import CSP, MAX_EVIDENCE_ROWS, render_html
from audit.runner import CheckResult, run_one
from audit.training.curves import CurveBand
from audit.training.results import BaselineResult, RunSummary, Verdict, baseline_skipped
from checks import Check, Finding, Severity
from tests.conftest import LABEL, planted_pair, audit_checks
from tests.training.fakes import band, fake_baseline, fake_run, spread

ROLES = dict(label=LABEL, id_column="id", group_column="group", time_column="time")
PAYLOADS = ("</script><img src=x onerror=alert(1)>", '"><svg onload=alert(1)>', "javascript:alert(1)")

# Every element and attribute the template writes; anything else came from the data.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "div", "header", "section", "article", "footer",
    "h1", "h2", "h3", "h4", "p", "ul", "li", "b", "strong", "span", "code", "a", "dl", "dt", "dd",
    "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption",
    "svg", "rect", "line", "path", "text",
}
ALLOWED_ATTRIBUTES = {
    "lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "title", "role", "aria-label",
    "viewbox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "d", "text-anchor",
}
VOID_TAGS = {"meta"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None" = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.parts: list = []  # text and child nodes, in document order

    @property
    def children(self) -> list["Node"]:
        return [part for part in self.parts if isinstance(part, Node)]

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, **attrs: str) -> "Node":
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def raw_text(self) -> str:
        return "".join(part.raw_text() if isinstance(part, Node) else part for part in self.parts)

    def content(self) -> str:
        """The text as a reader sees it: whitespace collapsed."""
        return " ".join(self.raw_text().split())


class Tree(HTMLParser):
    """A small DOM from the standard library's parser: every element, attribute and text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        node = Node(tag, dict(attrs), self.current)
        self.current.parts.append(node)
        if tag not in VOID_TAGS:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))
        self.current.parts.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data):
        self.current.parts.append(data)


def parse(html: str) -> Tree:
    return Tree(html)


def by_id(tree: Tree, anchor: str) -> Node:
    return tree.root.find(id=anchor)


# ----------------------------------------------------------------------------- builders


class Crashes(Check):
    """A check that raises; never registered, so the registry stays as the product has it."""

    name = "crashes"

    def __init__(self, message="boom"):
        self.message = message

    def run(self, data):
        raise ValueError(self.message)


def label_issue_result(classes: list, n_rows: int = 30) -> CheckResult:
    rows = [{"split": "train", "row": i, "given_label": classes[i % len(classes)],
             "suggested_label": classes[(i + 1) % len(classes)], "label_quality": round(0.01 * i, 4)}
            for i in range(n_rows)]
    finding = Finding("label_issues", Severity.FAIL, f"train: {n_rows} rows look mislabelled.",
                      {"split": "train", "n_rows": n_rows}, rows)
    return CheckResult("label_issues", "ran", {}, 0.1, [finding])


def curve(n: int, start: float, end: float, bump: float = 0.0, stall: int | None = None) -> CurveBand:
    """A curve over n epochs falling from start to end, climbing by bump after stall."""
    mean = []
    for epoch in range(1, n + 1):
        value = end + (start - end) * math.exp(-epoch / 3)
        if stall is not None and epoch > stall:
            value += bump * (epoch - stall) / (n - stall)
        mean.append(round(value, 4))
    return band(mean, [round(0.02 + 0.002 * i, 4) for i in range(n)])


def baseline_run(stall: int | None, bump: float, end_gap: float, n: int = 30) -> RunSummary:
    """One run with chosen curves and numbers: val loss stalling at ``stall`` and climbing by ``bump``."""
    return fake_run(
        train_rows=500, val_rows=200, reference_rows=180,
        curves={
            "train_loss": curve(n, 2.0, 0.2),
            "val_loss": curve(n, 2.1, 0.6, bump=bump, stall=stall),
            "reference_loss": curve(n, 2.1, 0.65, bump=bump, stall=stall),
        },
        summary={
            "best_epoch": spread(stall or n, 1.0), "stall_epoch": spread(stall, 1.0 if stall else None),
            "end_gap": spread(end_gap, 0.03), "best_val_loss": spread(0.61, 0.01),
            "reference_loss_at_best": spread(0.66, 0.01), "climb_after_stall": spread(bump, 0.02),
        },
    )


def synthetic_baseline() -> BaselineResult:
    return fake_baseline(baseline_run(stall=7, bump=0.8, end_gap=1.2), baseline_run(stall=None, bump=0.0, end_gap=0.35),
                         Verdict("data", "The data is to blame: the fixes took the reference loss from 0.900 to 0.660."))


def hostile_report(folder: Path):
    """A real audit of files whose name, columns, classes and cells all carry markup."""
    script, svg, js = PAYLOADS
    rng = np.random.default_rng(0)
    n = 240
    label = f"label{svg}"
    classes = np.array([script, svg] * 115 + [js] * 10)
    rng.shuffle(classes)
    train = pd.DataFrame({
        "id": [f"{svg}{i}" for i in range(n)],
        script: rng.normal(size=n).round(4),
        svg: rng.choice([script, svg, js, "plain"], n),
        js: rng.integers(0, 3, n),
        label: classes,
    })
    train = pd.concat([train, train.iloc[:6].assign(id=lambda f: f["id"] + "copy")], ignore_index=True)
    val = train.iloc[40:100].copy()
    val["id"] = [f"{js}{i}" for i in range(len(val))]
    val.loc[val.index[:4], label] = "<img src=y onerror=alert(2)>"  # a class train never had
    train_path = folder / f"{script}.csv"
    train_path.parent.mkdir(parents=True, exist_ok=True)
    val_path = folder / js / f"{svg}.csv"
    val_path.parent.mkdir(parents=True, exist_ok=True)
    train.to_csv(train_path, index=False)
    val.to_csv(val_path, index=False)
    data = load(train_path, val_path, Roles(label, id_column="id"))
    assert script in str(data.sources["train"]) and svg in str(data.sources["val"])
    report = audit_data(data, extra_settings={js: script})
    report.results.append(run_one(data, Crashes(f"{script}\n{svg}")))
    report.results.append(label_issue_result([script, svg, js]))
    report.results[-1].findings.append(Finding(
        "target_leakage", Severity.WARN, f"column {svg} predicts the label", {js: script},
        columns=[{"column": script, "score": 0.99, js: svg}],
    ))
    report.baseline = replace(synthetic_baseline(), verdict=Verdict(svg, script + svg + js))
    report.fixes = FixSummary(train_rows_dropped=6, val_rows_dropped=0, labels_changed=0,
                              val_rows_excluded_from_reference=0, options=FixOptions(),
                              files={"manifest": f"{js}/{script}"})
    return report


# -------------------------------------------------------------------------------- tests


def test_markup_in_the_data_stays_text(tmp_path):
    report = hostile_report(tmp_path)
    html = render_html(report)
    tree = parse(html)

    for tag, attrs in tree.elements:
        assert tag in ALLOWED_TAGS, f"unexpected element <{tag}>"
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, f"unexpected attribute {name}= on <{tag}>"
            assert not name.startswith("on")
            if name == "href":
                assert value.startswith("#"), f"href={value!r} leaves the page"
            if name in ("id", "class"):
                assert re.fullmatch(r"[a-z0-9_ -]+", value), f"{name}={value!r} holds data"
    for marker in ("<script", "<img", "<svg onload", "<iframe"):
        assert marker not in html.lower()
    assert "://" not in html
    assert [e for e in tree.elements if e[0] == "style"] == [("style", [])]

    meta = [dict(a) for t, a in tree.elements if t == "meta" and dict(a).get("http-equiv")]
    assert meta == [{"http-equiv": "Content-Security-Policy", "content": CSP}]
    assert "default-src 'none'" in CSP and "script-src" not in CSP

    text = tree.root.content()
    for payload in PAYLOADS:  # shown to the reader, as text
        assert payload in text
    assert "<img src=y onerror=alert(2)>" in text
    assert tree.root.find("title").content() == "Audit failed: script><img src=x onerror=alert(1)>.csv"
    assert PAYLOADS[0] in tree.root.find(id="inputs").content()  # the full path, folder included


def test_verdict_overview_and_a_section_per_check():
    report = audit_checks(planted_pair().train, planted_pair().val, **ROLES, checks=["class_balance", "duplicates",
                       "exact_leakage", "group_leakage", "temporal_leakage"])
    tree = parse(render_html(report))

    verdict = tree.root.find(id="verdict")
    assert "failed" in verdict.classes()
    assert verdict.find("h1").content() == "Gate failed"
    counts = report.severity_counts()
    chips = {li.content() for li in verdict.find_all("li")}
    assert chips >= {f"{counts['fail']} fail", f"{counts['warn']} warn", f"{counts['info']} info", "0 crashed"}

    overview = tree.root.find(id="overview").find("tbody").find_all("tr")
    assert len(overview) == len(report.all_findings)
    first = overview[0].find_all("td")
    assert "fail" in first[0].content().lower()

    for i, result in enumerate(report.results):
        section = by_id(tree, f"check-{i}-{result.check}")
        assert section.find("h3").content() == result.check
        assert len(section.find_all("div", **{"class": f"finding sev-{result.findings[0].severity}"})) >= 1 \
            if result.findings else True
        docs = report.check_docs(result.check)
        assert docs["Why it matters"].split()[0] in section.content()
        assert "How to fix" in section.content()


def test_evidence_is_capped_and_the_rest_is_counted():
    pair = planted_pair(n_train=1500, n_val=400, n_each=60)
    report = audit_checks(pair.train, pair.val, **ROLES, checks=["duplicates", "exact_leakage"])
    tree = parse(render_html(report))
    for i, result in enumerate(report.results):
        for j, finding in enumerate(result.findings):
            if not finding.rows:
                continue
            block = by_id(tree, f"check-{i}-{result.check}-f{j}")
            groups = block.find("table").find_all("tbody")
            assert len(groups) == min(len(finding.rows), MAX_EVIDENCE_ROWS)
            if len(finding.rows) > MAX_EVIDENCE_ROWS:
                more = len(finding.rows) - MAX_EVIDENCE_ROWS
                assert f"{more} more rows in the JSON" in block.content()


def test_a_flagged_row_sits_beside_its_partner():
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, **ROLES, checks=["exact_leakage"])
    finding = report.results[0].findings[0]
    tree = parse(render_html(report))
    table = by_id(tree, "check-0-exact_leakage-f0").find("table")
    headers = [th.content() for th in table.find("thead").find_all("th")]
    first = table.find_all("tbody")[0].find_all("tr")
    assert len(first) == 2
    flagged, partner = ([td.content() for td in row.find_all("td")] for row in first)
    evidence = finding.rows[0]
    val_row, train_row = report.data.frames["val"].loc[evidence["row"]], report.data.frames["train"].loc[evidence["train_row"]]
    assert flagged[1:3] == ["val", str(evidence["row"])]
    assert partner[1:3] == ["train", str(evidence["train_row"])]
    id_at = next(i for i, h in enumerate(headers) if h.startswith("id"))
    assert (flagged[id_at], partner[id_at]) == (val_row["id"], train_row["id"])
    f0_at = headers.index("f0")
    assert float(flagged[f0_at]) == pytest.approx(val_row["f0"], rel=1e-3) == pytest.approx(train_row["f0"], rel=1e-3)


def test_label_issues_show_given_and_suggested_labels_with_quality():
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, **ROLES, checks=["class_balance"])
    report.results.append(label_issue_result(["cat", "dog", "NA"], n_rows=25))
    tree = parse(render_html(report))
    block = by_id(tree, "check-1-label_issues-f0")
    headers = [th.content() for th in block.find("thead").find_all("th")]
    assert headers[-3:] == ["given label", "suggested label", "label quality"]
    rows = [[td.content() for td in tr.find_all("td")] for tr in block.find_all("tr")[1:]]
    assert len(rows) == MAX_EVIDENCE_ROWS
    assert rows[1][-3:] == ["dog", "NA", "0.010"]
    assert "5 more rows in the JSON" in block.content()
    quality = [f for f in tree.root.find_all("figure") if "Label quality" in f.content()][0]
    assert quality.find_all("svg") and len(quality.find_all("rect")) >= 20


def test_skipped_and_crashed_checks_say_why(tmp_path):
    pair = planted_pair()
    report = audit_checks(pair.train.drop(columns=["group", "time"]), pair.val.drop(columns=["group", "time"]),
                       label=LABEL, id_column="id", checks=["group_leakage", "exact_leakage"])
    report.results.append(run_one(report.data, Crashes("the weights file is gone")))
    tree = parse(render_html(report))
    skipped = by_id(tree, "check-0-group_leakage")
    assert "Skipped: no group column was given" in skipped.content()
    crashed = by_id(tree, "check-2-crashes")
    assert crashed.find("code", **{"class": "crash"}).content() == "ValueError: the weights file is gone"
    assert "Traceback" not in crashed.content()
    assert "1 crashed" in tree.root.find(id="verdict").content()


def test_charts_degrade_when_their_data_is_absent():
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, **ROLES, checks=["duplicates"])
    tree = parse(render_html(report))
    charts = tree.root.find(id="charts").content()
    assert "No class counts in this audit" in charts
    assert "No label quality scores" in charts
    # run_audit records why the baseline did not run; the section says so instead of a chart.
    assert "disabled (--no-baseline or baseline.enabled = false)" in tree.root.find(id="baseline").content()
    report.baseline = None
    assert "No baseline was trained" in parse(render_html(report)).root.find(id="baseline").content()

    report.baseline = fake_baseline(fake_run(), fake_run(curves={"val_loss": band([None, None])}),
                                    Verdict("inconclusive", "Neither is clearly to blame."))
    baseline = parse(render_html(report)).root.find(id="baseline")
    assert "No learning curves were recorded for the raw run" in baseline.content()
    assert "No learning curves were recorded for the fixed run" in baseline.content()

    report.baseline = baseline_skipped("the estimated 40 min is over the 10 min budget")
    baseline = parse(render_html(report)).root.find(id="baseline")
    assert baseline.find("p").content() == "the estimated 40 min is over the 10 min budget"
    assert not baseline.find_all("svg")


def test_learning_curves_mark_the_stall_and_show_the_gap():
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, **ROLES, checks=["duplicates"])
    baseline = synthetic_baseline()
    val = baseline.raw.curves["val_loss"]
    broken = replace(val, mean=val.mean[:12] + (None,) + val.mean[13:])  # a NaN epoch breaks the line, not the chart
    report.baseline = replace(baseline, raw=replace(baseline.raw, curves={**baseline.raw.curves, "val_loss": broken}))
    tree = parse(render_html(report))
    section = tree.root.find(id="baseline")
    assert "The data is to blame" in tree.root.find(id="verdict").content()
    charts = {svg.attrs["aria-label"]: svg for svg in section.find_all("svg")}
    raw = charts["Learning curves, raw data: loss by epoch"]
    fixed = charts["Learning curves, fixed data: loss by epoch"]
    assert "val stalls · epoch 7" in raw.content()
    assert "val stalls" not in fixed.content()
    curve_classes = [" ".join(sorted(p.classes())) for p in raw.find_all("path")]
    assert sum(c == "curve s-val" for c in curve_classes) == 2  # split at the missing epoch
    assert "band s-train" in curve_classes or "s-train band" in curve_classes
    gap = charts["Gap at the last epoch: val loss minus train loss"]
    assert {t.content() for t in gap.find_all("text")} >= {"1.200", "0.350", "raw", "fixed"}


def test_notebook_fragment_and_document():
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, **ROLES, checks=["duplicates"])
    fragment = report._repr_html_()
    assert fragment.lstrip().startswith('<div class="audit-report">')
    assert "<html" not in fragment and "<style>" in fragment
    document = report.to_html()
    assert document.startswith("<!DOCTYPE html>") and 'http-equiv="Content-Security-Policy"' in document
    assert render_html(report) == document  # the same report renders byte for byte the same


def test_cli_writes_html_beside_json_and_junit(tmp_path, capsys):
    pair = planted_pair()
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    pair.val.to_csv(tmp_path / "val.csv", index=False)
    out = tmp_path / "out"
    code = main(["run", "--no-baseline", "--train", str(tmp_path / "train.csv"), "--val", str(tmp_path / "val.csv"),
                 "--label", LABEL, "--id-column", "id", "--checks", "duplicates,exact_leakage",
                 "--out", str(out), "--junit", str(out / "junit.xml")])
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "train.html", "train.json"]
    html = (out / "train.html").read_text(encoding="utf-8")
    assert "Gate failed" in html and "exact_leakage" in html
    assert f"html: {out / 'train.html'}" in capsys.readouterr().out


def test_large_audit_report_stays_small():
    from bench.bench_html import large_report

    report = large_report(100_000, 10_000)
    assert sum(len(f.rows) for _, f in report.all_findings) >= 10_000
    html = render_html(report)
    assert len(html.encode("utf-8")) < 2_000_000
    tree = parse(html)
    assert len(tree.root.find_all("tbody")) < 200


@pytest.mark.slow
def test_real_baseline_output_draws_its_curves():
    from audit.training.baseline import run_baseline
    from audit.training.inputs import BaselineSettings, BaselineSplit

    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, **ROLES, checks=["duplicates", "exact_leakage"])
    data = report.data
    fixed = report._fixed_frames()

    def split(frame):
        features = frame[data.feature_columns].drop(columns=["colour"])
        return BaselineSplit(features, frame[data.label].to_numpy())

    report.baseline = run_baseline(split(data.frames["train"]), split(data.frames["val"]), split(fixed.train),
                                   split(fixed.val), split(fixed.reference), BaselineSettings(seeds=2, epochs=8))
    tree = parse(render_html(report))
    labels = {svg.attrs.get("aria-label") for svg in tree.root.find(id="baseline").find_all("svg")}
    assert {"Learning curves, raw data: loss by epoch", "Learning curves, fixed data: loss by epoch"} <= labels
    table = tree.root.find(id="baseline").find("table").content()
    assert "epoch of lowest val loss" in table and "gap at the last epoch" in table
