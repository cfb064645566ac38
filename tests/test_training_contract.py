"""What a recipe becomes: the exact compile and fit calls, without training.

`tests/test_training.py` trains small models and checks what they learn. These
tests replace Keras's `fit` (and, where it is the subject, the model builder)
with recorders, so that every argument a recipe decides is pinned: the seed,
the steps of the schedule, the optimizer, the averaging, the callbacks and
the verbosity, the history's columns, and each error's words.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest

from fmnist_course import training
from fmnist_course.callbacks import AveragedWeights, EpochLines, EpochTimer
from fmnist_course.errors import UserError
from fmnist_course.losses import SmoothedSparseCrossentropy
from fmnist_course.recipes import RECIPES, SWITCH_OFF, get_recipe, switch_off
from fmnist_course.training import (
    TrainingRun,
    averaging_momentum,
    compile_model,
    train_model,
)


def tiny_model() -> keras.Model:
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(10)(inputs))


def tiny_image_model() -> keras.Model:
    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(flat))


class RecordingModel:
    """A stand-in for a Keras model: records compile and fit, runs callbacks."""

    def __init__(self, epochs_run: int | None = None):
        self.compiled: dict = {}
        self.fitted: dict = {}
        self.epochs_run = epochs_run

    def compile(self, **kwargs):
        self.compiled = kwargs

    def fit(self, x, y, **kwargs):
        self.fitted = {"x": x, "y": y, **kwargs}
        epochs = self.epochs_run or kwargs["epochs"]
        for callback in kwargs["callbacks"]:
            if isinstance(callback, EpochTimer):
                for epoch in range(epochs):
                    callback.on_epoch_begin(epoch)
                    callback.on_epoch_end(epoch)
        history = {
            "loss": [1.0 / (e + 1) for e in range(epochs)],
            "accuracy": [0.5 + e / 100 for e in range(epochs)],
        }
        return SimpleNamespace(history=history)


@pytest.fixture
def seeds(monkeypatch):
    used = []
    monkeypatch.setattr(keras.utils, "set_random_seed", used.append)
    return used


def fit(model=None, n=1000, **kwargs):
    model = model or RecordingModel()
    x, y = np.zeros((n, 4), "float32"), np.zeros(n, "int64")
    history = train_model(model, x, y, **kwargs)
    return model, history


# --- train_model ------------------------------------------------------------------


def test_fit_gets_the_runs_epochs_batch_data_and_verbosity(seeds):
    validation = (np.zeros((5, 4)), np.zeros(5))
    model, history = fit(
        epochs=3, batch_size=100, validation_data=validation, seed=7, verbose=2
    )
    call = model.fitted
    assert (call["epochs"], call["batch_size"], call["verbose"]) == (3, 100, 2)
    assert call["validation_data"] is validation
    assert len(call["x"]) == len(call["y"]) == 1000
    assert seeds == [7], "train_model seeds the run it is given"
    assert list(history.columns) == ["epoch", "loss", "accuracy", "seconds"]
    assert history["epoch"].tolist() == [1, 2, 3]
    assert (history["seconds"] >= 0).all() and len(history) == 3


def test_no_seed_leaves_the_random_state_alone(seeds):
    fit(epochs=1, seed=None)
    assert seeds == []


def test_a_history_shorter_than_planned_keeps_its_epochs(seeds):
    model, history = fit(RecordingModel(epochs_run=2), epochs=5)
    assert history["epoch"].tolist() == [1, 2]
    assert len(history["seconds"]) == 2


def test_callbacks_the_timer_first_averaging_next_then_the_callers(seeds):
    mine = keras.callbacks.Callback()
    model, _ = fit(epochs=1, weight_averaging=0.9, callbacks=[mine])
    kinds = [type(callback) for callback in model.fitted["callbacks"]]
    assert kinds == [EpochTimer, AveragedWeights, keras.callbacks.Callback]
    plain, _ = fit(epochs=1, callbacks=[mine])
    assert [type(c) for c in plain.fitted["callbacks"]] == [
        EpochTimer,
        keras.callbacks.Callback,
    ]


def test_lines_mode_prints_one_line_per_epoch_instead_of_a_bar(seeds):
    model, _ = fit(epochs=2, verbose="lines")
    assert model.fitted["verbose"] == 0
    assert isinstance(model.fitted["callbacks"][-1], EpochLines)


def test_compile_gets_the_steps_of_the_whole_run(seeds, monkeypatch):
    """Promise: a cosine schedule decays over exactly the run's gradient steps,
    and a short run's averaging spans a third of it."""
    calls = []
    monkeypatch.setattr(training, "compile_model", lambda m, **kw: calls.append(kw))
    fit(
        n=1001,
        epochs=3,
        batch_size=100,
        learning_rate=0.01,
        schedule="cosine",
        weight_decay=0.1,
        weight_averaging=0.999,
        label_smoothing=0.2,
    )
    steps = math.ceil(1001 / 100) * 3
    assert calls == [
        {
            "learning_rate": 0.01,
            "schedule": "cosine",
            "decay_steps": steps,
            "weight_decay": 0.1,
            "weight_averaging": averaging_momentum(0.999, steps),
            "label_smoothing": 0.2,
        }
    ]
    calls.clear()
    fit(n=1000, epochs=1, batch_size=10)
    assert calls[0]["weight_averaging"] is None
    assert calls[0]["decay_steps"] == 100


