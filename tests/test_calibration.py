"""Calibration: the reliability table and the expected calibration error."""

from __future__ import annotations

import numpy as np
import pytest

from fmnist_course.calibration import (
    CALIBRATION_BINS,
    expected_calibration_error,
    reliability_table,
)
from fmnist_course.errors import UserError


def two_class(confidence: np.ndarray) -> np.ndarray:
    """Probabilities that give class 0 the `confidence` of each row."""
    return np.stack([confidence, 1 - confidence], axis=1)


def test_known_values_by_hand():
    # Bins of 0.2: 0.9 and 0.85 fall in the last, 0.7 and 0.65 in the fourth.
    probabilities = [[0.9, 0.1], [0.85, 0.15], [0.3, 0.7], [0.65, 0.35]]
    labels = [0, 1, 1, 0]
    table = reliability_table(probabilities, labels, bins=5)
    assert table["images"].tolist() == [0, 0, 0, 2, 2]
    assert table["low"].tolist() == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    assert table["high"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    fourth, last = table.iloc[3], table.iloc[4]
    assert (fourth["confidence"], fourth["accuracy"]) == pytest.approx((0.675, 1.0))
    assert (last["confidence"], last["accuracy"]) == pytest.approx((0.875, 0.5))
    assert table.iloc[:3][["confidence", "accuracy"]].isna().all().all()
    # Half the images in each bin: (0.325 + 0.375) / 2.
    ece = expected_calibration_error(probabilities, labels, bins=5)
    assert ece == pytest.approx(0.35)


def test_a_confidence_of_exactly_one_falls_in_the_last_bin():
    table = reliability_table([[1.0, 0.0], [0.5, 0.5]], [0, 1], bins=4)
    assert table["images"].tolist() == [0, 0, 1, 1]


def test_a_perfectly_calibrated_sample_has_an_ece_near_zero():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, size=200_000)
    # Each image is right with exactly the probability the model gives it.
    right = rng.random(confidence.shape) < confidence
    labels = np.where(right, 0, 1)
    ece = expected_calibration_error(two_class(confidence), labels)
    assert ece < 0.005
    table = reliability_table(two_class(confidence), labels)
    filled = table[table["images"] > 0]
    assert np.abs(filled["accuracy"] - filled["confidence"]).max() < 0.02


def test_an_always_sure_model_right_94_percent_of_the_time_has_an_ece_of_006():
    labels = np.zeros(10_000, dtype=int)
    labels[:600] = 3  # wrong on 6% of the images
    probabilities = np.zeros((10_000, 10))
    probabilities[:, 0] = 1.0
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.06)
    table = reliability_table(probabilities, labels)
    assert len(table) == CALIBRATION_BINS
    assert table["images"].iloc[-1] == 10_000
    assert table["accuracy"].iloc[-1] == pytest.approx(0.94)


def test_an_underconfident_model_has_a_gap_too():
    # Always 60% sure, always right: ECE 0.4, the gap in the other direction.
    probabilities = np.tile([0.6, 0.4], (50, 1))
    assert expected_calibration_error(
        probabilities, np.zeros(50, int)
    ) == pytest.approx(0.4)


def test_more_classes_and_integer_types_are_accepted():
    probabilities = np.full((4, 10), 0.1, dtype=np.float32)
    labels = np.array([0, 1, 2, 3], dtype=np.uint8)
    assert expected_calibration_error(probabilities, labels, bins=np.int64(10)) == (
        pytest.approx(0.15)  # 0.1 confident, right on 1 image of 4
    )


@pytest.mark.parametrize(
    ("probabilities", "labels", "message"),
    [
        (np.full(5, 0.5), np.zeros(5, int), r"Received shape \(5,\)"),
        (np.zeros((0, 10)), np.zeros(0, int), r"Received shape \(0, 10\)"),
        (np.full((3, 2), 0.5), np.zeros((3, 2), int), r"Received shape \(3, 2\)"),
        (np.full((3, 2), 0.5), np.zeros(4, int), r"shape \(3,\)\. Received shape"),
        ([[2.0, -1.0]], [0], "Received values from -1 to 2: logits"),
        ([[np.nan, 0.5]], [0], "Received values from"),
        ([[0.5, 0.5]], [2], "labels from 0 to 1. Received int64 labels from 2"),
        ([[0.5, 0.5]], [0.0], "Received float64 labels"),
    ],
)
def test_bad_inputs_name_what_was_received(probabilities, labels, message):
    with pytest.raises(UserError, match=message):
        reliability_table(probabilities, labels)
    with pytest.raises(UserError, match=message):
        expected_calibration_error(probabilities, labels)


@pytest.mark.parametrize("bins", [0, -3, 2.5, True, "15", None])
def test_bad_bins_name_what_was_received(bins):
    with pytest.raises(UserError, match=rf"Received: bins={bins!r}"):
        reliability_table([[0.5, 0.5]], [0], bins=bins)
