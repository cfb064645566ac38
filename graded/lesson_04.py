"""Graded checks of lesson 04 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.answers import as_count, as_number, rounded
from fmnist_course.exercises.lesson_04 import PENALTY_DECIMALS, expect_stronger_penalty
from fmnist_course.exercises.model_checks import sample_test_images
from fmnist_course.grading.assignment import expect, graded

KERNEL = np.array([[0.5, -1.0], [2.0, 0.0]])
GRADER_IMAGES = {"size": 1000, "seed": 404}
"""Real test images the grader judges the trained model on (the self-check
uses another sample); loaded when a model is graded, not when this file is read."""


@graded("04-l1l2-penalty")
def graded_l1l2_penalty(penalty):
    value = as_number(penalty, "penalty")
    l1_term, l2_term = 0.01 * np.abs(KERNEL).sum(), 0.1 * np.square(KERNEL).sum()
    for partial in (l1_term, l2_term):
        expect(
            rounded(value, PENALTY_DECIMALS) != rounded(partial, PENALTY_DECIMALS),
            f"{value:.4g} counts only one of the two penalties.",
        )
    expect(
        rounded(value, PENALTY_DECIMALS)
        == rounded(l1_term + l2_term, PENALTY_DECIMALS),
        f"{value:.4g} is not right yet.",
    )


@graded("04-dense-params")
def graded_dense_params(num_params):
    count = as_count(num_params, "num_params")
    expect(count != 800 * 128, f"{count} leaves out the biases.")
    expect(count == 800 * 128 + 128, f"{count} is not right yet.")


@graded("04-stronger-penalty")
def graded_stronger_penalty(model):
    """Architecture, penalties and accuracy on the grader's images, not a history."""
    images, labels = sample_test_images(**GRADER_IMAGES)
    expect_stronger_penalty(model, images, labels)
