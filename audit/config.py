"""Settings from ``audit.toml`` or ``[tool.audit]`` in ``pyproject.toml``, merged under the flags.

Precedence is defaults < file < command-line flags (or ``run_audit``'s keyword arguments).
Every unknown key and bad value is an :class:`InputError` naming the file, the key, what is
allowed and what was found, so a typo in a pipeline's config fails loudly instead of
silently auditing with defaults. :func:`configure` does it all once a run: it reads the
file, lays the overrides over it, and builds the checks the settings select.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.evidence import DEFAULT_MAX_EVIDENCE_ROWS
from audit.images.pretrained import IMAGE_MODELS
from audit.readers import closest_names
from audit.runner import default_checks
from audit.training.networks import NETWORKS
from audit.validate.flags import SEED_MAX
from audit.validate.roles import refuse_contradictory_roles
from checks import REGISTRY, Check

SEVERITY_NAMES = ("info", "warn", "fail")


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told, with the defaults a run gets when nothing is said."""

    label: str | None = None
    id_column: str | None = None
    group_column: str | None = None
    time_column: str | None = None
    ignore: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    split_column: str | None = None
    checks: tuple[str, ...] | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str = "fail"
    out: str = "reports"
    seed: int = 0
    allow_errors: bool = False
    accepted: str | None = None
    accept_tolerance: int = 0
    baseline: dict[str, Any] = field(default_factory=dict)
    max_evidence_rows: int = DEFAULT_MAX_EVIDENCE_ROWS
    """Rows of a finding the JSON report holds; the rest are in a side file (:mod:`audit.evidence`)."""
    images: dict[str, Any] = field(default_factory=dict)
    """[images]: ``model`` (as ``--image-model``) and ``cnn_budget_s`` (as ``--cnn-budget``)."""

    def merged(self, overrides: dict[str, Any]) -> "Settings":
        """These settings with every override that was actually given (not None)."""
        given = {k: v for k, v in overrides.items() if v is not None and k in SETTING_NAMES}
        return replace(self, **given)

    def to_dict(self) -> dict[str, Any]:
        # Declared text columns, image settings, and an evidence cap other than the default, are
        # listed only when given, so reports of runs without them read as they always have.
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)
                if (f.name not in ("text_columns", "images") or getattr(self, f.name))
                and (f.name != "max_evidence_rows" or self.max_evidence_rows != DEFAULT_MAX_EVIDENCE_ROWS)}


SETTING_NAMES = tuple(f.name for f in fields(Settings))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Configuration:
    """One run's settings, merged once, and the checks they select, built once from them."""

    settings: Settings
    checks: tuple[Check, ...]
    source: str | None = None
    """The config file the settings came from, for messages; None without one."""

    def check_named(self, name: str) -> Check:
        """The check called ``name``: the one built for the run, else one built now from its parameters."""
        for check in self.checks:
            if check.name == name:
                return check
        return build_checks([name], self.settings.params, self.source)[0]


def configure(config: "Settings | dict | str | Path | None", overrides: dict[str, Any], *,
              accepted_default: str | None = None) -> Configuration:
    """The settings of a run and its checks: the config, then every override given (not None).

    ``config`` is a :class:`Settings`, a config table, a config file path, or None for the
    files found in the working folder (audit.toml, then pyproject.toml's [tool.audit]). A
    ``baseline`` override is laid over the config's [baseline] table key by key;
    ``accepted_default`` is the accepted-findings file to use when neither sets one. A bad
    check name or parameter is an :class:`InputError` naming the file it came from.
    """
    base, source = read_config(config)
    overrides = validated_overrides(overrides)
    accepted = overrides.get("accepted")
    if accepted is None and base.accepted is None:
        accepted = accepted_default
    baseline = overrides.get("baseline")
    settings = base.merged({**overrides, "accepted": accepted,
                            "baseline": {**base.baseline, **baseline} if baseline else None})
    check_codes_known(settings, {code for check in REGISTRY.values() for code in check.codes}, source)
    refuse_contradictory_roles(settings, source)
    return Configuration(settings, build_checks(settings.checks, settings.params, source), source)


