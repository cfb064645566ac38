"""How fast `fmnist-course grade` goes: seconds per submission, 1 and 2 workers.

The benchmark builds the exercises, takes the solved (instructor) notebooks of
a few short lessons as submissions, and grades the same class once per worker
count, in the sandbox and in fast mode, each time into a fresh directory. It
records seconds per submission and the speed-up over one worker in
`benchmarks/results.json` under `grading`.

Examples:
    >>> result = run_grading_benchmark(workers_list=(1, 2))  # doctest: +SKIP
    >>> sorted(result["runs"])  # doctest: +SKIP
    ['1', '2']

"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from fmnist_course.authoring.lesson_files import LESSONS_DIR
from fmnist_course.grading.grade import grade_submissions
from fmnist_course.grading.handouts import build_exercises
from fmnist_course.grading.sandbox import Limits
from fmnist_course.machine import describe_machine
from fmnist_course.results import RESULTS_PATH, update_results

DEFAULT_LESSONS = ("00_the_data", "03_dropout")
"""Short lessons in fast mode: the data, and a lesson with small trainings."""


def run_grading_benchmark(
    workers_list: Iterable[int] = (1, 2),
    *,
    lessons: Iterable[str] = DEFAULT_LESSONS,
    copies: int = 2,
    sandbox: bool = True,
    results_path: str | os.PathLike | None = RESULTS_PATH,
) -> dict:
    """Grade the same class with each worker count; return (and record) timings.

    Args:
        workers_list: Worker counts to try, in order.
        lessons: Lesson stems whose solved notebooks are the submissions.
        copies: Students per lesson (each hands in the solved notebook).
        sandbox: Grade in bubblewrap (as a class would be).
        results_path: Where to record the `grading` section; `None` records
            nothing.

    Returns:
        `{"submissions", "lessons", "machine", "runs": {workers: {"seconds",
        "seconds_per_submission", "speedup", "total_points"}}}`.

    Raises:
        ValueError: No worker count, or one below 1.

    """
    workers_list = list(workers_list)
    if not workers_list or min(workers_list) < 1:
        raise ValueError(f"Expected worker counts >= 1. Received: {workers_list}")
    lessons = list(lessons)
    load_before = os.getloadavg()[0]  # other work on a shared machine slows grading
    with tempfile.TemporaryDirectory(prefix="fmnist-bench-grading-") as directory:
        root = Path(directory)
        build_exercises(
            root / "handout", [LESSONS_DIR / f"{name}.py" for name in lessons]
        )
        submissions = root / "submissions"
        submissions.mkdir()
        for name in lessons:
            for copy in range(copies):
                shutil.copy(
                    root / "handout" / "instructor" / f"{name}.ipynb",
                    submissions / f"{name}-{copy}.ipynb",
                )
        count = len(lessons) * copies
        runs = {}
        for workers in workers_list:
            started = time.perf_counter()
            records = grade_submissions(
                [submissions],
                assignment=root / "handout",
                out_csv=root / f"workers-{workers}" / "grades.csv",
                workers=workers,
                sandbox=sandbox,
                limits=Limits(seconds=900),
            )
            seconds = time.perf_counter() - started
            runs[str(workers)] = {
                "seconds": round(seconds, 1),
                "seconds_per_submission": round(seconds / count, 1),
                "total_points": sum(r["total"] for r in records),
                "problems": sorted({r["problem"] for r in records if r["problem"]}),
            }
    base = runs[str(workers_list[0])]["seconds"]
    for run in runs.values():
        run["speedup"] = round(base / run["seconds"], 2) if run["seconds"] else None
    result = {
        "submissions": count,
        "lessons": lessons,
        "sandbox": sandbox,
        "machine": describe_machine(),
        "load_average_before": round(load_before, 2),
        "runs": runs,
    }
    if results_path is not None:
        update_results("grading", result, results_path)
    return result
