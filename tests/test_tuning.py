"""Tests of `fmnist_course.tuning` on a tiny synthetic problem.

The class of each image is written into it as one bright pixel row (row
`2 * label`), so a small dense model learns it in a few epochs with a good
learning rate and not at all with a tiny one.
"""

import json

import numpy as np
import pytest

from fmnist_course import tuning
from fmnist_course.data import FashionMNIST
from fmnist_course.models import MODEL_BUILDERS, build_dense_baseline
from fmnist_course.tuning import trial as tuning_trial
from fmnist_course.tuning_plots import parameter_columns, plot_parameters, plot_trials


def synthetic_images(num_images, rng):
    labels = np.arange(num_images) % 10
    images = rng.random((num_images, 28, 28)).astype("float32") * 0.1
    images[np.arange(num_images), 2 * labels, :] = 1.0
    return images, labels


@pytest.fixture(scope="module")
def tiny_data():
    rng = np.random.default_rng(0)
    x_train, y_train = synthetic_images(200, rng)
    x_val, y_val = synthetic_images(100, rng)
    x_test, y_test = synthetic_images(10, rng)
    return FashionMNIST(x_train, y_train, x_test, y_test, x_val=x_val, y_val=y_val)


# A good learning rate is the only thing that matters here; 1e-5 learns nothing.
SPACE = {"model": "dense", "hidden_units": [[16]], "learning_rate": [1e-5, 3e-2]}


def test_grid_search_picks_the_learning_rate_that_learns(tiny_data, tmp_path):
    results = tuning.grid_search(
        SPACE, tiny_data, epochs=3, store_dir=tmp_path / "a", seed=0, verbose=False
    )
    assert list(results["learning_rate"]) == [1e-5, 3e-2]
    assert set(results.columns) >= {"hidden_units", "epochs", "best_val_accuracy"}
    assert (results["epochs"] == 3).all() and not results["reused"].any()
    best = tuning.best_trial(results)
    assert best["params"] == {"hidden_units": (16,), "learning_rate": 3e-2}
    assert best["best_val_accuracy"] > 0.9
    assert results["best_val_accuracy"].min() < 0.5
    # The same search in another directory trains again and selects the same.
    again = tuning.grid_search(
        SPACE, tiny_data, epochs=3, store_dir=tmp_path / "b", seed=0, verbose=False
    )
    assert tuning.best_trial(again)["params"] == best["params"]
    np.testing.assert_allclose(
        again["best_val_accuracy"], results["best_val_accuracy"], atol=0.02
    )


def test_crashed_search_resumes_without_losing_finished_trials(
    tiny_data, tmp_path, monkeypatch
):
    space = {"model": "dense", "hidden_units": [[8], [16]], "learning_rate": [3e-2]}
    space["dropout"] = [0.0, 0.1]
    calls = []
    real_train = tuning_trial.train_model

    def crash_on_third_trial(*args, **kwargs):
        calls.append(kwargs["learning_rate"])
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated crash")
        return real_train(*args, **kwargs)

    monkeypatch.setattr(tuning_trial, "train_model", crash_on_third_trial)
    with pytest.raises(KeyboardInterrupt):
        tuning.grid_search(
            space, tiny_data, epochs=1, store_dir=tmp_path, verbose=False
        )
    saved = sorted(tmp_path.glob("trial-*.json"))
    assert len(saved) == 2
    assert not list(tmp_path.glob("*.partial"))
    before = {path.name: path.read_text() for path in saved}

    trained = []

    def count_trainings(*args, **kwargs):
        trained.append(1)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(tuning_trial, "train_model", count_trainings)
    results = tuning.grid_search(
        space, tiny_data, epochs=1, store_dir=tmp_path, verbose=False
    )
    assert len(trained) == 2  # only the two unfinished trials
    assert list(results["reused"]) == [True, True, False, False]
    assert len(list(tmp_path.glob("trial-*.json"))) == 4
    for name, text in before.items():  # finished trials are never rewritten
        assert (tmp_path / name).read_text() == text
    record = json.loads(saved[0].read_text())
    assert record["data"]["train"] == 200 and record["data"]["val"] == 100

    # A third run trains nothing at all.
    trained.clear()
    rerun = tuning.grid_search(
        space, tiny_data, epochs=1, store_dir=tmp_path, verbose=False
    )
    assert trained == [] and rerun["reused"].all()
    assert list(rerun["hidden_units"]) == list(results["hidden_units"])


