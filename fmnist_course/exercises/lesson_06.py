"""Checks for lesson 06: augmentation, normalization, averaging, stopping, shifts."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.registry import exercise, expect

AUGMENTATIONS = {"horizontal flip", "vertical flip", "rotate 180", "shift 2 pixels"}


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
        "vertical flip" not in chosen and "rotate 180" not in chosen,
        "Your set contains a transformation that turns garments upside down.",
    )
    expect(len(chosen) == 2, "Your set misses a label-preserving transformation.")


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
    layer = keras.layers.BatchNormalization()
    layer.build((None, 8, 8, 64))
    trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
    total = layer.count_params()
    expect(bn_params[0] == trainable, f"{bn_params[0]} trainable is not right yet.")
    expect(bn_params[1] == total, f"{bn_params[1]} in total is not right yet.")


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


def _reference_moving_average(values, momentum):
    """`average[0] = values[0]`, then `momentum * previous + (1 - momentum) * value`."""
    averages = [float(values[0])]
    for value in values[1:]:
        averages.append(momentum * averages[-1] + (1 - momentum) * float(value))
    return np.array(averages)


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
        reference = _reference_moving_average(values, momentum)
        flipped = _reference_moving_average(values, 1 - momentum)
        expect(
            not np.allclose(result, flipped),
            "The momentum weighs the new value instead of the previous average.",
        )
        expect(
            np.allclose(result, reference),
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
