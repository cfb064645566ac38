"""Checks of lesson 05, hyperparameter search."""

from __future__ import annotations

import pandas as pd

from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect
from fmnist_course.tuning import best_trial, grid_configs

HALVING_BUDGET = "90e8c83dd3bb212ff4bd1b85a58adccbac811f992250c37c62cb2efb99f2352b"
"""Digest of the answer of 05-halving-budget."""


@exercise(
    "05-halving-budget",
    hint="Write out the rungs: how many configurations, how many epochs each. "
    "Each rung keeps a third of the configurations and triples the epochs.",
)
def check_halving_budget(total_epochs):
    """27 configurations, 1 to 9 epochs, reduction factor 3."""
    expect(
        isinstance(total_epochs, int) and not isinstance(total_epochs, bool),
        f"Expected an integer number of epochs. Received: {total_epochs!r}",
    )
    expect(total_epochs != 27 * 9, "That is the grid's budget, not halving's.")
    expect(
        matches("05-halving-budget", total_epochs, HALVING_BUDGET),
        f"{total_epochs} epochs is not right yet.",
    )


@exercise(
    "05-cnn-space",
    hint="Start from {'model': 'cnn', ...}; keys are build_cnn's arguments or "
    "learning_rate, batch_size, schedule; every value is a list of candidates.",
)
def check_cnn_space(space):
    """A valid cnn space searching l2 and one more key, at most 8 configurations."""
    expect(isinstance(space, dict), f"Expected a dict. Received: {type(space)}")
    expect(space.get("model") == "cnn", "The space should search the 'cnn' model.")
    try:
        configs = grid_configs(space)
    except ValueError as error:
        expect(False, f"The space is not valid: {error}")
    searched = [k for k, v in space.items() if k != "model" and len(v) >= 2]
    expect("l2" in searched, "Search at least two values of 'l2'.")
    expect(len(searched) >= 2, "Search at least one more key besides 'l2'.")
    expect(
        len(configs) <= 8,
        f"Your grid has {len(configs)} configurations; keep it to 8 or fewer.",
    )


@exercise(
    "05-pick-by-validation",
    hint="Keep only the trials with the most epochs, then take the row with the "
    "highest best_val_accuracy. The test set plays no part.",
)
def check_pick_by_validation(results, params):
    """`params` are the chosen trial's hyperparameters from `results`."""
    expect(
        isinstance(results, pd.DataFrame),
        f"Pass the results table first. Received: {type(results)}",
    )
    expect(isinstance(params, dict), f"Expected a dict. Received: {type(params)}")
    chosen = best_trial(results)["params"]
    expect(
        set(params) == set(chosen),
        f"Expected the keys {sorted(chosen)}. Received: {sorted(params)}",
    )
    expect(params == chosen, "That is not the trial with the best validation score.")
