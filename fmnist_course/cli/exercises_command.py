"""`fmnist-course exercises build --out DIR`: student and instructor notebooks."""

from __future__ import annotations

import argparse

from fmnist_course.authoring.lesson_files import LESSONS_DIR, lesson_paths
from fmnist_course.errors import UserError
from fmnist_course.grading.handouts import build_exercises


def add_parser(subparsers) -> None:
    """Register the `exercises` subcommand and its `build` action."""
    parser = subparsers.add_parser(
        "exercises",
        help="build student and instructor notebooks of the lessons' exercises",
        description="Work with the lessons' exercises.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    build = actions.add_parser(
        "build",
        help="write student notebooks, instructor notebooks and an index",
        description="Write OUT/student/*.ipynb (solutions replaced by stubs), "
        "OUT/instructor/*.ipynb (with solutions), OUT/index.md + index.csv, "
        "the assignment `fmnist-course grade --assignment OUT` scores against "
        "(OUT/assignment.json and the graded checks in OUT/graded/), and an "
        "nbgrader course folder (OUT/nbgrader/). OUT must be new or empty: "
        "nothing is overwritten.",
    )
    build.add_argument("--out", required=True, help="a new (or empty) directory")
    build.add_argument(
        "--lessons-dir",
        default=str(LESSONS_DIR),
        help="where the NN_name.py lesson scripts are (default: the course's)",
    )
    build.add_argument(
        "--graded-dir",
        default=None,
        help="where the graded checks lesson_NN.py are (default: the course's "
        "graded/ folder)",
    )
    build.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the notebooks and report what was written."""
    lessons = lesson_paths(args.lessons_dir)
    if not lessons:
        raise UserError(
            f"No lesson scripts (NN_name.py) in {args.lessons_dir}. Building "
            "exercises needs the lesson sources, which a pip install does not "
            "include: run it in a checkout of the course repository, or pass "
            "--lessons-dir DIR."
        )
    written = build_exercises(args.out, lessons, graded_dir=args.graded_dir)
    print(
        f"wrote {len(written['student'])} student and "
        f"{len(written['instructor'])} instructor notebooks to {args.out}"
    )
    for path in written["index"]:
        print(f"index: {path}")
    print(
        f"assignment: {written['assignment'][0]} (grade with --assignment {args.out})"
    )
    print(f"nbgrader course folder: {written['nbgrader'][0].parent}")
    return 0
