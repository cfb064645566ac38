"""Entry point of `fmnist-course`: parse arguments, dispatch, report errors.

Each subcommand lives in its own module `fmnist_course/cli/NAME_command.py`
with an `add_parser(subparsers)` function that registers it and sets `func`,
the function to run; modules are found automatically. Errors a user
can fix (missing files, bad data, unknown names) are printed as one line
starting with `error:` and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from fmnist_course import __version__
from fmnist_course import cli as cli_package
from fmnist_course.data import DataError

COMMAND_ORDER = ("data", "train", "predict")
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
    for command in command_modules():
        command.add_parser(subparsers)
    return parser


def command_modules() -> list:
    """The `*_command` modules of this package: the known ones first, in order."""
    names = [
        info.name
        for info in pkgutil.iter_modules(cli_package.__path__)
        if info.name.endswith("_command")
    ]
    ranked = sorted(
        names,
        key=lambda name: (
            COMMAND_ORDER.index(name[: -len("_command")])
            if name[: -len("_command")] in COMMAND_ORDER
            else len(COMMAND_ORDER),
            name,
        ),
    )
    return [
        importlib.import_module(f"{cli_package.__name__}.{name}") for name in ranked
    ]


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
