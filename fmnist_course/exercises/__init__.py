"""Exercises: self-checks that tell a student pass or fail, with a hint.

Each lesson's checks live in `fmnist_course/exercises/lesson_NN.py` and are
registered with the `exercise` decorator when that module is imported, which
happens the first time one of its checks runs (or `all_exercises()` is
called): importing this package loads no Keras. In a lesson, a student calls
`check("03-dropout-rate", model)`: it prints a pass or a hint, never the
solution, and returns a `CheckResult` that is true when the check passed (and
that a notebook does not display, so the verdict line stands alone).

These self-checks give feedback; they hide plain answers behind digests
(`fmnist_course.exercises.digest`). Grades come from `fmnist-course grade`:
it runs a notebook in a sandbox, where `check` exports the answers as data
(`fmnist_course.exercises.export`), and scores them with the instructor's
graded checks (`fmnist_course.grading.assignment`) outside the sandbox.

Examples:
    >>> from fmnist_course.exercises import check
    >>> check("01-count-dense-params", 100_480)  # doctest: +SKIP
    ✅ 01-count-dense-params: passed

"""

from fmnist_course.exercises.registry import (
    CheckFailed,
    CheckResult,
    Exercise,
    all_exercises,
    check,
    exercise,
    expect,
    find_exercise,
)

__all__ = [
    "EXERCISES",
    "CheckFailed",
    "CheckResult",
    "Exercise",
    "all_exercises",
    "check",
    "exercise",
    "expect",
    "find_exercise",
]


def __getattr__(name: str):
    """`EXERCISES`: every lesson's checks, their modules imported on first use."""
    if name == "EXERCISES":
        return all_exercises()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
