"""JUnit XML for CI: one test case a check and one a finding.

A CI server shows the audit like a test run: a finding at or above the gate's ``fail_on``
(and not accepted) is a failure, a crashed check an error, a skipped check a skip, and
everything else passes, its message kept in ``system-out``. The check's own test case
stands for "the check ran"; its findings carry the failures, so nothing is counted twice.
A finding the baseline refutes (its fixes made the model worse) says so in its message,
in its body with the reason, and in the test case's ``confirmed`` property, so a CI page
shows the doubt where it shows the finding.

Data can hold anything, and XML 1.0 cannot: characters it forbids (most control
characters, lone surrogates, U+FFFE/U+FFFF) are removed before the tree is serialised.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import TYPE_CHECKING, Any

from audit.version import TOOL_NAME
from audit.render.text import NOT_CONFIRMED
from audit.runner import CheckResult
from checks import Finding

if TYPE_CHECKING:  # only read for their attributes; the report imports this module
    from audit.report import AuditReport, Gate

MAX_ROWS_SHOWN = 20
SUITE_NAME = TOOL_NAME
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    """Text that XML 1.0 can hold: forbidden characters dropped."""
    return _NOT_XML.sub("", str(value))


def render_junit(report: AuditReport) -> str:
    gate = report.gate
    unconfirmed = report.unconfirmed
    cases = []
    for result in report.results:
        cases.append(_check_case(result))
        names: Counter[str] = Counter()
        for finding in result.findings:
            cases.append(_finding_case(report, gate, result, finding, names, unconfirmed.reason(finding)))
    counts = {
        "tests": len(cases),
        "failures": sum(c.find("failure") is not None for c in cases),
        "errors": sum(c.find("error") is not None for c in cases),
        "skipped": sum(c.find("skipped") is not None for c in cases),
    }
    duration = sum(r.duration_s for r in report.results)
    root = ET.Element("testsuites", _attrs(name=SUITE_NAME, time=f"{duration:.3f}", **counts))
    suite = ET.SubElement(root, "testsuite", _attrs(name=SUITE_NAME, time=f"{duration:.3f}", **counts))
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(report, gate):
        ET.SubElement(properties, "property", _attrs(name=name, value=value))
    suite.extend(cases)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _properties(report: AuditReport, gate: Gate) -> list[tuple[str, Any]]:
    properties = [("passed", str(gate.passed).lower()), ("exit_code", gate.exit_code), ("fail_on", gate.fail_on)]
    properties += [(f"{split}_path", path) for split, path in report.data.sources.items()]
    if report.baseline is not None and report.baseline.ran:
        properties.append(("baseline_verdict", report.baseline.verdict.text))
    return properties


def _check_case(result: CheckResult) -> ET.Element:
    case = ET.Element("testcase", _attrs(classname=f"{SUITE_NAME}.{result.check}", name=result.check,
                                         time=f"{result.duration_s:.3f}"))
    if result.status == "skipped":
        ET.SubElement(case, "skipped", _attrs(message=result.detail or "skipped"))
    elif result.status == "error":
        lines = [line for line in (result.detail or "").strip().splitlines() if line.strip()]
        error = ET.SubElement(case, "error", _attrs(message=lines[-1] if lines else "the check crashed",
                                                    type="crash"))
        error.text = xml_text(result.detail or "")
    else:
        found = len(result.findings)
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(f"ran; {found} finding{'' if found == 1 else 's'}")
    return case


def _finding_case(report: AuditReport, gate: Gate, result: CheckResult, finding: Finding,
                  names: Counter, not_confirmed: str | None) -> ET.Element:
    name = finding.code
    split = finding.metrics.get("split")
    if split:
        name += f" [{split}]"
    names[name] += 1
    if names[name] > 1:
        name += f" #{names[name]}"
    case = ET.Element("testcase", _attrs(classname=f"{SUITE_NAME}.{result.check}", name=name, time="0"))
    body = _finding_body(report, finding, not_confirmed)
    message = finding.message
    if not_confirmed is not None:
        message = f"[{NOT_CONFIRMED}] {message}"
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", _attrs(name="confirmed", value="false"))
        ET.SubElement(properties, "property", _attrs(name="not_confirmed_reason", value=not_confirmed))
    if gate.gates(finding):
        failure = ET.SubElement(case, "failure", _attrs(message=message, type=str(finding.severity)))
        failure.text = body
    else:
        out = ET.SubElement(case, "system-out")
        out.text = f"{finding.severity}: {body}"
    return case


def _finding_body(report: AuditReport, finding: Finding, not_confirmed: str | None) -> str:
    lines = [finding.message]
    if not_confirmed is not None:
        lines.append(f"{NOT_CONFIRMED} by the baseline: {not_confirmed}")
    status = report.status_of(finding)
    if status:
        lines.append(f"against the accepted findings: {status}")
    if finding.metrics:
        lines.append("metrics: " + ", ".join(f"{k}={v}" for k, v in finding.metrics.items()))
    for row in finding.rows[:MAX_ROWS_SHOWN]:
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    if len(finding.rows) > MAX_ROWS_SHOWN:
        where = report.rows_file(finding) or "the JSON report"
        lines.append(f"  ... {len(finding.rows) - MAX_ROWS_SHOWN} more rows in {where}")
    for column in finding.columns[:MAX_ROWS_SHOWN]:
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in column.items()))
    return xml_text("\n".join(lines))


def _attrs(**values: Any) -> dict[str, str]:
    return {key: xml_text(value) for key, value in values.items()}
