"""The targets' verdicts: every field, every device, and each goal met exactly at it."""

from __future__ import annotations

import pytest
from ladder_fixtures import todays

from fmnist_course.bench.ladder_targets import (
    ACCURACY_TARGETS,
    BEST_TRAINING_CPU_MINUTES_TARGET,
    MIN_SEEDS,
)
from fmnist_course.bench.targets import (
    COURSE_CPU_MINUTES_TARGET,
    COURSE_WALL_MINUTES_TARGET,
    LESSON_MINUTES_TARGET,
    MEMORY_TARGET_MIB,
    SPEED_TARGET,
    TIME_TO_ACCURACY_TARGET,
    evaluate_targets,
)


def row(
    model,
    accuracy,
    seconds,
    *,
    seeds=MIN_SEEDS,
    run="r1",
    memory=900.0,
    cpu=None,
    **more,
):
    """A ladder row; `cpu`: each seed's training CPU-seconds, unrecorded if None."""
    runs = [{"seed": seed, "test_accuracy": accuracy} for seed in range(seeds)]
    if cpu is not None:
        for one in runs:
            one.update(train_seconds=seconds, train_cpu_seconds=cpu)
        more["train_cpu_seconds"] = cpu
    return {
        **todays(model),
        "model": model,
        "test_accuracy": accuracy,
        "test_accuracy_std": 0.0,
        "test_accuracy_min": accuracy,
        "test_accuracy_max": accuracy,
        "train_seconds": seconds,
        "runs": runs,
        "ladder_run": run,
        "peak_rss_mib": memory,
        **more,
    }


