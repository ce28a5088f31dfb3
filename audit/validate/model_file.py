"""A ``--model-file`` read before any work, and its errors said in one line when it runs.

The file is parsed (not run) first, so a syntax error or a missing or misshapen
``build_model(n_features, n_classes)`` stops the run at once instead of after the audit.
When it runs, whatever it raises, including ``sys.exit()``, is the file's fault: one line
naming the file and the line, exit code 2, never a traceback or a silent exit.
"""

from __future__ import annotations

import ast
import contextlib
import traceback
from collections.abc import Iterator
from pathlib import Path

from audit.errors import InputError

BUILD_FUNCTION = "build_model"


def check_model_file(path: str | Path) -> None:
    """Refuse a model file that is missing, not Python, or without ``build_model(n_features, n_classes)``."""
    path = Path(path)
    if not path.is_file():
        from audit.validate.files import refuse_missing

        refuse_missing(path, "--model-file takes a .py file defining build_model(n_features, n_classes)")
        raise InputError(f"{path}: not a file; --model-file takes a .py file defining "
                         f"build_model(n_features, n_classes)")
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as error:
        raise InputError(f"{path}: line {error.lineno}: {error.msg}; fix the model file's syntax") from None
    except ValueError as error:  # a NUL byte, for one
        raise InputError(f"{path}: is not Python source ({error}); give a .py file") from None
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == BUILD_FUNCTION]
    if not functions:
        raise InputError(f"{path}: defines no top-level {BUILD_FUNCTION}(n_features, n_classes); add it, "
                         f"returning a keras.Model")
    arguments = functions[-1].args
    positional = len(arguments.posonlyargs) + len(arguments.args)
    required = positional - len(arguments.defaults)
    if arguments.vararg is None and positional < 2 or required > 2:
        raise InputError(f"{path}: line {functions[-1].lineno}: {BUILD_FUNCTION} takes {positional} positional "
                         f"argument(s) ({required} required); it is called as {BUILD_FUNCTION}(n_features, "
                         f"n_classes)")


@contextlib.contextmanager
def model_file_errors(path: str | Path, doing: str) -> Iterator[None]:
    """Whatever the user's code raises while ``doing`` becomes one line naming its file and line."""
    try:
        yield
    except (KeyboardInterrupt, InputError):
        raise
    except SystemExit as error:
        raise InputError(f"{path}: called sys.exit({error.code!r}) while {doing}; a model file must "
                         f"define {BUILD_FUNCTION}, not end the program") from None
    except BaseException as error:
        raise InputError(f"{path}: {where_in(error, path)}{type(error).__name__} while {doing}: "
                         f"{str(error).strip() or 'no message'}; fix the model file") from None


def where_in(error: BaseException, path: str | Path) -> str:
    """``line N: `` for the deepest frame of the error inside the model file, if any."""
    target = str(Path(path).resolve())
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
             if frame.filename and str(Path(frame.filename).resolve()) == target]
    return f"line {lines[-1]}: " if lines else ""
