"""Checks for lesson 04: L1/L2 regularization and the challenge model."""

from __future__ import annotations

import numpy as np

from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

PENALTY_KERNEL = np.array([[0.5, -1.0], [2.0, 0.0]])
"""The kernel of exercise 04-l1l2-penalty (the statement prints it)."""

PENALTY_L1, PENALTY_L2 = 0.01, 0.1

PENALTY = "aad2ffb40141242e1b7d33ddfb7bc840c001f817bdcf28ea32165ea0f27e442f"
ONE_PENALTY_ONLY = (
    "32a408881cd35fcfb1d2cbe12220dc0ab1ce6df2e6652fac6b125f76c0469284",
    "388a7b9e3bef1c78a7389c09fe451a2eb6d7dae2d4558c576e72a8793b9c7054",
)
DENSE_PARAMS = "ed18264002b43d586bd816b8beb6c18ec0f48410ad9763af224744a9ec1d6877"
WITHOUT_BIASES = "1ed2674c2a5e188fa552b21bb4e36b789f109d56ba209668f78ec14e8135f28e"
"""Digests of answers and of common mistakes (see `fmnist_course.exercises.digest`)."""


@exercise(
    "04-l1l2-penalty",
    hint="L1 adds l1 times the sum of |w|; L2 adds l2 times the sum of w squared. "
    "Add both.",
)
def check_l1l2_penalty(penalty):
    """The penalty `L1L2(l1=0.01, l2=0.1)` adds for `PENALTY_KERNEL`."""
    expect(
        np.ndim(penalty) == 0 and np.isreal(penalty),
        f"Expected one number. Received: {penalty!r}",
    )
    for partial in ONE_PENALTY_ONLY:
        expect(
            not matches("04-l1l2-penalty", float(penalty), partial, decimals=4),
            f"{float(penalty):.4g} counts only one of the two penalties.",
        )
    expect(
        matches("04-l1l2-penalty", float(penalty), PENALTY, decimals=4),
        f"{float(penalty):.4g} is not the penalty of this kernel yet.",
    )


@exercise(
    "04-dense-params",
    hint="Work out the shape after the second pooling layer, flatten it, then count "
    "one weight per input and unit plus one bias per unit.",
)
def check_dense_params(num_params):
    """The parameter count of the challenge model's hidden `Dense` layer."""
    expect(
        isinstance(num_params, (int, np.integer)) and not isinstance(num_params, bool),
        f"Expected an integer. Received: {num_params!r}",
    )
    expect(
        not matches("04-dense-params", num_params, WITHOUT_BIASES),
        f"{num_params} leaves out the biases.",
    )
    expect(
        matches("04-dense-params", num_params, DENSE_PARAMS),
        f"{num_params} is not right yet.",
    )


@exercise(
    "04-stronger-penalty",
    hint="Build it with fmc.build_model('challenge', l1=..., l2=...) using penalties "
    "of at least 1e-3, then train it with train_model.",
)
def check_stronger_penalty(model, history):
    """A challenge model with penalties >= 1e-3, trained with validation data."""
    import keras
    import pandas as pd

    expect(
        isinstance(model, keras.Model),
        f"Expected a keras.Model. Received: {type(model).__name__}",
    )
    expect(
        model.count_params() == 122_922,
        f"Expected the challenge architecture (122,922 parameters). "
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
        min(l1, l2) >= 1e-3,
        f"Expected l1 and l2 of at least 1e-3. Received: l1={l1:g}, l2={l2:g}",
    )
    expect(
        isinstance(history, pd.DataFrame) and "val_accuracy" in history,
        "Expected the history DataFrame from train_model, trained with "
        "validation_data.",
    )
    expect(len(history) >= 1, "The history is empty: train for at least one epoch.")
