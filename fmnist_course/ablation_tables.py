"""The ablation's tables, read from the record: verdicts and their confirmation.

`ablation_table` renders `fmnist-course bench ablation`'s runs, one row per
variant with its mean and spread over seeds and the verdict of
`fmnist_course.choosing`; `confirmation_table` sets the best recipe against
the variants trained again at its full budget. Both are pure: they read only
their argument (say, `fmnist_course.results.load_results()`), so lesson 07
and the results page show the same numbers.

Examples:
    >>> ablation_table({}).empty, confirmation_table({}).empty
    (True, True)

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.errors import UserError
from fmnist_course.results import DEVICES
from fmnist_course.results_tables import counted, machine_line, named_list


def _points(value: float | None) -> float:
    """A fraction as percent (or percentage points), NaN for `None`."""
    return float("nan") if value is None else round(100 * float(value), 2)


ABLATION_COLUMNS = (
    "removed",
    "seeds",
    "validation accuracy (%)",
    "spread (points)",
    "change (points)",
    "threshold (points)",
    "verdict",
    "validation, model alone (%)",
    "calibration error (%)",
    "training CPU time (s)",
)
"""The columns of `ablation_table`, one row per variant (means over seeds)."""


def _ablation_caption(entry: Mapping[str, Any], device: str) -> str:
    """What the ablation table shows, how it was measured and how to read it."""
    rows = entry["rows"]
    if "epochs" in entry:  # the table's budget; longer runs confirm (elsewhere)
        rows = [row for row in rows if row["epochs"] == entry["epochs"]] or rows
    epochs = sorted({row["epochs"] for row in rows})
    full = rows[0].get("full_recipe_epochs")
    if len(epochs) == 1:
        budget = f"each trained for {counted(epochs[0], 'epoch')}"
        if full and full != epochs[0]:
            budget += f" (the full recipe trains for {full})"
    else:
        budget = f"trained for different epoch budgets ({', '.join(map(str, epochs))})"
    seeds = sorted({row["seed"] for row in rows})
    dates = sorted({row["measured_at"][:10] for row in rows})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    from fmnist_course.choosing import SPREADS  # imports pandas

    reference = entry.get("reference", rows[0]["variant"])
    spreads = entry.get("spreads", SPREADS)
    return " ".join(
        [
            "Every technique of lessons 03, 06 and 07 stacked "
            f"(`RECIPES['{reference}']`), then one removed at a time, {budget}, "
            f"under {named_list('seed', seeds)}, on {rows[0]['train_images']:,} "
            f"training images, scored on {rows[0]['validation_images']:,} "
            f"validation images; on {device.upper()} "
            f"({machine_line(entry['machine'])}), measured {when}.",
            "Accuracy is the mean over seeds, scored as the test set is (with "
            "the recipe's test-time augmentation; 'model alone' without it); "
            "the spread is the seeds' standard deviation. No test image is "
            "scored.",
            f"A change is the variant's mean minus `{reference}`'s, in "
            "percentage points: below 0, the removed technique helped. The "
            f"threshold is {spreads} times the larger spread of the two; a "
            "technique is kept only when removing it costs more than that, "
            "otherwise it is dropped (`fmnist_course.choosing`).",
            "Training time is the mean over seeds of a run's CPU time, all its "
            "threads together: wall time on a shared machine moves with the load.",
        ]
    )


def ablation_table(results: Mapping[str, Any], device: str = "cpu"):
    """The recorded ablation as a DataFrame: one row per variant, for the lessons.

    Pure: reads only its argument (say, `fmnist_course.results.load_results()`).
    Accuracies are means over seeds in percent, changes and spreads in
    percentage points, and each variant's verdict follows the rule of
    `fmnist_course.choosing.ablation_verdicts` (empty for the reference).

    When the results hold no ablation for `device`, the table is empty (with
    the columns below) and its caption says how to measure it, so a lesson
    that shows it still runs; check `table.empty`.

    Args:
        results: The parsed `benchmarks/results.json`.
        device: `"cpu"` or `"gpu"`: whose measurement to show.

    Returns:
        A `pandas.DataFrame` indexed by `variant`, with the columns of
        `ABLATION_COLUMNS`. `table.attrs` holds `caption` (how it was
        measured and how to read it, or why it is empty), `epochs` (the epoch
        budget, `None` when rows differ or there are none), `seeds`,
        `measured_at` (the latest row's UTC timestamp, or `None`) and `device`.

    Raises:
        UserError: `device` is not one of `"cpu"`, `"gpu"`.

    Examples:
        >>> table = ablation_table({})
        >>> table.empty
        True
        >>> print(table.attrs["caption"])  # doctest: +NORMALIZE_WHITESPACE
        No ablation recorded for CPU yet. Run `fmnist-course bench ablation` to
        measure it.
        >>> def row(variant, seed, accuracy):
        ...     return {"variant": variant, "removed": variant, "seed": seed,
        ...             "val_accuracy": accuracy, "val_accuracy_model_alone": 0.92,
        ...             "val_ece": 0.01, "train_cpu_seconds": 90.0, "epochs": 5,
        ...             "full_recipe_epochs": 40, "train_images": 54000,
        ...             "validation_images": 6000,
        ...             "measured_at": "2025-01-02T03:04:05Z"}
        >>> rows = [row("all_techniques", 0, 0.931), row("all_techniques", 1, 0.933),
        ...         row("no_cutout", 0, 0.925), row("no_cutout", 1, 0.926)]
        >>> entry = {"reference": "all_techniques", "rows": rows, "epochs": 5,
        ...          "machine": {"cpu_model": "CPU"},
        ...          "measured_at": "2025-01-02T03:04:05Z"}
        >>> table = ablation_table({"ablation": {"cpu": entry}})
        >>> float(table.loc["no_cutout", "change (points)"])
        -0.65
        >>> table.loc["no_cutout", "verdict"]
        'keep'
        >>> table.attrs["epochs"], table.attrs["seeds"]
        (5, [0, 1])

    """
    # Imported here: the wording helpers above need no pandas.
    import pandas as pd

    from fmnist_course.choosing import SPREADS, ablation_verdicts, seed_summary

    if device not in DEVICES:
        raise UserError(
            f"Expected a device among {', '.join(DEVICES)}. Received: {device!r}"
        )
    section = results.get("ablation") or {}
    entry = section.get(device)
    rows = [
        row for row in (entry or {}).get("rows", []) if row["epochs"] == entry["epochs"]
    ]
    columns = ["variant", *ABLATION_COLUMNS]
    if not rows:
        table = pd.DataFrame([], columns=columns).set_index("variant")
        others = sorted(set(section) - {device})
        elsewhere = f" (recorded for: {', '.join(others).upper()})" if others else ""
        table.attrs.update(
            device=device,
            epochs=None,
            seeds=[],
            measured_at=None,
            caption=f"No ablation recorded for {device.upper()} yet{elsewhere}. "
            "Run `fmnist-course bench ablation` to measure it.",
        )
        return table
    reference = entry.get("reference", rows[0]["variant"])
    spreads = entry.get("spreads", SPREADS)
    scored = seed_summary(rows)
    alone = seed_summary(rows, value="val_accuracy_model_alone")
    ece = seed_summary(rows, value="val_ece")
    seconds = seed_summary(rows, value="train_cpu_seconds")
    verdicts = (
        ablation_verdicts(rows, reference, spreads=spreads)
        if reference in scored.index
        else pd.DataFrame(columns=["change", "threshold", "verdict"])
    )
    removed = {row["variant"]: row["removed"] for row in rows}
    table = pd.DataFrame(
        [
            {
                "variant": variant,
                "removed": removed[variant],
                "seeds": int(scored.loc[variant, "seeds"]),
                "validation accuracy (%)": _points(scored.loc[variant, "mean"]),
                "spread (points)": _points(scored.loc[variant, "spread"]),
                "change (points)": (
                    _points(verdicts.loc[variant, "change"])
                    if variant in verdicts.index
                    else (0.0 if variant == reference else float("nan"))
                ),
                "threshold (points)": (
                    _points(verdicts.loc[variant, "threshold"])
                    if variant in verdicts.index
                    else float("nan")
                ),
                "verdict": (
                    verdicts.loc[variant, "verdict"]
                    if variant in verdicts.index
                    else ""
                ),
                "validation, model alone (%)": _points(alone.loc[variant, "mean"]),
                "calibration error (%)": _points(ece.loc[variant, "mean"]),
                "training CPU time (s)": round(float(seconds.loc[variant, "mean"]), 1),
            }
            for variant in scored.index
        ],
        columns=columns,
    ).set_index("variant")
    epochs = {row["epochs"] for row in rows}
    table.attrs.update(
        device=device,
        epochs=epochs.pop() if len(epochs) == 1 else None,
        seeds=sorted({row["seed"] for row in rows}),
        measured_at=max(row["measured_at"] for row in rows),
        caption=_ablation_caption(entry, device),
    )
    return table


CONFIRMATION_COLUMNS = (
    "seeds",
    "validation accuracy (%)",
    "spread (points)",
    "change (points)",
    "threshold (points)",
    "verdict",
)
"""The columns of `confirmation_table`, one row per recipe."""


def confirmation_table(results: Mapping[str, Any], device: str = "cpu"):
    """The chosen recipe against its runner-up, both at the full budget.

    An ablation at a short budget picks the parts; the recipe it chooses
    (the variant `chosen`) is confirmed against the runner-up by training
    both again for the full recipe's epochs, under the same seeds, scored on
    validation. The runner-up beats `chosen` only when its mean is higher by
    more than `fmnist_course.choosing.SPREADS` times the larger spread;
    otherwise the choice stands.

    Args:
        results: The parsed `benchmarks/results.json`.
        device: `"cpu"` or `"gpu"`.

    Returns:
        A DataFrame indexed by variant (`chosen` first), with the columns of
        `CONFIRMATION_COLUMNS`; empty when nothing is recorded at another
        budget than the ablation's. `table.attrs` holds `caption` and
        `epochs` (the confirmation's budget, or `None`).

    Examples:
        >>> def runs(variant, *accuracies):
        ...     return [{"variant": variant, "seed": s, "epochs": 40,
        ...              "val_accuracy": a} for s, a in enumerate(accuracies)]
        >>> rows = runs("chosen", .945, .95, .946) + runs("no_cutout", .944, .949, .947)
        >>> entry = {"epochs": 5, "rows": rows}
        >>> table = confirmation_table({"ablation": {"cpu": entry}})
        >>> table["verdict"].tolist()
        ['', 'chosen stands']

    """
    import pandas as pd

    from fmnist_course.choosing import SPREADS, ablation_verdicts, seed_summary

    entry = (results.get("ablation") or {}).get(device) or {}
    full = [row for row in entry.get("rows", []) if row["epochs"] != entry["epochs"]]
    budgets = sorted({row["epochs"] for row in full})
    columns = ["variant", *CONFIRMATION_COLUMNS]
    if not full:
        table = pd.DataFrame([], columns=columns).set_index("variant")
        table.attrs.update(
            epochs=None,
            caption="The ablation's choice is not confirmed at the full budget yet: "
            "run `fmnist-course bench ablation --variants chosen RUNNER_UP "
            "--epochs 40`.",
        )
        return table
    budget = budgets[-1]
    full = [row for row in full if row["epochs"] == budget]
    spreads = entry.get("spreads", SPREADS)
    summary = seed_summary(full)
    order = [*(["chosen"] if "chosen" in summary.index else []), *summary.index]
    lines = []
    for variant in dict.fromkeys(order):
        values = summary.loc[variant]
        line = {
            "variant": variant,
            "seeds": int(values["seeds"]),
            "validation accuracy (%)": _points(values["mean"]),
            "spread (points)": _points(values["spread"]),
            "change (points)": float("nan"),
            "threshold (points)": float("nan"),
            "verdict": "",
        }
        if variant != "chosen" and "chosen" in summary.index:
            # The ablation's rule read the other way round: the variant is the
            # reference, and going back to `chosen` is the part removed.
            pair = [row for row in full if row["variant"] in (variant, "chosen")]
            said = ablation_verdicts(pair, variant, spreads=spreads).loc["chosen"]
            line.update(
                {
                    "change (points)": _points(-said["change"]),
                    "threshold (points)": _points(said["threshold"]),
                    "verdict": {
                        "keep": "beats chosen",
                        "drop": "chosen stands",
                        "undecided": "undecided",
                    }[said["verdict"]],
                }
            )
        lines.append(line)
    table = pd.DataFrame(lines, columns=columns).set_index("variant")
    seeds = sorted({row["seed"] for row in full})
    table.attrs.update(
        epochs=budget,
        caption=(
            f"The ablation's choice (`chosen`) against its runner-up, each trained "
            f"for {counted(budget, 'epoch')} under {named_list('seed', seeds)}, "
            "on validation scored as the test set is. A change is the variant's "
            "mean minus chosen's; a variant beats chosen only when its mean is "
            f"higher by more than {spreads} times the larger spread, under at "
            "least two shared seeds (else it is undecided)."
        ),
    )
    return table
