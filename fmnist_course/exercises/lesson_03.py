"""Checks for lesson 03, overfitting and dropout."""

from __future__ import annotations

import math

import keras
import numpy as np

from fmnist_course.exercises.answers import (
    as_number,
    expect_function,
    graded_on_other_inputs,
    rounded,
)
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

FRACTION_ZEROED = "68787859629e724638d3f229d45adc54bb7bb953d8a1f533ff64a006b04c48c3"
TRAINING_SCALE = "ccbaa4a7aef5f5a474e28da3fd1dd4e4bb83a042dbd15efe722579c2076ad68d"
"""Digests of the answers of 03-dropout-scale, rounded to 3 decimals."""

DECIMALS = 3
"""Answers of 03-dropout-scale and 03-train-val-gap count to 3 decimals (the
statements say so): 1/0.7 as 1.429, or in float16, is right."""


@exercise(
    "03-dropout-scale",
    hint="Dropout only acts during training; the kept inputs are scaled so that "
    "their expected sum does not change.",
)
def check_dropout_scale(fraction_zeroed_when_predicting, training_scale):
    """The fraction zeroed when predicting and the training scale, by digest."""
    fraction = as_number(
        fraction_zeroed_when_predicting, "fraction_zeroed_when_predicting"
    )
    scale = as_number(training_scale, "training_scale")
    expect(
        matches("03-dropout-scale", fraction, FRACTION_ZEROED, decimals=DECIMALS),
        f"fraction_zeroed_when_predicting={fraction:g} is not right yet.",
    )
    expect(
        matches("03-dropout-scale", scale, TRAINING_SCALE, decimals=DECIMALS),
        f"training_scale={scale:g} is not right yet.",
    )


@exercise(
    "03-train-val-gap",
    hint="An image counts as right when its most probable class "
    "(argmax along axis=1) is its label; accuracy is the share of right images. "
    "Subtract the validation accuracy from the training accuracy.",
)
@graded_on_other_inputs
def check_train_val_gap(train_val_gap):
    """`train_val_gap(...)` = training accuracy - validation accuracy.

    Both accuracies come from one model's predicted probabilities, so both
    sets are measured the same way: the lesson's evaluated gap.
    """
    expect_function(train_val_gap)
    train_probabilities = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]]
    )
    val_probabilities = np.array(
        [
            [0.6, 0.3, 0.1],
            [0.2, 0.5, 0.3],
            [0.1, 0.1, 0.8],
            [0.4, 0.35, 0.25],
            [0.3, 0.3, 0.4],
        ]
    )
    y_train, y_val = np.array([0, 1, 2, 1]), np.array([1, 1, 2, 0, 0])
    gap = as_number(
        train_val_gap(train_probabilities, y_train, val_probabilities, y_val),
        "the gap",
    )
    expect(
        rounded(gap, DECIMALS) == 0.15,
        "On made-up predictions where 3 of 4 training images and 3 of 5 "
        f"validation images are right, your function returned {gap:g}.",
    )
    gap = as_number(
        train_val_gap(val_probabilities, y_val, train_probabilities, y_train),
        "the gap",
    )
    expect(
        rounded(gap, DECIMALS) == -0.15,
        "On made-up predictions where 3 of 5 training images and 3 of 4 "
        f"validation images are right, your function returned {gap:g}. When "
        "validation is the higher, the gap is negative.",
    )


@exercise(
    "03-dropout-after-dense",
    hint="In the functional API, call layers.Dropout(0.5) on the output of the "
    "Dense layer named 'dense'; fmc.build_model('cnn', dropout=0.5) also does it.",
)
def check_dropout_after_dense(model):
    """The layer fed by `dense` is a `Dropout(0.5)`, and the model is a CNN.

    The graded check runs this same check on the model rebuilt from the export.
    """
    expect(
        isinstance(model, keras.Model) and not isinstance(model, keras.Sequential),
        f"Expected a functional keras.Model. Received: {type(model).__name__}",
    )
    expect(
        any(type(layer).__name__ == "Conv2D" for layer in model.layers),
        "The model has no Conv2D layer: start from the CNN.",
    )
    names = [layer.name for layer in model.layers]
    expect("dense" in names, f"No layer is named 'dense'. Layers: {names}")
    dense_output = model.get_layer("dense").output
    followers = [
        layer
        for layer in model.layers
        if any(tensor is dense_output for tensor in _inputs(layer))
    ]
    expect(
        followers and isinstance(followers[0], keras.layers.Dropout),
        "The layer right after 'dense' is not a Dropout layer. Received: "
        f"{[type(layer).__name__ for layer in followers] or 'nothing'}",
    )
    expect(
        math.isclose(followers[0].rate, 0.5),
        f"Expected a dropout rate of 0.5. Received: rate={followers[0].rate}",
    )


def _inputs(layer) -> list:
    """The tensors a layer of a functional model was called on (public API).

    A layer called more than once has no single `input`: it feeds nothing here.
    """
    try:
        tensors = layer.input
    except (AttributeError, ValueError):
        return []
    return list(tensors) if isinstance(tensors, list | tuple) else [tensors]
