"""A search's results as a table, and the choice of the best trial in it.

Examples:
    >>> records = [
    ...     {"params": {"dropout": 0.0}, "epochs": 2, "best_val_accuracy": 0.8,
    ...      "seconds": 1.0, "reused": False, "key": "a"},
    ...     {"params": {"dropout": 0.3}, "epochs": 2, "best_val_accuracy": 0.9,
    ...      "seconds": 1.0, "reused": False, "key": "b"},
    ... ]
    >>> best_trial(results_table(records))["params"]
    {'dropout': 0.3}

"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

RESULT_COLUMNS = ("epochs", "best_val_accuracy", "seconds", "rung", "reused", "trial")
"""Columns of a results table that are not hyperparameters."""


def results_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per trial: parameters, epochs, best validation accuracy, time.

    Args:
        records: Trial records (see `fmnist_course.tuning.trial.train_trial`)
            with `reused`, and optionally `rung`.

    Returns:
        The table; its `rung` column is dropped when no record has a rung.

    Examples:
        >>> from fmnist_course.tuning import run_trial
        >>> table = results_table([run_trial("dense", {}, data, epochs=1,
        ...                                  store_dir="runs/tuning/demo")])
        >>> list(table.columns)
        ['epochs', 'best_val_accuracy', 'seconds', 'reused', 'trial']

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
        >>> from fmnist_course.tuning import grid_search
        >>> space = {"model": "dense", "dropout": [0.0, 0.3]}
        >>> results = grid_search(space, data, epochs=2, store_dir="runs/tuning/demo",
        ...                       verbose=False)
        >>> best = best_trial(results)
        >>> sorted(best)
        ['best_val_accuracy', 'epochs', 'params']

    """
    finalists = results[results["epochs"] == results["epochs"].max()]
    row = finalists.loc[finalists["best_val_accuracy"].idxmax()]
    params = {  # numpy scalars from the table become plain Python values
        key: value.item() if isinstance(value, np.generic) else value
        for key, value in row.items()
        if key not in RESULT_COLUMNS and not _is_missing(value)
    }
    return {
        "params": params,
        "epochs": int(row["epochs"]),
        "best_val_accuracy": float(row["best_val_accuracy"]),
    }


def _is_missing(value: Any) -> bool:
    return not isinstance(value, tuple | list) and pd.isna(value)
