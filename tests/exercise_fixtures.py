"""Test-only exercises of a fake lesson 98, for the exercise and grading tests.

Importing this module registers the self-checks `98-answer` and `98-double`
(once per process). `FAKE_LESSON` is a lesson script that uses them: its first
cell registers the same self-checks (so it runs in a sandbox, which sees no
test file), and `GRADED_98` is the instructor's graded checks of lesson 98.
"""

from __future__ import annotations

from pathlib import Path

from fmnist_course.exercises.registry import EXERCISES

TESTS_DIR = Path(__file__).resolve().parent

SELF_CHECKS = """\
from fmnist_course.exercises import EXERCISES, check, exercise, expect

if "98-answer" not in EXERCISES:

    @exercise("98-answer", hint="Multiply six by seven.")
    def check_answer(answer):
        expect(answer == 42, f"{answer!r} is not the answer yet.")

    @exercise("98-double", hint="Return twice the number it receives.")
    def check_double(double):
        expect(callable(double), f"Expected a function. Received: {double!r}")
        expect(double(3) == 6, f"double(3) returned {double(3)!r}.")
"""

if "98-answer" not in EXERCISES:
    exec(SELF_CHECKS)

GRADED_98 = """\
from fmnist_course.exercises.assignment import expect, graded


@graded("98-answer", hint="Multiply six by seven.")
def graded_answer(answer):
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"Expected an integer. Received: {answer!r}",
    )
    expect(answer == 42, f"{answer!r} is not the answer yet.")


@graded(
    "98-double",
    probes={"double": [(3,), (-5,), (1000,)]},
    hint="Return twice the number it receives.",
)
def graded_double(double):
    for value in (3, -5, 1000):
        expect(double(value) == 2 * value, f"double({value}) is not right yet.")
"""


def write_graded_checks(directory: Path) -> Path:
    """Write the graded checks of lesson 98 into `directory`; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "lesson_98.py").write_text(GRADED_98, encoding="utf-8")
    return directory


FAKE_LESSON = (
    """# %% [markdown]
# # A fake lesson
#
# Two quick exercises, for the tests.

# %%
"""
    + SELF_CHECKS
    + """

# %% [markdown]
# ## Summary
#
# Nothing to summarise.
#
# ## Exercises
#
# ### Exercise 1: The answer (`98-answer`)
#
# Compute six times seven.

# %%
### BEGIN SOLUTION
answer = 6 * 7
### END SOLUTION
check("98-answer", answer)

# %% [markdown]
# ### Exercise 2: Double it (`98-double`)
#
# Write `double(x)`.


# %%
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


check("98-double", double)
"""
)


def write_fake_lesson(directory: Path, name: str = "98_fake.py") -> Path:
    """Write the fake lesson script into `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(FAKE_LESSON, encoding="utf-8")
    return path
