import copy
import json
import statistics

import pytest
from ladder_fixtures import todays

from fmnist_course.bench.ladder import (
    combine_runs,
    merge_rows,
    normalize_lesson,
    select_recipes,
)
from fmnist_course.bench.readme import (
    END_MARKER,
    START_MARKER,
    replace_between_markers,
    update_readme,
)
from fmnist_course.bench.results_markdown import (
    render_headline_markdown,
    render_results_markdown,
)
from fmnist_course.bench.schema import LADDER_KEYS, validate_results
from fmnist_course.bench.targets import evaluate_targets
from fmnist_course.results import load_results, update_results

MACHINE = {
    "cpu_model": "Test CPU",
    "logical_cores": 2,
    "device": "cpu",
    "gpus": [],
    "tensorflow": "2.0",
    "keras": "3.0",
    "measured_gflops_per_core": 60.0,
    "measured_peak_gflops": 100.0,
}


def ladder_row(model="dense", device="cpu", **changes):
    row = {
        "lesson": "01",
        "model": model,
        "params": 235_146,
        "epochs": 12,
        "test_accuracy": 0.8899,
        "train_seconds": 40.8,
        "images_per_second": 15_882.4,
        "seed": 0,
        "device": device,
        "peak_rss_mib": 912.3,
        "machine": {**MACHINE, "device": device},
        "train_images": 54_000,
        "test_images": 10_000,
    }
    row.update(changes)
    row.setdefault(
        "runs",
        [
            {"seed": seed, "test_accuracy": row["test_accuracy"], "train_seconds": 40.8}
            for seed in (0, 1, 2)
        ],
    )
    scores = [run["test_accuracy"] for run in row["runs"]]
    row.setdefault("test_accuracy_std", round(statistics.stdev(scores), 4))
    row.setdefault("test_accuracy_min", min(scores))
    row.setdefault("test_accuracy_max", max(scores))
    return row


def speed_entry(ratio=1.07):
    return {
        "model": "challenge",
        "batch_size": 128,
        "epochs": 3,
        "train_images": 54_000,
        "plain_images_per_second": 2_000.0,
        "course_images_per_second": 2_000.0 * ratio,
        "ratio": ratio,
        "forward_macs_per_image": 2_723_328,
        "plain_gflops_per_second": 32.7,
        "course_gflops_per_second": 32.7 * ratio,
        "machine": MACHINE,
    }


def time_to_accuracy_entry(original_seconds=1000.0, course_seconds=100.0, reached=True):
    def run(recipe, seconds, did_reach):
        return {
            "recipe": recipe,
            "reached": did_reach,
            "epochs": 7,
            "train_seconds": seconds,
            "curve": [],
        }

    return {
        "threshold": 0.91,
        "original": run("challenge (original)", original_seconds, reached),
        "course": run("best", course_seconds, True),
        "ratio": round(original_seconds / course_seconds, 2),
        "ratio_is_lower_bound": not reached,
        "machine": MACHINE,
    }


def full_results():
    results = {
        "ladder": [ladder_row(), ladder_row("cnn", lesson="02", test_accuracy=0.91)],
        "speed": {"cpu": speed_entry()},
        "time_to_accuracy": {"cpu": time_to_accuracy_entry()},
        "tuning": {"anything": "goes"},
    }
    results["targets"] = evaluate_targets(results)
    return results


def test_a_complete_results_file_is_valid():
    validate_results(full_results())
    validate_results({})
    validate_results({"tuning": [1, 2, 3]})  # other tools' sections are not ours


@pytest.mark.parametrize("key", sorted(LADDER_KEYS))
def test_a_missing_ladder_key_is_named(key):
    results = full_results()
    del results["ladder"][1][key]
    with pytest.raises(ValueError, match=rf"ladder\[1\] lacks key '{key}'"):
        validate_results(results)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("test_accuracy", 1.7, r"ladder\[0\]\.test_accuracy should be between 0 and 1"),
        ("test_accuracy", "0.9", r"ladder\[0\]\.test_accuracy should be a float"),
        ("params", 3.5, r"ladder\[0\]\.params should be an int"),
        ("epochs", True, r"ladder\[0\]\.epochs should be an int"),
        ("train_seconds", 0, r"ladder\[0\]\.train_seconds should be positive"),
        ("device", "tpu", r"ladder\[0\]\.device should be one of"),
        ("device", "gpu", r"ladder\[0\]\.device should be the device its machine"),
        ("train_seconds", float("inf"), r"train_seconds should be a finite number"),
        (
            "train_cpu_seconds",
            float("nan"),
            r"train_cpu_seconds should be a finite number",
        ),
        ("train_cpu_seconds", True, r"train_cpu_seconds should be a float"),
        ("machine", {"cpu_model": "x"}, r"ladder\[0\]\.machine lacks key"),
    ],
)
def test_a_bad_ladder_value_is_named(key, value, message):
    results = full_results()
    results["ladder"][0][key] = value
    with pytest.raises(ValueError, match=message):
        validate_results(results)