@pytest.mark.parametrize(
    ("n_labels", "epochs", "batch_size", "message"),
    [
        (
            999,
            1,
            10,
            "Expected as many labels as images. "
            "Received: len(x_train)=1000, len(y_train)=999",
        ),
        (
            1000,
            0,
            10,
            "Expected epochs >= 1 and batch_size >= 1. Received: epochs=0, "
            "batch_size=10",
        ),
        (
            1000,
            1,
            0,
            "Expected epochs >= 1 and batch_size >= 1. Received: epochs=1, "
            "batch_size=0",
        ),
    ],
)
def test_bad_runs_are_refused_in_words(n_labels, epochs, batch_size, message):
    x, y = np.zeros((1000, 4)), np.zeros(n_labels)
    with pytest.raises(UserError) as raised:
        train_model(RecordingModel(), x, y, epochs=epochs, batch_size=batch_size)
    assert str(raised.value) == message


def test_one_epoch_and_one_image_per_batch_are_allowed(seeds):
    model, _ = fit(n=3, epochs=1, batch_size=1)
    assert model.fitted["epochs"] == 1 and model.fitted["batch_size"] == 1


# --- compile_model ----------------------------------------------------------------


def test_plain_adam_constant_rate_and_plain_cross_entropy():
    model = compile_model(tiny_model(), learning_rate=0.003, schedule="constant")
    optimizer = model.optimizer
    assert type(optimizer) is keras.optimizers.Adam
    assert float(optimizer.learning_rate) == pytest.approx(0.003)
    assert optimizer.use_ema is False
    assert model.loss == "sparse_categorical_crossentropy"


