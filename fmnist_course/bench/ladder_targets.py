"""The targets read from the ladder's rows, and whether a row still counts.

Two kinds: each lesson model's mean test accuracy over at least `MIN_SEEDS`
seeds (`ACCURACY_TARGETS`), and what one seed of the best recipe costs to
train (`BEST_TRAINING_CPU_MINUTES_TARGET`). A row measured for an earlier
recipe, training code or data (`outdated_row`) meets neither.
`fmnist_course.bench.targets` gathers these with the other targets.

Examples:
    >>> accuracy_target("cnn", 0.915, None)["measured"] is None
    True

"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from fmnist_course.anchors import ORIGINAL_ACCURACY
from fmnist_course.results_tables import MIN_SEEDS, counted, finite, outdated_row

ACCURACY_TARGETS = {
    "dense": ORIGINAL_ACCURACY,
    "cnn": 0.915,
    "challenge": 0.91,
    "best": 0.95,
}
"""Mean test accuracy over seeds each lesson model should reach in full mode.
The plain dense baseline (no dropout, no schedule) should match the 87.46%
the challenge notebook's CNN reported."""
CPU_SLACK = 1.05
"""How far a run's CPU time may exceed its wall time times its logical cores
before the record is taken to be wrong: timers of CPU and wall time differ a
little in when they start and stop."""
BEST_TRAINING_CPU_MINUTES_TARGET = 60.0
"""Each seed of the best recipe trains within this many CPU-minutes on the
machine that records it. Lessons load the models the ladder trained (unless
`FMNIST_RETRAIN=1`), so no lesson waits for this training: what bounds the
recipe is what one seed costs, counted in CPU time, which moves far less than
wall time."""


