import keras
import numpy as np
import pytest

from fmnist_course.bench.speed import compare_paths, timed_seconds
from fmnist_course.bench.time_to_accuracy import (
    TimeToAccuracy,
    course_recipe,
    time_ratio,
)
from fmnist_course.cli.main import main


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeModel:
    stop_training = False


def scripted_callback(accuracies, *, threshold, epoch_seconds, eval_seconds):
    """A callback whose epochs take `epoch_seconds` and evaluations `eval_seconds`."""
    clock = FakeClock()
    callback = TimeToAccuracy(None, None, threshold=threshold, clock=clock)
    callback.set_model(FakeModel())
    scripted = iter(accuracies)

    def evaluate():
        clock.now += eval_seconds  # evaluation time must not count as training
        return next(scripted)

    callback.evaluate = evaluate
    for epoch, seconds in enumerate(epoch_seconds):
        callback.on_epoch_begin(epoch)
        clock.now += seconds
        callback.on_epoch_end(epoch)
        if callback.model.stop_training:
            break
    return callback


def test_stops_at_the_first_epoch_reaching_the_threshold_excluding_evaluation():
    callback = scripted_callback(
        [0.50, 0.89, 0.912, 0.95],
        threshold=0.91,
        epoch_seconds=[10.0, 12.0, 11.0, 10.0],
        eval_seconds=100.0,
    )
    assert callback.reached_epoch == 3
    assert callback.reached_seconds == pytest.approx(33.0)
    assert [point["epoch"] for point in callback.curve] == [1, 2, 3]
    assert [point["train_seconds"] for point in callback.curve] == [10.0, 22.0, 33.0]
    assert callback.model.stop_training
    summary = callback.summary("best")
    assert summary["reached"] and summary["epochs"] == 3
    assert summary["train_seconds"] == 33.0 and summary["final_test_accuracy"] == 0.912


def test_a_run_that_never_reaches_reports_its_whole_budget():
    callback = scripted_callback(
        [0.5, 0.6, 0.7],
        threshold=0.91,
        epoch_seconds=[5.0, 5.0, 5.0],
        eval_seconds=1.0,
    )
    summary = callback.summary("challenge (original)")
    assert not summary["reached"] and callback.reached_epoch is None
    assert summary["epochs"] == 3 and summary["train_seconds"] == 15.0
    assert not callback.model.stop_training


def test_ratio_is_original_over_course():
    reached = {"reached": True, "train_seconds": 20.0}
    assert time_ratio({"reached": True, "train_seconds": 70.0}, reached) == {
        "ratio": 3.5,
        "ratio_is_lower_bound": False,
    }
    assert time_ratio({"reached": False, "train_seconds": 70.0}, reached) == {
        "ratio": 3.5,
        "ratio_is_lower_bound": True,
    }
    missed = {"reached": False, "train_seconds": 20.0}
    assert time_ratio(reached, missed)["ratio"] is None


def test_rejects_a_threshold_out_of_range():
    with pytest.raises(ValueError, match="threshold=1.5"):
        TimeToAccuracy(None, None, threshold=1.5)


