"""Benchmark of the search strategies: grid search against successive halving.

Does halving find the grid's best for less? Both run over the same space
(`BENCHMARK_SPACE`) on the full training split; the record says which
configuration each chose, its validation accuracy, and the epochs and seconds
each spent.

Examples:
    >>> from fmnist_course.tuning import grid_configs
    >>> len(grid_configs(BENCHMARK_SPACE))
    12

"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fmnist_course.fast_mode import load_course_split
from fmnist_course.results import update_results
from fmnist_course.tuning import (
    best_trial,
    grid_search,
    successive_halving,
)

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
    data = load_course_split(fast=False, seed=seed)
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
