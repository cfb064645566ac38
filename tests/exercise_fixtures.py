"""Test-only exercises of a fake lesson 98, for the exercise and grading tests.

Importing this module registers `98-answer` and `98-double` (once per process),
and `FAKE_LESSON` is a lesson script that uses them.
"""

from __future__ import annotations

from pathlib import Path

from fmnist_course.exercises.registry import EXERCISES, exercise, expect

TESTS_DIR = Path(__file__).resolve().parent

if "98-answer" not in EXERCISES:

    @exercise("98-answer", hint="Multiply six by seven.")
    def check_answer(answer):
        expect(answer == 42, f"{answer!r} is not the answer yet.")

    @exercise("98-double", hint="Return twice the number it receives.")
    def check_double(double):
        expect(callable(double), f"Expected a function. Received: {double!r}")
        expect(double(3) == 6, f"double(3) returned {double(3)!r}.")


FAKE_LESSON = f"""# %% [markdown]
# # A fake lesson
#
# Two quick exercises, for the tests.

# %%
import sys

sys.path.insert(0, {str(TESTS_DIR)!r})
import exercise_fixtures  # noqa: F401

from fmnist_course.exercises import check

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


def write_fake_lesson(directory: Path, name: str = "98_fake.py") -> Path:
    """Write the fake lesson script into `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(FAKE_LESSON, encoding="utf-8")
    return path
