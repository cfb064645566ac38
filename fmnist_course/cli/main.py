"""Entry point of `fmnist-course`: parse arguments, dispatch, report errors.

Each subcommand lives in its own module with an `add_parser(subparsers)`
function that registers it and sets `func`, the function to run. Errors a user
can fix (missing files, bad data, unknown names) are printed as one line
starting with `error:` and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from fmnist_course import __version__
from fmnist_course.cli import data_command, predict_command, train_command
from fmnist_course.data import DataError

COMMANDS = (data_command, train_command, predict_command)
USER_ERRORS = (DataError, ValueError, FileNotFoundError, FileExistsError, OSError)


def build_parser() -> argparse.ArgumentParser:
    """The parser for `fmnist-course` and all its subcommands."""
    parser = argparse.ArgumentParser(
        prog="fmnist-course",
        description="Fashion-MNIST course: data, training, prediction.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
