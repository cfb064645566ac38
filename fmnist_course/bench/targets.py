"""The course's targets, and how the recorded figures measure up to them.

Each target is a number the course promises on the standard test set or on the
2-core machine: an accuracy per lesson model, training and course times, how
much sooner the best recipe reaches an accuracy than the original, the speed of
the course's training path, and peak memory. `evaluate_targets` is pure: it
reads the results mapping and returns one verdict per target and device, which
`fmnist_course.bench.record` stores under `targets` and the README renders.

Examples:
    >>> evaluate_targets({})
    {}

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.anchors import ORIGINAL_ACCURACY

TIME_TO_ACCURACY_TARGET = 10.0
SPEED_TARGET = 1.0
MEMORY_TARGET_MIB = 2048.0
COURSE_MINUTES_TARGET = 35.0
BEST_TRAINING_RATIO_TARGET = 2.25
"""The best recipe trains in at most this many times the challenge recipe's
time, measured in the same ladder run (about 15 minutes on 2 cores)."""
ACCURACY_TARGETS = {
    "dense": ORIGINAL_ACCURACY,
    "cnn": 0.915,
    "challenge": 0.91,
    "best": 0.95,
}
"""Mean test accuracy over seeds each lesson model should reach in full mode.
The plain dense baseline (no dropout, no schedule) should match the 87.46%
the challenge notebook's CNN reported."""
TIME_TO_ACCURACY_THRESHOLD = ACCURACY_TARGETS["challenge"]
"""The test accuracy `bench time-to-accuracy` races both recipes to: the one
the challenge model is held to."""
MIN_SEEDS = 3
"""An accuracy target is met only by a mean over at least this many seeds: the
same recipe and seed move test accuracy by about 0.3 points between runs."""


def evaluate_targets(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Check the course's targets against the recorded figures, per device.

    The targets: each lesson model's mean test accuracy over at least
    `MIN_SEEDS` seeds (`ACCURACY_TARGETS`); the best model trained within
    `BEST_TRAINING_RATIO_TARGET` times the challenge model's time (their
    ladder rows, which train them as the lessons do, and only when both rows
    come from one ladder run, `same_run`); the whole course within
    35 minutes in full mode; the course's fastest recipe (`bench
    time-to-accuracy`'s race recipe) reaches the accuracy
    threshold at least 10x sooner than the original recipe; the course's
    training path is at least as fast as a plain `model.fit` (ratio >= 1.0);
    the peak resident memory while training any lesson model stays under 2 GiB.

    Returns:
        For each device with figures, a list of `{"name", "target",
        "measured", "unit", "met"}`; `measured` is `None` (and `met` false)
        until the benchmark has run.

    Examples:
        >>> targets = evaluate_targets({"speed": {"cpu": {"ratio": 1.02}}})
        >>> [(t["name"], t["met"]) for t in targets["cpu"]][-3:]
        [('time_to_accuracy', False), ('speed', True), ('peak_memory', False)]

    """
    devices = {row.get("device", "cpu") for row in results.get("ladder", [])}
    devices |= set(results.get("speed", {})) | set(results.get("time_to_accuracy", {}))
    devices |= set(results.get("course_runtime", {}))
    targets: dict[str, list[dict[str, Any]]] = {}
    for device in sorted(devices):
        race = results.get("time_to_accuracy", {}).get(device)
        race_ratio = race.get("ratio") if race else None
        speed = results.get("speed", {}).get(device)
        speed_ratio = speed.get("ratio") if speed else None
        rows = [
            row
            for row in results.get("ladder", [])
            if row.get("device", "cpu") == device
        ]
        memory = [row["peak_rss_mib"] for row in rows if "peak_rss_mib" in row]
        peak = max(memory) if memory else None
        threshold = TIME_TO_ACCURACY_THRESHOLD
        if race:
            threshold = race.get("threshold", TIME_TO_ACCURACY_THRESHOLD)
        by_model = {row["model"]: row for row in rows}
        seconds = {model: row["train_seconds"] for model, row in by_model.items()}
        best_ratio = (
            seconds["best"] / seconds["challenge"]
            if "best" in seconds and "challenge" in seconds
            else None
        )
        # Machine speed moves more than threefold between days: only a ratio
        # of two rows trained in one ladder run measures the target.
        same_run = (
            best_ratio is not None
            and by_model["best"].get("ladder_run") is not None
            and by_model["best"]["ladder_run"]
            == by_model["challenge"].get("ladder_run")
        )
        runtime = results.get("course_runtime", {}).get(device)
        minutes = runtime["total_seconds"] / 60 if runtime else None
        targets[device] = [
            _accuracy_target(model, goal, by_model.get(model))
            for model, goal in ACCURACY_TARGETS.items()
        ]
        targets[device] += [
            {
                "name": "best_training_time",
                "target": "`best` trains within "
                f"{BEST_TRAINING_RATIO_TARGET:g}x the time of `challenge`, "
                "in the same ladder run",
                "measured": round(best_ratio, 2) if best_ratio is not None else None,
                "same_run": same_run,
                "unit": "ratio",
                "met": same_run and best_ratio <= BEST_TRAINING_RATIO_TARGET,
            },
            {
                "name": "course_runtime",
                "target": "all lessons in full mode, in sequence, within "
                f"{COURSE_MINUTES_TARGET:g} minutes",
                "measured": round(minutes, 1) if minutes is not None else None,
                "unit": "minutes",
                "met": minutes is not None and minutes <= COURSE_MINUTES_TARGET,
            },
            {
                "name": "time_to_accuracy",
                "target": f"fastest recipe reaches {threshold:.1%} test accuracy "
                f">= {TIME_TO_ACCURACY_TARGET:g}x sooner than the original recipe",
                "measured": race_ratio,
                "unit": "ratio",
                "met": race_ratio is not None and race_ratio >= TIME_TO_ACCURACY_TARGET,
            },
            {
                "name": "speed",
                "target": "course training path images/s over plain model.fit "
                f">= {SPEED_TARGET:g}",
                "measured": speed_ratio,
                "unit": "ratio",
                "met": speed_ratio is not None and speed_ratio >= SPEED_TARGET,
            },
            {
                "name": "peak_memory",
                "target": "peak resident memory while training any lesson model "
                f"< {MEMORY_TARGET_MIB / 1024:g} GiB",
                "measured": peak,
                "unit": "MiB",
                "met": peak is not None and peak < MEMORY_TARGET_MIB,
            },
        ]
    return targets


def _accuracy_target(
    model: str, goal: float, row: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The verdict on one model's accuracy target: a mean over enough seeds.

    Examples:
        >>> row = {"test_accuracy": 0.951, "runs": [{}, {}]}
        >>> target = _accuracy_target("best", 0.95, row)
        >>> target["met"], target["num_seeds"]
        (False, 2)

    """
    num_seeds = len(row.get("runs", [])) if row else 0
    measured = row["test_accuracy"] if row else None
    return {
        "name": f"accuracy_{model}",
        "target": f"`{model}` mean test accuracy over {MIN_SEEDS}+ seeds >= {goal:.1%}",
        "measured": measured,
        "num_seeds": num_seeds,
        "unit": "accuracy",
        "met": measured is not None and num_seeds >= MIN_SEEDS and measured >= goal,
    }