def test_weight_decay_averaging_cosine_and_smoothing_reach_the_optimizer():
    model = compile_model(
        tiny_model(),
        learning_rate=0.002,
        schedule="cosine",
        decay_steps=100,
        weight_decay=0.05,
        weight_averaging=0.95,
        label_smoothing=0.1,
    )
    optimizer = model.optimizer
    assert type(optimizer) is keras.optimizers.AdamW
    assert optimizer.weight_decay == 0.05
    assert optimizer.use_ema is True and optimizer.ema_momentum == 0.95
    schedule = optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "CosineDecay"
    assert schedule["config"]["initial_learning_rate"] == pytest.approx(0.002)
    assert schedule["config"]["decay_steps"] == 100
    assert isinstance(model.loss, SmoothedSparseCrossentropy)
    assert model.loss.smoothing == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"schedule": "linear"}, "Unknown schedule: 'linear'. Expected one of: "),
        (
            {"learning_rate": 0.0},
            "Expected a positive learning rate. Received: learning_rate=0.0",
        ),
        (
            {"weight_decay": -0.1},
            "Expected a weight decay >= 0. Received: weight_decay=-0.1",
        ),
        (
            {"weight_averaging": 1.0},
            "Expected a weight-averaging momentum in [0, 1). "
            "Received: weight_averaging=1.0",
        ),
        (
            {"weight_averaging": -0.5},
            "Expected a weight-averaging momentum in [0, 1). "
            "Received: weight_averaging=-0.5",
        ),
        (
            {"label_smoothing": 1.0},
            "Expected a label smoothing in [0, 1). Received: label_smoothing=1.0",
        ),
        (
            {"label_smoothing": -0.1},
            "Expected a label smoothing in [0, 1). Received: label_smoothing=-0.1",
        ),
        ({"schedule": "cosine"}, "A cosine schedule needs decay_steps > 0."),
    ],
)
def test_bad_options_are_refused_in_words(kwargs, message):
    with pytest.raises(UserError) as raised:
        compile_model(tiny_model(), **kwargs)
    assert str(raised.value).startswith(message)


def test_the_edges_of_each_range_are_allowed():
    compile_model(
        tiny_model(), weight_averaging=0.0, label_smoothing=0.0, weight_decay=0.0
    )
    model = compile_model(tiny_model(), weight_decay=1e-9)
    assert type(model.optimizer) is keras.optimizers.AdamW


def test_averaging_momentum_spans_a_third_of_a_short_run():
    assert averaging_momentum(0.9, 300) == 0.9
    assert averaging_momentum(0.999, 30) == pytest.approx(0.9)
    assert averaging_momentum(0.5, 0) == 0.0
    assert averaging_momentum(0.5, 2) == 0.0
    assert averaging_momentum(0.0, 1000) == 0.0


# --- fit_recipe and train_recipe -----------------------------------------------------


def test_fit_recipe_passes_every_field_of_its_recipe(monkeypatch, seeds):
    """Promise: a recipe's every setting reaches training, and the seed too."""
    built, trained = [], []
    monkeypatch.setattr(
        training, "build_model", lambda name, **kw: built.append((name, kw)) or "m"
    )
    monkeypatch.setattr(
        training,
        "train_model",
        lambda model, x, y, **kw: trained.append((model, x, y, kw)) or "history",
    )
    data = SimpleNamespace(x_train="x", y_train="y", validation_data=("xv", "yv"))
    recipe = RECIPES["best"]
    assert training.fit_recipe("best", data, seed=4) == ("m", "history")
    assert built == [(recipe.model, recipe.model_kwargs)]
    assert seeds == [4]
    model, x, y, kwargs = trained[0]
    assert (model, x, y) == ("m", "x", "y")
    assert kwargs == {
        "validation_data": ("xv", "yv"),
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "learning_rate": recipe.learning_rate,
        "schedule": recipe.schedule,
        "weight_decay": recipe.weight_decay,
        "weight_averaging": recipe.weight_averaging,
        "label_smoothing": recipe.label_smoothing,
        "seed": 4,
        "verbose": "auto",
        "callbacks": None,
    }
    trained.clear()
    training.fit_recipe(recipe, data, epochs=2, batch_size=32, verbose=0)
    assert (trained[0][3]["epochs"], trained[0][3]["batch_size"]) == (2, 32)
    assert trained[0][3]["seed"] == 0 and trained[0][3]["verbose"] == 0


