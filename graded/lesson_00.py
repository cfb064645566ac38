"""Graded checks of lesson 00 (instructor material: not in the package).

Function answers are called in the sandbox on the `probes` below, inputs the
students never see; the checks here compare the outputs with references.
"""

import numpy as np

from fmnist_course.exercises.assignment import expect, graded

_RNG = np.random.default_rng(2024)
PIXELS = _RNG.integers(0, 256, (6, 28, 28)).astype(np.uint8)
PIXELS[0, 0, 0], PIXELS[0, 0, 1] = 0, 255
LABELS = _RNG.permutation(np.repeat(np.arange(10), 4))
IMAGES = _RNG.integers(0, 256, (40, 28, 28)).astype(np.uint8)


@graded("00-scale-pixels", probes={"scale_pixels": [(PIXELS,)]})
def graded_scale_pixels(scale_pixels):
    scaled = np.asarray(scale_pixels(PIXELS))
    expect(scaled.shape == PIXELS.shape, f"The shape changed: {scaled.shape}.")
    expect(scaled.dtype == np.float32, f"Expected float32. Received: {scaled.dtype}")
    expect(
        np.allclose(scaled, PIXELS.astype(np.float32) / 255.0),
        "The values are not the pixels divided by 255.",
    )


@graded("00-validation-size")
def graded_validation_size(num_val_per_class):
    expect(
        isinstance(num_val_per_class, int | np.integer)
        and not isinstance(num_val_per_class, bool),
        f"Expected an integer. Received: {num_val_per_class!r}",
    )
    expect(num_val_per_class == 600, f"{num_val_per_class} is not right yet.")


@graded("00-mean-images", probes={"mean_images_per_class": [(IMAGES, LABELS)]})
def graded_mean_images(mean_images_per_class):
    result = np.asarray(mean_images_per_class(IMAGES, LABELS))
    expect(
        result.shape == (10, 28, 28), f"Expected (10, 28, 28). Received: {result.shape}"
    )
    expected = np.stack([IMAGES[LABELS == k].mean(axis=0) for k in range(10)])
    expect(np.allclose(result, expected, atol=1e-3), "Row k is not class k's average.")