def synthetic_problem(num_samples=512, seed=0):
    """Two Gaussian blobs in 2-D: linearly separable but not at once."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, num_samples)
    x = rng.normal(0.0, 1.0, (num_samples, 2)).astype("float32")
    x[:, 0] += np.where(y == 1, 2.0, -2.0)
    return x, y


def tiny_model():
    inputs = keras.Input((2,))
    outputs = keras.layers.Dense(2, activation="softmax")(inputs)
    return keras.Model(inputs, outputs)


def test_real_training_stops_once_a_low_threshold_is_reached():
    x, y = synthetic_problem()
    x_test, y_test = synthetic_problem(256, seed=1)
    keras.utils.set_random_seed(0)
    model = tiny_model()
    # A small, plain SGD step so that accuracy climbs over a few epochs.
    model.compile(
        optimizer=keras.optimizers.SGD(0.05),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callback = TimeToAccuracy(x_test, y_test, threshold=0.9)
    model.fit(x, y, batch_size=64, epochs=40, verbose=0, callbacks=[callback])
    assert callback.reached_epoch is not None, callback.curve
    assert len(callback.curve) == callback.reached_epoch < 40
    accuracies = [point["test_accuracy"] for point in callback.curve]
    assert accuracies[-1] >= 0.9 and all(a < 0.9 for a in accuracies[:-1])
    assert accuracies[-1] == pytest.approx(
        model.evaluate(x_test, y_test, verbose=0)[1], abs=1e-4
    )
    seconds = [point["train_seconds"] for point in callback.curve]
    assert all(b > a for a, b in zip(seconds, seconds[1:], strict=False))
    assert callback.reached_seconds == pytest.approx(seconds[-1], abs=1e-3)


def test_speed_comparison_alternates_paths():
    x, y = synthetic_problem(256)
    result = compare_paths(tiny_model, x, y, epochs=2, repeats=2, batch_size=32)
    assert [run["path"] for run in result["runs"]] == [  # ABBA: drift cancels
        "plain",
        "course",
        "course",
        "plain",
    ]
    assert all(len(run["epoch_seconds"]) == 2 for run in result["runs"])
    assert all(len(run["epoch_cpu_seconds"]) == 2 for run in result["runs"])
    for clock in ("", "cpu_"):
        assert result[f"{clock}ratio"] == pytest.approx(
            result[f"course_images_per_{clock}second"]
            / result[f"plain_images_per_{clock}second"],
            rel=1e-2,
        )
    assert timed_seconds([9.0, 1.0, 2.0]) == 3.0 and timed_seconds([4.0]) == 4.0
    with pytest.raises(ValueError, match="repeats=0"):
        compare_paths(tiny_model, x, y, repeats=0)


def test_course_recipe_without_fast_says_how_to_pick_one(monkeypatch, capsys):
    from fmnist_course import recipes

    assert course_recipe().name == "fast"
    monkeypatch.delitem(recipes.RECIPES, "fast", raising=False)
    with pytest.raises(ValueError, match="no 'fast' recipe"):
        course_recipe()
    assert course_recipe("cnn").name == "cnn"
    assert main(["bench", "time-to-accuracy"]) == 2
    assert "--course-recipe" in capsys.readouterr().err
    assert main(["bench", "time-to-accuracy", "--course-recipe", "nope"]) == 2
    assert "Unknown model name: 'nope'" in capsys.readouterr().err
    assert main(["bench", "ladder", "--lessons", "99"]) == 2
    assert "No recipe for lesson(s) 99" in capsys.readouterr().err


def test_bench_readme_command_renders_a_results_file(tmp_path, capsys):
    from fmnist_course.results import update_results

    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    target = {"name": "t", "target": "a stale target", "measured": None}
    target |= {"unit": "ratio", "met": False}
    update_results("targets", {"cpu": [target]}, results)
    machine = {"cpu_model": "Test CPU", "logical_cores": 2, "device": "cpu"}
    machine |= {"gpus": [], "tensorflow": "2.20", "keras": "3.12"}
    runtime = {"lessons": [{"lesson": "00_the_data", "seconds": 60.0}]}
    runtime |= {"total_seconds": 60.0, "machine": machine}
    update_results("course_runtime", {"cpu": runtime}, results)
    args = ["bench", "readme", "--results", str(results), "--readme", str(readme)]
    assert main(args) == 0
    text = readme.read_text()
    assert "No benchmark results yet" not in text
    # The targets follow the current policy, not the verdicts recorded earlier.
    assert "a stale target" not in text
    assert (
        "5 minutes of wall time on 2 cores | 1.0 min (slowest: 00_the_data) | yes |"
        in text
    )
    assert "40 CPU-minutes | not measured: run `fmnist-course site build" in text
    assert "targets recomputed" in capsys.readouterr().out
    assert main(args) == 0
    assert "targets recomputed" not in capsys.readouterr().out
    readme.write_text("# no markers\n")
    assert main(args) == 2
    assert "Expected the markers" in capsys.readouterr().err
    # A record the schema refuses keeps its stored verdicts: none is recomputed.
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    bad = {**runtime, "wall_seconds": -1.0}
    update_results("course_runtime", {"cpu": bad}, results)
    stored = results.read_bytes()
    assert main(args) == 2
    assert "wall_seconds should not be negative" in capsys.readouterr().err
    assert results.read_bytes() == stored


@pytest.mark.slow
def test_time_to_accuracy_on_a_real_subset():
    from fmnist_course.bench.schema import validate_results
    from fmnist_course.bench.time_to_accuracy import measure_time_to_accuracy

    result = measure_time_to_accuracy(
        threshold=0.6,
        course="dense",
        max_epochs=3,
        train_size=1500,
        test_size=500,
    )
    assert result["original"]["epochs"] <= 3
    assert result["course"]["reached"], result["course"]["curve"]
    validate_results({"time_to_accuracy": {result["machine"]["device"]: result}})
