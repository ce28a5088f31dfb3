"""The one error type for bad input, turned into a single line and exit code 2 by the CLI."""


class InputError(Exception):
    """Input the audit cannot use: the message names the file, column or row, and the fix.

    Raised for anything the user can correct (a missing file, a ragged row, a misspelt
    column); never for a bug, which should surface as a traceback under ``--debug``.
    """