def test_trials_differ_when_epochs_seed_or_data_differ(tiny_data, tmp_path):
    params = {"hidden_units": (8,), "learning_rate": 3e-2}
    keys = {
        tuning.run_trial(
            "dense", params, tiny_data, epochs=epochs, store_dir=tmp_path, seed=seed
        )["key"]
        for epochs, seed in [(1, 0), (2, 0), (1, 1)]
    }
    assert len(keys) == 3
    smaller = FashionMNIST(
        tiny_data.x_train[:100],
        tiny_data.y_train[:100],
        tiny_data.x_test,
        tiny_data.y_test,
        x_val=tiny_data.x_val,
        y_val=tiny_data.y_val,
    )
    record = tuning.run_trial("dense", params, smaller, epochs=1, store_dir=tmp_path)
    assert record["key"] not in keys and not record["reused"]


def test_a_changed_builder_default_makes_a_new_trial(tiny_data, tmp_path, monkeypatch):
    params = {"hidden_units": (8,), "learning_rate": 3e-2}
    first = tuning.run_trial("dense", params, tiny_data, epochs=1, store_dir=tmp_path)
    assert first["settings"]["dropout"] == 0.0  # the default is part of the key

    def dense_with_another_default(hidden_units=(256, 128), dropout=0.5, rescale=False):
        return build_dense_baseline(hidden_units, dropout, rescale)

    monkeypatch.setitem(MODEL_BUILDERS, "dense", dense_with_another_default)
    second = tuning.run_trial("dense", params, tiny_data, epochs=1, store_dir=tmp_path)
    assert second["key"] != first["key"] and not second["reused"]


def test_successive_halving_keeps_the_best_and_saves_epochs(tiny_data, tmp_path):
    space = {
        "model": "dense",
        "hidden_units": [[8]],
        "learning_rate": [1e-5, 3e-2],
        "dropout": [0.0, 0.3],
    }
    rungs = tuning.halving_schedule(4, min_epochs=1, max_epochs=3, reduction_factor=2)
    assert rungs == [(4, 1), (2, 2), (1, 3)]
    results = tuning.successive_halving(
        space,
        tiny_data,
        min_epochs=1,
        max_epochs=3,
        reduction_factor=2,
        store_dir=tmp_path,
        verbose=False,
    )
    assert list(results["rung"]) == [0] * 4 + [1] * 2 + [2]
    assert list(results["epochs"]) == [1] * 4 + [2] * 2 + [3]
    assert int(results["epochs"].sum()) < 4 * 3  # a grid would train 12 epochs
    rung0 = results[results["rung"] == 0]
    ranked = rung0.sort_values("best_val_accuracy", ascending=False, kind="stable")
    promoted = results[results["rung"] == 1]
    key_columns = ["learning_rate", "dropout"]
    assert (
        promoted[key_columns].values.tolist()
        == ranked[key_columns].iloc[:2].values.tolist()
    )
    best = tuning.best_trial(results)
    assert best["epochs"] == 3 and best["params"]["learning_rate"] == 3e-2


def test_halving_schedule():
    assert tuning.halving_schedule(9, min_epochs=1, max_epochs=6) == [
        (9, 1),
        (3, 3),
        (1, 6),
    ]
    assert tuning.halving_schedule(27, min_epochs=1, max_epochs=9) == [
        (27, 1),
        (9, 3),
        (3, 9),
    ]
    assert tuning.halving_schedule(2, min_epochs=2, max_epochs=8) == [(2, 2), (1, 8)]
    assert tuning.halving_schedule(5, min_epochs=4, max_epochs=4) == [(5, 4)]
    text = tuning.format_schedule([(9, 1), (3, 3), (1, 6)])
    assert text.splitlines()[1].split() == ["0", "9", "1", "9"]
    assert text.endswith("total epochs: 24")
    with pytest.raises(ValueError, match="min_epochs=5, max_epochs=3"):
        tuning.halving_schedule(4, min_epochs=5, max_epochs=3)
    with pytest.raises(ValueError, match="reduction_factor=1"):
        tuning.halving_schedule(4, min_epochs=1, max_epochs=3, reduction_factor=1)


