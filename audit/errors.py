"""How a run ends when it does not end with a report: the input error, and the exit codes."""


class InputError(Exception):
    """Input the audit cannot use: the message names the file, column or row, and the fix.

    Raised for anything the user can correct (a missing file, a ragged row, a misspelt
    column, a bad value in the config or a flag); never for a bug. The command line turns it
    into one line and exit code 2; any other exception is a crash (traceback, exit code 3).
    """


class ExitCode:
    """The process exit codes, one meaning each, as the README's table documents them."""

    PASSED = 0
    GATE_FAILED = 1
    USAGE_ERROR = 2
    CHECK_CRASHED = 3  # a check crashed (a result in the report), or the audit itself did (a bug)
    INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
