"""Checks for lesson 06: batch normalization, averaged weights, early stopping."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.answers import (
    as_array,
    as_counts,
    close,
    describe,
    expect_function,
    graded_on_other_inputs,
)
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

BN_PARAMS = "cdc655afff39e34f8ea7491e1cf04cb5a92a061eb2c51f7c4a4686b32d0e563c"
"""Digest of the answer of 06-bn-params."""


@exercise(
    "06-bn-params",
    hint="Per channel, batch normalization keeps gamma, beta, a moving mean "
    "and a moving variance; only two of them are learned by gradient descent.",
)
def check_bn_params(bn_params):
    """Expect `(trainable, total)` parameters of BatchNormalization on 64 channels."""
    counts = as_counts(bn_params, length=2, name="(trainable, total)")
    expect(
        matches("06-bn-params", counts, BN_PARAMS),
        f"{counts} is not right yet: check the trainable count, then the total.",
    )


@exercise(
    "06-early-stopping",
    hint="keras.callbacks.EarlyStopping takes monitor=, patience= and "
    "restore_best_weights=.",
)
def check_early_stopping(callback):
    """Expect an EarlyStopping on val_accuracy, patience 3, keeping the last weights.

    The graded check runs this same check on the callback rebuilt from its
    exported settings.
    """
    expect(
        isinstance(callback, keras.callbacks.EarlyStopping),
        f"Expected a keras.callbacks.EarlyStopping. Received: {describe(callback)}",
    )
    expect(
        callback.monitor == "val_accuracy",
        f"It monitors {callback.monitor!r}; the exercise asks for validation accuracy.",
    )
    expect(
        callback.mode in {"auto", "max"},
        f"mode={callback.mode!r} waits for accuracy to fall; accuracy should rise. "
        'Leave mode as "auto" or pass mode="max".',
    )
    expect(callback.patience == 3, f"patience is {callback.patience}, not 3.")
    expect(
        not callback.restore_best_weights,
        "It restores the best epoch's weights. The lesson keeps the last epoch's: "
        "they are averaged and the learning rate has decayed, and picking the "
        "best epoch on the validation images also picks their noise.",
    )


def reference_moving_average(values, momentum: float) -> np.ndarray:
    """The exponential moving average the statement of 06-moving-average defines."""
    averages = np.empty(len(values))
    averages[0] = values[0]
    for index in range(1, len(values)):
        averages[index] = (
            momentum * averages[index - 1] + (1 - momentum) * values[index]
        )
    return averages


def expect_moving_average(result, values: np.ndarray, momentum: float) -> None:
    """Fail the running check unless `result` is the moving average of `values`.

    Shared by the self-check and the graded check (on other values): a float32
    result of the right computation passes (`answers.ARRAY_TOLERANCE`).
    """
    result = as_array(result, "the averages")
    expect(
        result.shape == values.shape,
        f"Expected one average per value, shape {values.shape}. "
        f"Received shape {result.shape}.",
    )
    expect(
        close(result[:1], values[:1]),
        "The first average should be the first value itself.",
    )
    right = close(result, reference_moving_average(values, momentum))
    expect(
        right or not close(result, reference_moving_average(values, 1 - momentum)),
        "The momentum weighs the new value instead of the previous average.",
    )
    expect(right, f"With momentum={momentum} the averages are not right yet.")


@exercise(
    "06-moving-average",
    hint="Start from the first value; then each new average is momentum times "
    "the previous average plus (1 - momentum) times the new value.",
)
@graded_on_other_inputs
def check_moving_average(moving_average):
    """Expect a function computing the exponential moving average of a sequence."""
    expect_function(moving_average)
    values = np.random.default_rng(6).normal(size=50)
    for momentum in (0.9, 0.7):
        expect_moving_average(moving_average(values.copy(), momentum), values, momentum)
