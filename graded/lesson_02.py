"""Graded checks of lesson 02 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.assignment import expect, graded


def _integer(value):
    expect(
        isinstance(value, int | np.integer) and not isinstance(value, bool),
        f"Expected an integer. Received: {value!r}",
    )


@graded("02-conv-params")
def graded_conv_params(num_params):
    _integer(num_params)
    expect(num_params == (3 * 3 * 32 + 1) * 64, f"{num_params} is not right yet.")


@graded("02-flatten-size")
def graded_flatten_size(flatten_size):
    _integer(flatten_size)
    expect(flatten_size == 5 * 5 * 64, f"{flatten_size} is not right yet.")
