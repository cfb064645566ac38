"""Checks for lesson 01, the dense baseline and the functional API."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.model_checks import expect_classifier, short_fit_accuracy
from fmnist_course.exercises.registry import exercise, expect

DENSE_PARAMS = "74ecc8dab544222d127f420b227426dc1b92bbea06814781b4a6e4e5b8bcb921"
"""Digest of the answer of 01-count-dense-params."""


@exercise(
    "01-count-dense-params",
    hint="Each Dense unit has one weight per input and one bias.",
)
def check_count_dense_params(num_params):
    """Parameters of Dense(128) on a flattened 28x28 image."""
    expect(
        isinstance(num_params, (int, np.integer)),
        f"Expected an integer. Received: {num_params!r}",
    )
    expect(
        matches("01-count-dense-params", num_params, DENSE_PARAMS),
        f"{num_params} is not right yet.",
    )


@exercise(
    "01-reuse-extractor",
    hint="Call the extractor on a new keras.Input like a layer, add a Dense(3) "
    "softmax on its output, and set extractor.trainable = False.",
)
def check_reuse_extractor(coarse_model, extractor):
    """`coarse_model` contains `extractor` itself and trains only its new head."""
    expect(
        isinstance(coarse_model, keras.Model)
        and not isinstance(coarse_model, keras.Sequential),
        f"Expected a functional keras.Model. Received: {type(coarse_model).__name__}",
    )
    expect(
        any(layer is extractor for layer in coarse_model.layers),
        "coarse_model does not contain `extractor` itself. Call `extractor(...)` "
        "on the new input instead of building new layers.",
    )
    output_shape = tuple(coarse_model.outputs[0].shape[1:])
    expect(output_shape == (3,), f"Expected 3 outputs. Received: {output_shape}")
    extractor_ids = {id(weight) for weight in extractor.weights}
    trained = [w for w in coarse_model.trainable_weights if id(w) in extractor_ids]
    expect(
        not trained,
        f"{len(trained)} weights of the extractor would still be trained. "
        "Freeze it first.",
    )
    expect(
        coarse_model.trainable_weights,
        "Nothing is trainable: the new head should be.",
    )


@exercise(
    "01-small-dense",
    hint="One hidden Dense layer of about 64 units stays under 60,000 parameters.",
)
def check_small_dense(model):
    """A dense functional classifier of <= 60,000 params, >= 0.74 after 3 epochs."""
    expect_classifier(model, max_params=60_000)
    kinds = {type(layer).__name__ for layer in model.layers}
    expect(
        not kinds & {"Conv2D", "Conv1D", "DepthwiseConv2D", "SeparableConv2D"},
        "This exercise is about dense layers; convolutions come in lesson 02.",
    )
    accuracy = short_fit_accuracy(model)
    expect(
        accuracy >= 0.74,
        f"After 3 epochs on 2,400 images it reached a validation accuracy of "
        f"{accuracy:.3f}; the target is 0.74.",
    )