def test_duplicate_rows_and_bad_sections_are_rejected():
    results = full_results()
    results["ladder"].append(copy.deepcopy(results["ladder"][0]))
    with pytest.raises(ValueError, match=r"ladder\[2\] repeats model and device"):
        validate_results(results)
    with pytest.raises(ValueError, match="ladder should be a list"):
        validate_results({"ladder": {"dense": {}}})
    with pytest.raises(ValueError, match=r"speed\.tpu is not a device"):
        validate_results({"speed": {"tpu": speed_entry()}})
    entry = speed_entry()
    del entry["ratio"]
    with pytest.raises(ValueError, match=r"speed\.cpu lacks key 'ratio'"):
        validate_results({"speed": {"cpu": entry}})
    entry = time_to_accuracy_entry()
    entry["course"]["reached"] = "yes"
    with pytest.raises(ValueError, match=r"time_to_accuracy\.cpu\.course\.reached"):
        validate_results({"time_to_accuracy": {"cpu": entry}})
    entry = time_to_accuracy_entry()
    entry["ratio"] = None  # the course recipe never reached it: allowed
    validate_results({"time_to_accuracy": {"cpu": entry}})


def bf16_row(model="dense", **changes):
    """A ladder row trained under mixed_bfloat16, as `ladder_bf16` holds it."""
    row = ladder_row(model, **changes)
    row["precision"] = "mixed_bfloat16"
    row["machine"] = {**row["machine"], "dtype_policy": "mixed_bfloat16"}
    for run in row["runs"]:
        run.update(validation_accuracy=0.89, train_cpu_seconds=30.0)
    return row


def _break(row, change):
    if change == "no precision":
        del row["precision"]
    elif change == "float32 precision":
        row["precision"] = "float32"
    elif change == "float32 machine":
        row["machine"]["dtype_policy"] = "float32"
    elif change == "no validation":
        del row["runs"][1]["validation_accuracy"]
    elif change == "no cpu time":
        del row["runs"][2]["train_cpu_seconds"]
    elif change == "bad accuracy":
        row["runs"][0]["validation_accuracy"] = 1.5
    elif change == "off its mean":
        row["test_accuracy"] = 0.95
    return row


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no precision", r"ladder_bf16\[0\] lacks key 'precision'"),
        ("float32 precision", r"ladder_bf16\[0\]\.precision should be 'mixed_bf"),
        ("float32 machine", r"ladder_bf16\[0\]\.machine\.dtype_policy should be"),
        ("no validation", r"runs\[1\] lacks key 'validation_accuracy'"),
        ("no cpu time", r"runs\[2\] lacks key 'train_cpu_seconds'"),
        ("bad accuracy", r"runs\[0\]\.validation_accuracy should be between"),
        ("off its mean", r"ladder_bf16\[0\]\.test_accuracy should be the mean"),
    ],
)
def test_a_malformed_bf16_row_is_refused(change, message):
    """Guards: a ladder_bf16 row must say it trained in mixed_bfloat16 and keep
    what the comparison reads; the float32 ladder beside it stays valid."""
    results = full_results()
    results["ladder_bf16"] = [bf16_row(), bf16_row("cnn", lesson="02")]
    validate_results(results)
    _break(results["ladder_bf16"][0], change)
    with pytest.raises(ValueError, match=message):
        validate_results(results)


def test_bf16_rows_cannot_enter_the_float32_ladder_nor_repeat():
    """Guards: a row trained in bfloat16 is refused in `ladder`, whether its
    `precision` or its machine's policy says so; bf16 rows are one per model."""
    for where in ("precision", "machine"):
        results = full_results()
        row = bf16_row()
        if where == "machine":
            del row["precision"]
        results["ladder"][0] = row
        with pytest.raises(ValueError, match=r"ladder\[0\]\..* should be 'float32'"):
            validate_results(results)
    with pytest.raises(ValueError, match=r"ladder_bf16\[1\] repeats model"):
        validate_results({"ladder_bf16": [bf16_row(), bf16_row()]})


