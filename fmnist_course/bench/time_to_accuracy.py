"""Time to accuracy: training wall time until a recipe first reaches a target.

After every epoch a callback evaluates the model on the test set. The clock
covers what each recipe does per epoch, its gradient steps and its own
validation pass, and stops before the test evaluation, which is not part of
training. Training stops at the first epoch whose test accuracy reaches the
threshold, or when the epoch budget is spent.

Two recipes run one after the other in one process:

- the original challenge recipe: the challenge model, Adam with defaults,
  batch 128, `model.fit(..., validation_split=0.1)` on the 60,000 scaled
  training images, at most `max_epochs` epochs (the challenge trained for 100);
- the course's recipe (`RECIPES["fast"]`, `RACE_RECIPE`, unless another is
  named), trained as
  `train_recipe` trains it (the course's seeded validation split, its own optimizer
  settings, schedule and weight averaging) for at most its own number of
  epochs. With weight averaging the test evaluation after each epoch sees the
  averaged weights, the ones the finished model would keep. The evaluation
  scores the model itself, without the recipe's test-time augmentation
  (`Recipe.test_time_augmentation`), which would only make the course recipe
  reach the threshold sooner: the ratio is measured without it.

`ratio` is the original recipe's time over the course recipe's. When the
original never reaches the threshold within its budget, its time is the whole
budget and the ratio is a lower bound (`ratio_is_lower_bound`); when the course
recipe never reaches it, the ratio is `None`.

Examples:
    >>> result = measure_time_to_accuracy()  # doctest: +SKIP
    >>> result["ratio"]  # doctest: +SKIP
    4.2

"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from fmnist_course.bench.targets import TIME_TO_ACCURACY_THRESHOLD
from fmnist_course.data import load_fashion_mnist
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine
from fmnist_course.models import build_challenge_model
from fmnist_course.recipes import RECIPES, get_recipe
from fmnist_course.settings import VALIDATION_SPLIT
from fmnist_course.training import fit_recipe

DEFAULT_MAX_EPOCHS = 100
BATCH_SIZE = RECIPES["challenge"].batch_size


class TimeToAccuracy(keras.callbacks.Callback):
    """Evaluate on a test set after each epoch; stop once it reaches a threshold.

    Attributes:
        curve: One `{"epoch", "train_seconds", "test_accuracy"}` per epoch, with
            cumulative training seconds (test evaluation excluded).
        reached_epoch: The first epoch (from 1) at or above the threshold, or
            `None`.
        reached_seconds: Cumulative training seconds at that epoch, or `None`.

    Examples:
        >>> callback = TimeToAccuracy(x_test, y_test)  # doctest: +SKIP
        >>> model.fit(x, y, epochs=100, callbacks=[callback])  # doctest: +SKIP
        >>> callback.reached_epoch, callback.reached_seconds  # doctest: +SKIP
        (7, 81.3)

    """

    def __init__(
        self,
        x_test: np.ndarray,
        y_test: np.ndarray,
        *,
        threshold: float = TIME_TO_ACCURACY_THRESHOLD,
        batch_size: int = 512,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        if not 0.0 < threshold <= 1.0:
            raise UserError(
                f"Expected a threshold in (0, 1]. Received: threshold={threshold}"
            )
        self.x_test = x_test
        self.y_test = y_test
        self.threshold = threshold
        self.batch_size = batch_size
        self.clock = clock
        self.curve: list[dict[str, float]] = []
        self.reached_epoch: int | None = None
        self.reached_seconds: float | None = None
        self._elapsed = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        """Start the epoch's training clock."""
        self._start = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        """Stop the clock, then evaluate; stop training once at the threshold."""
        self._elapsed += self.clock() - self._start
        accuracy = self.evaluate()
        self.curve.append(
            {
                "epoch": epoch + 1,
                "train_seconds": round(self._elapsed, 3),
                "test_accuracy": round(accuracy, 4),
            }
        )
        if accuracy >= self.threshold and self.reached_epoch is None:
            self.reached_epoch = epoch + 1
            self.reached_seconds = self._elapsed
            self.model.stop_training = True

    def evaluate(self) -> float:
        """Test accuracy of the model now (not counted as training time)."""
        scores = self.model.evaluate(
            self.x_test,
            self.y_test,
            batch_size=self.batch_size,
            verbose=0,
            return_dict=True,
        )
        return float(scores["accuracy"])

    def summary(self, recipe: str) -> dict[str, Any]:
        """Return this run's outcome as a JSON-ready mapping."""
        return {
            "recipe": recipe,
            "reached": self.reached_epoch is not None,
            "epochs": len(self.curve),
            "train_seconds": round(
                self.reached_seconds
                if self.reached_seconds is not None
                else self._elapsed,
                1,
            ),
            "final_test_accuracy": self.curve[-1]["test_accuracy"]
            if self.curve
            else None,
            "curve": self.curve,
        }


RACE_RECIPE = "fast"
"""The recipe `bench time-to-accuracy` races by default: the best model
without augmentation or dropout, three epochs of a cosine schedule. Short runs
gain nothing from regularization, which only slows the first epochs."""


