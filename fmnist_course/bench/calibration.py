"""Calibration of the shipped best model: its confidence against its accuracy.

`measure_calibration` loads a shipped model (`fmnist_course.load_shipped`,
`"best"` unless told otherwise), predicts the 10,000 test images with the
trained network alone and averaged over ten views (test-time augmentation,
`view_averaging.with_test_time_augmentation`, as the recipe scores it), and
returns, for each, what `calibration_record.calibration_summary` computes:
accuracy, mean confidence, expected calibration error over
`CALIBRATION_BINS` bins and the reliability table. The entry names the model
it measured: its recipe, seed, the SHA-256 of its `.keras` file and its
training fingerprint, so a record cannot be mistaken for another model's.
`fmnist-course bench calibration` records it in `results.json`
(`calibration`, per device). It trains nothing: a minute or two on a CPU.

Examples:
    >>> entry = measure_calibration("best")  # doctest: +SKIP
    >>> entry["scorings"]["test_time_augmentation"]["ece"]  # doctest: +SKIP
    0.01...

"""

from __future__ import annotations

import os
from typing import Any

from fmnist_course.bench.record import measured_now
from fmnist_course.calibration import CALIBRATION_BINS
from fmnist_course.calibration_record import calibration_summary
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine
from fmnist_course.recipes import get_recipe
from fmnist_course.trained_models import load_shipped
from fmnist_course.view_averaging import with_test_time_augmentation

CALIBRATED_MODEL = "best"
"""The shipped model that `bench calibration` measures unless told otherwise."""

PREDICT_BATCH = 512
"""Images per forward pass while predicting the test set."""


def measure_calibration(
    name: str = CALIBRATED_MODEL,
    *,
    models_dir: str | os.PathLike | None = None,
    test_size: int | None = None,
    data_dir: str | os.PathLike | None = None,
    bins: int = CALIBRATION_BINS,
    log=print,
) -> dict[str, Any]:
    """Score a shipped model's calibration, alone and with test-time augmentation.

    Args:
        name: The shipped model (a recipe with a lesson), e.g. `"best"`.
        models_dir: Where the shipped models are (`None`: the package's).
        test_size: A seeded, stratified subset of the test images (smoke
            tests only; `None`: all 10,000).
        data_dir: Where the four `.gz` files are.
        bins: Confidence bins of equal width.
        log: Where progress lines go.

    Returns:
        A JSON-ready entry: `model`, `seed`, `keras_sha256`,
        `fingerprint_sha256`, `recorded_test_accuracy` (what the ladder
        recorded for this model), `test_images`, `bins`,
        `recipe_test_time_augmentation` (whether the recipe scores with it),
        `scorings` (`model_alone` and `test_time_augmentation`, each a
        `calibration_summary`), `machine` and `measured_at`.

    Raises:
        UserError: The shipped model is missing, or was trained by another
            recipe, code or data (`load_shipped`).

    """
    shipped = load_shipped(name, models_dir)
    data = load_course_split(data_dir, fast=False, test_size=test_size)
    models = {
        "model_alone": shipped.model,
        "test_time_augmentation": with_test_time_augmentation(shipped.model),
    }
    scorings = {}
    for key, model in models.items():
        log(f"  predicting {len(data.x_test):,} test images: {key.replace('_', ' ')}")
        probabilities = model.predict(data.x_test, batch_size=PREDICT_BATCH, verbose=0)
        scorings[key] = calibration_summary(probabilities, data.y_test, bins)
    metadata = shipped.metadata
    return {
        "model": name,
        "seed": shipped.seed,
        "keras_sha256": metadata["keras_sha256"],
        "fingerprint_sha256": metadata["fingerprint_sha256"],
        "recorded_test_accuracy": metadata.get("test_accuracy"),
        "test_images": len(data.x_test),
        "bins": bins,
        "recipe_test_time_augmentation": get_recipe(name).test_time_augmentation,
        "scorings": scorings,
        "machine": describe_machine(),
        "measured_at": measured_now(),
    }
