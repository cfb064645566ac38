"""`bench processes`: N processes x 1 thread against 1 process x N threads."""

from __future__ import annotations

import json
import threading

import pytest

from fmnist_course.bench.process_split import (
    arrangement_order,
    measure_process_split,
    wait_at_barrier,
)
from fmnist_course.bench.results_markdown import render_results_markdown
from fmnist_course.bench.schema import validate_results
from fmnist_course.cli.main import main
from fmnist_course.errors import UserError


class FakeRunner:
    """Stands in for `run_child`: one process's share, from its thread count.

    A process of one thread trains 100 images/s on one core; one of two
    threads 150 images/s on two cores. Each share reports the arguments it
    was given, so the test sees what each process would have been told.
    """

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        self.clock = 0.0

    def __call__(self, module, name, options, *, what, env):
        threads = int(env["TF_NUM_INTRAOP_THREADS"])
        wait_at_barrier(options["barrier"], options["index"], options["parties"], 5)
        with self.lock:
            self.calls.append((module, name, dict(options), dict(env)))
        images = options["train_images"] * options["epochs"]
        seconds = images / (150.0 if threads == 2 else 100.0)
        return {
            "seed": options["seed"],
            "images": images,
            "start": 1000.0,
            "end": 1000.0 + seconds,
            "cpu_seconds": seconds * threads,
        }


def test_processes_and_threads_run_back_to_back_and_their_ratio_is_recorded():
    """Promise: one run measures both arrangements, each process told its
    share (seed, threads, barrier), and records the ratio of processes over
    threads, in wall time and in CPU time."""
    runner = FakeRunner()
    seen = []
    result = measure_process_split(
        "cnn",
        train_images=300,
        repeats=2,
        seed=5,
        runner=runner,
        on_run=lambda name, run: seen.append(name),
    )
    assert seen == result["order"] == ["1x2", "2x1", "2x1", "1x2"]
    assert len(runner.calls) == 1 + 2 + 2 + 1
    module, name, options, env = runner.calls[0]
    assert (module, name) == ("fmnist_course.bench.process_split", "cnn")
    assert options["parties"] == 1 and options["seed"] == 5
    assert env["TF_NUM_INTRAOP_THREADS"] == env["OMP_NUM_THREADS"] == "2"
    pair = runner.calls[1:3]
    assert sorted(call[2]["seed"] for call in pair) == [5, 6]
    assert {call[2]["parties"] for call in pair} == {2}
    assert {call[3]["TF_NUM_INTEROP_THREADS"] for call in pair} == {"1"}
    one, many = result["arrangements"]
    assert (one["name"], one["processes"], one["threads"]) == ("1x2", 1, 2)
    assert (many["name"], many["processes"], many["threads"]) == ("2x1", 2, 1)
    assert one["images_per_second"] == 150.0 and many["images_per_second"] == 200.0
    assert one["images_per_cpu_second"] == 75.0
    assert many["images_per_cpu_second"] == 100.0
    assert len(one["runs"]) == len(many["runs"]) == 2
    assert result["ratio"] == 1.333 and result["cpu_ratio"] == 1.333
    assert result["train_images"] == 300 and result["processes"] == 2
    validate_results({"process_split": {"cpu": result}})
    text = render_results_markdown({"process_split": {"cpu": result}})
    assert "### Processes or threads" in text
    assert "| 2 processes x 1 thread | 200 | 100 | 200, 200 |" in text
    assert "train **1.33x** the images per second" in text


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("processes", 1, "Expected processes >= 2. Received: processes=1"),
        ("train_images", 10, "Expected train_images >= 100"),
        ("repeats", 0, "Expected repeats >= 1"),
    ],
)
def test_settings_out_of_range_are_refused(option, value, expected):
    with pytest.raises(UserError, match=expected):
        measure_process_split("cnn", runner=FakeRunner(), **{option: value})


def test_an_unknown_recipe_is_refused_before_anything_runs():
    runner = FakeRunner()
    with pytest.raises(ValueError, match="nope"):
        measure_process_split("nope", runner=runner)
    assert runner.calls == []


def test_a_process_that_never_arrives_stops_the_others(tmp_path):
    with pytest.raises(TimeoutError, match="only 1 were ready"):
        wait_at_barrier(tmp_path, 0, 2, timeout=0.05)


def test_the_record_is_refused_without_both_arrangements():
    result = measure_process_split("cnn", train_images=300, runner=FakeRunner())
    result["arrangements"] = result["arrangements"][:1]
    with pytest.raises(ValueError, match="should hold two arrangements"):
        validate_results({"process_split": {"cpu": result}})


def test_the_order_alternates_so_drift_touches_both():
    assert arrangement_order(2, repeats=4) == ["1x2", "2x1", "2x1", "1x2"] * 2


@pytest.mark.slow
def test_bench_processes_measures_a_tiny_run_and_records_it(tmp_path, capsys):
    """A real run, tiny: three fresh processes train `dense` on 300 images."""
    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    args = ["bench", "processes", "--recipe", "dense", "--train-images", "300"]
    args += ["--repeats", "1", "--results", str(results), "--readme", str(readme)]
    assert main([*args, "--json"]) == 0
    out = capsys.readouterr().out
    assert "1x2" in out and "2x1" in out and "ratio processes/threads" in out
    recorded = json.loads(results.read_text())["process_split"]
    (entry,) = recorded.values()
    assert entry["recipe"] == "dense" and entry["order"] == ["1x2", "2x1"]
    assert entry["arrangements"][1]["runs"][0]["images"] == 2 * 270  # 10% held out
    assert entry["ratio"] > 0 and entry["cpu_ratio"] > 0
    assert json.loads(out.strip().splitlines()[-1])["ratio"] == entry["ratio"]
