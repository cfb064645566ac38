"""Checks shared by the exercises that ask for a model.

Several lessons' open exercises ask students for a classifier: a functional
model from 28x28 images to 10 classes, within a parameter budget, that learns
something in a few epochs. `expect_classifier` and `short_fit_accuracy` are
those two requirements, written once. Where a trained model is handed in,
`sample_test_images` and `accuracy_on` judge it on real test images the checker
picks: a self-check on one sample, the graded check on another.
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from fmnist_course.data import load_fashion_mnist
from fmnist_course.exercises.registry import expect
from fmnist_course.predict import takes_raw_pixels


def expect_classifier(model, *, max_params: int | None = None) -> None:
    """Fail the running check unless `model` is a functional 28x28 -> 10 classifier.

    Args:
        model: What the student passed.
        max_params: The exercise's parameter budget, if any.

    Raises:
        CheckFailed: Not a `keras.Model`, a `Sequential` one, the wrong input
            or output shape, or over budget (the message says which).

    Examples:
        >>> expect_classifier("a model")
        Traceback (most recent call last):
        ...
        fmnist_course.exercises.registry.CheckFailed: Expected a keras.Model. Received: str

    """  # noqa: E501
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


@functools.lru_cache(maxsize=4)
def sample_test_images(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded, stratified sample of `size` real test images in [0, 1], and labels.

    Examples:
        >>> images, labels = sample_test_images(20, seed=0)  # doctest: +SKIP
        >>> images.shape, images.dtype  # doctest: +SKIP
        ((20, 28, 28), dtype('float32'))

    """
    data = load_fashion_mnist(scale=True, test_size=size, seed=seed)
    return data.x_test, data.y_test


def predict_probabilities(model, images: np.ndarray) -> np.ndarray:
    """`model`'s class probabilities for images in [0, 1], fed as it expects.

    A model with a `Rescaling` layer gets pixels from 0 to 255, and a model
    with a channel axis gets one.
    """
    if takes_raw_pixels(model):
        images = images * 255.0
    if len(model.inputs[0].shape) == 4:
        images = images[..., np.newaxis]
    batches = [  # direct calls: `predict` would trace a function for each model
        keras.ops.convert_to_numpy(model(images[start : start + 250], training=False))
        for start in range(0, len(images), 250)
    ]
    return np.concatenate(batches)


def accuracy_on(model, images: np.ndarray, labels: np.ndarray) -> float:
    """The share of `images` that `model` classifies as `labels` says."""
    predicted = predict_probabilities(model, images).argmax(axis=1)
    return float(np.mean(predicted == labels))
