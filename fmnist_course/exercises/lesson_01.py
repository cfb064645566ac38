"""Checks for lesson 01, the dense baseline and the functional API."""

from __future__ import annotations

import keras
import numpy as np

from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

DENSE_PARAMS = "74ecc8dab544222d127f420b227426dc1b92bbea06814781b4a6e4e5b8bcb921"
"""Digest of the answer of 01-count-dense-params."""


def _expect_classifier(model, *, max_params: int | None = None) -> None:
    """A functional model from 28x28 images to 10 probabilities, within budget."""
    expect(
        isinstance(model, keras.Model),
        f"Expected a keras.Model. Received: {type(model).__name__}",
    )
    expect(
        not isinstance(model, keras.Sequential),
        "Expected a functional model (keras.Input -> layers -> keras.Model), "
        "not a Sequential one.",
    )
    input_shape = tuple(model.inputs[0].shape[1:])
    expect(
        input_shape in ((28, 28), (28, 28, 1)),
        f"Expected inputs of shape (28, 28). Received: {input_shape}",
    )
    output_shape = tuple(model.outputs[0].shape[1:])
    expect(output_shape == (10,), f"Expected 10 outputs. Received: {output_shape}")
    if max_params is not None:
        expect(
            model.count_params() <= max_params,
            f"The model has {model.count_params():,} parameters; "
            f"the budget is {max_params:,}.",
        )


def short_fit_accuracy(model, *, epochs: int = 3, seed: int = 0) -> float:
    """Train a fresh copy of `model` on 2,400 real images; return val accuracy.

    Adam at 0.001, batch 32, validated on 600 other images, all seeded.

    The student's model is left untouched: its architecture is cloned with new
    weights. Used by the open exercises of several lessons.
    """
    from fmnist_course.data import load_fashion_mnist

    data = load_fashion_mnist(
        scale=True, train_size=3000, test_size=10, validation_split=0.2, seed=seed
    )
    keras.utils.set_random_seed(seed)
    fresh = keras.models.clone_model(model)
    x_train, x_val = data.x_train, data.x_val
    if len(fresh.inputs[0].shape) == 4:
        x_train, x_val = x_train[..., np.newaxis], x_val[..., np.newaxis]
    fresh.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    fresh.fit(x_train, data.y_train, epochs=epochs, batch_size=32, verbose=0)
    _, accuracy = fresh.evaluate(x_val, data.y_val, verbose=0)
    return float(accuracy)


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
    _expect_classifier(model, max_params=60_000)
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