RESULTS = {
    "ladder": [
        row("dense", 0.8899, 100.0),
        row("challenge", 0.9105, 800.0, memory=1500.0, cpu=750.0),
        row("best", 0.9425, 1800.0, cpu=1500.0),
        row("best", 0.95, 100.0, device="gpu", seeds=1, memory=3000.0),
    ],
    "speed": {"cpu": {"ratio": 1.02}},
    "time_to_accuracy": {"cpu": {"ratio": 12.5, "threshold": 0.9}},
    "course_runtime": {
        "cpu": {
            "lessons": [
                {"lesson": "00_the_data", "seconds": 30.0, "cpu_seconds": 40.0},
                {"lesson": "04_challenge", "seconds": 270.0, "cpu_seconds": 400.0},
            ],
            "total_seconds": 300.0,
            "total_cpu_seconds": 440.0,
            "wall_seconds": 240.0,
            "jobs": 2,
            "machine": {"logical_cores": 2},
        }
    },
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
        "lesson_runtime",
        "course_wall_time",
        "course_cpu_time",
        "fresh_clone_course",
        "retrain_course",
        "time_to_accuracy",
        "speed",
        "peak_memory",
    ]
    assert cpu["retrain_course"]["measured"] is None
    assert not cpu["retrain_course"]["met"]
    assert cpu["accuracy_challenge"] == {
        "name": "accuracy_challenge",
        "target": "`challenge` mean test accuracy over 3+ seeds >= 91.00%",
        "measured": 0.9105,
        "num_seeds": 3,
        "unit": "accuracy",
        "met": True,
    }
    assert cpu["accuracy_cnn"] == {
        "name": "accuracy_cnn",
        "target": "`cnn` mean test accuracy over 3+ seeds >= 91.50%",
        "measured": None,
        "num_seeds": 0,
        "unit": "accuracy",
        "met": False,
    }
    assert cpu["best_training_time"] == {
        "name": "best_training_time",
        "target": "each seed of `best` trains within 60 CPU-minutes",
        "measured": 25.0,
        "unit": "CPU-minutes",
        "met": True,
        "note": "slowest of 3 seeds, 30.0 min of wall time; `best`'s mean CPU "
        "time 2.00x `challenge`'s in one ladder run",
    }
    assert cpu["lesson_runtime"] == {
        "name": "lesson_runtime",
        "target": "each lesson in full mode within 5 minutes of wall time on 2 cores",
        "measured": 4.5,
        "unit": "minutes",
        "met": True,
        "note": "slowest: 04_challenge; 2 lessons at once",
    }
    assert cpu["course_wall_time"] == {
        "name": "course_wall_time",
        "target": "the whole course in full mode within 20 minutes of wall time "
        "on 2 cores",
        "measured": 4.0,
        "unit": "minutes",
        "met": True,
        "note": "2 lessons at once",
    }
    assert cpu["course_cpu_time"] == {
        "name": "course_cpu_time",
        "target": "the whole course in full mode within 40 CPU-minutes",
        "measured": 7.3,
        "unit": "CPU-minutes",
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
    for name in ("lesson_runtime", "course_wall_time", "course_cpu_time"):
        assert gpu[name]["measured"] is None and gpu[name]["met"] is False
        assert "site build --force" in gpu[name]["note"]
    assert gpu["best_training_time"]["measured"] is None
    assert not gpu["best_training_time"]["met"]


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


def runtime(slowest, wall, cpu, *, cores=2):
    """A `course_runtime` entry: its slowest lesson, wall time and CPU time."""
    return {
        "lessons": [
            {"lesson": "00_the_data", "seconds": 1.0, "cpu_seconds": 1.0},
            {"lesson": "07_beyond", "seconds": slowest, "cpu_seconds": cpu - 1.0},
        ],
        "total_seconds": slowest + 1.0,
        "total_cpu_seconds": cpu,
        "wall_seconds": wall,
        "jobs": 1,
        "machine": {"logical_cores": cores},
    }


def test_each_goal_is_met_exactly_at_it_and_missed_just_past_it():
    """Promise: a figure equal to its goal meets it; the bounds are not off by one."""
    goal = ACCURACY_TARGETS["best"]
    at_goal = {
        "ladder": [
            row(
                "best",
                goal,
                BEST_TRAINING_CPU_MINUTES_TARGET * 60,
                cpu=BEST_TRAINING_CPU_MINUTES_TARGET * 60,
                memory=2047.0,
            ),
            row("challenge", 0.91, 100.0),
        ],
        "speed": {"cpu": {"ratio": SPEED_TARGET}},
        "time_to_accuracy": {"cpu": {"ratio": TIME_TO_ACCURACY_TARGET}},
        "course_runtime": {
            "cpu": runtime(
                LESSON_MINUTES_TARGET * 60,
                COURSE_WALL_MINUTES_TARGET * 60,
                COURSE_CPU_MINUTES_TARGET * 60,
            )
        },
    }
    met = {t["name"]: t["met"] for t in evaluate_targets(at_goal)["cpu"]}
    assert met["accuracy_best"] and met["best_training_time"]
    assert met["lesson_runtime"] and met["course_wall_time"]
    assert met["course_cpu_time"] and met["time_to_accuracy"] and met["speed"]
    assert met["peak_memory"]
    past = {
        "ladder": [
            row(
                "best",
                goal - 1e-4,
                BEST_TRAINING_CPU_MINUTES_TARGET * 60 + 0.6,
                cpu=BEST_TRAINING_CPU_MINUTES_TARGET * 60 + 0.6,
                memory=MEMORY_TARGET_MIB,
            ),
            row("challenge", 0.91, 100.0),
        ],
        "speed": {"cpu": {"ratio": SPEED_TARGET - 0.01}},
        "time_to_accuracy": {"cpu": {"ratio": TIME_TO_ACCURACY_TARGET - 0.1}},
        "course_runtime": {
            "cpu": runtime(
                LESSON_MINUTES_TARGET * 60 + 0.6,
                COURSE_WALL_MINUTES_TARGET * 60 + 0.6,
                COURSE_CPU_MINUTES_TARGET * 60 + 0.6,
            )
        },
    }
    missed = {t["name"]: t["met"] for t in evaluate_targets(past)["cpu"]}
    assert not any(
        missed[name]
        for name in (
            "accuracy_best",
            "best_training_time",
            "lesson_runtime",
            "course_wall_time",
            "course_cpu_time",
            "time_to_accuracy",
            "speed",
            "peak_memory",
        )
    )


def test_the_training_time_is_the_slowest_seeds_cpu_time():
    """Promise: every seed's CPU time counts, the slowest decides, and a row
    that did not record CPU time for each seed meets nothing."""
    best = row("best", 0.94, 100.0, cpu=600.0)
    best["runs"] = [
        {
            "seed": 0,
            "test_accuracy": 0.94,
            "train_seconds": 700.0,
            "train_cpu_seconds": 600.0,
        },
        {
            "seed": 1,
            "test_accuracy": 0.94,
            "train_seconds": 4000.0,
            "train_cpu_seconds": 3700.0,
        },
        {
            "seed": 2,
            "test_accuracy": 0.94,
            "train_seconds": 900.0,
            "train_cpu_seconds": 900.0,
        },
    ]
    target = {t["name"]: t for t in evaluate_targets({"ladder": [best]})["cpu"]}
    assert target["best_training_time"]["measured"] == 61.7
    assert target["best_training_time"]["met"] is False
    assert target["best_training_time"]["note"] == (
        "slowest of 3 seeds, 66.7 min of wall time"
    )
    best["runs"][1] = {"seed": 1, "test_accuracy": 0.94, "train_seconds": 4000.0}
    target = {t["name"]: t for t in evaluate_targets({"ladder": [best]})["cpu"]}
    assert target["best_training_time"]["measured"] is None
    assert target["best_training_time"]["met"] is False
    assert "bench ladder --lessons 07" in target["best_training_time"]["note"]


def test_the_ratio_to_challenge_is_given_only_within_one_ladder_run():
    """Promise: machine speed moves between days, so the note compares
    `best` with `challenge` only when one ladder run trained both."""
    for best_run, challenge_run in (("r1", "r2"), (None, None), ("r1", None)):
        results = {
            "ladder": [
                row("best", 0.94, 300.0, cpu=200.0, run=best_run),
                row("challenge", 0.91, 100.0, cpu=100.0, run=challenge_run),
            ]
        }
        target = {t["name"]: t for t in evaluate_targets(results)["cpu"]}
        assert "challenge" not in target["best_training_time"]["note"]
        assert target["best_training_time"]["met"] is True
    only_challenge = {"ladder": [row("challenge", 0.91, 100.0, cpu=100.0)]}
    target = {t["name"]: t for t in evaluate_targets(only_challenge)["cpu"]}
    assert target["best_training_time"]["measured"] is None


def test_measured_figures_are_rounded_as_recorded():
    results = {
        "ladder": [
            row("best", 0.94, 1000.0, cpu=1000.0),
            row("challenge", 0.91, 300.0),
        ],
        "course_runtime": {"cpu": runtime(1234.0, 1250.0, 2000.0)},
    }
    target = {t["name"]: t for t in evaluate_targets(results)["cpu"]}
    assert target["best_training_time"]["measured"] == 16.7
    assert target["lesson_runtime"]["measured"] == 20.6
    assert target["course_wall_time"]["measured"] == 20.8
    assert target["course_cpu_time"]["measured"] == 33.3


def test_a_build_that_did_not_measure_a_figure_meets_no_target_for_it():
    """Promise: a runtime the record lacks says so and never passes, and
    lessons over the limit are counted."""
    entry = runtime(400.0, 500.0, 600.0)
    del entry["wall_seconds"], entry["total_cpu_seconds"]  # a build that reused
    target = {
        t["name"]: t
        for t in evaluate_targets({"course_runtime": {"cpu": entry}})["cpu"]
    }
    assert target["lesson_runtime"]["met"] is False
    assert target["lesson_runtime"]["note"] == "slowest: 07_beyond; 1 of 2 lessons over"
    for name in ("course_wall_time", "course_cpu_time"):
        assert target[name]["measured"] is None and target[name]["met"] is False
        assert target[name]["note"] == (
            "not measured: run `fmnist-course site build --force` on an idle machine"
        )
    empty = {
        t["name"]: t for t in evaluate_targets({"course_runtime": {"cpu": {}}})["cpu"]
    }
    assert empty["lesson_runtime"]["measured"] is None
    assert empty["lesson_runtime"]["met"] is False


def test_a_build_on_more_than_two_cores_shows_its_figures_but_meets_nothing():
    entry = runtime(60.0, 120.0, 240.0, cores=16)
    target = {
        t["name"]: t
        for t in evaluate_targets({"course_runtime": {"cpu": entry}})["cpu"]
    }
    for name in ("lesson_runtime", "course_wall_time", "course_cpu_time"):
        assert target[name]["measured"] is not None and target[name]["met"] is False
        assert target[name]["note"].endswith("on 16 logical cores, not 2")
    assert target["lesson_runtime"]["note"].startswith("slowest: 07_beyond; ")


def test_the_retrained_course_meets_its_target_only_when_every_recipe_agrees():
    """Promise: with the retrain switch on, the course scores what the ladder
    recorded; one disagreeing, missing, stale or forged comparison, a recipe
    compared outside its own lesson, or a build of another device leaves the
    target unmet."""
    from fmnist_course.authoring.lesson_files import lesson_paths
    from fmnist_course.bench.targets import retrain_target
    from fmnist_course.recipes import RECIPES
    from fmnist_course.results_tables import outdated_row
    from fmnist_course.retrained import RETRAINED_RECIPES, retrain_agreement

    runs = [
        {"seed": seed, "test_accuracy": accuracy}
        for seed, accuracy in enumerate((0.9075, 0.91, 0.9125))
    ]
    ladder = [
        {
            **todays(recipe),
            "model": recipe,
            "device": "cpu",
            "test_accuracy": 0.91,
            "test_accuracy_std": 0.0025,
            "test_accuracy_min": 0.9075,
            "test_accuracy_max": 0.9125,
            "runs": runs,
            "seeds": [0, 1, 2],
            "measured_at": "2026-01-01T00:00:00Z",
        }
        for recipe in RETRAINED_RECIPES
    ]
    record = {"ladder": ladder}
    course = [path.stem for path in lesson_paths()]
    lessons = {
        recipe: next(s for s in course if s.startswith(f"{RECIPES[recipe].lesson}_"))
        for recipe in RETRAINED_RECIPES
    }

    def agreement(recipe, accuracy):
        found = retrain_agreement(
            recipe, accuracy, "float32", results=record, device="cpu"
        ).as_record()
        return {**found, "lesson": lessons[recipe]}

    agreeing = [agreement(recipe, 0.911) for recipe in RETRAINED_RECIPES]
    entry = {
        "agreements": agreeing,
        "lessons": course,
        "wall_seconds": 1800.0,
        "site_seconds": 60.0,
        "measured_at": "2026-02-01T00:00:00Z",
        "machine": {"device": "cpu", "dtype_policy": "float32"},
    }
    for results in (None, record):
        row = retrain_target(entry, results)
        assert row["met"] and row["measured"] == 1.0, row["note"]
    last = RETRAINED_RECIPES[-1]
    one_off = [*agreeing[:-1], agreement(last, 0.916)]
    row = retrain_target({**entry, "agreements": one_off}, record)
    assert not row["met"] and row["measured"] == 0.75
    assert f"{last} in {RECIPES[last].lesson} +0.60 (limit 0.50)" in row["note"]
    row = retrain_target({**entry, "agreements": agreeing[1:]}, record)
    assert not row["met"]
    assert f"not compared in its own lesson: {RETRAINED_RECIPES[0]}" in row["note"]
    # A recipe compared only in another lesson, or a lesson the build lacks.
    elsewhere = [*agreeing[:-1], {**agreeing[-1], "lesson": lessons["cnn"]}]
    assert not retrain_target({**entry, "agreements": elsewhere}, record)["met"]
    for built in (course[:-1], [*course, course[0]], [f"{course[0]} ", *course[1:]]):
        row = retrain_target({**entry, "lessons": built}, record)
        assert not row["met"] and "not the course's" in row["note"], built
    made_up = [*agreeing[:-1], {**agreeing[-1], "lesson": "07_made_up"}]
    row = retrain_target({**entry, "agreements": made_up}, record)
    assert not row["met"] and "is not one of the course's" in row["note"]
    # A comparison repeated to pad the share, a CPU entry from a machine with
    # GPUs, a build with no sign its site built, a build dated in the future.
    padded = [*one_off, *[agreeing[0]] * 15]
    row = retrain_target({**entry, "agreements": padded}, record)
    assert row["measured"] < 0.75 and "repeats an earlier comparison" in row["note"]
    gpus = {**entry, "machine": {**entry["machine"], "gpus": ["NVIDIA H100"]}}
    assert not retrain_target(gpus, record)["met"]
    unbuilt = {k: v for k, v in entry.items() if k != "site_seconds"}
    row = retrain_target(unbuilt, record)
    assert not row["met"] and "no sign that the site built" in row["note"]
    future = {**entry, "measured_at": "2999-01-01T00:00:00Z"}
    row = retrain_target(future, record)
    assert not row["met"] and "in the future" in row["note"]
    # A comparison with the ladder of another precision than the build's.
    other = {**entry, "machine": {"device": "cpu", "dtype_policy": "mixed_bfloat16"}}
    row = retrain_target(other, record)
    assert not row["met"] and "but the build trained in" in row["note"]
    # A CPU entry whose build ran on a GPU.
    row = retrain_target({**entry, "machine": {"device": "gpu"}}, record)
    assert (
        not row["met"]
        and "built on 'gpu' with GPUs None, recorded as 'cpu'" in row["note"]
    )
    # A forged verdict, or figures that do not follow from the row.
    forged = [*agreeing[:-1], {**one_off[-1], "agrees": True}]
    row = retrain_target({**entry, "agreements": forged}, record)
    assert not row["met"] and "agrees do not follow" in row["note"]
    wide = [*agreeing[:-1], {**one_off[-1], "std": 0.5, "limit": 1.0, "agrees": True}]
    assert not retrain_target({**entry, "agreements": wide}, record)["met"]
    # A ladder row trained by other code or data, or measured again since.
    stale = [*ladder[:-1], {**ladder[-1], "fingerprint": "0" * 64}]
    row = retrain_target(entry, {"ladder": stale})
    assert not row["met"] and "fingerprint is not today's" in row["note"]
    shifted = {
        "test_accuracy": 0.92,
        "test_accuracy_min": 0.9175,
        "test_accuracy_max": 0.9225,
        "runs": [{**r, "test_accuracy": r["test_accuracy"] + 0.01} for r in runs],
    }
    again = [*ladder[:-1], {**ladder[-1], **shifted}]
    assert outdated_row(again[-1]) is None
    row = retrain_target(entry, {"ladder": again})
    assert not row["met"] and row["measured"] == 0.75
    assert "not counted: the ladder has measured" in row["note"]
    later = [*ladder[:-1], {**ladder[-1], "measured_at": "2026-03-01T00:00:00Z"}]
    row = retrain_target(entry, {"ladder": later})
    assert not row["met"] and "not counted: the ladder has measured" in row["note"]


def test_a_budget_of_cpu_time_is_met_only_on_a_cpu_by_every_seed():
    """Promise: a GPU row, fewer than MIN_SEEDS seeds, or a seed whose CPU time
    is not a positive finite number never meets the training budget."""
    gpu = row("best", 0.95, 100.0, cpu=60.0, device="gpu")
    target = {t["name"]: t for t in evaluate_targets({"ladder": [gpu]})["gpu"]}
    assert target["best_training_time"]["met"] is False
    assert "CPU" in target["best_training_time"]["note"]
    one_seed = row("best", 0.95, 100.0, cpu=60.0, seeds=1)
    target = {t["name"]: t for t in evaluate_targets({"ladder": [one_seed]})["cpu"]}
    assert target["best_training_time"]["measured"] == 1.0
    assert target["best_training_time"]["met"] is False
    assert f"fewer than {MIN_SEEDS} seeds" in target["best_training_time"]["note"]
    for bad in (float("nan"), float("inf"), True, "60", 0.0, -1.0):
        broken = row("best", 0.95, 100.0, cpu=60.0)
        broken["runs"] = [
            *broken["runs"][:2],
            {**broken["runs"][2], "train_cpu_seconds": bad},
        ]
        target = {t["name"]: t for t in evaluate_targets({"ladder": [broken]})["cpu"]}
        assert target["best_training_time"]["measured"] is None, bad
        assert target["best_training_time"]["met"] is False, bad


def test_a_row_measured_for_an_earlier_recipe_meets_no_target():
    """Promise: a ladder row whose recipe has changed since, or whose
    fingerprint is not today's, counts for neither accuracy nor time."""
    from fmnist_course.recipes import RECIPES

    stale = row("best", 0.96, 100.0, cpu=60.0, epochs=RECIPES["best"].epochs - 1)
    target = {t["name"]: t for t in evaluate_targets({"ladder": [stale]})["cpu"]}
    for name in ("accuracy_best", "best_training_time"):
        assert target[name]["met"] is False, name
        assert "which its recipe has changed since" in target[name]["note"], name
    current = row("best", 0.96, 100.0, cpu=60.0, epochs=RECIPES["best"].epochs)
    target = {t["name"]: t for t in evaluate_targets({"ladder": [current]})["cpu"]}
    assert target["accuracy_best"]["met"] and target["best_training_time"]["met"]
    current["fingerprint"] = "0" * 64  # another recipe's, code's or data's
    target = {t["name"]: t for t in evaluate_targets({"ladder": [current]})["cpu"]}
    for name in ("accuracy_best", "best_training_time"):
        assert target[name]["met"] is False, name
        assert "fingerprint" in target[name]["note"], name


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"fingerprint": None}, "recorded without a fingerprint"),
        ({"precision": None}, "trained in None, not 'float32'"),
        ({"precision": "mixed_bfloat16"}, "not 'float32'"),
        ({"test_images": 500}, "500 test images"),
        ({"train_images": 2000}, "2000 training"),
        ({"seeds": [0, 0, 0]}, "do not each have their own seed"),
    ],
)
def test_a_row_that_is_not_a_full_run_of_today_meets_no_target(change, reason):
    """Promise: a hand-edited or shortened row (no fingerprint, another
    precision, a subset, a repeated seed) counts for no accuracy or time."""
    changed = {**row("best", 0.96, 100.0, cpu=60.0), **change}
    if "seeds" in change:
        changed["runs"] = [dict(run, seed=0) for run in changed["runs"]]
    target = {t["name"]: t for t in evaluate_targets({"ladder": [changed]})["cpu"]}
    for name in ("accuracy_best", "best_training_time"):
        assert target[name]["met"] is False, name
        assert reason in target[name]["note"], (name, target[name]["note"])
    assert target["accuracy_best"]["num_seeds"] == (1 if "seeds" in change else 3)


