"""Checks for lesson 00, the data."""

from __future__ import annotations

import numpy as np

from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

VALIDATION_SIZE = "55ba4d691d74207742fa41f9739ae482e8105c3b5bbc6eb43fcbc036ae789778"
MEAN_IMAGES = "0aecddc788a01e4acf355ee57d8987d2979a3717008dceea7f1f5a5f7b5baf22"
"""Digests of the answers (see `fmnist_course.exercises.digest`)."""


@exercise(
    "00-scale-pixels",
    hint="Convert to float32 first, then divide by the largest pixel value, 255.",
)
def check_scale_pixels(scale_pixels):
    """`scale_pixels(images)` maps uint8 [0, 255] to float32 [0, 1]."""
    expect(callable(scale_pixels), f"Expected a function. Received: {scale_pixels!r}")
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype(np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    scaled = np.asarray(scale_pixels(images.copy()))
    expect(
        scaled.shape == images.shape,
        f"The shape changed: {images.shape} became {scaled.shape}.",
    )
    expect(scaled.dtype == np.float32, f"Expected float32. Received: {scaled.dtype}")
    expect(
        scaled.min() == 0.0 and scaled.max() == 1.0,
        f"Expected values from 0 to 1. Received: {scaled.min()} to {scaled.max()}",
    )
    expect(
        np.allclose(scaled * 255, images),
        "The values are in [0, 1] but not proportional to the pixels.",
    )


@exercise(
    "00-validation-size",
    hint="Stratified means each class keeps its share: take 10% of each class.",
)
def check_validation_size(num_val_per_class):
    """Images per class in a stratified 10% split of 6,000 per class."""
    expect(
        isinstance(num_val_per_class, (int, np.integer)),
        f"Expected an integer. Received: {num_val_per_class!r}",
    )
    expect(
        matches("00-validation-size", num_val_per_class, VALIDATION_SIZE),
        f"{num_val_per_class} is not right yet.",
    )


@exercise(
    "00-mean-images",
    hint="For each class k, select images[labels == k] and average over axis 0.",
)
def check_mean_images(mean_images_per_class):
    """`mean_images_per_class(images, labels)` returns a (10, 28, 28) array."""
    expect(
        callable(mean_images_per_class),
        f"Expected a function. Received: {mean_images_per_class!r}",
    )
    rng = np.random.default_rng(1)
    labels = rng.permutation(np.repeat(np.arange(10), 5))
    images = rng.integers(0, 256, (50, 28, 28)).astype(np.uint8)
    result = np.asarray(mean_images_per_class(images, labels))
    expect(
        result.shape == (10, 28, 28),
        f"Expected shape (10, 28, 28). Received: {result.shape}",
    )
    expect(
        matches("00-mean-images", result, MEAN_IMAGES, decimals=3),
        "Row k is not the average of the images of class k "
        "(check the mask and the axis you average over).",
    )
