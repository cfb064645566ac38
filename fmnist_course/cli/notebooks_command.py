"""`fmnist-course notebooks build|check`: the student notebooks in notebooks/."""

from __future__ import annotations

import argparse
import sys

from fmnist_course.authoring.lesson_files import LESSONS_DIR
from fmnist_course.authoring.student_notebooks import (
    STUDENT_NOTEBOOKS_DIR,
    build_student_notebooks,
    stale_student_notebooks,
)


def add_parser(subparsers) -> None:
    """Register the `notebooks` subcommand and its `build` and `check` actions."""
    parser = subparsers.add_parser(
        "notebooks",
        help="build or check the solution-free student notebooks in notebooks/",
        description="The student notebooks that 'Open in Colab' opens: each "
        "lesson without its solutions, with a setup cell that installs the "
        "course where it is missing.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    build = actions.add_parser(
        "build",
        help="write notebooks/NN_name.ipynb from lessons/NN_name.py",
        description="Write the student notebook of every lesson. The folder is "
        "the generator's own: its notebooks are overwritten, and those of "
        "lessons that no longer exist are removed; other files are kept.",
    )
    check = actions.add_parser(
        "check",
        help="exit 1 when notebooks/ differs from what the lessons give",
        description="Compare the student notebooks with the lessons; nothing "
        "is written.",
    )
    for action in (build, check):
        action.add_argument(
            "--out",
            default=str(STUDENT_NOTEBOOKS_DIR),
            help="the student notebooks' folder (default: the checkout's notebooks/)",
        )
        action.add_argument(
            "--lessons-dir",
            default=str(LESSONS_DIR),
            help="where the NN_name.py lessons are (default: the checkout's)",
        )
    build.set_defaults(func=run_build)
    check.set_defaults(func=run_check)


def run_build(args: argparse.Namespace) -> int:
    """Write the student notebooks and say where."""
    written = build_student_notebooks(args.out, args.lessons_dir)
    print(f"wrote {len(written)} student notebooks to {args.out}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Print what is out of date; exit 1 if anything is."""
    problems = stale_student_notebooks(args.out, args.lessons_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Run: fmnist-course notebooks build (or make notebooks)", file=sys.stderr)
        return 1
    print(f"the student notebooks in {args.out} are up to date")
    return 0
