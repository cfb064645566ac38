"""Graded checks of lesson 08 (instructor material: not in the package).

`08-most-confused-pair` is judged on hidden confusion matrices, and
`08-reload` on the run directory itself: the grader loads the saved model
from its bytes, in safe mode, and runs it on its own images. Neither trusts
a matrix or a "reloaded" model the student hands in.
"""

import numpy as np

from fmnist_course.data import CLASS_NAMES
from fmnist_course.exercises.lesson_08 import expect_confused_pair, expect_saved_run
from fmnist_course.exercises.model_checks import sample_test_images
from fmnist_course.grading.assignment import expect, graded

GRADER_IMAGES = {"size": 500, "seed": 808}
"""Real test images the grader runs the saved model on (the self-check uses
others); loaded when a run is graded, not when this file is read."""


def _matrix(cells):
    """A confusion matrix of 1,000 test images per class with these mistakes."""
    matrix = np.zeros((10, 10), dtype=np.int64)
    for (true_name, predicted_name), count in cells.items():
        matrix[CLASS_NAMES.index(true_name), CLASS_NAMES.index(predicted_name)] = count
    np.fill_diagonal(matrix, 1000 - matrix.sum(axis=1))
    return matrix


MATRICES = [
    (
        _matrix(
            {
                ("Pullover", "Coat"): 61,
                ("Coat", "Pullover"): 58,
                ("Shirt", "T-shirt/top"): 55,
                ("Shirt", "Pullover"): 41,
                ("Sandal", "Sneaker"): 20,
            }
        ),
        ("Pullover", "Coat"),
    ),
    (
        _matrix(
            {
                ("T-shirt/top", "Shirt"): 90,
                ("Shirt", "T-shirt/top"): 140,
                ("Shirt", "Coat"): 95,
                ("Ankle boot", "Sneaker"): 30,
                ("Bag", "Shirt"): 12,
            }
        ),
        ("Shirt", "T-shirt/top"),
    ),
]


@graded(
    "08-most-confused-pair",
    probes={"most_confused_pair": [(matrix,) for matrix, _ in MATRICES]},
)
def graded_most_confused_pair(most_confused_pair):
    for matrix, expected in MATRICES:
        pair = most_confused_pair(matrix)
        expect_confused_pair(pair, matrix)
        expect(tuple(pair) == expected, "On a hidden matrix the pair is not right.")


@graded("08-reload")
def graded_reload(run_dir):
    """The saved model.keras, loaded in safe mode, classifies the grader's images."""
    images, _ = sample_test_images(**GRADER_IMAGES)
    expect_saved_run(run_dir, images)
