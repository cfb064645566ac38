"""The targets' verdicts: every field, every device, and each goal met exactly at it."""

from __future__ import annotations

import pytest

from fmnist_course.bench.targets import (
    ACCURACY_TARGETS,
    BEST_TRAINING_RATIO_TARGET,
    COURSE_MINUTES_TARGET,
    MEMORY_TARGET_MIB,
    MIN_SEEDS,
    SPEED_TARGET,
    TIME_TO_ACCURACY_TARGET,
    evaluate_targets,
)


def row(model, accuracy, seconds, *, seeds=MIN_SEEDS, run="r1", memory=900.0, **more):
    return {
        "model": model,
        "test_accuracy": accuracy,
        "train_seconds": seconds,
        "runs": [{}] * seeds,
        "ladder_run": run,
        "peak_rss_mib": memory,
        **more,
    }


RESULTS = {
    "ladder": [
        row("dense", 0.8899, 100.0),
        row("challenge", 0.9105, 400.0, memory=1500.0),
        row("best", 0.9425, 800.0),
        row("best", 0.95, 100.0, device="gpu", seeds=1, memory=3000.0),
    ],
    "speed": {"cpu": {"ratio": 1.02}},
    "time_to_accuracy": {"cpu": {"ratio": 12.5, "threshold": 0.9}},
    "course_runtime": {"cpu": {"total_seconds": 1500.0}},
}


def test_every_verdict_in_full():
    """Promise: the record's targets say what was measured, in which unit, and
    whether it meets the goal, for each device with figures."""
    targets = evaluate_targets(RESULTS)
    assert sorted(targets) == ["cpu", "gpu"]
    cpu = {target["name"]: target for target in targets["cpu"]}
    assert list(cpu) == [
        "accuracy_dense",
        "accuracy_cnn",
        "accuracy_challenge",
        "accuracy_best",
        "best_training_time",
        "course_runtime",
        "time_to_accuracy",
        "speed",
        "peak_memory",
    ]
    assert cpu["accuracy_challenge"] == {
        "name": "accuracy_challenge",
        "target": "`challenge` mean test accuracy over 3+ seeds >= 91.0%",
        "measured": 0.9105,
        "num_seeds": 3,
        "unit": "accuracy",
        "met": True,
    }
    assert cpu["accuracy_cnn"] == {
        "name": "accuracy_cnn",
        "target": "`cnn` mean test accuracy over 3+ seeds >= 91.5%",
        "measured": None,
        "num_seeds": 0,
        "unit": "accuracy",
        "met": False,
    }
    assert cpu["best_training_time"] == {
        "name": "best_training_time",
        "target": "`best` trains within 2.25x the time of `challenge`, "
        "in the same ladder run",
        "measured": 2.0,
        "same_run": True,
        "unit": "ratio",
        "met": True,
    }
    assert cpu["course_runtime"] == {
        "name": "course_runtime",
        "target": "all lessons in full mode, in sequence, within 35 minutes",
        "measured": 25.0,
        "unit": "minutes",
        "met": True,
    }
    assert cpu["time_to_accuracy"] == {
        "name": "time_to_accuracy",
        "target": "fastest recipe reaches 90.0% test accuracy >= 10x sooner "
        "than the original recipe",
        "measured": 12.5,
        "unit": "ratio",
        "met": True,
    }
    assert cpu["speed"] == {
        "name": "speed",
        "target": "course training path images/s over plain model.fit >= 1",
        "measured": 1.02,
        "unit": "ratio",
        "met": True,
    }
    assert cpu["peak_memory"] == {
        "name": "peak_memory",
        "target": "peak resident memory while training any lesson model < 2 GiB",
        "measured": 1500.0,
        "unit": "MiB",
        "met": True,
    }
    gpu = {target["name"]: target for target in targets["gpu"]}
    assert gpu["accuracy_best"]["num_seeds"] == 1
    assert gpu["accuracy_best"]["met"] is False  # one seed is not a mean
    assert gpu["peak_memory"]["measured"] == 3000.0
    assert gpu["peak_memory"]["met"] is False
    assert gpu["course_runtime"]["measured"] is None
    assert gpu["best_training_time"]["measured"] is None


