"""Exercises: self-checks that tell a student pass or fail, with a hint.

Each lesson's checks live in `fmnist_course/exercises/lesson_NN.py` and are
registered with the `exercise` decorator. In a lesson, a student calls
`check("03-dropout-rate", model)`: it prints a pass or a hint, never the
solution, and returns a `CheckResult` that is true when the check passed (and
that a notebook does not display, so the verdict line stands alone).

These self-checks give feedback; they hide plain answers behind digests
(`fmnist_course.exercises.digest`). Grades come from `fmnist-course grade`:
it runs a notebook in a sandbox, where `check` exports the answers as data
(`fmnist_course.exercises.export`), and scores them with the instructor's
graded checks (`fmnist_course.exercises.assignment`) outside the sandbox.

Examples:
    >>> from fmnist_course.exercises import check
    >>> check("01-count-dense-params", 100_480)  # doctest: +SKIP
    ✅ 01-count-dense-params: passed

"""

# Each lesson's checks register themselves when their module is imported.
from fmnist_course.exercises import (  # noqa: E402, F401
    lesson_00,
    lesson_01,
    lesson_02,
    lesson_03,
    lesson_04,
    lesson_05,
    lesson_06,
    lesson_07,
    lesson_08,
)
from fmnist_course.exercises.registry import (
    EXERCISES,
    CheckFailed,
    CheckResult,
    Exercise,
    check,
    exercise,
    expect,
)

__all__ = [
    "EXERCISES",
    "CheckFailed",
    "CheckResult",
    "Exercise",
    "check",
    "exercise",
    "expect",
]