def validated_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides (flags, or ``run_audit``'s keyword arguments) checked as a config file's values are.

    ``accepted`` is left as given: an empty string there means "no accepted findings".
    """
    checked = dict(overrides)
    for key, value in overrides.items():
        if value is not None and key in VALIDATORS and key != "accepted":
            checked[key] = VALIDATORS[key](list(value) if isinstance(value, tuple) else value, f"setting {key}")
    return checked


def build_checks(names: Iterable[str] | None, params: dict[str, dict[str, Any]], source: str | None) -> tuple[Check, ...]:
    """The checks named (all without names), each built once; a bad name or parameter names its file."""
    try:
        return tuple(default_checks(names, params))
    except ValueError as error:  # CheckParameterError included
        raise InputError(f"{source}: {error}" if source else str(error)) from None


def read_config(config: "Settings | dict | str | Path | None") -> tuple[Settings, str | None]:
    """The settings a config gives, and the file they came from (None for defaults or a Settings)."""
    if isinstance(config, Settings):
        return config, None
    if isinstance(config, dict):
        return settings_from_table(config, "config"), "config"
    table, source = find_config(Path(config) if config is not None else None)
    if config is None and source:
        refuse_found_code(table, source)
    return (settings_from_table(table, source) if source else Settings()), source


def find_config(explicit: Path | None, folder: Path = Path(".")) -> tuple[dict[str, Any], str | None]:
    """The config table and the file it came from: ``--config``, else audit.toml, else pyproject.toml."""
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(f"{explicit}: no such config file; check the --config path")
        return read_table(explicit), str(explicit)
    for candidate in (folder / "audit.toml", folder / "pyproject.toml"):
        if candidate.is_file():
            table = read_table(candidate)
            if table or candidate.name == "audit.toml":
                return table, str(candidate)
    return {}, None


def refuse_found_code(table: dict[str, Any], source: str) -> None:
    """A config found in the working folder may not name code to run.

    ``baseline.model_file`` is executed. The working folder may hold a downloaded dataset
    with its own audit.toml, so only a file the user names (``--model-file``, or
    ``--config`` for a file that sets it) may make the audit run code.
    """
    baseline = table.get("baseline")
    if isinstance(baseline, dict) and baseline.get("model_file"):
        raise InputError(
            f"{source}: baseline.model_file names Python code to run ({baseline['model_file']!r}), and this "
            f"file was found in the working folder, not named; pass --config {source} (or --model-file) "
            f"if you trust it"
        )


def read_table(path: Path) -> dict[str, Any]:
    """An ``audit.toml`` is the table itself; a ``pyproject.toml`` holds it under [tool.audit]."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark is no syntax error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid TOML ({error}); fix the file's syntax") from None
    if path.name == "pyproject.toml":
        return document.get("tool", {}).get("audit", {})
    return document


def settings_from_table(table: dict[str, Any], source: str) -> Settings:
    """Validate a config table key by key and build :class:`Settings` from it."""
    where = f"{source}: [tool.audit]" if source.endswith("pyproject.toml") else source
    return Settings(**validated(table, VALIDATORS, where, ": "))


def validated(table: dict[str, Any], validators: dict[str, Any], where: str, joiner: str) -> dict[str, Any]:
    """Each key of ``table`` checked by its validator; an unknown key names the closest known one."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in validators:
            raise InputError(f"{where}: unknown key {key!r}; {closest_names(key, tuple(validators))}")
        values[key] = validators[key](value, f"{where}{joiner}{key}")
    return values


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{where} must be a non-empty string; got {value!r}")
    return value


def _text_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"{where} must be a list of strings; got {value!r}")
    return tuple(value)


def _choice(allowed: tuple[str, ...]):
    def validate(value: Any, where: str) -> str:
        if value not in allowed:
            raise InputError(f"{where} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
        return value
    return validate


def _integer(minimum: int, maximum: int | None = None):
    def validate(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InputError(f"{where} must be an integer >= {minimum}; got {value!r}")
        if maximum is not None and value > maximum:
            raise InputError(f"{where} must be an integer from {minimum} to {maximum:,}; got {value!r}")
        return value
    return validate


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where} must be true or false; got {value!r}")
    return value


def _tables(value: Any, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise InputError(f"{where} must be a table of tables, e.g. [tool.audit.params.duplicates]; got {value!r}")
    return value


def _severities(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a table of finding code = severity; got {value!r}")
    for code, severity in value.items():
        _choice(SEVERITY_NAMES)(severity, f"{where}.{code}")
    return value


def _positive_number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
        raise InputError(f"{where} must be a positive number; got {value!r}")
    return value


def _baseline(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a table; got {value!r}")
    return validated(value, BASELINE_VALIDATORS, where, ".")


BASELINE_VALIDATORS = {
    "enabled": _boolean, "model": _choice(tuple(NETWORKS)), "model_file": _text, "seeds": _integer(1), "epochs": _integer(1),
    "patience": _integer(1), "time_budget_s": _positive_number, "attribute": _boolean,
}

def _images(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a table; got {value!r}")
    return validated(value, IMAGES_VALIDATORS, where, ".")


IMAGES_VALIDATORS = {"model": _choice(IMAGE_MODELS), "cnn_budget_s": _positive_number}

VALIDATORS = {
    "label": _text, "id_column": _text, "group_column": _text, "time_column": _text,
    "ignore": _text_list, "text_columns": _text_list, "split_column": _text, "checks": _text_list, "params": _tables,
    "severity": _severities, "fail_on": _choice(("warn", "fail")), "out": _text,
    "seed": _integer(0, SEED_MAX), "allow_errors": _boolean, "accepted": _text, "accept_tolerance": _integer(0),
    "baseline": _baseline, "max_evidence_rows": _integer(1), "images": _images,
}


def check_codes_known(settings: Settings, known_codes: set[str], source: str | None) -> None:
    """Severity overrides must name real finding codes: a typo would silently do nothing."""
    for code in settings.severity:
        if code not in known_codes:
            where = f"{source}: severity" if source else "severity"
            raise InputError(f"{where}: unknown finding code {code!r}; {closest_names(code, sorted(known_codes))}")
