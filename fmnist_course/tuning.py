"""Hyperparameter search, written out plainly: grid, random, successive halving.

A search space is a mapping from the keyword arguments of a model builder (and
a few training options) to lists of candidate values:

    {"model": "dense", "learning_rate": [3e-4, 1e-3], "dropout": [0.0, 0.2]}

Keys other than `"model"` are either arguments of that model's builder
(checked against its signature with `inspect`) or one of the training options
`learning_rate`, `batch_size` and `schedule`. Epochs are the budget of a
search, so they are an argument of the search functions, not a key.

Every trial trains a fresh model with the same seed and scores it by its best
validation accuracy; the test set is never read here. Each finished trial is
written at once to its own JSON file in `store_dir`, named after a hash of
everything that decides its outcome (model, parameters, epochs, seed and the
data). A search that crashes or is interrupted therefore loses no finished
trial, and running it again reuses them instead of training them again.

Examples:
    >>> space = {"model": "dense", "learning_rate": [1e-3, 3e-3], "dropout": [0.0, 0.2]}
    >>> results = grid_search(space, data, epochs=3, store_dir="runs/tuning/demo",
    ...                       verbose=False)
    >>> best = best_trial(results)  # chosen on validation accuracy only
    >>> sorted(best["params"])
    ['dropout', 'learning_rate']

"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import os
import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from fmnist_course.models import MODEL_BUILDERS, build_model
from fmnist_course.settings import VALIDATION_SPLIT
from fmnist_course.training import SCHEDULES, train_model

TRAINING_OPTIONS = {"learning_rate": 1e-3, "batch_size": 128, "schedule": "constant"}
"""Training options a space may search over, with the values used otherwise."""


# ## The search space


def builder_defaults(model: str) -> dict[str, Any]:
    """Every keyword argument of a model's builder, with its default value.

    Raises:
        ValueError: `model` is not a key of `MODEL_BUILDERS`.

    Examples:
        >>> builder_defaults("dense")
        {'hidden_units': (256, 128), 'dropout': 0.2, 'rescale': False}

    """
    if model not in MODEL_BUILDERS:
        raise ValueError(
            f"Expected 'model' to be one of: {', '.join(sorted(MODEL_BUILDERS))}. "
            f"Received: model={model!r}"
        )
    signature = inspect.signature(MODEL_BUILDERS[model])
    return {name: parameter.default for name, parameter in signature.parameters.items()}


def validate_space(space: Mapping[str, Any]) -> dict[str, Any]:
    """Check a search space and return it with every value in canonical form.

    Sequence-valued builder arguments (such as `hidden_units`) become tuples.

    Args:
        space: `{"model": NAME, KEY: [candidates], ...}`.

    Returns:
        A new dict: `"model"` first, then the keys in sorted order.

    Raises:
        ValueError: The message names the bad key or value and what was expected.

    Examples:
        >>> validate_space({"model": "dense", "hidden_units": [[64], [128, 64]]})
        {'model': 'dense', 'hidden_units': [(64,), (128, 64)]}

    """
    if not isinstance(space, Mapping):
        raise ValueError(
            f"Expected a search space mapping names to lists. Received: {space!r}"
        )
    model = space.get("model")
    defaults = builder_defaults(model)
    checked: dict[str, Any] = {"model": model}
    for key in sorted(set(space) - {"model"}):
        if key not in defaults and key not in TRAINING_OPTIONS:
            raise ValueError(
                f"Unknown key in the search space: {key!r}. Expected arguments of "
                f"the {model!r} builder ({', '.join(defaults)}) or training "
                f"options ({', '.join(TRAINING_OPTIONS)})."
            )
        values = space[key]
        if not isinstance(values, list | tuple) or not values:
            raise ValueError(
                f"Expected a non-empty list of candidate values for {key!r}. "
                f"Received: {key}={values!r} (write [{values!r}] for a fixed value)."
            )
        default = TRAINING_OPTIONS.get(key, defaults.get(key))
        checked[key] = [_check_value(model, key, value, default) for value in values]
        if len(set(checked[key])) != len(checked[key]):
            raise ValueError(f"Duplicate candidate values for {key!r}: {values!r}")
    return checked


def _check_value(model: str, key: str, value: Any, default: Any) -> Any:
    """One candidate value, checked against the type of its default."""

    def bad(expected: str) -> ValueError:
        return ValueError(f"Invalid value for {key!r}: {value!r}. Expected {expected}.")

    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if key == "learning_rate" and not (is_number and value > 0):
        raise bad("a positive number")
    if key == "batch_size" and not (isinstance(value, int) and value >= 1):
        raise bad("an integer >= 1")
    if key == "schedule" and value not in SCHEDULES:
        raise bad(f"one of {SCHEDULES}")
    if key in TRAINING_OPTIONS:
        return value
    if isinstance(default, tuple | list):
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, int) and not isinstance(item, bool) and item > 0
            for item in value
        ):
            raise bad("a list of positive integers, such as [128, 64]")
        value = tuple(value)
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
    elif isinstance(default, int | float) and not is_number:
        raise bad("a number")
    try:  # the builder knows the allowed range (say, dropout in [0, 1))
        build_model(model, **{key: value})
    except ValueError as error:
        raise bad(f"a value the {model!r} builder accepts ({error})") from None
    return value


def grid_configs(space: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the candidate values, in a fixed order.

    Examples:
        >>> grid_configs({"model": "cnn", "dropout": [0.0, 0.5], "l2": [1e-4]})
        [{'dropout': 0.0, 'l2': 0.0001}, {'dropout': 0.5, 'l2': 0.0001}]

    """
    space = validate_space(space)
    keys = [key for key in space if key != "model"]
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(space[key] for key in keys))
    ]