def time_ratio(original: dict[str, Any], course: dict[str, Any]) -> dict[str, Any]:
    """The original recipe's time over the course recipe's, and whether it is a bound.

    Args:
        original: `TimeToAccuracy.summary` of the original recipe.
        course: `TimeToAccuracy.summary` of the course recipe.

    Returns:
        `{"ratio": float | None, "ratio_is_lower_bound": bool}`.

    Examples:
        >>> time_ratio({"reached": True, "train_seconds": 90.0},
        ...            {"reached": True, "train_seconds": 30.0})
        {'ratio': 3.0, 'ratio_is_lower_bound': False}
        >>> time_ratio({"reached": False, "train_seconds": 900.0},
        ...            {"reached": True, "train_seconds": 100.0})
        {'ratio': 9.0, 'ratio_is_lower_bound': True}
        >>> time_ratio({"reached": True, "train_seconds": 90.0},
        ...            {"reached": False, "train_seconds": 100.0})
        {'ratio': None, 'ratio_is_lower_bound': False}

    """
    if not course["reached"] or course["train_seconds"] <= 0:
        return {"ratio": None, "ratio_is_lower_bound": False}
    return {
        "ratio": round(original["train_seconds"] / course["train_seconds"], 2),
        "ratio_is_lower_bound": not original["reached"],
    }


def run_original_recipe(
    x_train: np.ndarray,
    y_train: np.ndarray,
    callback: TimeToAccuracy,
    *,
    max_epochs: int = DEFAULT_MAX_EPOCHS,
    seed: int = 0,
) -> None:
    """The challenge recipe: challenge model, Adam defaults, batch 128, plain fit."""
    keras.utils.set_random_seed(seed)
    model = build_challenge_model()
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=max_epochs,
        validation_split=VALIDATION_SPLIT,
        verbose=0,
        callbacks=[callback],
    )


def run_course_recipe(recipe, data, callback: TimeToAccuracy, *, seed: int = 0) -> None:
    """Train a course recipe as `train_recipe` does, with the callback attached."""
    fit_recipe(recipe, data, seed=seed, verbose=0, callbacks=[callback])


def course_recipe(name: str | None = None):
    """The course's recipe to race: `name`, else `RECIPES[RACE_RECIPE]`.

    Raises:
        ValueError: No such recipe, or no `RACE_RECIPE` recipe and no name given.

    """
    if name is not None:
        return get_recipe(name)
    recipe = RECIPES.get(RACE_RECIPE)
    if recipe is None:
        raise UserError(
            f"The course has no {RACE_RECIPE!r} recipe "
            f"(RECIPES[{RACE_RECIPE!r}] is missing). "
            "Name one with --course-recipe; available: "
            f"{', '.join(sorted(RECIPES))}."
        )
    return recipe


def measure_time_to_accuracy(
    *,
    threshold: float = TIME_TO_ACCURACY_THRESHOLD,
    course: str | None = None,
    max_epochs: int = DEFAULT_MAX_EPOCHS,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Race the original recipe against the course's to a test accuracy.

    Args:
        threshold: Test accuracy to reach, as a fraction (by default
            `bench.targets.TIME_TO_ACCURACY_THRESHOLD`).
        course: The course recipe's name; `RECIPES[RACE_RECIPE]` when `None`.
        max_epochs: Epoch budget of the original recipe.
        train_size: Use a stratified training subset (smoke tests only).
        test_size: Use a stratified test subset (smoke tests only).
        seed: Seed of the data split and both runs.
        data_dir: Where the data lies.

    Returns:
        The `time_to_accuracy` entry for this device: the threshold, each
        recipe's summary (time, epochs, accuracy curve), the ratio and the
        machine.

    Examples:
        >>> measure_time_to_accuracy(course="cnn")["ratio"]  # doctest: +SKIP
        1.8

    """
    recipe = course_recipe(course)
    full = load_fashion_mnist(
        data_dir, scale=True, train_size=train_size, test_size=test_size, seed=seed
    )
    original_callback = TimeToAccuracy(full.x_test, full.y_test, threshold=threshold)
    run_original_recipe(
        full.x_train, full.y_train, original_callback, max_epochs=max_epochs, seed=seed
    )
    split = load_course_split(
        data_dir, fast=False, train_size=train_size, test_size=test_size, seed=seed
    )
    course_callback = TimeToAccuracy(split.x_test, split.y_test, threshold=threshold)
    run_course_recipe(recipe, split, course_callback, seed=seed)
    original = original_callback.summary("challenge (original)")
    course_summary = course_callback.summary(recipe.name)
    original["max_epochs"] = max_epochs
    course_summary["max_epochs"] = recipe.epochs
    return {
        "threshold": threshold,
        "original": original,
        "course": course_summary,
        **time_ratio(original, course_summary),
        "train_images": len(full.x_train),
        "test_images": len(full.x_test),
        "seed": seed,
        "machine": describe_machine(),
    }
