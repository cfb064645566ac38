"""Graded checks of lesson 06 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.assignment import expect, graded

VALUES = np.random.default_rng(606).normal(size=40)
IMAGE = np.random.default_rng(607).uniform(0.1, 1.0, (28, 28)).astype("float32")
SHIFTS = [(2, 0), (0, -3), (-1, 4), (0, 0)]


@graded("06-label-preserving")
def graded_label_preserving(label_preserving):
    expect(
        isinstance(label_preserving, set | frozenset | list | tuple),
        f"Expected a set of names. Received: {type(label_preserving).__name__}",
    )
    expect(
        set(label_preserving) == {"horizontal flip", "shift 2 pixels"},
        "Your set is not right yet.",
    )


@graded("06-bn-params")
def graded_bn_params(bn_params):
    expect(
        isinstance(bn_params, tuple) and len(bn_params) == 2,
        f"Expected a tuple (trainable, total). Received: {bn_params!r}",
    )
    expect(tuple(bn_params) == (128, 256), f"{bn_params} is not right yet.")


def _moving_average(values, momentum):
    averages = [float(values[0])]
    for value in values[1:]:
        averages.append(momentum * averages[-1] + (1 - momentum) * float(value))
    return np.array(averages)


@graded(
    "06-moving-average",
    probes={"moving_average": [(VALUES, 0.8), (VALUES, 0.5)]},
)
def graded_moving_average(moving_average):
    for momentum in (0.8, 0.5):
        result = np.asarray(moving_average(VALUES, momentum), dtype=float)
        expect(result.shape == VALUES.shape, f"Expected shape {VALUES.shape}.")
        expect(
            np.allclose(result, _moving_average(VALUES, momentum)),
            f"With momentum={momentum} the averages are not right yet.",
        )


def _shift(image, down, right):
    shifted = np.zeros_like(image)
    rows, cols = image.shape
    shifted[
        max(down, 0) : rows + min(down, 0), max(right, 0) : cols + min(right, 0)
    ] = image[
        max(-down, 0) : rows - max(down, 0), max(-right, 0) : cols - max(right, 0)
    ]
    return shifted


@graded(
    "06-shift-image",
    probes={"shift_image": [(IMAGE, down, right) for down, right in SHIFTS]},
)
def graded_shift_image(shift_image):
    for down, right in SHIFTS:
        result = np.asarray(shift_image(IMAGE, down, right), dtype="float32")
        expect(result.shape == IMAGE.shape, f"Expected shape {IMAGE.shape}.")
        expect(
            np.allclose(result, _shift(IMAGE, down, right)),
            f"With down={down}, right={right} the shifted image is not right yet.",
        )
