"""Checks of lesson 05, hyperparameter search."""

from __future__ import annotations

import pandas as pd

from fmnist_course.exercises.answers import (
    as_count,
    as_mapping,
    expect_function,
    graded_on_other_inputs,
    plain,
)
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect
from fmnist_course.tuning import TRAINING_OPTIONS, best_trial, grid_configs
from fmnist_course.tuning.table import RESULT_COLUMNS

HALVING_BUDGET = "90e8c83dd3bb212ff4bd1b85a58adccbac811f992250c37c62cb2efb99f2352b"
"""Digest of the answer of 05-halving-budget."""

MAX_CONFIGS = 8
MAX_SIZE = 512
MAX_BLOCKS = 4
"""05-cnn-space: at most 8 configurations; no candidate of more than 512
filters or units (or a kernel wider than that), nor more than 4 convolution
blocks. A space is checked by building each candidate model, so these bounds
keep a check (the student's and the grader's) small."""


@exercise(
    "05-halving-budget",
    hint="Write out the rungs: how many configurations, how many epochs each. "
    "Each rung keeps a third of the configurations and triples the epochs.",
)
def check_halving_budget(total_epochs):
    """27 configurations, 1 to 9 epochs, reduction factor 3."""
    count = as_count(total_epochs, "total_epochs")
    expect(count != 27 * 9, "That is the grid's budget, not halving's.")
    expect(
        matches("05-halving-budget", count, HALVING_BUDGET),
        f"{count} epochs is not right yet.",
    )


def _sizes(value) -> list:
    """The whole numbers in a candidate value (a number, or a tuple of them)."""
    values = value if isinstance(value, tuple) else (value,)
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


@exercise(
    "05-cnn-space",
    hint="Start from {'model': 'cnn', ...}; keys are build_cnn's arguments or "
    "learning_rate, batch_size, schedule; every value is a list of candidates.",
)
def check_cnn_space(space):
    """A valid cnn space searching l2 and one more key, at most 8 configurations.

    Candidates may be NumPy numbers or arrays: they are read as plain values
    first. The graded check runs this same check on the exported space.
    """
    space = as_mapping(space, "the search space")
    expect(space.get("model") == "cnn", "The space should search the 'cnn' model.")
    for key, values in space.items():
        if key == "model" or key in TRAINING_OPTIONS:
            continue
        for value in values if isinstance(values, tuple) else ():
            expect(
                all(size <= MAX_SIZE for size in _sizes(value))
                and len(_sizes(value)) <= MAX_BLOCKS,
                f"{key}={value!r} is too large for this exercise: keep filters, "
                f"units and kernel sizes to {MAX_SIZE} at most, and at most "
                f"{MAX_BLOCKS} blocks.",
            )
    try:
        configs = grid_configs(space)
    except ValueError as error:
        expect(False, f"The space is not valid: {error}")
    searched = [k for k, v in space.items() if k != "model" and len(v) >= 2]
    expect("l2" in searched, "Search at least two values of 'l2'.")
    fixed = [k for k, v in space.items() if k not in {"model", "l2"} and len(v) < 2]
    expect(
        len(searched) >= 2,
        "Search at least one more key besides 'l2', with two or more candidates: "
        "a key with one value is fixed, not searched. Received one value for: "
        f"{', '.join(map(repr, fixed)) or 'no other key'}.",
    )
    expect(
        len(configs) <= MAX_CONFIGS,
        f"Your grid has {len(configs)} configurations; keep it to {MAX_CONFIGS} "
        "or fewer.",
    )


MADE_UP_RESULTS = (
    pd.DataFrame(
        [
            {"dropout": d, "hidden_units": u, "learning_rate": r, "epochs": e,
             "best_val_accuracy": a, "seconds": 2.0 * e, "rung": g,
             "reused": False, "trial": f"t{i}"}
            for i, (d, u, r, e, a, g) in enumerate(
                [
                    (0.0, (64,), 1e-3, 1, 0.80, 0),
                    (0.3, (128,), 1e-3, 1, 0.78, 0),
                    (0.0, (128, 64), 3e-3, 1, 0.90, 0),
                    (0.3, (64,), 3e-3, 1, 0.83, 0),
                    (0.0, (64,), 1e-3, 3, 0.85, 1),
                    (0.3, (64,), 3e-3, 3, 0.87, 1),
                ]
            )
        ]
    ),
    pd.DataFrame(
        [
            {"l2": l2, "filters": f, "epochs": 4, "best_val_accuracy": a,
             "seconds": 9.0, "reused": i == 0, "trial": f"g{i}"}
            for i, (l2, f, a) in enumerate(
                [(0.0, (16, 32), 0.88), (1e-4, (16, 32), 0.91), (0.0, (32, 64), 0.89)]
            )
        ]
    ),
)  # fmt: skip
"""Made-up tables for the self-check of 05-pick-by-validation: a halving
search whose best score comes from a short early trial, and a grid search
over other hyperparameters."""


def expect_picked(picked, table: pd.DataFrame) -> None:
    """Fail the running check unless `picked` holds the right trial's hyperparameters.

    The right trial has the best validation accuracy among the trials with the
    most epochs (`tuning.best_trial`); its hyperparameters are every column
    but the result columns. A dict or a pandas Series passes.
    """
    chosen = plain(best_trial(table)["params"])
    got = as_mapping(picked, "the picked hyperparameters")
    expect(
        set(got) == set(chosen),
        f"Expected the keys {sorted(chosen)}: every column except the results "
        f"{list(RESULT_COLUMNS)}. Received: {sorted(map(str, got))}",
    )
    if got != chosen:
        best_anywhere = table.loc[table["best_val_accuracy"].idxmax()]
        expect(
            got != {key: plain(best_anywhere[key]) for key in chosen},
            "That trial has the best score but trained fewer epochs than the "
            "finished ones: compare only the trials with the most epochs.",
        )
    expect(got == chosen, "That is not the trial with the best validation accuracy.")


@exercise(
    "05-pick-by-validation",
    hint="Keep only the rows with the most epochs, then take the row with the "
    "highest best_val_accuracy, and return its other columns as a dict. The "
    "test set plays no part.",
)
@graded_on_other_inputs
def check_pick_by_validation(pick_by_validation):
    """`pick_by_validation(results)` returns the chosen trial's hyperparameters."""
    expect_function(pick_by_validation)
    for table in MADE_UP_RESULTS:
        expect_picked(pick_by_validation(table.copy()), table)
