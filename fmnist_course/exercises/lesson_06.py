"""Checks for lesson 06: batch normalization, averaged weights, early stopping."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

BN_PARAMS = "cdc655afff39e34f8ea7491e1cf04cb5a92a061eb2c51f7c4a4686b32d0e563c"
MOVING_AVERAGES = {
    0.9: (
        "30b5dfc65ada5a7a6f6a5677fa355a571330ddb80418b7ee8203e78e56e3d896",
        "4f949fdcd48175131db8656fc1089e48192693dc5440fcc93dbea4b1f927dd85",
    ),
    0.7: (
        "da90c97698758e22a25329ce9a49eb338d6bff146c3376b01c005a562709aced",
        "b59a35cfe0541bb8140a5e0ee947565557ad0e3d984b537923fed3af8edb2564",
    ),
}
"""Digests of answers (right, then the flipped momentum for the moving averages)."""


@exercise(
    "06-bn-params",
    hint="Per channel, batch normalization keeps gamma, beta, a moving mean "
    "and a moving variance; only two of them are learned by gradient descent.",
)
def check_bn_params(bn_params):
    """Expect `(trainable, total)` parameters of BatchNormalization on 64 channels."""
    expect(
        isinstance(bn_params, tuple) and len(bn_params) == 2,
        f"Expected a tuple (trainable, total). Received: {bn_params!r}",
    )
    expect(
        matches("06-bn-params", tuple(bn_params), BN_PARAMS),
        f"{bn_params} is not right yet: check the trainable count, then the total.",
    )


@exercise(
    "06-early-stopping",
    hint="keras.callbacks.EarlyStopping takes monitor=, patience= and "
    "restore_best_weights=.",
)
def check_early_stopping(callback):
    """Expect an EarlyStopping on val_accuracy, patience 3, restoring weights."""
    expect(
        isinstance(callback, keras.callbacks.EarlyStopping),
        "Expected a keras.callbacks.EarlyStopping. "
        f"Received: {type(callback).__name__}",
    )
    expect(
        callback.monitor == "val_accuracy",
        f"It monitors {callback.monitor!r}; the exercise asks for validation accuracy.",
    )
    expect(callback.patience == 3, f"patience is {callback.patience}, not 3.")
    expect(callback.restore_best_weights, "It does not restore the best weights.")


@exercise(
    "06-moving-average",
    hint="Start from the first value; then each new average is momentum times "
    "the previous average plus (1 - momentum) times the new value.",
)
def check_moving_average(moving_average):
    """Expect a function computing the exponential moving average of a sequence."""
    expect(
        callable(moving_average),
        f"Expected a function. Received: {type(moving_average).__name__}",
    )
    values = np.random.default_rng(6).normal(size=50)
    for momentum in (0.9, 0.7):
        result = np.asarray(moving_average(values, momentum), dtype=float)
        expect(
            result.shape == values.shape,
            f"Expected one average per value, shape {values.shape}. "
            f"Received shape {result.shape}.",
        )
        expect(
            np.isclose(result[0], values[0]),
            "The first average should be the first value itself.",
        )
        right, flipped = MOVING_AVERAGES[momentum]
        expect(
            not matches("06-moving-average", result, flipped, decimals=5),
            "The momentum weighs the new value instead of the previous average.",
        )
        expect(
            matches("06-moving-average", result, right, decimals=5),
            f"With momentum={momentum} the averages are not right yet.",
        )