def test_gpu_rows_sit_beside_cpu_rows():
    merged = merge_rows(
        [ladder_row(), ladder_row("cnn", lesson="02")],
        [ladder_row(device="gpu", train_seconds=3.0), ladder_row(train_seconds=41.0)],
    )
    assert [(row["model"], row["device"], row["train_seconds"]) for row in merged] == [
        ("dense", "cpu", 41.0),
        ("dense", "gpu", 3.0),
        ("cnn", "cpu", 40.8),
    ]
    validate_results({"ladder": merged})


def test_targets_follow_the_recorded_figures():
    targets = evaluate_targets(full_results())["cpu"]
    by_name = {target["name"]: target for target in targets}
    assert by_name["time_to_accuracy"]["measured"] == 10.0
    assert by_name["time_to_accuracy"]["met"]
    assert by_name["speed"]["met"]
    assert by_name["peak_memory"]["measured"] == 912.3 and by_name["peak_memory"]["met"]
    slow = full_results()
    slow["speed"]["cpu"] = speed_entry(ratio=0.93)
    slow["time_to_accuracy"]["cpu"] = time_to_accuracy_entry(900.0, 100.0)
    slow["ladder"][0]["peak_rss_mib"] = 2100.0
    slow["ladder"][0]["test_accuracy"] = 0.87
    slow["course_runtime"] = {"cpu": course_runtime_entry(41 * 60.0)}
    assert not any(target["met"] for target in evaluate_targets(slow)["cpu"])
    assert evaluate_targets({}) == {}


def course_runtime_entry(total_seconds=2400.0):
    """A build that executed both lessons in sequence, its kernels at 1.5 cores."""
    return {
        "lessons": [
            {"lesson": "00_the_data", "seconds": 14.0, "cpu_seconds": 24.0},
            {
                "lesson": "01_dense_baseline",
                "seconds": total_seconds - 14.0,
                "cpu_seconds": (total_seconds - 14.0) * 1.5,
            },
        ],
        "total_seconds": total_seconds,
        "total_cpu_seconds": total_seconds * 1.5,
        "wall_seconds": total_seconds,
        "jobs": 1,
        "machine": MACHINE,
    }


RUNTIME_TARGETS = ("lesson_runtime", "course_wall_time", "course_cpu_time")


def test_the_course_runtime_is_checked_lesson_by_lesson():
    """Guards: a lesson without its time, or a zero wall time, is refused."""
    results = {"course_runtime": {"cpu": course_runtime_entry()}}
    validate_results(results)
    results["course_runtime"]["cpu"]["lessons"][1] = {"lesson": "01_dense_baseline"}
    with pytest.raises(
        ValueError, match=r"course_runtime.cpu.lessons\[1\] lacks key 'seconds'"
    ):
        validate_results(results)
    results["course_runtime"]["cpu"] = dict(course_runtime_entry(), wall_seconds=-1.0)
    with pytest.raises(ValueError, match="wall_seconds should not be negative"):
        validate_results(results)
    results["course_runtime"]["cpu"] = dict(course_runtime_entry(), jobs=1.5)
    with pytest.raises(ValueError, match="jobs should be an int"):
        validate_results(results)


