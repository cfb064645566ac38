"""The ablation's record: its budget, its seeds, and how runs are merged.

The variants are course content (`fmnist_course.ablations`, which lesson 07
reads); this module holds what the benchmark needs around them: the epoch
budget and seeds every variant trains under (`ABLATION_EPOCHS`,
`ABLATION_SEEDS`), and how each run's row joins the record
(`merge_ablation_rows`, `ablation_entry`). `fmnist_course.bench.ablation_runs`
trains the runs, on validation alone: the test images are never scored.

The full recipe trains for 40 epochs; eight variants under three seeds at
that budget cost 24 full trainings of the best model, so every variant
trains for `ABLATION_EPOCHS` (the cosine schedule decays over whatever
epochs are used) unless told otherwise. A technique that pays off only late
in a long run shows less in a short one: the budget is recorded with every
row, and a variant trained again at the full budget, to confirm a choice
against its runner-up, is recorded beside the short runs.

Examples:
    >>> ablation_budget([{"epochs": 40}, {"epochs": 5}])
    5

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fmnist_course.ablations import ABLATIONS, REFERENCE
from fmnist_course.choosing import SPREADS

ABLATION_EPOCHS = 5
"""Epochs every variant trains for, unless `--epochs` says otherwise.

The full recipe trains for 40; an eighth of that runs all eight variants
under three seeds, one run per core, in about the time of two full
trainings on two cores."""

ABLATION_SEEDS = (0, 1, 2)
"""The seeds every variant trains under, unless `--seeds` says otherwise."""


def merge_ablation_rows(
    existing: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Replace rows of the same variant, seed and budget; keep every other row.

    Rows come out in the order of `ABLATIONS`, then by budget and seed; a
    recorded variant the table no longer has is kept, after the others. A
    run of a variant at another epoch budget (say, the full recipe's, to
    confirm a choice) is kept beside the short one. A row recorded before
    runs were scored on validation alone (it has a `test_accuracy`) is
    dropped: its variant was chosen with test numbers.

    Examples:
        >>> old = [{"variant": "no_dropout", "seed": 0, "epochs": 5},
        ...        {"variant": "all_techniques", "seed": 0, "epochs": 5}]
        >>> new = [{"variant": "all_techniques", "seed": 0, "epochs": 5},
        ...        {"variant": "all_techniques", "seed": 0, "epochs": 40}]
        >>> [(r["variant"], r["seed"], r["epochs"])
        ...  for r in merge_ablation_rows(old, new)]  # doctest: +NORMALIZE_WHITESPACE
        [('all_techniques', 0, 5), ('all_techniques', 0, 40), ('no_dropout', 0, 5)]

    """

    def key(row: Mapping[str, Any]) -> tuple[str, int, int]:
        return row["variant"], row["seed"], row["epochs"]

    merged = {key(row): dict(row) for row in existing if "test_accuracy" not in row}
    merged.update({key(row): dict(row) for row in new})
    order = {name: index for index, name in enumerate(ABLATIONS)}
    return sorted(
        merged.values(),
        key=lambda row: (
            order.get(row["variant"], len(order)),
            row["variant"],
            row["epochs"],
            row["seed"],
        ),
    )


def ablation_budget(rows: Sequence[Mapping[str, Any]]) -> int:
    """The ablation's epoch budget: the shortest its rows trained for.

    Longer runs confirm a choice at the full recipe's budget; they are not
    part of the ablation's verdicts, and `fmnist_course.ablation_tables`
    shows them apart.

    Raises:
        ValueError: No rows.

    Examples:
        >>> ablation_budget([{"epochs": 40}, {"epochs": 5}, {"epochs": 40}])
        5

    """
    if not rows:
        raise ValueError("Expected at least one ablation row. Received none.")
    return min(row["epochs"] for row in rows)


def ablation_entry(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `ablation` entry of one device: the rows and their settings.

    `epochs` is the ablation's budget (`ablation_budget`); `train_images`,
    `validation_images`, `machine` and `measured_at` are those of the most
    recently measured row at that budget, `seeds` every seed measured; each
    row keeps its own. `reference` names the variant the changes are
    against, `spreads` the rule's threshold (`fmnist_course.choosing.SPREADS`).

    Raises:
        ValueError: No rows.

    Examples:
        >>> entry = ablation_entry([{"variant": "all_techniques",
        ...     "val_accuracy": 0.93, "epochs": 5, "seed": 1,
        ...     "train_images": 54000, "validation_images": 6000,
        ...     "machine": {"device": "cpu"}, "measured_at": "2025-01-02T03:04:05Z"}])
        >>> entry["epochs"], entry["seeds"], entry["spreads"]
        (5, [1], 2)

    """
    rows = merge_ablation_rows([], rows)
    budget = ablation_budget(rows)
    latest = max(
        (row for row in rows if row["epochs"] == budget),
        key=lambda row: row["measured_at"],
    )
    keys = ("train_images", "validation_images", "machine", "measured_at")
    return {
        "epochs": budget,
        **{key: latest[key] for key in keys},
        "seeds": sorted({row["seed"] for row in rows}),
        "reference": REFERENCE,
        "spreads": SPREADS,
        "rows": rows,
    }
