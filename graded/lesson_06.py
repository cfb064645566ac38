"""Graded checks of lesson 06 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.assignment import expect, graded

VALUES = np.random.default_rng(606).normal(size=40)


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
