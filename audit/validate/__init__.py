"""Refusals made before any work: flags, roles, the files a run reads and the paths it writes.

Each function raises :class:`~audit.errors.InputError` (or argparse's type error for a flag)
with one line naming the file, column, flag or setting and what to do, so a mistake the
user can fix is exit code 2 before a check has run, never a traceback or a lost file.
"""
