"""Checks for lesson 08: using and understanding a trained model."""

from __future__ import annotations

import numpy as np

from fmnist_course.data import CLASS_NAMES
from fmnist_course.exercises.registry import exercise, expect


@exercise(
    "08-most-confused-pair",
    hint="Ignore the diagonal (the correct predictions), e.g. by copying the matrix "
    "and setting its diagonal to -1, then find the largest remaining cell. Its row "
    "is the true class, its column the prediction.",
)
def check_most_confused_pair(pair, matrix):
    """`(true name, predicted name)` of the largest off-diagonal cell of `matrix`."""
    matrix = np.asarray(matrix)
    expect(
        matrix.shape == (len(CLASS_NAMES), len(CLASS_NAMES)),
        f"Expected the 10x10 confusion matrix as the second argument. "
        f"Received shape {matrix.shape}.",
    )
    expect(
        isinstance(pair, tuple) and len(pair) == 2,
        f"Expected a pair (true class name, predicted class name). Received: {pair!r}",
    )
    expect(
        all(name in CLASS_NAMES for name in pair),
        f"Expected two names from CLASS_NAMES. Received: {pair!r}",
    )
    true_name, predicted_name = pair
    expect(true_name != predicted_name, "That cell is on the diagonal: a correct one.")
    off_diagonal = matrix.astype(float).copy()
    np.fill_diagonal(off_diagonal, -np.inf)
    count = off_diagonal[
        CLASS_NAMES.index(true_name), CLASS_NAMES.index(predicted_name)
    ]
    reversed_count = off_diagonal[
        CLASS_NAMES.index(predicted_name), CLASS_NAMES.index(true_name)
    ]
    if reversed_count == off_diagonal.max() and count < reversed_count:
        expect(False, "Close: you have the right two classes, but in the wrong order.")
    expect(
        count == off_diagonal.max(),
        f"{true_name} predicted as {predicted_name} happens {int(count)} times; "
        "another pair happens more often.",
    )


@exercise(
    "08-reload",
    hint="Use new_run_dir for a fresh directory, save_run to write the model, then "
    "fmc.load_model on that directory; pass the original, the reloaded model and "
    "a few test images.",
)
def check_reload(model, reloaded, images):
    """`reloaded` is a separate copy of `model` with the same predictions."""
    import keras

    for name, value in (("model", model), ("reloaded", reloaded)):
        expect(
            isinstance(value, keras.Model),
            f"Expected {name} to be a keras.Model. Received: {type(value).__name__}",
        )
    expect(
        reloaded is not model,
        "You passed the same model object twice; load it again from the run directory.",
    )
    images = np.asarray(images, dtype="float32")
    expect(len(images) >= 1, "Expected a few test images. Received none.")
    before = keras.ops.convert_to_numpy(model(images, training=False))
    after = keras.ops.convert_to_numpy(reloaded(images, training=False))
    expect(
        np.allclose(before, after, atol=1e-5),
        "The reloaded model predicts differently: is it the model you saved?",
    )
