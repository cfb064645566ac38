"""Graded checks of lesson 05 (instructor material: not in the package)."""

from fmnist_course.exercises.assignment import expect, graded


@graded("05-halving-budget")
def graded_halving_budget(total_epochs):
    expect(
        isinstance(total_epochs, int) and not isinstance(total_epochs, bool),
        f"Expected an integer number of epochs. Received: {total_epochs!r}",
    )
    expect(total_epochs == 27 * 1 + 9 * 3 + 3 * 9, f"{total_epochs} is not right yet.")
