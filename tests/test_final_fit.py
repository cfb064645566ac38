"""The final fit: the validation images join the training set, nothing else moves.

No training here except one epoch on a small subset.
"""

from __future__ import annotations

import numpy as np

from fmnist_course.fast_mode import load_course_split
from fmnist_course.final_fit import data_for_recipe, with_validation_in_training
from fmnist_course.recipes import RECIPES


def test_the_validation_images_join_the_training_images_and_nothing_else_moves():
    """Guards: a final fit trains on every image of the split exactly once,
    keeps the test set as it was and has no validation set left to report."""
    split = load_course_split(fast=False, train_size=3000, test_size=500, seed=4)
    merged = with_validation_in_training(split)
    assert len(merged.x_train) == len(split.x_train) + len(split.x_val) == 3000
    assert merged.x_val is None and merged.validation_data is None
    assert np.array_equal(merged.x_train[: len(split.x_train)], split.x_train)
    assert np.array_equal(merged.x_train[len(split.x_train) :], split.x_val)
    assert np.array_equal(merged.y_train[len(split.x_train) :], split.y_val)
    assert merged.x_test is split.x_test and merged.y_test is split.y_test
    assert np.bincount(merged.y_train).tolist() == [300] * 10


def test_only_a_recipe_that_asks_for_it_trains_on_the_validation_images():
    """Guards: the rungs chosen on validation keep their validation set; only a
    final-fit recipe (best) trains on it."""
    split = load_course_split(fast=False, train_size=1000, test_size=100)
    for name, recipe in RECIPES.items():
        data = data_for_recipe(recipe, split)
        if recipe.final_fit:
            assert data.x_val is None and len(data.x_train) == 1000, name
        else:
            assert data is split, name
    assert [name for name, r in RECIPES.items() if r.final_fit] == ["best"]
