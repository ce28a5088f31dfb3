"""What ``audit checks`` prints: one line a check with the finding codes it emits, or one check's
documentation (its docstring sections and its parameters with their defaults)."""

from __future__ import annotations

import inspect
import textwrap

from checks import REGISTRY
from checks.base import DOC_SECTIONS, Check


def check_listing() -> str:
    """One line a check: its name, what it detects, and the finding codes it emits."""
    width = max(len(name) for name in REGISTRY)
    lines = []
    for name, check in REGISTRY.items():
        codes = ", ".join(check.codes)
        lines.append(f"{name:<{width}}  {check.description()}" + (f" [codes: {codes}]" if codes else ""))
    lines.append("`audit checks NAME` prints a check's documentation, parameters and defaults.")
    return "\n".join(lines)


def check_page(check: type[Check]) -> str:
    """A check's docstring sections, the codes it emits, and every parameter with its default."""
    lines = [check.name, "=" * len(check.name), check.description(), ""]
    if check.codes:
        lines += [f"Finding codes: {', '.join(check.codes)}", ""]
    sections = check.doc_sections()
    for section in DOC_SECTIONS:
        if section != "Parameters" and sections.get(section):
            lines += [f"{section}:", block(sections[section]), ""]
    defaults = parameter_defaults(check)
    if defaults or sections.get("Parameters"):
        lines.append(f"Parameters (default in brackets; set them under [params.{check.name}] in audit.toml):")
        described = block(sections.get("Parameters") or "").splitlines()
        for i, line in enumerate(described):
            name = line.strip().split(":", 1)[0]
            if line.startswith("  ") and not line.startswith("   ") and name in defaults:
                described[i] = line.replace(f"{name}:", f"{name} [{defaults.pop(name)!r}]:", 1)
        lines += [line for line in described if line.strip()]
        lines += [f"  {name} [{default!r}]" for name, default in defaults.items()]
    return "\n".join(lines).rstrip() + "\n"


def block(section: str) -> str:
    """A docstring section indented by two: its continuation lines keep their indent relative to
    the first line's (which the docstring does not indent)."""
    first, *rest = section.strip("\n").splitlines()
    body = [first.strip(), *textwrap.dedent("\n".join(rest)).splitlines()]
    return textwrap.indent("\n".join(body), "  ")


def parameter_defaults(check: type[Check]) -> dict[str, object]:
    signature = inspect.signature(check.__init__)
    return {name: p.default for name, p in signature.parameters.items()
            if name != "self" and p.default is not inspect.Parameter.empty}