def test_accuracy_and_course_runtime_targets():
    results = full_results()  # dense 88.99% (>= 87.46%), cnn 91.00% (< 91.5%)
    for row in results["ladder"]:  # rows of today's recipes
        row.update(todays(row["model"]))
    results["targets"] = evaluate_targets(results)
    results["course_runtime"] = {"cpu": course_runtime_entry(4 * 60.0)}
    by_name = {t["name"]: t for t in evaluate_targets(results)["cpu"]}
    assert by_name["accuracy_dense"]["met"]
    assert not by_name["accuracy_cnn"]["met"]
    assert by_name["accuracy_best"]["measured"] is None
    assert not by_name["accuracy_best"]["met"]
    assert by_name["lesson_runtime"]["measured"] == 3.8
    assert by_name["course_wall_time"]["measured"] == 4.0
    assert by_name["course_cpu_time"]["measured"] == 6.0
    assert all(by_name[name]["met"] for name in RUNTIME_TARGETS)
    assert by_name["best_training_time"]["measured"] is None
    runs = [
        dict(run, train_seconds=900.0, train_cpu_seconds=1200.0)
        for run in results["ladder"][0]["runs"]
    ]
    best = dict(
        results["ladder"][0],
        **todays("best"),
        model="best",
        train_cpu_seconds=1200.0,
        runs=runs,
    )
    results["ladder"].append(best)
    by_name = {t["name"]: t for t in evaluate_targets(results)["cpu"]}
    assert by_name["best_training_time"]["measured"] == 20.0
    assert by_name["best_training_time"]["met"]
    best["runs"] = [
        *runs[:2],
        dict(runs[2], train_seconds=4000.0, train_cpu_seconds=3660.0),
    ]
    by_name = {t["name"]: t for t in evaluate_targets(results)["cpu"]}
    assert by_name["best_training_time"]["measured"] == 61.0
    assert not by_name["best_training_time"]["met"]
    shown = render_results_markdown({**results, "targets": None})
    assert (
        "| CPU | each seed of `best` trains within 60 CPU-minutes | 61.0 CPU-min "
        "(slowest of 3 seeds, 66.7 min of wall time) | no |" in shown
    )
    text = render_results_markdown(results)
    assert (
        "| CPU | `cnn` mean test accuracy over 3+ seeds >= 91.50% "
        "| 91.00% (3 seeds) | no |" in text
    )
    assert "| **all lessons** | **4.0 min** | **6.0 min** |" in text
    assert "| 00_the_data | 0.2 min | 0.4 min |" in text
    fresh = render_results_markdown({**results, "targets": evaluate_targets(results)})
    assert "within 40 CPU-minutes | 6.0 CPU-min | yes |" in fresh


def test_an_accuracy_target_needs_a_mean_over_three_seeds():
    results = full_results()
    dense = results["ladder"][0]
    dense.update(todays("dense"))  # a row of today's recipe
    assert {t["name"]: t for t in evaluate_targets(results)["cpu"]}["accuracy_dense"][
        "met"
    ]
    dense["runs"] = dense["runs"][:1]
    results["targets"] = evaluate_targets(results)
    target = {t["name"]: t for t in evaluate_targets(results)["cpu"]}["accuracy_dense"]
    assert target["num_seeds"] == 1 and not target["met"]
    assert "88.99% (1 seed) | no |" in render_results_markdown(results)


def test_a_ladder_row_is_the_mean_of_its_runs():
    results = full_results()
    results["ladder"][0]["runs"][0]["test_accuracy"] = 0.80
    with pytest.raises(
        ValueError, match=r"ladder\[0\]\.test_accuracy should be the mean"
    ):
        validate_results(results)
    results["ladder"][0]["runs"] = []
    with pytest.raises(ValueError, match=r"ladder\[0\]\.runs should list one run"):
        validate_results(results)


@pytest.mark.parametrize("offset", [0.0002, -0.0002, 0.005])
def test_a_ladder_row_off_its_runs_mean_is_rejected(offset):
    """The record holds each row's mean of its runs, to the rounding, nothing else."""
    accuracies = [0.8781, 0.8779, 0.8779]  # mean 0.877966..., recorded as 0.878
    row = combine_runs(
        [
            ladder_row(seed=seed, test_accuracy=accuracy, test_loss=0.3)
            for seed, accuracy in enumerate(accuracies)
        ]
    )
    validate_results({"ladder": [row]})
    row["test_accuracy"] = round(row["test_accuracy"] + offset, 4)
    with pytest.raises(
        ValueError,
        match=r"ladder\[0\]\.test_accuracy should be the mean of its runs, 0\.8780",
    ):
        validate_results({"ladder": [row]})


def test_a_ladder_row_keeps_the_validation_accuracy_of_each_seed():
    runs = [
        {
            "model": "best",
            "device": "cpu",
            "seed": seed,
            "test_accuracy": 0.94,
            "test_loss": 0.2,
            "validation_accuracy": accuracy,
            "train_seconds": 9.0,
            "images_per_second": 900.0,
            "peak_rss_mib": 1000.0,
        }
        for seed, accuracy in [(0, 0.944), (1, 0.946), (2, 0.951)]
    ]
    row = combine_runs(runs)
    assert row["validation_accuracy"] == 0.947
    assert [run["validation_accuracy"] for run in row["runs"]] == [0.944, 0.946, 0.951]
    # A run recorded before validation was scored leaves the mean unknown.
    del runs[1]["validation_accuracy"]
    assert combine_runs(runs)["validation_accuracy"] is None
    results = full_results()
    results["ladder"][0]["runs"][0]["validation_accuracy"] = 94.4
    with pytest.raises(
        ValueError, match=r"ladder\[0\]\.runs\[0\]\.validation_accuracy should be "
    ):
        validate_results(results)