def random_configs(
    space: Mapping[str, Any], num_trials: int, seed: int = 0
) -> list[dict[str, Any]]:
    """`num_trials` distinct configurations, each value drawn independently.

    Stops early when the space holds fewer than `num_trials` configurations.

    Examples:
        >>> len(random_configs({"model": "dense", "dropout": [0.0, 0.5]}, 5))
        2

    """
    space = validate_space(space)
    if num_trials < 1:
        raise ValueError(f"Expected num_trials >= 1. Received: num_trials={num_trials}")
    keys = [key for key in space if key != "model"]
    num_configs = int(np.prod([len(space[key]) for key in keys]))
    rng = random.Random(seed)
    configs: list[dict[str, Any]] = []
    while len(configs) < min(num_trials, num_configs):
        config = {key: rng.choice(space[key]) for key in keys}
        if config not in configs:
            configs.append(config)
    return configs


# ## Trials: train once, store at once, reuse forever


def data_identity(data) -> dict[str, Any]:
    """Sizes and a fingerprint of the training and validation sets (not the test set).

    Raises:
        ValueError: `data` has no validation set.

    """
    if getattr(data, "x_val", None) is None:
        raise ValueError(
            "A search needs validation data to compare trials. Load the data with "
            f"validation_split > 0, for example validation_split={VALIDATION_SPLIT}."
        )
    digest = hashlib.sha256()
    for array in (data.x_train, data.y_train, data.x_val, data.y_val):
        digest.update(np.ascontiguousarray(array).tobytes())
    return {
        "train": len(data.x_train),
        "val": len(data.x_val),
        "sha256": digest.hexdigest()[:16],
    }


