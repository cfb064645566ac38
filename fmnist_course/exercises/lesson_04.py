"""Checks for lesson 04: L1/L2 regularization and the challenge model."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.answers import (
    as_count,
    as_number,
    describe,
    graded_on_other_inputs,
)
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.model_checks import accuracy_on, sample_test_images
from fmnist_course.exercises.registry import exercise, expect

PENALTY_KERNEL = np.array([[0.5, -1.0], [2.0, 0.0]])
"""The kernel of exercise 04-l1l2-penalty (the statement prints it)."""

PENALTY_L1, PENALTY_L2 = 0.01, 0.1

PENALTY_DECIMALS = 3
"""The penalty counts to 3 decimals (the statement says so), so a float16
or float32 result of the right computation is right."""
PENALTY = "2c01307d261e8a30b62eb2ae458cc7a5fe5d17660f0812d88b0159a273ba5939"
ONE_PENALTY_ONLY = (
    "26607657e6bfdd5cff11dfd562eebf7a411a563ac0d939328fb83e29d3b89649",
    "ab6b8cba9abb2d72fb34b8bfbcf747fd6f82f6c449a77be42cf5fc781da1e77f",
)
DENSE_PARAMS = "ed18264002b43d586bd816b8beb6c18ec0f48410ad9763af224744a9ec1d6877"
WITHOUT_BIASES = "1ed2674c2a5e188fa552b21bb4e36b789f109d56ba209668f78ec14e8135f28e"
"""Digests of answers and of common mistakes (see `fmnist_course.exercises.digest`)."""

CHALLENGE_PARAMS = 122_922
"""Parameters of the challenge architecture, `fmc.build_model("challenge")`."""
MIN_PENALTY = 1e-3
"""04-stronger-penalty asks for l1 and l2 of at least this."""
MIN_TRAINED_ACCURACY = 0.3
"""What 04-stronger-penalty's model must reach on real test images it never saw.

Chance is 0.10. Measured in fast mode (`FMNIST_FAST=1`), the lesson's
solution (l1 = l2 = 1e-3, one epoch on 2,000 images) reached 0.449 to 0.512
on the grader's 1,000 images over three seeds (0.457 to 0.517 on the
self-check's 500); untrained challenge models reached 0.05 to 0.16."""
SELF_CHECK_IMAGES = {"size": 500, "seed": 4}
"""The real test images the self-check judges the model on (the graded check
uses others)."""


@exercise(
    "04-l1l2-penalty",
    hint="L1 adds l1 times the sum of |w|; L2 adds l2 times the sum of w squared. "
    "Add both.",
)
def check_l1l2_penalty(penalty):
    """The penalty `L1L2(l1=0.01, l2=0.1)` adds for `PENALTY_KERNEL`."""
    value = as_number(penalty, "penalty")
    for partial in ONE_PENALTY_ONLY:
        expect(
            not matches("04-l1l2-penalty", value, partial, decimals=PENALTY_DECIMALS),
            f"{value:.4g} counts only one of the two penalties.",
        )
    expect(
        matches("04-l1l2-penalty", value, PENALTY, decimals=PENALTY_DECIMALS),
        f"{value:.4g} is not the penalty of this kernel yet.",
    )


@exercise(
    "04-dense-params",
    hint="Work out the shape after the second pooling layer, flatten it, then count "
    "one weight per input and unit plus one bias per unit.",
)
def check_dense_params(num_params):
    """The parameter count of the challenge model's hidden `Dense` layer."""
    count = as_count(num_params, "num_params")
    expect(
        not matches("04-dense-params", count, WITHOUT_BIASES),
        f"{count} leaves out the biases.",
    )
    expect(
        matches("04-dense-params", count, DENSE_PARAMS), f"{count} is not right yet."
    )


def expect_stronger_penalty(model, images: np.ndarray, labels: np.ndarray) -> None:
    """Fail the running check unless `model` is a trained, strongly penalised challenge.

    The architecture and the penalties are read from the model itself; that
    it was trained, from its accuracy on `images`, real test images the
    checker picks. Shared by the self-check and the graded check of
    `04-stronger-penalty`, which pass different images.
    """
    expect(
        isinstance(model, keras.Model),
        f"Expected the trained keras.Model. Received: {describe(model)}",
    )
    expect(
        model.count_params() == CHALLENGE_PARAMS,
        f"Expected the challenge architecture ({CHALLENGE_PARAMS:,} parameters). "
        f"Received a model with {model.count_params():,}.",
    )
    regularized = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense) and layer.kernel_regularizer
    ]
    expect(
        bool(regularized),
        "Expected a Dense layer with a kernel_regularizer. Received none.",
    )
    config = regularized[0].kernel_regularizer.get_config()
    l1, l2 = config.get("l1", 0.0), config.get("l2", 0.0)
    expect(
        min(l1, l2) >= MIN_PENALTY,
        f"Expected l1 and l2 of at least {MIN_PENALTY:g}. Received: l1={l1:g}, "
        f"l2={l2:g}",
    )
    accuracy = accuracy_on(model, images, labels)
    expect(
        accuracy >= MIN_TRAINED_ACCURACY,
        f"On {len(images):,} test images it never saw, the model classifies "
        f"{accuracy:.1%} right; a trained one reaches {MIN_TRAINED_ACCURACY:.0%} "
        "(chance is 10%). Train it first, and pass the trained model.",
    )


@exercise(
    "04-stronger-penalty",
    hint="Build it with fmc.build_model('challenge', l1=..., l2=...) using penalties "
    "of at least 1e-3, train it with train_model, then pass the trained model.",
)
@graded_on_other_inputs
def check_stronger_penalty(model):
    """A trained challenge model with penalties >= 1e-3, judged on real test images."""
    images, labels = sample_test_images(**SELF_CHECK_IMAGES)
    expect_stronger_penalty(model, images, labels)