def test_a_ladder_row_keeps_the_cpu_time_of_each_seed():
    runs = [
        {
            "model": "best",
            "device": "cpu",
            "seed": seed,
            "test_accuracy": 0.94,
            "test_loss": 0.2,
            "train_seconds": 600.0,
            "train_cpu_seconds": cpu,
            "images_per_second": 900.0,
            "peak_rss_mib": 1000.0,
        }
        for seed, cpu in [(0, 1100.0), (1, 1150.0), (2, 1230.0)]
    ]
    row = combine_runs(runs)
    assert row["train_cpu_seconds"] == 1160.0
    assert [run["train_cpu_seconds"] for run in row["runs"]] == [1100.0, 1150.0, 1230.0]
    del runs[2]["train_cpu_seconds"]  # a run recorded before CPU time was
    assert combine_runs(runs)["train_cpu_seconds"] is None
    results = full_results()
    results["ladder"][0]["runs"][0]["train_cpu_seconds"] = -3.0
    with pytest.raises(
        ValueError, match=r"ladder\[0\]\.runs\[0\]\.train_cpu_seconds should be "
    ):
        validate_results(results)


def test_the_ladder_table_names_each_rows_machine():
    results = full_results()
    dense, _ = results["ladder"]
    text = render_results_markdown(results)
    assert "On CPU (Test CPU, 2 logical cores" in text  # one machine: said once
    assert "Measured on different machines" not in text
    dense["machine"] = {**dense["machine"], "cpu_mhz": 2445.4}
    text = render_results_markdown(results)
    assert "On CPU, seeds 0, 1 and 2, trained on" in text
    assert (
        "Measured on different machines: lesson 01 (Test CPU at 2,445 MHz, "
        "2 logical cores" in text
    )
    assert ") and lesson 02 (Test CPU, 2 logical cores" in text


def test_the_ladder_table_shows_validation_and_which_rows_share_a_run():
    results = full_results()
    dense, cnn = results["ladder"]
    cnn.update(validation_accuracy=0.9234)
    text = render_results_markdown(results)
    assert "| 88.99–88.99 | — | 3 |" in text  # dense: no validation recorded
    assert "| 91.00–91.00 | 92.34% | 3 |" in text
    assert "Rows by ladder run" not in text  # no row says which run it was in
    started = "2026-12-03T14:53:00Z"
    dense["ladder_run"] = started
    text = render_results_markdown(results)
    assert (
        f"Rows by ladder run: lesson 01 (started {started}); the others were "
        "recorded before rows named their run." in text
    )
    cnn["ladder_run"] = "2026-12-04T09:00:00Z"
    text = render_results_markdown(results)
    assert (
        f"Rows by ladder run: lesson 01 (started {started}); lesson 02 "
        "(started 2026-12-04T09:00:00Z)." in text
    )
    cnn["ladder_run"] = started  # one run measured every row: nothing to say
    assert "Rows by ladder run" not in render_results_markdown(results)


def test_speed_levers_are_rendered_with_the_baseline_spread():
    results = {
        "speed_levers": {
            "cpu": {
                "model": "challenge",
                "batch_size": 128,
                "timed_seconds": 40.0,
                "baseline_images_per_second": 1100.0,
                "baseline_runs": [1000.0, 1200.0],
                "levers": [
                    {
                        "name": "tf_data",
                        "description": "a tf.data pipeline",
                        "images_per_second": 1155.0,
                        "ratio": 1.05,
                    },
                    {
                        "name": "jax_backend",
                        "description": "Keras on JAX",
                        "skipped": "no JAX",
                    },
                ],
                "machine": MACHINE,
            }
        }
    }
    text = render_results_markdown(results)
    assert "| `tf_data` | a tf.data pipeline | 1,155 | 1.05x | — | — |" in text
    assert "| `jax_backend` | Keras on JAX | skipped | no JAX |  |  |" in text
    assert "The two baseline runs differ by 18% in wall time:" in text
    assert "—: recorded before the benchmark read CPU time." in text
    entry = results["speed_levers"]["cpu"]
    entry.update(baseline_images_per_cpu_second=600.0, baseline_cpu_runs=[590.0, 610.0])
    entry["levers"][0].update(images_per_cpu_second=540.0, cpu_ratio=0.9)
    text = render_results_markdown(results)
    assert "| `tf_data` | a tf.data pipeline | 1,155 | 1.05x | 540 | 0.90x |" in text
    assert "600 images per CPU-second, the mean of 590 and 610:" in text
    assert "differ by 18% in wall time and 3% in CPU time:" in text
    assert "recorded before the benchmark read CPU time" not in text


