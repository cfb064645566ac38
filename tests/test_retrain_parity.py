"""A lesson's retrain path trains exactly what the ladder trains (issue #35).

With `FMNIST_RETRAIN=1` a lesson trains its recipe's full run itself, and the
course promises that its numbers are then the ladder's, within the seed
spread. That holds only if both train the same recipe the same way. These
tests run each lesson's training cells (and the earlier cells they need) with
`train_model`, the function every course training goes through, replaced by a
recorder, then run the ladder's `measure_recipe` for the same recipe and seed
under the same recorder, and compare what the two passed: the model (its
layers, dtype policies and initial weights), the data (its split and seed),
the epochs and every training setting. No model is trained.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import hashlib
import inspect
import re
from pathlib import Path

import jupytext
import matplotlib
import numpy as np
import pandas as pd
import pytest

import fmnist_course as fmc
from fmnist_course import fast_mode, training
from fmnist_course.authoring.lesson_files import lesson_paths
from fmnist_course.bench import ladder
from fmnist_course.data import load_fashion_mnist
from fmnist_course.recipes import get_recipe
from fmnist_course.settings import VALIDATION_SPLIT

matplotlib.use("Agg")

RETRAINED = {
    "02_convolutions": ["cnn"],
    "03_dropout": ["cnn", "cnn_dropout"],
    "04_regularization_and_the_challenge": ["challenge"],
    "07_beyond_the_challenge": ["best"],
}
"""Each lesson with a retrain switch, and the recipes it trains, in order."""

LESSON_CALLBACKS = {"BatchStatisticsCheck"}
"""Callbacks a lesson may add: they read the model after an epoch and change
no training (lesson 07's batch-statistics check)."""

TRAIN_MODEL = inspect.signature(training.train_model)
TRAINING_CALLS = {"fit_recipe", "train_model", "train_recipe"}
SEED = 0  # the lessons' seed, and the shipped models' (the ladder's first)


def _digest(*arrays) -> str:
    sha = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        sha.update(f"{array.dtype}{array.shape}".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()[:16]


class Recorder:
    """Stands in for `training.train_model`: records the call, trains nothing."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, model, x_train, y_train, **given):
        bound = TRAIN_MODEL.bind(model, x_train, y_train, **given)
        bound.apply_defaults()  # a setting left out trains with its default
        settings = dict(bound.arguments)
        for name in ("model", "x_train", "y_train"):
            del settings[name]
        extra = list(settings.pop("callbacks") or [])
        held_out = settings.pop("validation_data")
        self.calls.append(
            {
                "model": model.to_json(),
                "initial_weights": _digest(*model.get_weights()),
                "dtype_policies": [layer.dtype_policy.name for layer in model.layers],
                "training_data": _digest(x_train, y_train),
                "validation_data": _digest(*(held_out or ())),
                "callbacks": sorted(
                    type(callback).__name__
                    for callback in extra
                    if type(callback).__name__ not in LESSON_CALLBACKS
                ),
                **{k: v for k, v in settings.items() if k != "verbose"},
            }
        )
        epochs = settings["epochs"]
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        for callback in extra:  # the lesson's own, so its cell runs on
            callback.set_model(model)
            for epoch in range(epochs):
                callback.on_epoch_end(epoch, {})
        rows = np.linspace(0.5, 0.9, epochs)
        history = {
            "epoch": np.arange(1, epochs + 1),
            "accuracy": rows,
            "loss": 1 - rows,
        }
        if held_out is not None:  # as `train_model`: no validation, no columns
            history.update(val_accuracy=rows, val_loss=1 - rows)
        return pd.DataFrame({**history, "seconds": np.ones(epochs)})


@pytest.fixture
def recorded(monkeypatch, real_data_dir):
    """Full mode, retrain on; the recorder in, the data a small real subset.

    `load_course_split` keeps what it was asked for (`fast` resolved as it
    would be, the sizes and the seed) and returns the subset with that seed.
    """
    monkeypatch.setenv("FMNIST_RETRAIN", "1")
    monkeypatch.delenv("FMNIST_FAST", raising=False)
    monkeypatch.setenv("FMNIST_PEAK_PROBE", "0")
    monkeypatch.setattr(matplotlib.pyplot, "show", lambda *args, **kwargs: None)
    recorder = Recorder()
    loads: list[dict] = []
    cache: dict[int, object] = {}

    def load_course_split(
        data_dir=None, *, fast=None, train_size=None, test_size=None, seed=0, **_
    ):
        fast = fast_mode.is_fast_mode() if fast is None else fast
        loads.append(
            {
                "fast": fast,
                "train_size": train_size,
                "test_size": test_size,
                "seed": seed,
            }
        )
        if seed not in cache:
            cache[seed] = load_fashion_mnist(
                real_data_dir,
                scale=True,
                validation_split=VALIDATION_SPLIT,
                train_size=600,
                test_size=100,
                seed=seed,
            )
        return cache[seed]

    monkeypatch.setattr(training, "train_model", recorder)
    monkeypatch.setattr(fmc, "train_model", recorder)
    for module in (fast_mode, fmc, ladder):
        monkeypatch.setattr(module, "load_course_split", load_course_split)
    recorder.loads = loads
    return recorder


def _names(node: ast.AST) -> tuple[set[str], set[str]]:
    """Names a cell defines at top level, and names it reads anywhere."""
    defined: set[str] = set()
    for statement in node.body:
        for child in ast.walk(statement):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                defined.add(child.id)
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            defined.add(statement.name)
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            defined.update(
                (alias.asname or alias.name).split(".")[0] for alias in statement.names
            )
    read = {
        child.id
        for child in ast.walk(node)
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)
    }
    return defined, read - set(dir(builtins))


def _calls(node: ast.AST) -> set[str]:
    return {
        child.func.attr if isinstance(child.func, ast.Attribute) else child.func.id
        for child in ast.walk(node)
        if isinstance(child, ast.Call)
        and isinstance(child.func, (ast.Attribute, ast.Name))
    }


def retrain_cells(path: Path) -> list[tuple[str, bool]]:
    """The lesson's cells that train under the retrain switch, with their needs.

    A training cell reads `RETRAIN` (or the `live_epochs` it sets) and calls a
    training function; a needed cell is the last one before it that defines a
    name it reads, and so on, in lesson order. Each comes with whether it is a
    training cell: a needed cell may train too (lesson 07's short live run
    defines the recipe its final fit reads), but what it trains is not the
    retrain path.
    """
    sources = [
        cell.source for cell in jupytext.read(path).cells if cell.cell_type == "code"
    ]
    trees = [ast.parse(source) for source in sources]
    names = [_names(tree) for tree in trees]
    wanted = {
        index
        for index, tree in enumerate(trees)
        if names[index][1] & {"RETRAIN", "live_epochs"}
        and _calls(tree) & TRAINING_CALLS
    }
    training_cells = set(wanted)
    todo = sorted(wanted)
    while todo:
        index = todo.pop()
        for name in names[index][1] - names[index][0]:
            for earlier in range(index - 1, -1, -1):
                if name in names[earlier][0]:
                    if earlier not in wanted:
                        wanted.add(earlier)
                        todo.append(earlier)
                    break
    return [(sources[index], index in training_cells) for index in sorted(wanted)]


def run_retrain_path(path: Path, recorder: Recorder) -> None:
    """Runs the retrain path; keeps only the training cells' calls."""
    namespace: dict = {"__name__": "__lesson__"}
    for source, trains in retrain_cells(path):
        before = len(recorder.calls)
        exec(compile(source, str(path), "exec"), namespace)
        if not trains:
            del recorder.calls[before:]


def run_ladder_path(names: list[str]) -> None:
    for name in names:
        ladder.measure_recipe(name, seed=SEED)


def lessons_with_retrain() -> dict[str, Path]:
    return {
        path.stem: path
        for path in lesson_paths()
        if re.search(r"\bretrain_requested\(\)", path.read_text())
    }


def test_every_lesson_with_a_retrain_switch_is_checked():
    assert sorted(lessons_with_retrain()) == sorted(RETRAINED)


@pytest.mark.parametrize("bf16", ["0", "1"], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("lesson", sorted(RETRAINED))
def test_retrain_path_trains_what_the_ladder_trains(
    lesson, bf16, recorded, monkeypatch
):
    monkeypatch.setenv("FMNIST_BF16", bf16)
    run_retrain_path(lessons_with_retrain()[lesson], recorded)
    lesson_calls, lesson_loads = list(recorded.calls), list(recorded.loads)
    recorded.calls.clear()
    recorded.loads.clear()
    run_ladder_path(RETRAINED[lesson])
    ladder_calls, ladder_loads = recorded.calls, recorded.loads

    assert len(lesson_calls) == len(RETRAINED[lesson]), (
        f"{lesson} trained {len(lesson_calls)} times under RETRAIN; "
        f"expected its recipes {RETRAINED[lesson]}"
    )
    # The lesson loads its data once for all its runs; the ladder once a run.
    assert all(load == ladder_loads[0] for load in ladder_loads)
    assert lesson_loads and all(load == ladder_loads[0] for load in lesson_loads)
    for name, ours, theirs in zip(
        RETRAINED[lesson], lesson_calls, ladder_calls, strict=True
    ):
        differ = sorted(key for key in theirs if ours.get(key) != theirs[key])
        assert not differ, (
            f"{lesson} retrains {name!r} unlike the ladder in: "
            + "; ".join(
                f"{key}: {ours.get(key)!r} != {theirs[key]!r}" for key in differ
            )
        )


def test_the_comparison_sees_another_seed_or_setting(recorded):
    """Not vacuous: a run with another seed or learning rate is told apart."""
    recipe = get_recipe("cnn")
    data = fmc.load_course_split()
    run_ladder_path(["cnn"])
    training.fit_recipe(recipe, data, seed=1)
    training.fit_recipe(dataclasses.replace(recipe, learning_rate=2e-3), data)
    ladder_run, other_seed, other_rate = recorded.calls
    assert other_seed["initial_weights"] != ladder_run["initial_weights"]
    assert other_seed["seed"] != ladder_run["seed"]
    assert other_rate["initial_weights"] == ladder_run["initial_weights"]
    assert other_rate["learning_rate"] != ladder_run["learning_rate"]


def test_every_retrained_recipe_is_compared_with_the_ladder():
    """Guards the retrain target: each lesson that retrains prints, in full
    mode, how its run compares with the ladder, for every recipe it trains."""
    from fmnist_course.retrained import RETRAINED_RECIPES

    trained = {recipe for recipes in RETRAINED.values() for recipe in recipes}
    assert trained == set(RETRAINED_RECIPES)
    paths = {path.stem: path for path in lesson_paths()}
    for lesson, recipes in RETRAINED.items():
        source = paths[lesson].read_text(encoding="utf-8")
        assert "retrain_agreement(" in source, lesson
        for recipe in recipes:
            assert f'"{recipe}"' in source, (lesson, recipe)
