"""`fmnist-course grade SUBMISSION... --out grades.csv`: run and score notebooks."""

from __future__ import annotations

import argparse

from fmnist_course.exercises.grading import (
    FAST_TIMEOUT,
    FULL_TIMEOUT,
    SubmissionGrade,
    grade_submissions,
)


def add_parser(subparsers) -> None:
    """Register the `grade` subcommand."""
    parser = subparsers.add_parser(
        "grade",
        help="run students' notebooks and write a score table and feedback",
        description="Execute each submitted notebook on a copy (the file is never "
        "modified), record every check() it runs, and write a CSV table (one "
        "row per student, one column per exercise) plus feedback/<student>.md "
        "next to it. A notebook that crashes or times out is graded as far as "
        "it ran; a broken file does not stop the others.",
    )
    parser.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help=".ipynb files, or directories whose *.ipynb are graded",
    )
    parser.add_argument(
        "--out", required=True, help="the CSV table to write (must not exist)"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        help=f"seconds allowed per cell (default {FAST_TIMEOUT}, "
        f"or {FULL_TIMEOUT} with --full)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="run full-length training instead of fast mode (FMNIST_FAST=1); "
        "slow: hours per notebook on a CPU",
    )
    parser.set_defaults(func=run)


def _report(grade: SubmissionGrade) -> None:
    line = f"{grade.student}: {grade.total}/{len(grade.exercises)}"
    if grade.problem:
        line += f"  ({grade.problem})"
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    """Grade the submissions and say where the table and feedback are."""
    if args.timeout is not None and args.timeout < 1:
        raise ValueError(f"Expected --timeout >= 1 second. Received: {args.timeout}")
    grades = grade_submissions(
        args.submissions,
        out_csv=args.out,
        timeout_per_cell=args.timeout,
        fast=not args.full,
        progress=_report,
    )
    print(f"graded {len(grades)} submissions: {args.out} and feedback/ beside it")
    return 0