def test_training_speed_shows_cpu_time_when_recorded():
    results = {"speed": {"cpu": speed_entry()}}
    text = render_results_markdown(results)
    assert "| CPU | plain `model.fit` | 2,000 | — | 32.7 |" in text
    assert "ratio course/plain **1.07** (" in text
    assert "recorded before the benchmark read CPU time" in text
    results["speed"]["cpu"].update(
        plain_images_per_cpu_second=1_000.0,
        course_images_per_cpu_second=990.0,
        cpu_ratio=0.99,
    )
    text = render_results_markdown(results)
    assert "| CPU | course `train_model` | 2,140 | 990 | 35.0 |" in text
    assert "ratio course/plain **1.07**, 0.99 in CPU time (" in text
    assert "recorded before the benchmark read CPU time" not in text


def test_markdown_is_rendered_from_the_results_only():
    results = full_results()
    results["ladder"].append(ladder_row(device="gpu", train_seconds=3.25))
    text = render_results_markdown(results)
    assert (
        "| 01 | `dense` | 235,146 | 12 | 88.99% ± 0.00 | 88.99–88.99 | — | 3 | 40.8 s "
        "| 15,882 | 912 MiB |" in text
    )
    assert "seeds 0, 1 and 2" in text
    assert "| 02 | `cnn` |" in text and "91.00%" in text
    assert (
        "On CPU (Test CPU, 2 logical cores, measured float32 peak 60 GFLOP/s on "
        "one core and 100 on all" in text
    )
    assert "On GPU" in text and "3.2 s" in text  # GPU beside CPU, not instead
    assert "ratio course/plain **1.07**" in text
    assert "Ratio original/course: **10.00x**" in text
    results["time_to_accuracy"]["cpu"] = time_to_accuracy_entry(
        500.0, 100.0, reached=False
    )
    assert "**>= 5.00x**" in render_results_markdown(results)
    assert render_results_markdown(results) == render_results_markdown(
        json.loads(json.dumps(results))
    )


def test_a_one_core_machine_is_named_in_the_singular():
    results = full_results()
    results["time_to_accuracy"]["cpu"]["machine"] = dict(MACHINE, logical_cores=1)
    text = render_results_markdown(results)
    assert "Test CPU, 1 logical core, measured" in text
    assert "1 logical cores" not in text
    assert "Test CPU, 2 logical cores, measured" in text  # the other sections


def test_readme_is_updated_between_markers_only(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n\n{START_MARKER}\nold\n{END_MARKER}\n\nend\n")
    assert update_readme(readme, full_results())
    text = readme.read_text()
    assert text.startswith("# Title\n\nintro\n\n" + START_MARKER)
    assert text.endswith(f"{END_MARKER}\n\nend\n")
    assert "old" not in text and "| 01 | `dense` |" in text
    assert not update_readme(readme, full_results())  # unchanged: no rewrite
    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="Expected the markers"):
        update_readme(readme, full_results())
    with pytest.raises(ValueError, match="Expected the markers"):
        replace_between_markers(f"{END_MARKER}\n{START_MARKER}\n", "x")


def test_update_results_keeps_other_sections(tmp_path):
    path = tmp_path / "results.json"
    update_results("tuning", {"grid": 1}, path)
    update_results("ladder", [ladder_row()], path)
    results = load_results(path)
    assert results["tuning"] == {"grid": 1}
    validate_results(results)


def test_lessons_select_their_recipes():
    assert normalize_lesson("1") == "01"
    with pytest.raises(ValueError, match="Expected a lesson number"):
        normalize_lesson("one")
    names = [recipe.name for recipe in select_recipes(["01", "2"])]
    assert names[:2] == ["dense", "cnn"]
    with pytest.raises(ValueError, match="No recipe for lesson"):
        select_recipes(["99"])


