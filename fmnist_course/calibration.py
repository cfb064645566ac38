"""Calibration: whether a model's confidence matches how often it is right.

A classifier's *confidence* in an image is the largest of its ten predicted
probabilities. A model is *calibrated* when, among the images it is 90% sure
of, 90% are right. To check, sort the images into bins of equal width by
confidence (0.9 to 0.933..., say) and compare, in each bin, the mean
confidence with the accuracy: a `reliability_table`, drawn as a reliability
diagram. The *expected calibration error* (ECE) sums the gaps, each weighted
by the share of images in its bin (Guo et al., 2017, "On Calibration of
Modern Neural Networks"): 0 is perfectly calibrated; a model that is always
fully sure and right 94% of the time has an ECE of 0.06.

Examples:
    >>> import numpy as np
    >>> probabilities = np.array([[0.9, 0.1], [0.85, 0.15], [0.3, 0.7], [0.65, 0.35]])
    >>> labels = np.array([0, 1, 1, 0])
    >>> round(expected_calibration_error(probabilities, labels, bins=5), 4)
    0.35
    >>> reliability_table(probabilities, labels, bins=5)["images"].tolist()
    [0, 0, 0, 2, 2]

"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fmnist_course.errors import UserError

CALIBRATION_BINS = 15
"""Confidence bins of equal width between 0 and 1 (Guo et al. use 15)."""

ROUNDING = 1e-6
"""How far float32 rounding may carry a probability outside [0, 1]."""


def _checked(probabilities, labels) -> tuple[np.ndarray, np.ndarray]:
    """The inputs as arrays, or a `UserError` that says what is wrong."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or probabilities.size == 0:
        raise UserError(
            "Expected probabilities of shape (images, classes). Received shape "
            f"{probabilities.shape}. Pass model.predict(images), one row per image."
        )
    if labels.shape != (len(probabilities),):
        raise UserError(
            f"Expected one label per image, shape ({len(probabilities)},). "
            f"Received shape {labels.shape}. Pass integer class labels, not one-hot."
        )
    if not np.isfinite(probabilities).all() or not (
        -ROUNDING <= probabilities.min() and probabilities.max() <= 1.0 + ROUNDING
    ):
        raise UserError(
            "Expected probabilities between 0 and 1. Received values from "
            f"{np.nanmin(probabilities):g} to {np.nanmax(probabilities):g}: "
            "logits? Pass the softmax output, model.predict(images)."
        )
    classes = probabilities.shape[1]
    if not np.issubdtype(labels.dtype, np.integer) or not (
        0 <= labels.min() and labels.max() < classes
    ):
        raise UserError(
            f"Expected integer labels from 0 to {classes - 1}. Received "
            f"{labels.dtype} labels from {labels.min()} to {labels.max()}."
        )
    return probabilities, labels.astype(np.int64)


def _checked_bins(bins) -> int:
    """`bins` as an int, or a `UserError` that shows what was received."""
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise UserError(f"Expected bins, a whole number >= 1. Received: bins={bins!r}")
    return int(bins)


def reliability_table(
    probabilities, labels, bins: int = CALIBRATION_BINS
) -> pd.DataFrame:
    """Mean confidence against accuracy, in bins of equal width by confidence.

    Args:
        probabilities: Predicted class probabilities, shape `(images, classes)`.
        labels: The true class of each image, shape `(images,)`.
        bins: Number of bins of equal width between 0 and 1.

    Returns:
        One row per bin: `low`, `high` (its edges; the last includes 1),
        `images`, `confidence` (their mean confidence) and `accuracy` (the
        share predicted right); the last two are NaN in an empty bin.

    Raises:
        UserError: Shapes that do not match, probabilities outside [0, 1],
            labels that are not classes, or `bins` not a whole number >= 1.

    Examples:
        >>> table = reliability_table([[0.95, 0.05], [0.55, 0.45]], [0, 1], bins=2)
        >>> table[["images", "confidence", "accuracy"]].values.tolist()
        [[0.0, nan, nan], [2.0, 0.75, 0.5]]

    """
    bins = _checked_bins(bins)
    probabilities, labels = _checked(probabilities, labels)
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        chosen = index == b
        count = int(chosen.sum())
        rows.append(
            {
                "low": edges[b],
                "high": edges[b + 1],
                "images": count,
                "confidence": confidence[chosen].mean() if count else np.nan,
                "accuracy": right[chosen].mean() if count else np.nan,
            }
        )
    return pd.DataFrame(rows)


def expected_calibration_error(
    probabilities, labels, bins: int = CALIBRATION_BINS
) -> float:
    """The gap between confidence and accuracy, averaged over images.

    Args:
        probabilities: Predicted class probabilities, shape `(images, classes)`.
        labels: The true class of each image, shape `(images,)`.
        bins: Number of confidence bins of equal width (`reliability_table`).

    Returns:
        The sum over bins of |accuracy - mean confidence| times the bin's share
        of the images: between 0 (calibrated) and 1.

    Raises:
        UserError: As `reliability_table` says.

    Examples:
        >>> expected_calibration_error([[1.0, 0.0], [1.0, 0.0]], [0, 1])
        0.5

    """
    return table_calibration_error(reliability_table(probabilities, labels, bins))


def table_calibration_error(table) -> float:
    """The expected calibration error of a reliability table, as it is read.

    What `expected_calibration_error` returns, from the table alone, so a
    recorded table (a list of rows, `None` in an empty bin) gives its ECE
    again.

    Args:
        table: A `reliability_table`, or its rows as mappings.

    Returns:
        The gap |accuracy - confidence| of each bin, weighted by its images.

    Examples:
        >>> rows = [{"images": 0, "confidence": None, "accuracy": None},
        ...         {"images": 3, "confidence": 0.9, "accuracy": 1.0},
        ...         {"images": 1, "confidence": 0.7, "accuracy": 0.0}]
        >>> round(table_calibration_error(rows), 4)
        0.25

    """
    table = pd.DataFrame(table)
    filled = table[table["images"] > 0]
    gaps = (filled["accuracy"].astype(float) - filled["confidence"].astype(float)).abs()
    return float((gaps * filled["images"]).sum() / filled["images"].sum())