def accuracy_target(
    model: str, goal: float, row: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The verdict on one model's accuracy target: a mean over enough seeds.

    Examples:
        >>> runs = [{"seed": seed, "test_accuracy": 0.951} for seed in (0, 1)]
        >>> row = {"model": "best", "test_accuracy": 0.951, "runs": runs}
        >>> target = accuracy_target("best", 0.95, row)
        >>> target["met"], target["num_seeds"], target["note"]
        (False, 2, 'not counted: recorded without a fingerprint')

    """
    runs = (row.get("runs") or []) if row else []
    num_seeds = len({run.get("seed") for run in runs})
    measured = row["test_accuracy"] if row else None
    # The verdict reads the runs themselves, not the row's rounded mean.
    scores = [run.get("test_accuracy") for run in runs]
    mean = statistics.mean(scores) if runs and all(map(_positive, scores)) else None
    outdated = outdated_row(row) if row else None
    target = {
        "name": f"accuracy_{model}",
        "target": f"`{model}` mean test accuracy over {MIN_SEEDS}+ seeds >= {goal:.2%}",
        "measured": measured,
        "num_seeds": num_seeds,
        "unit": "accuracy",
        "met": mean is not None
        and num_seeds >= MIN_SEEDS
        and mean >= goal
        and not outdated,
    }
    if outdated:
        target["note"] = f"not counted: {outdated}"
    return target


def best_training_target(
    best: Mapping[str, Any] | None,
    challenge: Mapping[str, Any] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """The verdict on what one seed of the best recipe costs to train.

    Measured as the slowest seed's CPU time in `best`'s ladder row. Met only
    on a CPU (on a GPU, CPU time counts the host, not the training), when
    every one of at least `MIN_SEEDS` seeds recorded a CPU time, and when
    the row still measures today's recipe (`outdated_row`). The note gives
    that seed's wall time and, when one ladder run trained `challenge` too,
    `best`'s mean CPU time over its seeds as a multiple of `challenge`'s: a
    ratio of one run, which compares across machines where minutes do not.

    Args:
        best: `best`'s ladder row for one device, or `None`.
        challenge: `challenge`'s row for the same device, or `None`.
        device: The device of both rows.

    Returns:
        `{"name", "target", "measured", "unit", "met", "note"}`; `measured`
        is in CPU-minutes, `None` until every seed has its CPU time.

    Examples:
        >>> from fmnist_course.results import load_results
        >>> rows = {row["model"]: row for row in load_results()["ladder"]}
        >>> target = best_training_target(rows["best"], rows["challenge"])
        >>> target["unit"], target["measured"] <= 60, target["met"]
        ('CPU-minutes', True, True)
        >>> print(target["note"])  # doctest: +ELLIPSIS
        slowest of 3 seeds, ... min of wall time...
        >>> same_run = {**rows["challenge"], "ladder_run": "r1"}
        >>> print(best_training_target({**rows["best"], "ladder_run": "r1"},
        ...                            same_run)["note"])
        ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        slowest of 3 seeds, ... min of wall time; `best`'s mean CPU time ...x
        `challenge`'s in one ladder run
        >>> one_seed = {**rows["best"], "runs": rows["best"]["runs"][:1]}
        >>> best_training_target(one_seed)["met"]
        False
        >>> best_training_target(None)["note"]
        'not measured: run `fmnist-course bench ladder --lessons 07 --seeds 0 1 2`'

    """
    row = {
        "name": "best_training_time",
        "target": "each seed of `best` trains within "
        f"{BEST_TRAINING_CPU_MINUTES_TARGET:g} CPU-minutes",
        "unit": "CPU-minutes",
    }
    rerun = "run `fmnist-course bench ladder --lessons 07 --seeds 0 1 2`"
    if device != "cpu":
        return {
            **row,
            "measured": None,
            "met": False,
            "note": "a budget of CPU time on a CPU; this device's rows are in "
            "the ladder's table",
        }
    seconds = _cpu_seconds(best)
    if seconds is None:
        why = "a seed without its CPU time" if best else None
        return {
            **row,
            "measured": None,
            "met": False,
            "note": f"not measured: {why + '; ' if why else ''}{rerun}",
        }
    slowest = max(range(len(seconds)), key=seconds.__getitem__)
    notes = [f"slowest of {counted(len(seconds), 'seed')}"]
    wall = best["runs"][slowest].get("train_seconds")
    if wall is not None:
        notes[0] += f", {wall / 60:.1f} min of wall time"
    challenge_seconds = _cpu_seconds(challenge)
    if (
        challenge_seconds is not None
        and best.get("ladder_run") is not None
        and best["ladder_run"] == challenge.get("ladder_run")
    ):
        ratio = statistics.mean(seconds) / statistics.mean(challenge_seconds)
        notes.append(
            f"`best`'s mean CPU time {ratio:.2f}x `challenge`'s in one ladder run"
        )
    outdated = outdated_row(best)
    if outdated:
        notes.append(f"not counted: {outdated}; {rerun}")
    if len(seconds) < MIN_SEEDS:
        notes.append(f"not counted: fewer than {MIN_SEEDS} seeds; {rerun}")
    return {
        **row,
        "measured": round(seconds[slowest] / 60, 1),
        "met": seconds[slowest] <= BEST_TRAINING_CPU_MINUTES_TARGET * 60
        and not outdated
        and len(seconds) >= MIN_SEEDS,
        "note": "; ".join(notes),
    }


def _cpu_seconds(row: Mapping[str, Any] | None) -> list[float] | None:
    """Each seed's training CPU-seconds in a ladder row.

    `None` unless every seed recorded a positive, finite CPU time and wall
    time, and no more CPU time than its machine's cores could give in that
    wall time (`CPU_SLACK` allows for timer granularity).
    """
    runs = row.get("runs") if row else None
    if not runs:
        return None
    cores = row.get("machine", {}).get("logical_cores") or 1
    seconds = []
    for run in runs:
        value, wall = run.get("train_cpu_seconds"), run.get("train_seconds")
        if not (_positive(value) and _positive(wall)):
            return None
        if value > wall * cores * CPU_SLACK:  # more CPU than the cores could give
            return None
        seconds.append(float(value))
    return seconds


def _positive(value: Any) -> bool:
    """Whether `value` is a positive, finite number (not a bool)."""
    return finite(value) and value > 0