def test_shortened_runs_are_not_recorded_by_default(capsys):
    from argparse import Namespace
    from pathlib import Path

    from fmnist_course.cli.bench_handlers import _results_path
    from fmnist_course.results import RESULTS_PATH

    smoke = Namespace(results=None, epochs=1, train_size=2000)
    assert _results_path(smoke, "epochs", "train_size") is None
    assert "not recorded" in capsys.readouterr().out
    full = Namespace(results=None, epochs=None, train_size=None)
    assert _results_path(full, "epochs", "train_size") == RESULTS_PATH
    chosen = Namespace(results="x.json", epochs=1, train_size=None)
    assert _results_path(chosen, "epochs", "train_size") == Path("x.json")


def test_course_runtime_shows_cpu_time_and_the_floor_it_sets():
    entry = {
        "lessons": [
            {"lesson": "00_the_data", "seconds": 60.0, "cpu_seconds": 90.0},
            {"lesson": "04_challenge", "seconds": 1200.0, "cpu_seconds": 2310.0},
        ],
        "total_seconds": 1260.0,
        "total_cpu_seconds": 2400.0,
        "machine": MACHINE,
    }
    text = render_results_markdown({"course_runtime": {"cpu": entry}})
    assert "| lesson | runtime | CPU time |" in text
    assert "| 04_challenge | 20.0 min | 38.5 min |" in text
    assert "| **all lessons** | **21.0 min** | **40.0 min** |" in text
    assert "40.0 CPU-minutes in all. On 2 logical cores, both busy" in text
    assert "about 20.0 minutes of wall time at best" in text
    assert "the kernels kept 1.90 cores busy on average" in text
    del entry["total_cpu_seconds"]
    for lesson in entry["lessons"]:
        del lesson["cpu_seconds"]
    text = render_results_markdown({"course_runtime": {"cpu": entry}})
    assert "| lesson | runtime |\n" in text and "CPU-minutes in all" not in text
    assert "| **all lessons** | **21.0 min** |" in text


def test_the_readme_headline_has_the_ladder_and_targets_but_no_host_detail():
    results = full_results()
    headline = render_headline_markdown(results)
    assert "### Lesson ladder" in headline and "### Targets" in headline
    assert "| 02 | `cnn` | 235,146 | 12 | 91.00% | 91.50% |" in headline
    for host_detail in ("logical core", "CPU time", "Training speed", "GFLOP"):
        assert host_detail not in headline
    assert "logical core" in render_results_markdown(results)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, "60", 0.0])
def test_a_seeds_cpu_time_must_be_a_positive_finite_number(value):
    """Guards: a hand-edited CPU time cannot meet the training budget."""
    results = full_results()
    results["ladder"][0]["runs"][1]["train_cpu_seconds"] = value
    with pytest.raises(ValueError, match=r"ladder\[0\]\.runs\[1\]\.train_cpu_seconds"):
        validate_results(results)


def test_a_cpu_row_from_a_machine_with_gpus_is_refused():
    results = full_results()
    results["ladder"][0]["machine"]["gpus"] = ["NVIDIA H100"]
    with pytest.raises(ValueError, match=r"ladder\[0\]\.device should be the device"):
        validate_results(results)


def test_a_ladder_row_gives_each_run_its_own_seed():
    results = full_results()
    row = results["ladder"][0]
    row["runs"] = [dict(run, seed=0) for run in row["runs"]]
    with pytest.raises(ValueError, match=r"ladder\[0\]\.runs should give each run"):
        validate_results(results)
    results = full_results()
    results["ladder"][0]["seeds"] = [0, 1, 5]
    with pytest.raises(ValueError, match=r"seeds \[0, 1, 5\]"):
        validate_results(results)


def test_a_bf16_final_fit_row_records_no_validation_accuracy():
    """Guards: a final fit trained on its validation images, so its bfloat16
    row has no validation accuracy to record; the schema accepts that for a
    final-fit recipe only (a held-out recipe still must record one)."""
    results = full_results()
    final = bf16_row("best", lesson="07")
    for run in final["runs"]:
        run["validation_accuracy"] = None
    results["ladder_bf16"] = [final]
    validate_results(results)
    held_out = bf16_row("cnn", lesson="02")
    del held_out["runs"][0]["validation_accuracy"]
    results["ladder_bf16"] = [final, held_out]
    with pytest.raises(ValueError, match=r"runs\[0\] lacks key 'validation_accuracy'"):
        validate_results(results)
