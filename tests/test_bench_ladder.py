"""The lesson ladder hands each seed on to the training it measures."""

from __future__ import annotations

import argparse
import inspect
import threading
import time

import numpy as np
import pandas as pd

from fmnist_course.bench import ladder
from fmnist_course.cli.bench_handlers import _models_dir
from fmnist_course.data import FashionMNIST
from fmnist_course.parallel import default_workers
from fmnist_course.trained_models import TRAINED_DIR
from fmnist_course.training import TrainingRun, train_recipe


class _Model:
    """Stands in for a trained model: the ladder only counts its parameters."""

    def count_params(self):
        return 1_000


def test_each_seed_of_the_ladder_trains_that_seed(monkeypatch):
    """run_ladder's seeds reach train_recipe: "mean over 3 seeds" is three runs."""
    trained = []

    def record_seed(*args, **kwargs):
        # The seed as the real train_recipe would see it, defaults included.
        call = inspect.signature(train_recipe).bind(*args, **kwargs)
        call.apply_defaults()
        seed = call.arguments["seed"]
        trained.append(seed)
        return TrainingRun(
            model=_Model(),
            recipe=call.arguments["recipe"],
            history=pd.DataFrame({"epoch": [1]}),
            train_seconds=1.0,
            test_accuracy=0.8 + seed / 100,
            test_loss=0.5,
        )

    images = np.zeros((10, 28, 28), dtype=np.float32)
    labels = np.arange(10, dtype=np.uint8)
    monkeypatch.setattr(
        ladder,
        "load_course_split",
        lambda *_, **__: FashionMNIST(images, labels, images, labels),
    )
    monkeypatch.setattr(ladder, "train_recipe", record_seed)
    # Each seed in this process rather than in a child process of its own.
    monkeypatch.setattr(
        ladder,
        "measure_recipe_in_subprocess",
        lambda name, threads=None, **options: ladder.measure_recipe(name, **options),
    )

    (row,) = ladder.run_ladder(["01"], seeds=[0, 3, 5], epochs=1, workers=1)
    assert trained == [0, 3, 5], f"the ladder's seeds 0, 3, 5 trained seeds {trained}"
    assert [run["seed"] for run in row["runs"]] == [0, 3, 5]
    assert row["test_accuracy"] == round(0.8 + 8 / 300, 4)


def test_seeds_train_at_once_and_report_in_seed_order(monkeypatch):
    """Guards: seeds run as parallel processes, each with its share of the
    threads, yet on_row and the runs follow seed order and only the first seed
    saves its model."""
    running, most_at_once, calls = [], [0], []
    lock = threading.Lock()

    def child(name, *, threads=None, seed, save_dir=None, **options):
        with lock:
            running.append(seed)
            most_at_once[0] = max(most_at_once[0], len(running))
            calls.append((seed, threads, save_dir))
        time.sleep(0.3 if seed == 0 else 0.05)  # seed 1 ends first
        with lock:
            running.remove(seed)
        return {
            "model": name,
            "lesson": "01",
            "device": "cpu",
            "seed": seed,
            "test_accuracy": 0.8 + seed / 100,
            "test_loss": 0.5,
            "train_seconds": 1.0,
            "images_per_second": 10.0,
            "peak_rss_mib": 100.0,
        }

    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", child)
    monkeypatch.setattr(ladder, "default_workers", lambda: 4)
    reported = []
    (row,) = ladder.run_ladder(
        ["01"],
        seeds=[0, 1],
        on_row=lambda row: reported.append([run["seed"] for run in row["runs"]]),
        models_dir=TRAINED_DIR,
    )
    assert most_at_once[0] == 2
    assert reported == [[0], [0, 1]]
    assert row["seeds"] == [0, 1] and row["seed"] == 0
    assert (row["seed_processes"], row["threads_per_process"]) == (2, 2)
    assert sorted(calls) == [(0, 2, str(TRAINED_DIR)), (1, 2, None)]


def test_a_freed_core_starts_the_next_recipe_and_rows_keep_lesson_order(monkeypatch):
    """Guards: with 3 seeds on 2 cores the third seed of one recipe trains beside
    the next recipe's first, so no core idles, and rows still come in lesson
    order with their runs in seed order."""
    running, overlaps = [], []
    lock = threading.Lock()

    def child(name, *, threads=None, seed, save_dir=None, **options):
        with lock:
            running.append((name, seed))
            overlaps.append(tuple(running))
        time.sleep(0.2 if name == "dense" else 0.05)
        with lock:
            running.remove((name, seed))
        return {
            "model": name,
            "lesson": ladder.get_recipe(name).lesson,
            "device": "cpu",
            "seed": seed,
            "test_accuracy": 0.8,
            "test_loss": 0.5,
            "train_seconds": 1.0,
            "images_per_second": 10.0,
            "peak_rss_mib": 100.0,
        }

    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", child)
    monkeypatch.setattr(ladder, "default_workers", lambda: 2)
    rows = ladder.run_ladder(["01", "02"], seeds=[0, 1, 2])
    assert [row["model"] for row in rows] == ["dense", "cnn"]
    assert all([run["seed"] for run in row["runs"]] == [0, 1, 2] for row in rows)
    assert any({"dense", "cnn"} <= {name for name, _ in seen} for seen in overlaps)
    assert max(len(seen) for seen in overlaps) == 2


def test_seed_sharing_never_runs_more_processes_than_seeds_or_cores():
    """Guards: parallel seeds never oversubscribe the cores."""
    cores = default_workers()
    assert ladder.seed_sharing(1) == (1, cores)
    processes, threads = ladder.seed_sharing(8)
    assert processes == min(8, cores) and processes * threads <= max(cores, processes)
    assert ladder.seed_sharing(3, workers=1) == (1, cores)


def test_two_real_seeds_train_in_parallel_processes_and_differ():
    """Guards: real child processes train seeds 0 and 1 at once; the row's runs
    come back in seed order and are two different trainings."""
    reported = []
    (row,) = ladder.run_ladder(
        ["01"],
        seeds=[1, 0],
        epochs=1,
        train_size=2000,
        test_size=1000,
        workers=2,
        on_row=lambda row: reported.append(row["runs"][-1]["seed"]),
    )
    assert reported == [1, 0]
    assert [run["seed"] for run in row["runs"]] == [1, 0]
    first, second = row["runs"]
    assert (first["test_accuracy"], first["test_loss"]) != (
        second["test_accuracy"],
        second["test_loss"],
    )
    assert len(row["fingerprint"]) == 64
    assert row["seed_processes"] == min(2, default_workers())


def test_only_a_full_ladder_run_ships_its_models(tmp_path):
    """Guards: a full run saves into the package's folder; a shortened run only
    into a folder that --models-dir names; --no-save-models saves nothing."""

    def options(**given):
        defaults = {
            "no_save_models": False,
            "models_dir": None,
            "epochs": None,
            "train_size": None,
            "test_size": None,
            "results": None,
        }
        return argparse.Namespace(**{**defaults, **given})

    smoke = ("epochs", "train_size", "test_size")
    assert _models_dir(options(), *smoke) == TRAINED_DIR
    assert _models_dir(options(epochs=1), *smoke) is None
    assert _models_dir(options(epochs=1, models_dir=str(tmp_path)), *smoke) == tmp_path
    assert _models_dir(options(no_save_models=True), *smoke) is None
    assert _models_dir(options(results=str(tmp_path / "r.json")), *smoke) is None
