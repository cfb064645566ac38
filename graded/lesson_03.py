"""Graded checks of lesson 03 (instructor material: not in the package)."""

import math

import numpy as np
import pandas as pd

from fmnist_course.exercises.assignment import expect, graded

HISTORY = pd.DataFrame(
    {
        "epoch": [1, 2, 3, 4],
        "accuracy": [0.70, 0.85, 0.93, 0.99],
        "val_accuracy": [0.72, 0.84, 0.88, 0.87],
        "loss": [0.8, 0.4, 0.2, 0.05],
        "val_loss": [0.7, 0.45, 0.4, 0.5],
    }
)


@graded("03-dropout-scale")
def graded_dropout_scale(fraction_zeroed_when_predicting, training_scale):
    for value in (fraction_zeroed_when_predicting, training_scale):
        expect(
            isinstance(value, int | float | np.number) and not isinstance(value, bool),
            f"Expected numbers. Received: {value!r}",
        )
    expect(fraction_zeroed_when_predicting == 0, "Nothing is dropped when predicting.")
    expect(
        math.isclose(training_scale, 1 / 0.7, rel_tol=1e-3),
        f"training_scale={training_scale} is not right yet.",
    )


@graded("03-train-val-gap", probes={"train_val_gap": [(HISTORY,)]})
def graded_train_val_gap(train_val_gap):
    gap = train_val_gap(HISTORY)
    expect(
        isinstance(gap, int | float | np.number) and not isinstance(gap, bool),
        f"Expected a number. Received: {gap!r}",
    )
    expect(math.isclose(gap, 0.12, abs_tol=1e-6), f"On a hidden history it gave {gap}.")
