"""Graded checks of lesson 03 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.answers import as_number, rounded
from fmnist_course.exercises.lesson_03 import DECIMALS, check_dropout_after_dense
from fmnist_course.grading.assignment import expect, graded

PREDICTIONS = (
    np.array(  # training probabilities: 5 of 6 right
        [
            [0.1, 0.8, 0.1],
            [0.6, 0.3, 0.1],
            [0.2, 0.2, 0.6],
            [0.45, 0.1, 0.45],  # a tie: argmax takes the first, class 0
            [0.3, 0.6, 0.1],
            [0.2, 0.5, 0.3],
        ]
    ),
    np.array([1, 0, 2, 0, 1, 2]),
    np.array(  # validation probabilities: 2 of 4 right
        [[0.3, 0.3, 0.4], [0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.5, 0.1, 0.4]]
    ),
    np.array([0, 0, 1, 2]),
)


@graded("03-dropout-scale")
def graded_dropout_scale(fraction_zeroed_when_predicting, training_scale):
    """Nothing zeroed when predicting; kept inputs scaled by 1/0.7 in training."""
    fraction = as_number(
        fraction_zeroed_when_predicting, "fraction_zeroed_when_predicting"
    )
    scale = as_number(training_scale, "training_scale")
    expect(rounded(fraction, DECIMALS) == 0, "Nothing is dropped when predicting.")
    expect(
        rounded(scale, DECIMALS) == rounded(1 / 0.7, DECIMALS),
        f"training_scale={scale:g} is not right yet.",
    )


SWAPPED = (*PREDICTIONS[2:], *PREDICTIONS[:2])
"""The same predictions with the sets' roles swapped: validation is higher."""


@graded("03-train-val-gap", probes={"train_val_gap": [PREDICTIONS, SWAPPED]})
def graded_train_val_gap(train_val_gap):
    """The evaluated gap on hidden predictions (a tie included), both signs."""
    for arguments, expected in ((PREDICTIONS, 5 / 6 - 2 / 4), (SWAPPED, 2 / 4 - 5 / 6)):
        gap = as_number(train_val_gap(*arguments), "the gap")
        expect(
            rounded(gap, DECIMALS) == rounded(expected, DECIMALS),
            "On hidden predictions it is not right.",
        )


@graded("03-dropout-after-dense")
def graded_dropout_after_dense(model):
    """The model's own layers: the one after 'dense' is a Dropout(0.5)."""
    check_dropout_after_dense(model)
