"""Checks for lesson 06: augmentation, normalization, averaging, stopping, shifts."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

AUGMENTATIONS = {"horizontal flip", "vertical flip", "rotate 180", "shift 2 pixels"}

LABEL_PRESERVING = "38ca622e8fba9753760305a4c42580ee8954ccb062ab3bf3e745148b980e057e"
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
    "06-label-preserving",
    hint="Picture a sneaker after each transformation: would a photographer "
    "ever take that picture of a sneaker?",
)
def check_label_preserving(label_preserving):
    """Expect the set of augmentations that keep garments realistic."""
    expect(
        isinstance(label_preserving, (set, frozenset, list, tuple)),
        f"Expected a set of names. Received: {type(label_preserving).__name__}",
    )
    chosen = set(label_preserving)
    unknown = chosen - AUGMENTATIONS
    expect(not unknown, f"Unknown names {sorted(unknown)}; use the names given.")
    expect(
        matches("06-label-preserving", chosen, LABEL_PRESERVING),
        "Your set is not right yet: it keeps a transformation that makes "
        "unrealistic garments, or misses one that keeps them realistic.",
    )


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


def _reference_shift(image, down, right):
    """The library's `ShiftImage` on one 2-D image."""
    from fmnist_course.models import ShiftImage

    shifted = ShiftImage(down=down, right=right)(np.asarray(image, "float32")[None])
    return np.asarray(shifted)[0]


@exercise(
    "06-shift-image",
    hint="Start from np.zeros_like(image), then copy the part of the image that "
    "stays in the frame. With down=1, output row 1 is input row 0; with "
    "right=-1, output column 0 is input column 1. Mind negative shifts.",
)
def check_shift_image(shift_image):
    """Expect a function moving a 2-D image by whole pixels, with zero fill."""
    expect(
        callable(shift_image),
        f"Expected a function. Received: {type(shift_image).__name__}",
    )
    image = np.random.default_rng(6).uniform(0.1, 1.0, (28, 28)).astype("float32")
    for down, right in [(1, 0), (0, -1), (-2, 3), (0, 0)]:
        result = np.asarray(shift_image(image, down, right), dtype="float32")
        expect(
            result.shape == image.shape,
            f"Expected an image of shape {image.shape}. Received shape {result.shape}.",
        )
        reference = _reference_shift(image, down, right)
        wrapped = np.roll(image, (down, right), axis=(0, 1))
        right_answer = np.allclose(result, reference)
        expect(
            right_answer or not np.allclose(result, wrapped),
            "Pixels that leave one border come back at the other: the uncovered "
            "border should be zeros (np.roll wraps around).",
        )
        expect(
            right_answer,
            f"With down={down}, right={right} the shifted image is not right yet.",
        )
