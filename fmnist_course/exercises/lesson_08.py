"""Checks for lesson 08: using and understanding a trained model."""

from __future__ import annotations

import os

import numpy as np

from fmnist_course.data import CLASS_NAMES
from fmnist_course.exercises.answers import (
    as_names,
    describe,
    expect_function,
    graded_on_other_inputs,
)
from fmnist_course.exercises.model_checks import (
    predict_probabilities,
    sample_test_images,
)
from fmnist_course.exercises.registry import exercise, expect
from fmnist_course.exercises.saved_run import SavedRun, read_run_dir

NUM_CLASSES = len(CLASS_NAMES)


def _made_up_matrix(cells: dict[tuple[str, str], int]) -> np.ndarray:
    """A 10x10 confusion matrix of 100 images per class with these mistakes."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    for (true_name, predicted_name), count in cells.items():
        matrix[CLASS_NAMES.index(true_name), CLASS_NAMES.index(predicted_name)] = count
    np.fill_diagonal(matrix, 100 - matrix.sum(axis=1))
    return matrix


MADE_UP_MATRICES = (
    _made_up_matrix(
        {
            ("Shirt", "T-shirt/top"): 12,
            ("T-shirt/top", "Shirt"): 5,
            ("Coat", "Shirt"): 4,
        }
    ),
    _made_up_matrix(
        {("Sneaker", "Sandal"): 3, ("Sandal", "Sneaker"): 7, ("Pullover", "Coat"): 6}
    ),
)
"""Made-up matrices for the self-check of 08-most-confused-pair."""

SELF_CHECK_IMAGES = {"size": 200, "seed": 8}
"""The real test images the self-check of 08-reload runs the saved model on
(the graded check uses others)."""


def expect_confused_pair(pair, matrix: np.ndarray) -> None:
    """Fail the running check unless `pair` names the largest off-diagonal cell.

    Shared by the self-check (on made-up matrices) and the graded check (on
    hidden ones) of `08-most-confused-pair`.
    """
    true_name, predicted_name = as_names(pair, length=2, name="the pair")
    expect(
        true_name in CLASS_NAMES and predicted_name in CLASS_NAMES,
        f"Expected two names from CLASS_NAMES. Received: {pair!r}",
    )
    expect(true_name != predicted_name, "That cell is on the diagonal: a correct one.")
    off_diagonal = matrix.astype(float)
    np.fill_diagonal(off_diagonal, -np.inf)
    count = off_diagonal[
        CLASS_NAMES.index(true_name), CLASS_NAMES.index(predicted_name)
    ]
    reversed_count = off_diagonal[
        CLASS_NAMES.index(predicted_name), CLASS_NAMES.index(true_name)
    ]
    expect(
        count == off_diagonal.max() or reversed_count < off_diagonal.max(),
        "Close: you have the right two classes, but in the wrong order.",
    )
    expect(
        count == off_diagonal.max(),
        f"{true_name} predicted as {predicted_name} is not the most frequent mistake.",
    )


@exercise(
    "08-most-confused-pair",
    hint="Ignore the diagonal (the correct predictions), e.g. by copying the matrix "
    "and setting its diagonal to -1, then find the largest remaining cell. Its row "
    "is the true class, its column the prediction.",
)
@graded_on_other_inputs
def check_most_confused_pair(most_confused_pair):
    """`most_confused_pair(matrix)` returns `(true name, predicted name)`."""
    expect_function(most_confused_pair)
    for matrix in MADE_UP_MATRICES:
        expect_confused_pair(most_confused_pair(matrix.copy()), matrix)


def expect_saved_run(run, images: np.ndarray) -> None:
    """Fail the running check unless `run` holds a saved 10-class classifier.

    `run` is what the grader receives for a run directory (see
    `saved_run.SavedRun`): its three files, read from disk. The model is
    loaded from its bytes in safe mode and run on `images`, real test images
    the checker picks. Shared by the self-check and the graded check of
    `08-reload`.

    The model's accuracy is not judged: a student may save any classifier,
    even an untrained one, and the exercise is about saving and loading.
    """
    expect(
        isinstance(run, SavedRun),
        "Expected the run directory (the Path that new_run_dir returned) after "
        f"save_run wrote into it. Received: {describe(run)}",
    )
    try:
        model = run.load_model()
    except Exception as error:  # Keras raises several types for a bad file
        expect(
            False,
            f"Its model.keras does not load in safe mode ({type(error).__name__}). "
            "Write it with save_run, without Lambda layers.",
        )
    shapes = [tuple(model.inputs[0].shape[1:]), tuple(model.outputs[0].shape[1:])]
    expect(
        shapes[0] in ((28, 28), (28, 28, 1)) and shapes[1] == (NUM_CLASSES,),
        f"Expected a model from 28x28 images to {NUM_CLASSES} classes. Received: "
        f"{shapes[0]} to {shapes[1]}",
    )
    probabilities = predict_probabilities(model, images)
    expect(
        bool(np.all(probabilities >= 0))
        and bool(np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)),
        "The saved model's outputs are not class probabilities: end it with a softmax.",
    )


@exercise(
    "08-reload",
    hint="Use new_run_dir for a fresh directory, save_run to write the model "
    "into it, then pass that directory (the Path) to the check.",
)
@graded_on_other_inputs
def check_reload(run_dir):
    """`run_dir` holds a model saved by `save_run` that loads and classifies."""
    expect(
        isinstance(run_dir, os.PathLike),
        "Expected the run directory, the Path that new_run_dir returned. "
        f"Received: {describe(run_dir)}",
    )
    try:
        run = read_run_dir(run_dir)
    except ValueError as error:
        expect(False, f"The run directory cannot be read: {error}.")
    images, _ = sample_test_images(**SELF_CHECK_IMAGES)
    expect_saved_run(run, images)
