"""One role a column: the label, the id, the group, the time, the split or an ignored column.

A column named in two roles contradicts itself: a label that is also the group column would
be checked for leakage against itself, an ignored label would leave nothing to audit, a
label that is also the split column says which split a row is in, not its class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.errors import InputError

if TYPE_CHECKING:
    from audit.config import Settings

# Each role's setting, with the flag and the words a message uses for it.
ROLE_SETTINGS = (("label", "--label", "the label"), ("id_column", "--id-column", "the id column"),
                 ("group_column", "--group-column", "the group column"),
                 ("time_column", "--time-column", "the time column"),
                 ("split_column", "--split-column", "the split column"), ("ignore", "--ignore", "an ignored column"))


def refuse_contradictory_roles(settings: Settings, source: str | None = None) -> None:
    """Refuse a column given two roles, naming both (the flag and the config key)."""
    seen: dict[str, tuple[str, str, str]] = {}
    for name, flag, words in ROLE_SETTINGS:
        value = getattr(settings, name)
        for column in (value if isinstance(value, tuple) else (value,)):
            if not column:
                continue
            if column in seen and seen[column][0] != name:
                first_name, first_flag, first_words = seen[column]
                where = f"{source}: " if source else ""
                raise InputError(
                    f"{where}the column {column!r} is both {first_words} ({first_flag} or {first_name}) and "
                    f"{words} ({flag} or {name}); a column has one role: name another column for one of them")
            seen.setdefault(column, (name, flag, words))
