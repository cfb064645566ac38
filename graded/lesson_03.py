"""Graded checks of lesson 03 (instructor material: not in the package)."""

import pandas as pd

from fmnist_course.exercises.answers import as_number, rounded
from fmnist_course.exercises.lesson_03 import DECIMALS, check_dropout_after_dense
from fmnist_course.grading.assignment import expect, graded

HISTORY = pd.DataFrame(
    {
        "epoch": [1, 2, 3, 4],
        "accuracy": [0.70, 0.85, 0.93, 0.99],
        "val_accuracy": [0.72, 0.84, 0.80, 0.87],  # the widest gap is not the last
        "loss": [0.8, 0.4, 0.2, 0.05],
        "val_loss": [0.7, 0.45, 0.4, 0.5],
    }
)


@graded("03-dropout-scale")
def graded_dropout_scale(fraction_zeroed_when_predicting, training_scale):
    fraction = as_number(
        fraction_zeroed_when_predicting, "fraction_zeroed_when_predicting"
    )
    scale = as_number(training_scale, "training_scale")
    expect(rounded(fraction, DECIMALS) == 0, "Nothing is dropped when predicting.")
    expect(
        rounded(scale, DECIMALS) == rounded(1 / 0.7, DECIMALS),
        f"training_scale={scale:g} is not right yet.",
    )


@graded("03-train-val-gap", probes={"train_val_gap": [(HISTORY,)]})
def graded_train_val_gap(train_val_gap):
    gap = as_number(train_val_gap(HISTORY), "the gap")
    expect(rounded(gap, DECIMALS) == 0.12, "On a hidden history it is not right.")


@graded("03-dropout-after-dense")
def graded_dropout_after_dense(model):
    """The model's own layers: the one after 'dense' is a Dropout(0.5)."""
    check_dropout_after_dense(model)
