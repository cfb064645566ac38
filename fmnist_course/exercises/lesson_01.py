"""Checks for lesson 01, the dense baseline and the functional API."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.answers import as_count, describe
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.model_checks import expect_classifier, short_fit_accuracy
from fmnist_course.exercises.registry import exercise, expect

DENSE_PARAMS = "74ecc8dab544222d127f420b227426dc1b92bbea06814781b4a6e4e5b8bcb921"
WITHOUT_BIASES = "849fbe1dae75d1b0983cd9753d6e81a820f39506bdb5f82f4bebd780d410acaa"
"""Digests of the answer of 01-count-dense-params and of a common mistake."""


@exercise(
    "01-count-dense-params",
    hint="Each Dense unit has one weight per input and one bias.",
)
def check_count_dense_params(num_params):
    """Parameters of Dense(128) on a flattened 28x28 image."""
    count = as_count(num_params, "num_params")
    expect(
        not matches("01-count-dense-params", count, WITHOUT_BIASES),
        f"{count} leaves out the biases.",
    )
    expect(
        matches("01-count-dense-params", count, DENSE_PARAMS),
        f"{count} is not right yet.",
    )


@exercise(
    "01-reuse-extractor",
    hint="Call the extractor on a new keras.Input like a layer, add a Dense(3) "
    "softmax on its output, and set extractor.trainable = False.",
)
def check_reuse_extractor(coarse_model, extractor):
    """`coarse_model` contains `extractor` itself and trains only its new head.

    The graded check runs this same check on the models rebuilt from the
    export, where `extractor` is found inside `coarse_model` by the codec.
    """
    expect(
        isinstance(extractor, keras.Model)
        and tuple(extractor.inputs[0].shape[1:]) == (28, 28),
        "Expected `extractor`, the lesson's feature extractor (a keras.Model on "
        f"28x28 images), as the second argument. Received: {describe(extractor)}",
    )
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
    images = np.random.default_rng(1).uniform(0, 1, size=(4, 28, 28)).astype("float32")
    outputs = keras.ops.convert_to_numpy(coarse_model(images, training=False))
    expect(
        np.all(outputs >= 0) and np.allclose(outputs.sum(axis=1), 1, atol=1e-4),
        "The 3 outputs are not probabilities (they should be at least 0 and sum "
        'to 1). Give the new Dense layer activation="softmax".',
    )
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
    """A dense functional classifier of <= 60,000 params, >= 0.74 after 3 epochs.

    `short_fit_accuracy` trains a fresh copy on the course's own images, so
    the graded check runs this same check.
    """
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
