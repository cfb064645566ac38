"""Graded checks of lesson 00 (instructor material: not in the package).

Function answers are called in the sandbox on the `probes` below, inputs the
students never see; the checks here compare the outputs with references.
Answers are read through `fmnist_course.exercises.answers`, as the
self-checks read them, so every form of a right answer passes both.
"""

import numpy as np

from fmnist_course.exercises.answers import as_array, as_count, close
from fmnist_course.exercises.lesson_00 import expect_scaled
from fmnist_course.grading.assignment import expect, graded

_RNG = np.random.default_rng(2024)
PIXELS = _RNG.integers(0, 256, (6, 28, 28)).astype(np.uint8)
PIXELS[0, 0, 0], PIXELS[0, 0, 1] = 0, 255
LABELS = _RNG.permutation(np.repeat(np.arange(10), 4))
IMAGES = _RNG.integers(0, 256, (40, 28, 28)).astype(np.uint8)


@graded("00-scale-pixels", probes={"scale_pixels": [(PIXELS,)]})
def graded_scale_pixels(scale_pixels):
    expect_scaled(scale_pixels(PIXELS), PIXELS)


@graded("00-validation-size")
def graded_validation_size(num_val_per_class):
    count = as_count(num_val_per_class, "num_val_per_class")
    expect(count == 600, f"{count} is not right yet.")


@graded("00-mean-images", probes={"mean_images_per_class": [(IMAGES, LABELS)]})
def graded_mean_images(mean_images_per_class):
    result = as_array(mean_images_per_class(IMAGES, LABELS), "the mean images")
    expect(
        result.shape == (10, 28, 28), f"Expected (10, 28, 28). Received: {result.shape}"
    )
    expected = np.stack([IMAGES[LABELS == k].mean(axis=0) for k in range(10)])
    expect(close(result, expected), "Row k is not class k's average.")
