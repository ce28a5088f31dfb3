"""The tool's name and version, importable without loading anything else.

``audit --version``, the reports' ``tool`` entry and the package metadata all read them here
(``pyproject.toml`` takes the version from this file).
"""

TOOL_NAME = "dataset-audit"
__version__ = "0.1.0"
