"""Graded checks of lesson 05 (instructor material: not in the package).

`05-pick-by-validation` is judged on hidden results tables: the student's
function picks from them, never from a table the student hands in.
"""

import pandas as pd

from fmnist_course.exercises.answers import as_count, as_mapping
from fmnist_course.exercises.lesson_05 import check_cnn_space
from fmnist_course.grading.assignment import expect, graded

HALVING = pd.DataFrame(
    [
        {"dropout": d, "dense_units": u, "epochs": e, "best_val_accuracy": a,
         "seconds": 3.0 * e, "rung": g, "reused": False, "trial": f"h{i}"}
        for i, (d, u, e, a, g) in enumerate(
            [
                (0.0, 64, 2, 0.81, 0),
                (0.25, 64, 2, 0.84, 0),
                (0.5, 128, 2, 0.93, 0),  # the best score, from a short trial
                (0.25, 128, 2, 0.86, 0),
                (0.0, 256, 2, 0.85, 0),
                (0.5, 64, 2, 0.80, 0),
                (0.25, 128, 6, 0.89, 1),
                (0.0, 256, 6, 0.91, 1),
            ]
        )
    ]
)  # fmt: skip
GRID = pd.DataFrame(
    [
        {"learning_rate": r, "batch_size": b, "schedule": s, "epochs": 5,
         "best_val_accuracy": a, "seconds": 20.0, "reused": True, "trial": f"g{i}"}
        for i, (r, b, s, a) in enumerate(
            [
                (1e-3, 64, "constant", 0.902),
                (1e-3, 128, "cosine", 0.911),
                (3e-3, 64, "cosine", 0.897),
                (3e-3, 128, "constant", 0.908),
            ]
        )
    ]
)  # fmt: skip
PICKS = [
    (HALVING, {"dropout": 0.0, "dense_units": 256}),
    (GRID, {"learning_rate": 1e-3, "batch_size": 128, "schedule": "cosine"}),
]


@graded("05-halving-budget")
def graded_halving_budget(total_epochs):
    count = as_count(total_epochs, "total_epochs")
    expect(count != 27 * 9, "That is the grid's budget, not halving's.")
    expect(count == 27 * 1 + 9 * 3 + 3 * 9, f"{count} is not right yet.")


@graded("05-cnn-space")
def graded_cnn_space(space):
    """The space itself: valid for the cnn builder, l2 and one more key, <= 8."""
    check_cnn_space(space)


@graded(
    "05-pick-by-validation",
    probes={"pick_by_validation": [(table,) for table, _ in PICKS]},
)
def graded_pick_by_validation(pick_by_validation):
    for table, expected in PICKS:
        picked = as_mapping(pick_by_validation(table), "the picked hyperparameters")
        expect(
            picked == expected,
            "On a hidden results table, that is not the trial with the best "
            "validation accuracy among those trained the longest.",
        )