def test_the_shipped_record_stores_todays_verdicts():
    """Guards: the site and README render the stored targets, so they must be
    what today's policy and code compute from the record."""
    from fmnist_course.results import load_results

    results = load_results()
    assert results["targets"] == evaluate_targets(results), (
        "the stored targets are stale: run `fmnist-course bench readme`"
    )


def test_a_final_fit_counts_only_on_all_60000_images_and_without_validation():
    """Guards: `best` is a final fit, so its ladder row counts when it trained
    on all 60,000 images and reports no validation accuracy; a row on 54,000
    images, or one claiming a validation score for images it trained on,
    does not. The rungs that hold validation out still count on 54,000."""
    from fmnist_course.results_tables import FULL_TRAIN_IMAGES, outdated_row

    best = row("best", 0.95, 100.0, cpu=60.0)
    assert best["train_images"] == 60_000 and outdated_row(best) is None
    held_out = {**best, "train_images": FULL_TRAIN_IMAGES}
    assert "not 60,000 and 10,000" in outdated_row(held_out)
    scored = {
        **best,
        "runs": [{**r, "validation_accuracy": 0.96} for r in best["runs"]],
    }
    assert "reports a validation accuracy" in outdated_row(scored)
    cnn = row("cnn", 0.91, 100.0)
    assert cnn["train_images"] == 54_000 and outdated_row(cnn) is None
    assert "not 54,000" in outdated_row({**cnn, "train_images": 60_000})
