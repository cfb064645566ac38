"""Ladder-row fields that make a test row count as today's full recipe."""

from __future__ import annotations

from typing import Any

from fmnist_course.fingerprints import fingerprint, fingerprint_digest
from fmnist_course.recipes import RECIPES
from fmnist_course.results_tables import (
    FULL_TEST_IMAGES,
    FULL_TRAIN_IMAGES,
    RECORDED_RECIPE_FIELDS,
    VALIDATION_IMAGES,
)


def todays(model: str, precision: str = "float32") -> dict[str, Any]:
    """The fields `results_tables.outdated_row` reads, as today's ladder writes them."""
    recipe = RECIPES[model]
    return {
        **{key: getattr(recipe, key) for key in RECORDED_RECIPE_FIELDS},
        "fingerprint": fingerprint_digest(fingerprint(model)),
        "precision": precision,
        "train_images": FULL_TRAIN_IMAGES + VALIDATION_IMAGES * recipe.final_fit,
        "test_images": FULL_TEST_IMAGES,
    }
