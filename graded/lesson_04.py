"""Graded checks of lesson 04 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.assignment import expect, graded


@graded("04-l1l2-penalty")
def graded_l1l2_penalty(penalty):
    expect(
        np.ndim(penalty) == 0 and isinstance(penalty, int | float | np.number),
        f"Expected one number. Received: {penalty!r}",
    )
    kernel = np.array([[0.5, -1.0], [2.0, 0.0]])
    expected = 0.01 * np.abs(kernel).sum() + 0.1 * np.square(kernel).sum()
    expect(np.isclose(float(penalty), expected), f"{penalty} is not right yet.")


@graded("04-dense-params")
def graded_dense_params(num_params):
    expect(
        isinstance(num_params, int | np.integer) and not isinstance(num_params, bool),
        f"Expected an integer. Received: {num_params!r}",
    )
    expect(num_params != 800 * 128, f"{num_params} leaves out the biases.")
    expect(num_params == 800 * 128 + 128, f"{num_params} is not right yet.")
