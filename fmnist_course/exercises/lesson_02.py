"""Checks for lesson 02, convolutions."""

from __future__ import annotations

import numpy as np

from fmnist_course.exercises.lesson_01 import _expect_classifier, short_fit_accuracy
from fmnist_course.exercises.registry import exercise, expect


@exercise(
    "02-conv-params",
    hint="Each filter has one 3x3 kernel per input channel, plus one bias.",
)
def check_conv_params(num_params):
    """Parameters of Conv2D(64, 3) on 32 input channels."""
    expect(
        isinstance(num_params, (int, np.integer)),
        f"Expected an integer. Received: {num_params!r}",
    )
    expect(num_params == 18_496, f"{num_params} is not right yet.")


@exercise(
    "02-flatten-size",
    hint="Without padding: 28 -> conv 26 -> pool 13 -> conv 11 -> pool ?; then "
    "side * side * filters.",
)
def check_flatten_size(flatten_size):
    """Length of the flattened 5x5x64 output of `pool_2` without padding."""
    expect(
        isinstance(flatten_size, (int, np.integer)),
        f"Expected an integer. Received: {flatten_size!r}",
    )
    expect(flatten_size == 1_600, f"{flatten_size} is not right yet.")


@exercise(
    "02-small-cnn",
    hint="Two small Conv2D + MaxPooling2D blocks (16 and 32 filters) and a Dense "
    "head of a few dozen units fit in the budget.",
)
def check_small_cnn(model):
    """A functional CNN of <= 30,000 params reaching >= 0.72 after 3 epochs."""
    _expect_classifier(model, max_params=30_000)
    expect(
        any(type(layer).__name__ == "Conv2D" for layer in model.layers),
        "The model has no Conv2D layer.",
    )
    accuracy = short_fit_accuracy(model)
    expect(
        accuracy >= 0.72,
        f"After 3 epochs on 2,400 images it reached a validation accuracy of "
        f"{accuracy:.3f}; the target is 0.72.",
    )
