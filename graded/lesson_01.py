"""Graded checks of lesson 01 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.assignment import expect, graded


@graded("01-count-dense-params")
def graded_count_dense_params(num_params):
    expect(
        isinstance(num_params, int | np.integer) and not isinstance(num_params, bool),
        f"Expected an integer. Received: {num_params!r}",
    )
    expect(num_params == 28 * 28 * 128 + 128, f"{num_params} is not right yet.")
