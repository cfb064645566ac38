"""Checks for lesson 00, the data."""

from __future__ import annotations

import numpy as np

from fmnist_course.exercises.answers import (
    as_array,
    as_count,
    close,
    expect_function,
    graded_on_other_inputs,
)
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

VALIDATION_SIZE = "55ba4d691d74207742fa41f9739ae482e8105c3b5bbc6eb43fcbc036ae789778"
MEAN_IMAGES = "0aecddc788a01e4acf355ee57d8987d2979a3717008dceea7f1f5a5f7b5baf22"
"""Digests of the answers (see `fmnist_course.exercises.digest`)."""


def expect_scaled(scaled, images: np.ndarray) -> None:
    """Fail the running check unless `scaled` is `images` as float32 in [0, 1].

    Shared by the self-check and the graded check of `00-scale-pixels`.
    """
    scaled = as_array(scaled, "the scaled images")
    expect(
        scaled.shape == images.shape,
        f"The shape changed: {images.shape} became {scaled.shape}.",
    )
    expect(scaled.dtype == np.float32, f"Expected float32. Received: {scaled.dtype}")
    expect(
        close(scaled, images.astype(np.float32) / 255),
        f"Expected values from 0 to 1, proportional to the pixels. Received: "
        f"{scaled.min()} to {scaled.max()}",
    )


@exercise(
    "00-scale-pixels",
    hint="Convert to float32 first, then divide by the largest pixel value, 255.",
)
@graded_on_other_inputs
def check_scale_pixels(scale_pixels):
    """`scale_pixels(images)` maps uint8 [0, 255] to float32 [0, 1]."""
    expect_function(scale_pixels)
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype(np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    expect_scaled(scale_pixels(images.copy()), images)


@exercise(
    "00-validation-size",
    hint="Stratified means each class keeps its share: take 10% of each class.",
)
def check_validation_size(num_val_per_class):
    """Images per class in a stratified 10% split of 6,000 per class."""
    count = as_count(num_val_per_class, "num_val_per_class")
    expect(
        matches("00-validation-size", count, VALIDATION_SIZE),
        f"{count} is not right yet.",
    )


@exercise(
    "00-mean-images",
    hint="For each class k, select images[labels == k] and average over axis 0.",
)
@graded_on_other_inputs
def check_mean_images(mean_images_per_class):
    """`mean_images_per_class(images, labels)` returns a (10, 28, 28) array."""
    expect_function(mean_images_per_class)
    rng = np.random.default_rng(1)
    labels = rng.permutation(np.repeat(np.arange(10), 5))
    images = rng.integers(0, 256, (50, 28, 28)).astype(np.uint8)
    result = as_array(mean_images_per_class(images, labels), "the mean images")
    expect(
        result.shape == (10, 28, 28),
        f"Expected shape (10, 28, 28). Received: {result.shape}",
    )
    # Each mean is a multiple of 1/5, far from a rounding boundary at 3
    # decimals: a float32 computation digests like a float64 one.
    expect(
        matches("00-mean-images", result.astype(np.float64), MEAN_IMAGES, decimals=3),
        "Row k is not the average of the images of class k "
        "(check the mask and the axis you average over).",
    )