def test_random_configs_are_seeded_distinct_and_capped():
    space = {
        "model": "cnn",
        "filters": [[8], [16], [8, 16]],
        "dropout": [0.0, 0.2, 0.4],
    }
    first = tuning.random_configs(space, 5, seed=1)
    assert first == tuning.random_configs(space, 5, seed=1)
    assert first != tuning.random_configs(space, 5, seed=2)
    assert len({json.dumps(config) for config in first}) == 5
    assert len(tuning.random_configs(space, 50, seed=0)) == 9
    assert all(isinstance(config["filters"], tuple) for config in first)


@pytest.mark.parametrize(
    "space, message",
    [
        ({"learning_rate": [1e-3]}, "Expected 'model' to be one of"),
        ({"model": "resnet"}, "Received: model='resnet'"),
        (
            {"model": "dense", "dropuot": [0.1]},
            "Unknown key in the search space: 'dropuot'",
        ),
        (
            {"model": "dense", "epochs": [3]},
            "Unknown key in the search space: 'epochs'",
        ),
        (
            {"model": "dense", "dropout": 0.2},
            "non-empty list of candidate values for 'dropout'",
        ),
        ({"model": "dense", "dropout": []}, "for 'dropout'"),
        ({"model": "dense", "dropout": [0.2, 1.5]}, "Invalid value for 'dropout': 1.5"),
        (
            {"model": "dense", "dropout": ["high"]},
            "Invalid value for 'dropout': 'high'",
        ),
        (
            {"model": "dense", "hidden_units": [128]},
            "Invalid value for 'hidden_units': 128",
        ),
        (
            {"model": "dense", "learning_rate": [0]},
            "Invalid value for 'learning_rate': 0",
        ),
        (
            {"model": "dense", "batch_size": [32.5]},
            "Invalid value for 'batch_size': 32.5",
        ),
        (
            {"model": "dense", "schedule": ["step"]},
            "Invalid value for 'schedule': 'step'",
        ),
        ({"model": "cnn", "l2": [1e-4, 1e-4]}, "Duplicate candidate values for 'l2'"),
        ([1, 2], "Expected a search space mapping"),
    ],
)
def test_invalid_spaces_name_the_bad_key_or_value(space, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        tuning.validate_space(space)


def test_search_refuses_data_without_validation(tiny_data, tmp_path):
    no_val = FashionMNIST(
        tiny_data.x_train, tiny_data.y_train, tiny_data.x_test, tiny_data.y_test
    )
    with pytest.raises(ValueError, match="validation_split"):
        tuning.grid_search(SPACE, no_val, epochs=1, store_dir=tmp_path, verbose=False)
    assert not list(tmp_path.iterdir())


def test_corrupt_trial_file_is_reported_not_overwritten(tiny_data, tmp_path):
    params = {"hidden_units": (8,), "learning_rate": 3e-2}
    record = tuning.run_trial("dense", params, tiny_data, epochs=1, store_dir=tmp_path)
    path = tmp_path / f"trial-{record['key']}.json"
    path.write_text("{ truncated")
    with pytest.raises(ValueError, match="Delete it to train it again"):
        tuning.run_trial("dense", params, tiny_data, epochs=1, store_dir=tmp_path)
    assert path.read_text() == "{ truncated"


def test_plots_draw_one_panel_per_parameter():
    import pandas as pd

    results = pd.DataFrame(
        {
            "hidden_units": [(8,), (16,), (8,), (16,)],
            "learning_rate": [1e-3, 1e-3, 1e-2, 1e-2],
            "epochs": [1, 1, 1, 3],
            "best_val_accuracy": [0.5, 0.6, 0.7, 0.9],
            "seconds": [1.0] * 4,
            "rung": [0, 0, 0, 1],
            "reused": [False] * 4,
            "trial": list("abcd"),
        }
    )
    assert parameter_columns(results) == ["hidden_units", "learning_rate"]
    figure = plot_parameters(results)
    assert len(figure.axes) == 2
    assert [t.get_text() for t in figure.axes[1].get_xticklabels()] == ["0.001", "0.01"]
    figure = plot_trials(results)
    assert len(figure.axes[0].patches) == 5  # four trials and the chosen outline
    with pytest.raises(ValueError, match="hyperparameter columns"):
        plot_parameters(results[["epochs", "best_val_accuracy"]])


def test_training_defaults_come_from_train_model():
    import inspect

    from fmnist_course.training import train_model

    defaults = inspect.signature(train_model).parameters
    assert tuning.TRAINING_OPTIONS == {
        name: defaults[name].default
        for name in ("learning_rate", "batch_size", "schedule")
    }


def test_an_executor_gives_the_same_trials_as_one_after_another(tiny_data, tmp_path):
    import concurrent.futures

    space = {"model": "dense", "hidden_units": [[8]], "learning_rate": [1e-5, 3e-2]}
    space["dropout"] = [0.0, 0.2]
    serial = tuning.grid_search(
        space, tiny_data, epochs=1, store_dir=tmp_path / "serial", verbose=False
    )
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        at_once = tuning.grid_search(
            space, tiny_data, epochs=1, store_dir=tmp_path / "at-once",
            executor=executor, verbose=False,
        )  # fmt: skip
    columns = ["hidden_units", "learning_rate", "dropout", "best_val_accuracy", "trial"]
    assert at_once[columns].to_dict("records") == serial[columns].to_dict("records")
    assert len(list((tmp_path / "at-once").glob("trial-*.json"))) == 4


def test_random_and_grid_search_share_one_path(tiny_data, tmp_path):
    space = {"model": "dense", "hidden_units": [[8]], "learning_rate": [1e-5, 3e-2]}
    grid = tuning.grid_search(
        space, tiny_data, epochs=1, store_dir=tmp_path, verbose=False
    )
    drawn = tuning.random_search(
        space, tiny_data, num_trials=2, epochs=1, store_dir=tmp_path, verbose=False
    )
    assert drawn["reused"].all()  # the same trials, found in the same store
    assert set(drawn["trial"]) == set(grid["trial"])


def test_a_worker_with_other_data_stops_before_training(tiny_data, tmp_path):
    identity = tuning.data_identity(tiny_data)
    task = tuning.TrialTask(
        "dense", {"hidden_units": (8,)}, epochs=1, seed=0, data=tiny_data,
        identity={**identity, "sha256": "0" * 16},
    )  # fmt: skip
    with pytest.raises(ValueError, match="differs from the data the search started"):
        tuning.train_trial(task)


def test_a_data_description_loads_the_same_split_as_the_course(real_data_dir):
    from fmnist_course.data import load_fashion_mnist
    from fmnist_course.settings import VALIDATION_SPLIT

    description = tuning.DataDescription(train_size=600, seed=3)
    direct = load_fashion_mnist(
        scale=True, validation_split=VALIDATION_SPLIT, train_size=600, seed=3
    )
    assert tuning.data_identity(description.load()) == tuning.data_identity(direct)


def test_the_store_never_overwrites_a_finished_trial(tmp_path):
    store = tuning.TrialStore(tmp_path)
    assert store.save({"key": "abc", "best_val_accuracy": 0.5})
    assert not store.save({"key": "abc", "best_val_accuracy": 0.9})
    assert store.load("abc")["best_val_accuracy"] == 0.5
    assert store.keys() == ["abc"] and not list(tmp_path.glob("*.partial"))
    with pytest.raises(ValueError, match="Received keys: \\['best_val_accuracy'\\]"):
        store.save({"best_val_accuracy": 0.1})
    (tmp_path / "trial-other.json").write_text('{"key": "not-other"}')
    with pytest.raises(ValueError, match="Delete it to train it again"):
        store.load("other")
