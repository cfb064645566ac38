"""Entry point of `fmnist-course`: parse arguments, dispatch, report errors.

Each subcommand lives in its own module `fmnist_course/cli/NAME_command.py`
with an `add_parser(subparsers)` function that registers it and sets `func`,
the function to run. `COMMANDS` lists them, with the one-line help that
`fmnist-course --help` shows, so `--help` imports none of them (and no
TensorFlow): only the chosen command's module is imported.

Errors a user can fix are printed as one line starting with `error:` and exit
with status 2: a `UserError` (such as `DataError`, or a missing optional
dependency), a missing file or one that would be overwritten, and a
`ValueError` that the library's own checks raise (see `is_user_error`). Any
other exception is a bug and keeps its traceback: a `ValueError` from NumPy or
Keras, an `OSError` that is not about a path the user gave.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fmnist_course._version import __version__
from fmnist_course.errors import MissingExtraError, UserError, missing_extra_message
from fmnist_course.quiet import import_keras_quietly
from fmnist_course.settings import quiet_tensorflow_logs


@dataclass(frozen=True)
class Command:
    """One subcommand as `--help` lists it.

    Attributes:
        module: The module that defines it (`add_parser` and the function run).
        help: The one-line help, the same as the module registers.
        extra: The extra of `fmnist-course` it needs beyond the core
            dependencies (`None`: the core dependencies suffice).
        tensorflow: Whether it uses TensorFlow; `main` then imports it first,
            without its start-up chatter (`fmnist_course.quiet`).

    """

    module: str
    help: str
    extra: str | None = None
    tensorflow: bool = True


COMMANDS: dict[str, Command] = {
    "data": Command(
        "fmnist_course.cli.data_command",
        "find, verify and summarise the Fashion-MNIST files",
        tensorflow=False,
    ),
    "train": Command(
        "fmnist_course.cli.train_command",
        "train a course model and save it in a new run directory",
    ),
    "predict": Command(
        "fmnist_course.cli.predict_command",
        "classify image files with a trained model",
    ),
    "tune": Command(
        "fmnist_course.cli.tune_command",
        "search hyperparameters (grid, random or successive halving)",
    ),
    "bench": Command(
        "fmnist_course.cli.bench_command",
        "measure accuracy, speed and time to accuracy into results.json",
    ),
    "exercises": Command(
        "fmnist_course.cli.exercises_command",
        "build student and instructor notebooks of the lessons' exercises",
        extra="notebooks",
    ),
    "grade": Command(
        "fmnist_course.cli.grade_command",
        "grade students' notebooks in a sandbox, with feedback",
        extra="notebooks",
    ),
    "notebooks": Command(
        "fmnist_course.cli.notebooks_command",
        "build or check the solution-free student notebooks in notebooks/",
        extra="notebooks",
    ),
    "site": Command(
        "fmnist_course.cli.site_command",
        "build the course website",
        extra="docs",
    ),
}
"""Every subcommand, in the order `--help` lists them."""

USER_ERRORS = (UserError, FileNotFoundError, FileExistsError)
"""What main prints in one line: errors about what the user gave, not bugs."""

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def is_user_error(error: BaseException) -> bool:
    """Whether `main` shows `error` in one line rather than as a bug.

    `USER_ERRORS` are; so is a `ValueError` raised by a check of the library
    itself (the innermost frame of its traceback is in `fmnist_course`), whose
    message says what was received and expected. Such checks should raise
    `UserError`; until every one does, this keeps their one-line messages. A
    `ValueError` raised inside NumPy, Keras or the standard library is a bug.

    Examples:
        >>> is_user_error(FileNotFoundError("No model at x.keras."))
        True
        >>> try:
        ...     int("seven")
        ... except ValueError as error:
        ...     is_user_error(error)
        False

    """
    if isinstance(error, USER_ERRORS):
        return True
    if not isinstance(error, ValueError) or error.__traceback__ is None:
        return False
    innermost = error.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    raised_in = Path(innermost.tb_frame.f_code.co_filename).resolve()
    return raised_in.is_relative_to(PACKAGE_DIR)


def load_command(name: str) -> ModuleType:
    """Import the module of one subcommand.

    Raises:
        MissingExtraError: The module needs an optional dependency that is not
            installed; the message names the extra to install.

    """
    command = COMMANDS[name]
    try:
        return importlib.import_module(command.module)
    except ModuleNotFoundError as error:
        if command.extra is None or (error.name or "").startswith("fmnist_course"):
            raise
        raise MissingExtraError(
            missing_extra_message(name, error.name, command.extra)
        ) from error


def chosen_command(argv: list[str]) -> str | None:
    """The subcommand named in `argv`: its first word that is not an option."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `fmnist-course` and its subcommands.

    Args:
        commands: The subcommands whose modules are imported to register
            their full parsers (default: all). The others are listed with
            their one-line help only, without importing anything:
            `main` passes just the command it runs (none for `--help`).

    Examples:
        >>> parser = build_parser([])  # what `fmnist-course --help` shows
        >>> parser.prog
        'fmnist-course'

    """
    commands = set(COMMANDS if commands is None else commands)
    parser = argparse.ArgumentParser(
        prog="fmnist-course",
        description="Fashion-MNIST course: data, training, prediction, "
        "notebooks and the website.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name, entry in COMMANDS.items():
        if name in commands:
            load_command(name).add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=entry.help)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    quiet_tensorflow_logs()
    argv = sys.argv[1:] if argv is None else list(argv)
    command = chosen_command(argv)
    try:
        if command and COMMANDS[command].tensorflow:
            import_keras_quietly()
        args = build_parser([command] if command else []).parse_args(argv)
        return int(args.func(args) or 0)
    except (*USER_ERRORS, ValueError) as error:
        if not is_user_error(error):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        extra = COMMANDS[command].extra if command else None
        if extra is None or (error.name or "").startswith("fmnist_course"):
            raise
        print(
            f"error: {missing_extra_message(command, error.name, extra)}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
