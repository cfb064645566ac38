"""The registry of exercise checks and the `check` function students call.

A check is a plain function registered under an exercise id. It inspects what
the student made (a number, an array, a model) and calls `expect` for each
requirement; a failed `expect` stops it with a message that helps without giving
the answer away.

Examples:
    >>> @exercise("99-demo", hint="A dense layer has one bias per unit.")
    ... def check_demo(num_params):
    ...     expect(num_params == 7850, f"{num_params} is not the count we expect.")
    >>> result = check("99-demo", 7840)
    ❌ 99-demo: 7840 is not the count we expect.
       Hint: A dense layer has one bias per unit.
    >>> bool(result), result.message
    (False, '7840 is not the count we expect.')
    >>> del EXERCISES["99-demo"]  # the example leaves the course's list as it was

"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from fmnist_course.exercises.export import EXPORT_ENV


class CheckFailed(Exception):
    """Raised by `expect` when a requirement of an exercise is not met."""


@dataclass(frozen=True)
class Exercise:
    """A registered exercise check.

    Attributes:
        exercise_id: `NN-short-name`, where `NN` is the lesson number.
        hint: Shown when the check fails; never the solution.
        checker: Calls `expect` on what the student passes to `check`.

    """

    exercise_id: str
    hint: str
    checker: Callable[..., None]

    @property
    def lesson(self) -> str:
        """The lesson number, the `NN` of the id."""
        return self.exercise_id.split("-", 1)[0]


EXERCISES: dict[str, Exercise] = {}
"""The registered checks by id, filled as lessons' check modules are imported.

A lesson's checks (`fmnist_course.exercises.lesson_NN`) are imported the first
time one of them is needed (`find_exercise`), so building a notebook or
checking an exercise of lesson 00 loads no Keras; `all_exercises` imports
them all.
"""


def _import_lesson_checks(lesson: str) -> None:
    """Import `fmnist_course.exercises.lesson_NN`, if there is one, once."""
    name = f"{__package__}.lesson_{lesson}"
    if lesson.isdigit() and len(lesson) == 2 and name in _lesson_modules():
        importlib.import_module(name)


def _lesson_modules() -> list[str]:
    """The dotted names of the lessons' check modules, in course order."""
    package = importlib.import_module(__package__)
    return sorted(
        f"{__package__}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("lesson_")
    )


def find_exercise(exercise_id: str) -> Exercise | None:
    """The registered check of `exercise_id`, importing its lesson's checks.

    Examples:
        >>> find_exercise("00-no-such-exercise") is None
        True

    """
    _import_lesson_checks(exercise_id.split("-", 1)[0])
    return EXERCISES.get(exercise_id)


def all_exercises() -> dict[str, Exercise]:
    """Every lesson's checks, by id (imports every lesson's check module)."""
    for name in _lesson_modules():
        importlib.import_module(name)
    return EXERCISES


@dataclass(frozen=True)
class CheckResult:
    """What `check` returns: true when the answer passed.

    A notebook cell ending with `check(...)` shows only the printed verdict:
    the result displays nothing in IPython, so no stray `True` or `False`
    follows the ✅ or ❌ line.

    Attributes:
        exercise_id: The exercise checked.
        passed: Whether the answer passed.
        message: `"passed"`, or what was wrong (without the hint).

    """

    exercise_id: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Display nothing: `check` already printed the verdict."""


def exercise(exercise_id: str, *, hint: str) -> Callable:
    """Register the decorated function as the check of `exercise_id`.

    Raises:
        ValueError: The id is already registered or not of the form `NN-name`.

    """
    prefix = exercise_id.split("-", 1)[0]
    if not (prefix.isdigit() and len(prefix) == 2 and "-" in exercise_id):
        raise ValueError(
            f"Expected an exercise id like '03-dropout-rate'. Received: {exercise_id!r}"
        )
    if exercise_id in EXERCISES:
        raise ValueError(f"Exercise {exercise_id!r} is registered twice.")

    def register(checker: Callable[..., None]) -> Callable[..., None]:
        EXERCISES[exercise_id] = Exercise(exercise_id, hint, checker)
        return checker

    return register


def expect(condition: bool, message: str) -> None:
    """Fail the running check with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


def check(exercise_id: str, *args, **kwargs) -> CheckResult:
    """Check a student's answer to an exercise and print the verdict.

    Args:
        exercise_id: The id given in the exercise statement.
        *args: What the exercise asks to pass (a number, a model, ...).
        **kwargs: Named answers, when the exercise asks for them.

    Returns:
        A `CheckResult`, true when the answer passed.

    While a notebook is graded (`FMNIST_EXPORT_DIR` set), the answers are
    first written out as data (see `fmnist_course.exercises.export`): the
    grader scores them with its own checks, so the verdict printed here is
    only feedback, and an unknown id does not stop the cell.

    Raises:
        ValueError: The exercise id is unknown.

    """
    grading = bool(os.environ.get(EXPORT_ENV))
    if grading:
        _export(exercise_id, args, kwargs)
    entry = find_exercise(exercise_id)
    if entry is None and grading:
        print(f"📝 {exercise_id}: recorded for grading")
        return CheckResult(exercise_id, False, "recorded for grading")
    if entry is None:
        lessons = sorted({e.lesson for e in all_exercises().values()})
        raise ValueError(
            f"Unknown exercise id: {exercise_id!r}. Check the id in the statement; "
            f"known ids start with: {lessons}"
        )
    try:
        entry.checker(*args, **kwargs)
    except CheckFailed as failure:
        passed, message = False, str(failure)
    except Exception as error:  # a broken answer must not look like our bug
        passed = False
        message = f"checking your answer raised {type(error).__name__}: {error}"
    else:
        passed, message = True, "passed"
    if passed and getattr(entry.checker, "graded_on_other_inputs", False):
        print(f"✅ {exercise_id}: passed here; graded on other inputs")
    elif passed:
        print(f"✅ {exercise_id}: passed")
    else:
        print(f"❌ {exercise_id}: {message}\n   Hint: {entry.hint}")
    return CheckResult(exercise_id, passed, message)


def _export(exercise_id: str, args: tuple, kwargs: dict) -> None:
    """Write the answers for the grader; a failure is reported, never raised."""
    from fmnist_course.exercises.export import export_answer

    try:
        export_answer(os.environ[EXPORT_ENV], exercise_id, args, kwargs)
    except Exception as error:  # a full disk, an answer that cannot be saved
        print(f"⚠️ {exercise_id}: could not record this answer for grading: {error}")
