"""The kinds a Spark column is typed as, and how a column name is quoted for Spark.

Shared by the loader, which decides each column's kind, and by every module that reads the
typed splits (:mod:`audit.spark.identifiers`, the checks): they depend on these names, not on
the loader.
"""

from __future__ import annotations

INTEGER, FLOAT, BOOLEAN, TEXT, DATETIME = "integer", "float", "boolean", "text", "datetime"
NUMERIC_KINDS = (INTEGER, FLOAT, BOOLEAN)


def quoted(name: str) -> str:
    """A column name quoted for Spark (dots and spaces in names are not paths)."""
    return f"`{name.replace('`', '``')}`"