def test_a_row_without_a_device_is_a_cpu_row():
    results = {"ladder": [{k: v for k, v in row("dense", 0.9, 1.0).items()}]}
    assert list(evaluate_targets(results)) == ["cpu"]
    assert evaluate_targets(results)["cpu"][0]["measured"] == 0.9


@pytest.mark.parametrize("section", ["speed", "time_to_accuracy", "course_runtime"])
def test_each_section_brings_its_device(section):
    entry = {"ratio": 1.0, "threshold": 0.9, "total_seconds": 60.0}
    assert list(evaluate_targets({section: {"gpu": entry}})) == ["gpu"]


def test_the_race_threshold_defaults_to_the_challenge_target():
    targets = evaluate_targets({"time_to_accuracy": {"cpu": {"ratio": 11.0}}})
    race = {t["name"]: t for t in targets["cpu"]}["time_to_accuracy"]
    assert f"{ACCURACY_TARGETS['challenge']:.1%}" in race["target"]


def test_each_goal_is_met_exactly_at_it_and_missed_just_past_it():
    """Promise: a figure equal to its goal meets it; the bounds are not off by one."""
    goal = ACCURACY_TARGETS["best"]
    at_goal = {
        "ladder": [
            row("best", goal, BEST_TRAINING_RATIO_TARGET * 100, memory=2047.0),
            row("challenge", 0.91, 100.0),
        ],
        "speed": {"cpu": {"ratio": SPEED_TARGET}},
        "time_to_accuracy": {"cpu": {"ratio": TIME_TO_ACCURACY_TARGET}},
        "course_runtime": {"cpu": {"total_seconds": COURSE_MINUTES_TARGET * 60}},
    }
    met = {t["name"]: t["met"] for t in evaluate_targets(at_goal)["cpu"]}
    assert met["accuracy_best"] and met["best_training_time"]
    assert met["course_runtime"] and met["time_to_accuracy"] and met["speed"]
    assert met["peak_memory"]
    past = {
        "ladder": [
            row(
                "best",
                goal - 1e-4,
                BEST_TRAINING_RATIO_TARGET * 100 + 1,
                memory=MEMORY_TARGET_MIB,
            ),
            row("challenge", 0.91, 100.0),
        ],
        "speed": {"cpu": {"ratio": SPEED_TARGET - 0.01}},
        "time_to_accuracy": {"cpu": {"ratio": TIME_TO_ACCURACY_TARGET - 0.1}},
        "course_runtime": {"cpu": {"total_seconds": COURSE_MINUTES_TARGET * 60 + 6}},
    }
    missed = {t["name"]: t["met"] for t in evaluate_targets(past)["cpu"]}
    assert not any(
        missed[name]
        for name in (
            "accuracy_best",
            "best_training_time",
            "course_runtime",
            "time_to_accuracy",
            "speed",
            "peak_memory",
        )
    )


def test_the_training_time_needs_both_rows_from_one_ladder_run():
    """Promise: a ratio of rows from two runs (two machine speeds) meets nothing."""
    for best_run, challenge_run in (("r1", "r2"), (None, None), ("r1", None)):
        results = {
            "ladder": [
                row("best", 0.94, 100.0, run=best_run),
                row("challenge", 0.91, 100.0, run=challenge_run),
            ]
        }
        target = {t["name"]: t for t in evaluate_targets(results)["cpu"]}
        assert target["best_training_time"]["same_run"] is False
        assert target["best_training_time"]["met"] is False
    only_best = {"ladder": [row("best", 0.94, 100.0)]}
    target = {t["name"]: t for t in evaluate_targets(only_best)["cpu"]}
    assert target["best_training_time"]["measured"] is None


def test_measured_figures_are_rounded_as_recorded():
    results = {
        "ladder": [row("best", 0.94, 1000.0), row("challenge", 0.91, 300.0)],
        "course_runtime": {"cpu": {"total_seconds": 1234.0}},
    }
    target = {t["name"]: t for t in evaluate_targets(results)["cpu"]}
    assert target["best_training_time"]["measured"] == 3.33
    assert target["course_runtime"]["measured"] == 20.6
