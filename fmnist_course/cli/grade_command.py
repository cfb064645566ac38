"""`fmnist-course grade SUBMISSION... --assignment DIR --out grades.csv`."""

from __future__ import annotations

import argparse
import sys

from fmnist_course.errors import UserError
from fmnist_course.parallel import default_workers


def add_parser(subparsers) -> None:
    """Register the `grade` subcommand."""
    parser = subparsers.add_parser(
        "grade",
        help="grade students' notebooks in a sandbox, with feedback",
        description="Run each student's notebooks in a bubblewrap sandbox (no "
        "network, no view of other files, limited time, memory and processes), "
        "score the answers their check() calls exported with the assignment's "
        "graded checks, and write, next to --out: grades.jsonl (one line per "
        "student as soon as graded), grades.csv, summary.md, feedback/ and "
        "executed/. A file is one student; in a folder, each file and each "
        "sub-folder (all its notebooks) is one student.",
    )
    parser.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help="notebooks, or folders of submissions",
    )
    parser.add_argument(
        "--assignment",
        required=True,
        metavar="DIR",
        help="what `fmnist-course exercises build --out DIR` wrote "
        "(assignment.json and graded/)",
    )
    parser.add_argument(
        "--out", required=True, help="the CSV table to write (must not exist)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"students graded at once (default: the cores, {default_workers()})",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on the Dask cluster at ADDRESS (tls://HOST:8786, with "
        "mutual TLS set in Dask's configuration), one task per student, "
        "sandboxed on its worker; DASK_SCHEDULER_ADDRESS works too. Needs the "
        "cluster extra on every machine: pip install 'fmnist-course[cluster]'",
    )
    parser.add_argument(
        "--insecure-cluster",
        action="store_true",
        help="accept a plain tcp:// scheduler: anyone who can reach it can run "
        "code on its workers and rewrite grades; only where no one else can",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted grading into the same --out; students already "
        "in its ledger (grades.jsonl) are not graded again",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run notebooks without isolation, where bubblewrap cannot run; only "
        "for code you trust (the table records the mode)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        help="seconds allowed per notebook, all cells together (default 900, "
        "or 6 hours with --full)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="run full-length training instead of fast mode (FMNIST_FAST=1)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Grade the submissions and say where the results are."""
    from fmnist_course.grading.grade import grade_submissions
    from fmnist_course.grading.sandbox import Limits

    if args.timeout is not None and args.timeout < 1:
        raise ValueError(f"Expected --timeout >= 1 second. Received: {args.timeout}")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"Expected --workers >= 1. Received: {args.workers}")
    limits = Limits(seconds=args.timeout) if args.timeout else None
    try:
        records = grade_submissions(
            args.submissions,
            assignment=args.assignment,
            out_csv=args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            sandbox=not args.no_sandbox,
            resume=args.resume,
            limits=limits,
            fast=not args.full,
            allow_insecure_cluster=args.insecure_cluster,
        )
    except ImportError as error:  # --scheduler without Dask: one line, no bug
        raise UserError(str(error)) from None
    except KeyboardInterrupt:
        print(
            "interrupted: every student graded so far is in the ledger next to "
            f"{args.out}; run the same command with --resume to finish",
            file=sys.stderr,
        )
        raise
    for record in sorted(records, key=lambda r: r["student"]):
        line = f"{record['student']}: {record['total']:g}"
        if record.get("problem"):
            line += f"  ({record['problem']})"
        print(line)
    print(
        f"graded {len(records)} students: {args.out}, summary.md, feedback/ and "
        "executed/ beside it"
    )
    return 0