def run_trial(
    model: str,
    params: Mapping[str, Any],
    data,
    *,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    identity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train one configuration, or load it when this exact trial already finished.

    Args:
        model: A key of `MODEL_BUILDERS`.
        params: Builder arguments and training options for this trial.
        data: A `FashionMNIST` with a validation set.
        epochs: Epochs to train.
        store_dir: Directory of the search; one JSON file per finished trial.
        seed: Seed for the weights, the shuffling and dropout.
        identity: `data_identity(data)`, when already computed.

    Returns:
        The trial record: `key`, `params`, `model`, `settings` (every builder
        argument, defaults included, and the training options), `epochs`,
        `seed`, `data`, `val_accuracy` (per epoch), `best_val_accuracy`,
        `seconds` and `reused`.

    Examples:
        >>> record = run_trial("dense", {"dropout": 0.2}, data, epochs=2,
        ...                    store_dir="runs/tuning/demo")
        >>> record["epochs"], record["reused"]
        (2, False)

    """
    identity = dict(identity or data_identity(data))
    options = {key: params.get(key, value) for key, value in TRAINING_OPTIONS.items()}
    kwargs = {key: value for key, value in params.items() if key not in options}
    description = {  # everything that decides the outcome of the trial
        "model": model,
        # Defaults included, so a trial stored before a builder's default
        # changed (say, the CNN's padding) is not mistaken for a new one.
        "settings": {**builder_defaults(model), **kwargs, **options},
        "epochs": epochs,
        "seed": seed,
        "data": identity,
    }
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode())
    key = digest.hexdigest()[:16]
    path = Path(store_dir) / f"trial-{key}.json"
    if path.is_file():
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise ValueError(
                f"{path} is not a valid trial record. Delete it to train it again."
            ) from None
        # Same key, same trial; `params` as given keeps tuples (JSON has lists).
        return {**record, "params": dict(params), "reused": True}
    keras.backend.clear_session()  # free the previous trial's model
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    history = train_model(
        build_model(model, **kwargs),
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=epochs,
        seed=seed,
        verbose=0,
        **options,
    )
    record = {
        "key": key,
        "params": dict(params),
        **description,
        "val_accuracy": [round(float(v), 6) for v in history["val_accuracy"]],
        "best_val_accuracy": round(float(history["val_accuracy"].max()), 6),
        "seconds": round(time.perf_counter() - start, 2),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")  # write, then rename: atomic
    partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return {**record, "reused": False}


def _run_trials(
    space, configs, data, *, epochs, store_dir, seed, verbose, rung=None
) -> list[dict[str, Any]]:
    """Run `configs` one after another, printing one line per trial."""
    identity = data_identity(data)
    records = []
    for number, params in enumerate(configs, start=1):
        record = run_trial(
            space["model"],
            params,
            data,
            epochs=epochs,
            store_dir=store_dir,
            seed=seed,
            identity=identity,
        )
        record["rung"] = rung
        records.append(record)
        if verbose:
            how = "reused" if record["reused"] else f"{record['seconds']:.1f} s"
            print(
                f"  trial {number}/{len(configs)}  {_describe(params)}  "
                f"{epochs} epochs -> best val accuracy "
                f"{record['best_val_accuracy']:.4f} ({how})",
                flush=True,
            )
    return records


def _describe(params: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in params.items())


def results_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per trial: parameters, epochs, best validation accuracy, time.

    Examples:
        >>> table = results_table([run_trial("dense", {}, data, epochs=1,
        ...                                  store_dir="runs/tuning/demo")])

    """
    rows = [
        {
            **record["params"],
            "epochs": record["epochs"],
            "best_val_accuracy": record["best_val_accuracy"],
            "seconds": record["seconds"],
            "rung": record.get("rung"),
            "reused": record["reused"],
            "trial": record["key"],
        }
        for record in records
    ]
    table = pd.DataFrame(rows)
    if table["rung"].isna().all():
        table = table.drop(columns="rung")
    return table


def best_trial(results: pd.DataFrame) -> dict[str, Any]:
    """The trial with the best validation accuracy among those given the most epochs.

    Trials with fewer epochs (the early rungs of successive halving) are not
    compared with fully trained ones. Ties go to the earlier trial.

    Returns:
        `{"params": {...}, "epochs": ..., "best_val_accuracy": ...}`.

    Examples:
        >>> space = {"model": "dense", "dropout": [0.0, 0.3]}
        >>> results = grid_search(space, data, epochs=2, store_dir="runs/tuning/demo",
        ...                       verbose=False)
        >>> best = best_trial(results)
        >>> sorted(best)
        ['best_val_accuracy', 'epochs', 'params']

    """
    finalists = results[results["epochs"] == results["epochs"].max()]
    row = finalists.loc[finalists["best_val_accuracy"].idxmax()]
    skip = {"epochs", "best_val_accuracy", "seconds", "rung", "reused", "trial"}
    params = {  # numpy scalars from the table become plain Python values
        key: value.item() if isinstance(value, np.generic) else value
        for key, value in row.items()
        if key not in skip and not _is_missing(value)
    }
    return {
        "params": params,
        "epochs": int(row["epochs"]),
        "best_val_accuracy": float(row["best_val_accuracy"]),
    }


def _is_missing(value: Any) -> bool:
    return not isinstance(value, tuple | list) and pd.isna(value)


# ## The three strategies


def grid_search(
    space: Mapping[str, Any],
    data,
    *,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    verbose: bool = True,
) -> pd.DataFrame:
    """Train every configuration of the space for `epochs` epochs.

    Args:
        space: The search space (see `validate_space`).
        data: A `FashionMNIST` with a validation set; the test set is not used.
        epochs: Epochs per trial.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of every trial.
        verbose: Print one line per trial.

    Returns:
        The results table, one row per trial (see `results_table`).

    Examples:
        >>> space = {"model": "dense", "dropout": [0.0, 0.2, 0.4]}
        >>> results = grid_search(space, data, epochs=5, store_dir="runs/tuning/d",
        ...                       verbose=False)
        >>> len(results)
        3

    """
    space = validate_space(space)
    configs = grid_configs(space)
    if verbose:
        print(f"grid search: {len(configs)} configurations x {epochs} epochs")
    records = _run_trials(
        space,
        configs,
        data,
        epochs=epochs,
        store_dir=store_dir,
        seed=seed,
        verbose=verbose,
    )
    return results_table(records)


def random_search(
    space: Mapping[str, Any],
    data,
    *,
    num_trials: int,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    verbose: bool = True,
) -> pd.DataFrame:
    """Train `num_trials` configurations drawn at random (seeded) from the space.

    Args:
        space: The search space (see `validate_space`).
        data: A `FashionMNIST` with a validation set; the test set is not used.
        num_trials: How many distinct configurations to draw.
        epochs: Epochs per trial.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of the draw and of every trial.
        verbose: Print one line per trial.

    Returns:
        The results table, one row per trial (see `results_table`).

    Examples:
        >>> space = {"model": "dense", "learning_rate": [3e-4, 1e-3, 3e-3],
        ...          "dropout": [0.0, 0.2, 0.4]}
        >>> results = random_search(space, data, num_trials=4, epochs=2,
        ...                         store_dir="runs/tuning/random", verbose=False)
        >>> len(results), len(results.drop_duplicates(["learning_rate", "dropout"]))
        (4, 4)

    """
    space = validate_space(space)
    configs = random_configs(space, num_trials, seed)
    if verbose:
        print(f"random search: {len(configs)} configurations x {epochs} epochs")
    records = _run_trials(
        space,
        configs,
        data,
        epochs=epochs,
        store_dir=store_dir,
        seed=seed,
        verbose=verbose,
    )
    return results_table(records)


def halving_schedule(
    num_configs: int, *, min_epochs: int, max_epochs: int, reduction_factor: int = 3
) -> list[tuple[int, int]]:
    """The rungs of successive halving: `(configurations, epochs each)`.

    Each rung keeps the best `1 / reduction_factor` of the configurations and
    gives them `reduction_factor` times more epochs, up to `max_epochs`. The
    last rung always trains for `max_epochs`.

    Raises:
        ValueError: An argument is out of range.

    Examples:
        >>> halving_schedule(9, min_epochs=1, max_epochs=6)
        [(9, 1), (3, 3), (1, 6)]

    """
    if num_configs < 1 or reduction_factor < 2 or not 1 <= min_epochs <= max_epochs:
        raise ValueError(
            "Expected num_configs >= 1, reduction_factor >= 2 and "
            f"1 <= min_epochs <= max_epochs. Received: num_configs={num_configs}, "
            f"reduction_factor={reduction_factor}, min_epochs={min_epochs}, "
            f"max_epochs={max_epochs}"
        )
    rungs = []
    num, epochs = num_configs, min_epochs
    while True:
        epochs = max_epochs if num == 1 else min(epochs, max_epochs)
        rungs.append((num, epochs))
        if epochs == max_epochs:
            return rungs
        num, epochs = max(1, num // reduction_factor), epochs * reduction_factor


def successive_halving(
    space: Mapping[str, Any],
    data,
    *,
    min_epochs: int,
    max_epochs: int,
    reduction_factor: int = 3,
    store_dir: str | os.PathLike,
    seed: int = 0,
    verbose: bool = True,
) -> pd.DataFrame:
    """Many configurations on a small budget; only the best get more epochs.

    Every configuration of the grid trains for `min_epochs`; the best
    `1 / reduction_factor` of them train again from scratch for
    `reduction_factor` times more epochs; and so on until `max_epochs`. This
    is the idea behind Hyperband.

    Args:
        space: The search space (see `validate_space`).
        data: A `FashionMNIST` with a validation set; the test set is not used.
        min_epochs: Epochs of the first rung.
        max_epochs: Epochs of the last rung.
        reduction_factor: Keep `1 / reduction_factor` of the trials at each rung.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of every trial.
        verbose: Print the budget schedule, then one line per trial.

    Returns:
        The results table of every trial of every rung, with a `rung` column.

    Examples:
        >>> successive_halving(space, data, min_epochs=1, max_epochs=9,
        ...                    store_dir="runs/tuning/halving")  # doctest: +SKIP

    """
    space = validate_space(space)
    configs = grid_configs(space)
    rungs = halving_schedule(
        len(configs),
        min_epochs=min_epochs,
        max_epochs=max_epochs,
        reduction_factor=reduction_factor,
    )
    if verbose:
        print(format_schedule(rungs))
    records: list[dict[str, Any]] = []
    for rung, (num_configs, epochs) in enumerate(rungs):
        if verbose:
            print(f"rung {rung}: {num_configs} configurations x {epochs} epochs")
        rung_records = _run_trials(
            space,
            configs[:num_configs],
            data,
            epochs=epochs,
            store_dir=store_dir,
            seed=seed,
            verbose=verbose,
            rung=rung,
        )
        records += rung_records
        ranked = sorted(  # stable: ties keep the grid order
            rung_records, key=lambda record: -record["best_val_accuracy"]
        )
        configs = [record["params"] for record in ranked]
    return results_table(records)


def format_schedule(rungs: list[tuple[int, int]]) -> str:
    """The budget schedule as a small text table (returned, for printing).

    Examples:
        >>> print(format_schedule([(9, 1), (3, 3), (1, 6)]))
        rung  configurations  epochs each  epochs in rung
           0               9            1               9
           1               3            3               9
           2               1            6               6
        total epochs: 24

    """
    lines = ["rung  configurations  epochs each  epochs in rung"]
    for rung, (num, epochs) in enumerate(rungs):
        lines.append(f"{rung:>4}  {num:>14}  {epochs:>11}  {num * epochs:>14}")
    lines.append(f"total epochs: {sum(num * epochs for num, epochs in rungs)}")
    return "\n".join(lines)


# ## Benchmark: does successive halving find the grid's best for less?

BENCHMARK_SPACE = {
    "model": "dense",
    "learning_rate": [3e-4, 1e-3, 3e-3],
    "dropout": [0.0, 0.3],
    "hidden_units": [[128], [256, 128]],
}


def benchmark_tuning(
    store_dir: str | os.PathLike = "runs/tuning/benchmark",
    *,
    epochs: int = 5,
    seed: int = 0,
    record: bool = True,
) -> dict[str, Any]:
    """Grid search and successive halving over `BENCHMARK_SPACE` on the real data.

    Uses the full 54,000 / 6,000 train / validation split. `seconds` is the
    training time of a search's trials (the same whether or not they were
    reused); `total_epochs` is the epochs its trials needed.

    Returns:
        `{"grid": {...}, "halving": {...}, "space": ...}`, also written to
        `benchmarks/results.json` under `tuning` when `record`.

    Examples:
        It took 14 minutes on a busy 2-core CPU, so it is not run as a doctest:

        >>> summary = benchmark_tuning()  # doctest: +SKIP
        >>> summary["halving"]["total_epochs"]  # doctest: +SKIP
        29
        >>> summary["grid"]["total_epochs"]  # doctest: +SKIP
        60

    """
    from fmnist_course.data import load_fashion_mnist
    from fmnist_course.results import update_results

    data = load_fashion_mnist(scale=True, validation_split=VALIDATION_SPLIT, seed=seed)
    grid = grid_search(
        BENCHMARK_SPACE,
        data,
        epochs=epochs,
        store_dir=Path(store_dir) / "grid",
        seed=seed,
    )
    halving = successive_halving(
        BENCHMARK_SPACE,
        data,
        min_epochs=1,
        max_epochs=epochs,
        store_dir=Path(store_dir) / "halving",
        seed=seed,
    )
    summary: dict[str, Any] = {"space": BENCHMARK_SPACE}
    for name, results in (("grid", grid), ("halving", halving)):
        best = best_trial(results)
        summary[name] = {
            "best_val_accuracy": round(best["best_val_accuracy"], 4),
            "best_params": {
                key: list(value) if isinstance(value, tuple) else value
                for key, value in best["params"].items()
            },
            "total_epochs": int(results["epochs"].sum()),
            "num_trials": len(results),
            "seconds": round(float(results["seconds"].sum()), 1),
        }
    summary["train_images"] = len(data.x_train)
    summary["val_images"] = len(data.x_val)
    if record:
        update_results("tuning", summary)
    return summary
