"""Graded checks of lesson 06 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.answers import as_counts
from fmnist_course.exercises.lesson_06 import (
    check_early_stopping,
    expect_moving_average,
)
from fmnist_course.grading.assignment import expect, graded

VALUES = np.random.default_rng(606).normal(size=40)
MOMENTUMS = (0.8, 0.6)


@graded("06-bn-params")
def graded_bn_params(bn_params):
    counts = as_counts(bn_params, length=2, name="(trainable, total)")
    expect(counts == (128, 256), f"{counts} is not right yet.")


@graded("06-early-stopping")
def graded_early_stopping(callback):
    """The callback's own settings, rebuilt from the export."""
    check_early_stopping(callback)


@graded(
    "06-moving-average",
    probes={"moving_average": [(VALUES, momentum) for momentum in MOMENTUMS]},
)
def graded_moving_average(moving_average):
    for momentum in MOMENTUMS:
        expect_moving_average(moving_average(VALUES, momentum), VALUES, momentum)
