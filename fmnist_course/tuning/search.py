"""The strategies: grid search, random search and successive halving.

Grid and random search differ only in their list of configurations, so both
hand theirs to `search_configs`, the one path that runs configurations:
finished trials are read from the store, the others are trained, here one
after another or all at once through an executor (a local process pool or a
Dask cluster; see `fmnist_course.parallel`), and each result is written to the
store the moment it arrives. Successive halving runs each rung the same way.

Examples:
    >>> space = {"model": "dense", "learning_rate": [1e-3, 3e-3], "dropout": [0.0, 0.2]}
    >>> results = grid_search(space, data, epochs=1, store_dir="runs/tuning/demo",
    ...                       verbose=False)
    >>> len(results)
    4

"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from fmnist_course.data import FashionMNIST
from fmnist_course.errors import UserError
from fmnist_course.parallel import Progress, run_tasks, worker_count
from fmnist_course.tuning.space import grid_configs, random_configs, validate_space
from fmnist_course.tuning.store import TrialStore
from fmnist_course.tuning.table import results_table
from fmnist_course.tuning.trial import (
    DataDescription,
    TrialTask,
    data_identity,
    resolve_data,
    train_trial,
)


def run_configs(
    model: str,
    configs: Sequence[Mapping[str, Any]],
    data: FashionMNIST | DataDescription,
    *,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    executor: concurrent.futures.Executor | None = None,
    verbose: bool = True,
) -> list[dict[str, Any]]:
    """Train every configuration for `epochs` epochs, reusing finished trials.

    Args:
        model: A key of `MODEL_BUILDERS`.
        configs: The configurations, each a dict of builder arguments and
            training options.
        data: A `FashionMNIST` with a validation set, or a `DataDescription`
            (what to send to a cluster: each worker loads the data itself).
        epochs: Epochs per trial.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of every trial.
        executor: Where the trials run: `None` trains them here, one after
            another; a `concurrent.futures.Executor` (see
            `fmnist_course.parallel.open_executor`) runs them all at once.
        verbose: Print one line per trial (and a progress line on stderr
            when an executor is given).

    Returns:
        One record per configuration, in the order given, each with `reused`.

    Raises:
        ValueError: A worker trained on other data than this process loaded.

    Examples:
        >>> records = run_configs("dense", [{"dropout": 0.0}], data, epochs=1,
        ...                       store_dir="runs/tuning/demo", verbose=False)
        >>> records[0]["epochs"]
        1

    """
    identity = data_identity(resolve_data(data))
    tasks = [
        TrialTask(
            model, dict(params), epochs=epochs, seed=seed, data=data, identity=identity
        )
        for params in configs
    ]
    store = TrialStore(store_dir)
    records: list[dict[str, Any] | None] = [None] * len(tasks)
    pending = []
    for index, task in enumerate(tasks):
        stored = store.load(task.key)
        if stored is None:
            pending.append(index)
            continue
        # Same key, same trial; `params` as given keeps tuples (JSON has lists).
        records[index] = {**stored, "params": task.params, "reused": True}
        if verbose:
            _report(records[index], index + 1 - len(pending), len(tasks))

    def finish(index: int, record: dict[str, Any]) -> None:
        if record["data"] != identity:  # train_trial checks too; trust no one
            raise UserError(
                f"A worker trained on other data. Received: {record['data']}; "
                f"expected: {identity}. Give every worker the same data files."
            )
        store.save(record)
        records[index] = {**record, "params": tasks[index].params, "reused": False}
        if verbose:
            done = sum(record is not None for record in records)
            _report(records[index], done, len(tasks))

    if executor is None:
        for index in pending:
            finish(index, train_trial(tasks[index]))
    elif pending:
        progress = None
        if verbose:
            progress = Progress(
                len(pending), "trials", workers=lambda: worker_count(executor)
            )
        position = {id(tasks[index]): index for index in pending}
        to_run = [tasks[index] for index in pending]
        for task, record in run_tasks(executor, train_trial, to_run, progress=progress):
            finish(position[id(task)], record)
    return records  # type: ignore[return-value]


def _report(record: Mapping[str, Any], number: int, total: int) -> None:
    how = "reused" if record["reused"] else f"{record['seconds']:.1f} s"
    described = " ".join(f"{key}={value}" for key, value in record["params"].items())
    print(
        f"  trial {number}/{total}  {described}  {record['epochs']} epochs -> "
        f"best val accuracy {record['best_val_accuracy']:.4f} ({how})",
        flush=True,
    )


def search_configs(
    space: Mapping[str, Any],
    configs: Sequence[Mapping[str, Any]],
    data: FashionMNIST | DataDescription,
    *,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    executor: concurrent.futures.Executor | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """Search over a given list of configurations of a space: grid and random alike.

    Args:
        space: The search space (see `validate_space`); gives the model.
        configs: The configurations to train (from `grid_configs`,
            `random_configs`, or written by hand).
        data: A `FashionMNIST` with a validation set, or a `DataDescription`.
        epochs: Epochs per trial.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of every trial.
        executor: `None` trains here, one trial after another; an executor
            runs the trials at once.
        verbose: Print one line per trial.

    Returns:
        The results table, one row per configuration (see `results_table`).

    Examples:
        >>> space = {"model": "dense", "dropout": [0.0, 0.2, 0.4]}
        >>> results = search_configs(space, [{"dropout": 0.4}], data, epochs=1,
        ...                          store_dir="runs/tuning/demo", verbose=False)
        >>> list(results["dropout"])
        [0.4]

    """
    space = validate_space(space)
    records = run_configs(
        space["model"],
        configs,
        data,
        epochs=epochs,
        store_dir=store_dir,
        seed=seed,
        executor=executor,
        verbose=verbose,
    )
    return results_table(records)


def grid_search(
    space: Mapping[str, Any],
    data: FashionMNIST | DataDescription,
    *,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    executor: concurrent.futures.Executor | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """Train every configuration of the space for `epochs` epochs.

    Args:
        space: The search space (see `validate_space`).
        data: A `FashionMNIST` with a validation set (the test set is not
            used), or a `DataDescription`.
        epochs: Epochs per trial.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of every trial.
        executor: `None` trains here, one trial after another; an executor
            (`fmnist_course.parallel.open_executor`) runs the trials at once.
        verbose: Print one line per trial.

    Returns:
        The results table, one row per trial (see `results_table`).

    Examples:
        >>> space = {"model": "dense", "dropout": [0.0, 0.2, 0.4]}
        >>> results = grid_search(space, data, epochs=2, store_dir="runs/tuning/d",
        ...                       verbose=False)
        >>> len(results)
        3

    """
    configs = grid_configs(space)
    if verbose:
        print(f"grid search: {len(configs)} configurations x {epochs} epochs")
    return search_configs(
        space,
        configs,
        data,
        epochs=epochs,
        store_dir=store_dir,
        seed=seed,
        executor=executor,
        verbose=verbose,
    )


def random_search(
    space: Mapping[str, Any],
    data: FashionMNIST | DataDescription,
    *,
    num_trials: int,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    executor: concurrent.futures.Executor | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """Train `num_trials` configurations drawn at random (seeded) from the space.

    Args:
        space: The search space (see `validate_space`).
        data: A `FashionMNIST` with a validation set (the test set is not
            used), or a `DataDescription`.
        num_trials: How many distinct configurations to draw.
        epochs: Epochs per trial.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of the draw and of every trial.
        executor: `None` trains here, one trial after another; an executor
            runs the trials at once.
        verbose: Print one line per trial.

    Returns:
        The results table, one row per trial (see `results_table`).

    Examples:
        >>> space = {"model": "dense", "learning_rate": [3e-4, 1e-3, 3e-3],
        ...          "dropout": [0.0, 0.2, 0.4]}
        >>> results = random_search(space, data, num_trials=4, epochs=1,
        ...                         store_dir="runs/tuning/random", verbose=False)
        >>> len(results), len(results.drop_duplicates(["learning_rate", "dropout"]))
        (4, 4)

    """
    configs = random_configs(space, num_trials, seed)
    if verbose:
        print(f"random search: {len(configs)} configurations x {epochs} epochs")
    return search_configs(
        space,
        configs,
        data,
        epochs=epochs,
        store_dir=store_dir,
        seed=seed,
        executor=executor,
        verbose=verbose,
    )


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
        raise UserError(
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
    data: FashionMNIST | DataDescription,
    *,
    min_epochs: int,
    max_epochs: int,
    reduction_factor: int = 3,
    store_dir: str | os.PathLike,
    seed: int = 0,
    executor: concurrent.futures.Executor | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """Many configurations on a small budget; only the best get more epochs.

    Every configuration of the grid trains for `min_epochs`; the best
    `1 / reduction_factor` of them train again from scratch for
    `reduction_factor` times more epochs; and so on until `max_epochs`. This
    is the idea behind Hyperband. The trials of a rung do not depend on each
    other, so with an executor each rung runs all at once.

    Args:
        space: The search space (see `validate_space`).
        data: A `FashionMNIST` with a validation set (the test set is not
            used), or a `DataDescription`.
        min_epochs: Epochs of the first rung.
        max_epochs: Epochs of the last rung.
        reduction_factor: Keep `1 / reduction_factor` of the trials at each rung.
        store_dir: One JSON file per finished trial; finished trials are reused.
        seed: Seed of every trial.
        executor: `None` trains here, one trial after another; an executor
            runs the trials of each rung at once.
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
        rung_records = run_configs(
            space["model"],
            configs[:num_configs],
            data,
            epochs=epochs,
            store_dir=store_dir,
            seed=seed,
            executor=executor,
            verbose=verbose,
        )
        records += [{**record, "rung": rung} for record in rung_records]
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
