"""Plots of a hyperparameter search's results table (see `fmnist_course.tuning`).

Examples:
    >>> from fmnist_course.tuning import grid_search
    >>> space = {"model": "dense", "learning_rate": [1e-3, 3e-3], "dropout": [0.0, 0.2]}
    >>> results = grid_search(space, data, epochs=2, store_dir="runs/tuning/demo",
    ...                       verbose=False)
    >>> figure = plot_trials(results)
    >>> figure = plot_parameters(results)
    >>> [axes.get_xlabel() for axes in figure.axes]
    ['dropout', 'learning_rate']

"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from fmnist_course.tuning.table import RESULT_COLUMNS


def parameter_columns(results: pd.DataFrame) -> list[str]:
    """The hyperparameter columns of a results table, in table order.

    Examples:
        >>> parameter_columns(pd.DataFrame(columns=["dropout", "epochs", "trial"]))
        ['dropout']

    """
    return [column for column in results.columns if column not in RESULT_COLUMNS]


def plot_trials(results: pd.DataFrame, *, title: str = "Trials") -> Figure:
    """Best validation accuracy of each trial, in the order they ran.

    Bars are coloured by the epochs a trial trained for, so the rungs of
    successive halving stand apart; the best fully trained trial is outlined.

    Args:
        results: A results table from `grid_search`, `random_search` or
            `successive_halving`.
        title: The figure title.

    Returns:
        The matplotlib figure.

    Examples:
        >>> figure = plot_trials(results)  # doctest: +SKIP

    """
    figure, axes = plt.subplots(figsize=(8, 3.5))
    budgets = sorted(results["epochs"].unique())
    colors = plt.get_cmap("viridis")
    for index, epochs in enumerate(budgets):
        rows = results[results["epochs"] == epochs]
        axes.bar(
            rows.index,
            rows["best_val_accuracy"],
            color=colors(index / max(1, len(budgets) - 1)),
            label=f"{epochs} epochs",
        )
    finalists = results[results["epochs"] == budgets[-1]]
    best = finalists["best_val_accuracy"].idxmax()
    axes.bar(
        [best],
        [results.loc[best, "best_val_accuracy"]],
        fill=False,
        edgecolor="red",
        linewidth=2,
        label="chosen",
    )
    low = results["best_val_accuracy"].min()
    axes.set_ylim(
        max(0.0, low - 0.05), min(1.0, results["best_val_accuracy"].max() + 0.02)
    )
    axes.set_xlabel("trial")
    axes.set_ylabel("best validation accuracy")
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    return figure


def plot_parameters(results: pd.DataFrame, *, title: str = "") -> Figure:
    """One panel per hyperparameter: its value against best validation accuracy.

    Values are shown as categories in sorted order, so learning rates and
    layer sizes such as `(256, 128)` are plotted alike. Each dot is a trial;
    the line joins the best trial of each value.

    Args:
        results: A results table from one of the searches.
        title: The figure title.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: The table has no hyperparameter columns.

    Examples:
        >>> figure = plot_parameters(results)  # doctest: +SKIP

    """
    columns = parameter_columns(results)
    if not columns:
        raise ValueError(
            "Expected a results table with hyperparameter columns. "
            f"Received columns: {list(results.columns)}"
        )
    figure, all_axes = plt.subplots(
        1, len(columns), figsize=(3.2 * len(columns), 3.2), sharey=True, squeeze=False
    )
    for axes, column in zip(all_axes[0], columns, strict=True):
        as_text = results[column].map(str)
        labels = sorted(set(as_text), key=_sort_key)
        positions = as_text.map({label: i for i, label in enumerate(labels)})
        axes.scatter(positions, results["best_val_accuracy"], alpha=0.6)
        best = results.groupby(positions)["best_val_accuracy"].max()
        axes.plot(best.index, best.values, color="tab:red", marker="_", markersize=14)
        axes.set_xticks(range(len(labels)), labels, rotation=30)
        axes.set_xlabel(column)
    all_axes[0][0].set_ylabel("best validation accuracy")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def _sort_key(label: str) -> tuple[int, float | str]:
    """Numbers in numeric order, anything else (tuples, names) as text after them."""
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)