@pytest.mark.parametrize("name", ["challenge", "best"])
def test_train_recipe_scores_the_model_its_recipe_says(monkeypatch, name):
    """Promise: test and validation are scored alike, on the test-time-augmented
    model when the recipe says so; the seed and overrides reach `fit_recipe`."""
    recipe = get_recipe(name)
    model = tiny_image_model()
    fits, scored = [], []

    def fake_fit(recipe_, data, **kwargs):
        fits.append((recipe_, kwargs))
        return model, pd.DataFrame({"epoch": [1]})

    def fake_evaluate(what, x, y):
        scored.append((what, x))
        return {"loss": 0.25, "accuracy": 0.9 if x == "x_test" else 0.8}

    monkeypatch.setattr(training, "fit_recipe", fake_fit)
    monkeypatch.setattr(training, "evaluate_model", fake_evaluate)
    data = SimpleNamespace(
        x_test="x_test", y_test="y_test", validation_data=("x_val", "y_val")
    )
    run = training.train_recipe(name, data, epochs=3, batch_size=16, seed=5, verbose=0)
    assert fits == [(recipe, {"epochs": 3, "batch_size": 16, "seed": 5, "verbose": 0})]
    assert [x for _, x in scored] == ["x_test", "x_val"]
    augmented = scored[0][0] is not model
    assert augmented is recipe.test_time_augmentation
    assert scored[0][0] is scored[1][0]
    assert (run.test_accuracy, run.test_loss, run.validation_accuracy) == (
        0.9,
        0.25,
        0.8,
    )
    assert run.model is model and run.recipe is recipe
    assert run.train_seconds >= 0 and run.train_cpu_seconds >= 0
    data.validation_data = None
    assert training.train_recipe(name, data).validation_accuracy is None


def test_training_run_scores_round_as_the_record_does():
    run = TrainingRun(
        tiny_model(),
        RECIPES["dense"],
        pd.DataFrame(),
        12.345,
        0.912349,
        0.123456,
        validation_accuracy=0.87654,
        train_cpu_seconds=20.06,
    )
    assert run.scores() == {
        "test_accuracy": 0.9123,
        "test_loss": 0.1235,
        "validation_accuracy": 0.8765,
        "train_seconds": 12.3,
        "train_cpu_seconds": 20.1,
    }
    assert run.params == 50


# --- recipes ----------------------------------------------------------------------


def test_switch_off_changes_one_technique_and_keeps_the_rest():
    stacked = RECIPES["all_techniques"]
    for technique, changes in SWITCH_OFF.items():
        changed = switch_off(stacked, technique)
        assert changed.name == stacked.name
        for field_name, value in changes.items():
            if field_name == "model_kwargs":
                assert changed.model_kwargs == {**stacked.model_kwargs, **value}
            else:
                assert getattr(changed, field_name) == value
    assert stacked == RECIPES["all_techniques"]


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(UserError) as raised:
        switch_off(RECIPES["best"], "magic")
    assert str(raised.value) == (
        "Unknown technique: 'magic'. Expected one of: "
        + ", ".join(map(repr, SWITCH_OFF))
        + "."
    )
    with pytest.raises(UserError) as raised:
        get_recipe("resnet")
    assert "'resnet'" in str(raised.value)
    assert all(name in str(raised.value) for name in RECIPES)
    assert get_recipe("cnn") is RECIPES["cnn"]


def test_evaluate_model_reports_loss_and_accuracy_quietly():
    calls = []

    class Evaluated:
        def evaluate(self, x, y, **kwargs):
            calls.append((x, y, kwargs))
            return np.float32(0.25), np.float32(0.75)

    scores = training.evaluate_model(Evaluated(), "x", "y")
    assert scores == {"loss": 0.25, "accuracy": 0.75}
    assert all(type(value) is float for value in scores.values())
    assert calls == [("x", "y", {"batch_size": 512, "verbose": 0})]


def test_compile_tracks_accuracy_and_averages_only_when_asked():
    model = compile_model(tiny_model())
    assert model.get_compile_config()["metrics"] == ["accuracy"]
    assert model.optimizer.use_ema is False
    assert model.optimizer.ema_momentum == 0.99
    averaged = compile_model(tiny_model(), weight_averaging=0.9)
    assert type(averaged.optimizer) is keras.optimizers.Adam
    assert averaged.optimizer.use_ema is True and averaged.optimizer.ema_momentum == 0.9
