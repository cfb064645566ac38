"""Training speed: the course's training path against a plain `model.fit`.

Both paths train the original challenge model on the same numpy arrays, in
batches of `BATCH_SIZE` (the challenge recipe's), for the same number of
epochs, in one process, in the order plain, course, course, plain (and so on:
ABBA) so that a steady drift in the machine's speed affects both alike instead
of favouring the path that runs later. Each run builds a fresh model. The first
epoch of every run is a warm-up (graph tracing) and is left out of the timing
when there is more than one epoch. Neither path is given validation data: only
training is timed. Each epoch is timed in wall seconds and in the process's CPU
seconds (all its threads together). Wall time is what the ratio and the target
use; CPU time moves far less when the host lends the process fewer cores for a
while, so a gap between the paths that shows in both is the paths' doing.

- plain: `model.compile(Adam(), "sparse_categorical_crossentropy",
  ["accuracy"])` then `model.fit(x, y, batch_size=BATCH_SIZE)`.
- course: `fmnist_course.training.train_model(model, x, y,
  batch_size=BATCH_SIZE)`.

Examples:
    >>> result = measure_speed(epochs=3)  # doctest: +SKIP
    >>> result["ratio"]  # doctest: +SKIP
    1.01

"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from fmnist_course.bench.flops import (
    TRAINING_PASSES,
    forward_macs,
    training_gflops_per_second,
)
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine
from fmnist_course.models import build_challenge_model
from fmnist_course.recipes import RECIPES
from fmnist_course.training import train_model

PATHS = ("plain", "course")
BATCH_SIZE = RECIPES["challenge"].batch_size


class EpochClock(keras.callbacks.Callback):
    """Records the wall time and the process's CPU time of each training epoch."""

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.cpu_clock = cpu_clock
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        """Start the epoch's clocks."""
        self._start, self._cpu_start = self.clock(), self.cpu_clock()

    def on_epoch_end(self, epoch, logs=None):
        """Record the epoch's seconds, wall and CPU."""
        self.seconds.append(self.clock() - self._start)
        self.cpu_seconds.append(self.cpu_clock() - self._cpu_start)


def timed_seconds(seconds: list[float]) -> float:
    """Seconds that count: all epochs but the first (warm-up) when there are more.

    Examples:
        >>> timed_seconds([9.0, 2.0, 2.5]), timed_seconds([3.0])
        (4.5, 3.0)

    """
    return sum(seconds[1:]) if len(seconds) > 1 else sum(seconds)


def train_plain(model, x, y, *, epochs, batch_size=BATCH_SIZE, clock=None) -> None:
    """Train with a plain `compile` + `fit`, Adam with defaults."""
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[clock])


def train_course(model, x, y, *, epochs, batch_size=BATCH_SIZE, clock=None) -> None:
    """Train with the course's path, `train_model`."""
    train_model(
        model, x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[clock]
    )


def compare_paths(
    build: Callable[[], keras.Model],
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 3,
    repeats: int = 2,
    batch_size: int = BATCH_SIZE,
    seed: int = 0,
) -> dict[str, Any]:
    """Alternate plain and course runs (ABBA); return images per second of each.

    Args:
        build: Returns a fresh, uncompiled model.
        x: Training images.
        y: Integer labels.
        epochs: Epochs per run (the first is a warm-up when > 1).
        repeats: Runs per path, alternating plain and course.
        batch_size: Images per gradient step.
        seed: Seeds each run alike.

    Returns:
        `plain_images_per_second`, `course_images_per_second`, `ratio`
        (course over plain), the same three in CPU time
        (`plain_images_per_cpu_second`, `course_images_per_cpu_second`,
        `cpu_ratio`) and the per-run `runs`.

    Raises:
        ValueError: `epochs` or `repeats` below 1.

    Examples:
        >>> from fmnist_course.models import build_challenge_model
        >>> compare_paths(build_challenge_model, x, y)  # doctest: +SKIP
        {'plain_images_per_second': 2301.2, 'course_images_per_second': ...}

    """
    if epochs < 1 or repeats < 1:
        raise ValueError(
            f"Expected epochs >= 1 and repeats >= 1. Received: epochs={epochs}, "
            f"repeats={repeats}"
        )
    trainers = {"plain": train_plain, "course": train_course}
    totals = {path: {"seconds": 0.0, "cpu_seconds": 0.0, "images": 0} for path in PATHS}
    runs = []
    for repeat in range(repeats):
        for path in PATHS if repeat % 2 == 0 else PATHS[::-1]:
            keras.utils.set_random_seed(seed)
            model = build()
            clock = EpochClock()
            trainers[path](
                model, x, y, epochs=epochs, batch_size=batch_size, clock=clock
            )
            seconds = timed_seconds(clock.seconds)
            cpu_seconds = timed_seconds(clock.cpu_seconds)
            num_epochs = len(clock.seconds) - 1 if len(clock.seconds) > 1 else 1
            images = len(x) * num_epochs
            totals[path]["seconds"] += seconds
            totals[path]["cpu_seconds"] += cpu_seconds
            totals[path]["images"] += images
            runs.append(
                {
                    "repeat": repeat,
                    "path": path,
                    "epoch_seconds": [round(s, 3) for s in clock.seconds],
                    "epoch_cpu_seconds": [round(s, 3) for s in clock.cpu_seconds],
                    "images_per_second": round(images / seconds, 1),
                    "images_per_cpu_second": round(images / cpu_seconds, 1),
                }
            )
    summary: dict[str, Any] = {}
    for clock, suffix, ratio in (
        ("seconds", "second", "ratio"),
        ("cpu_seconds", "cpu_second", "cpu_ratio"),
    ):
        plain, course = (totals[path]["images"] / totals[path][clock] for path in PATHS)
        summary[f"plain_images_per_{suffix}"] = round(plain, 1)
        summary[f"course_images_per_{suffix}"] = round(course, 1)
        summary[ratio] = round(course / plain, 3)
    return {**summary, "runs": runs}


def measure_speed(
    *,
    epochs: int = 3,
    repeats: int = 2,
    train_size: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Compare the two paths on the challenge model and the real training set.

    Args:
        epochs: Epochs per run; the first is a warm-up when > 1.
        repeats: Runs per path.
        train_size: Use a stratified subset of the training set (smoke tests).
        seed: Seed of the split and of every run.
        data_dir: Where the data lies.

    Returns:
        The `speed` entry for this device: images per second of each path,
        `ratio` (course over plain), the same in CPU time, multiply-adds per
        image, achieved GFLOP/s of each path, the CPU's measured peak (all
        cores, `machine.measured_peak_gflops`) with each path's share of it,
        and the machine.

    Examples:
        >>> measure_speed(epochs=2, repeats=1, train_size=2560)  # doctest: +SKIP
        {'model': 'challenge', 'ratio': 0.99, ...}

    """
    data = load_course_split(data_dir, fast=False, train_size=train_size, seed=seed)
    comparison = compare_paths(
        build_challenge_model,
        data.x_train,
        data.y_train,
        epochs=epochs,
        repeats=repeats,
        seed=seed,
    )
    model = build_challenge_model()
    machine = describe_machine()
    peak = machine["measured_peak_gflops"]
    plain_gflops = training_gflops_per_second(
        model, comparison["plain_images_per_second"]
    )
    course_gflops = training_gflops_per_second(
        model, comparison["course_images_per_second"]
    )
    return {
        "model": "challenge",
        "batch_size": BATCH_SIZE,
        "epochs": epochs,
        "repeats": repeats,
        "train_images": len(data.x_train),
        "plain_images_per_second": comparison["plain_images_per_second"],
        "course_images_per_second": comparison["course_images_per_second"],
        "ratio": comparison["ratio"],
        "plain_images_per_cpu_second": comparison["plain_images_per_cpu_second"],
        "course_images_per_cpu_second": comparison["course_images_per_cpu_second"],
        "cpu_ratio": comparison["cpu_ratio"],
        "forward_macs_per_image": forward_macs(model),
        "training_passes": TRAINING_PASSES,
        "plain_gflops_per_second": round(plain_gflops, 2),
        "course_gflops_per_second": round(course_gflops, 2),
        "measured_peak_gflops": peak,
        "plain_fraction_of_peak": round(plain_gflops / peak, 4) if peak else None,
        "course_fraction_of_peak": round(course_gflops / peak, 4) if peak else None,
        "runs": comparison["runs"],
        "machine": machine,
    }
