"""Recorded calibration as numbers and tables a lesson can show.

`fmnist-course bench calibration` scores the shipped `best` model on the
10,000 test images twice, alone and averaged over ten views (test-time
augmentation), and records in `results.json` (`calibration`, per device)
what `calibration_summary` computes for each: accuracy, mean confidence,
expected calibration error and the reliability table. `recorded_calibration`
and `recorded_reliability_tables` read that record back, for the results
page and lesson 08; `label_smoothing_calibration` reads the validation ECE
that the ablation records (`ablation`, one row per variant and seed), with
and without label smoothing. All are pure: they read only their arguments.

Examples:
    >>> summary = calibration_summary([[0.9, 0.1], [0.6, 0.4]], [0, 0], bins=5)
    >>> summary["accuracy"], summary["mean_confidence"], summary["ece"]
    (1.0, 0.75, 0.25)

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fmnist_course.calibration import (
    CALIBRATION_BINS,
    reliability_table,
    table_calibration_error,
)
from fmnist_course.errors import UserError
from fmnist_course.results import DEVICES

SCORINGS = {
    "model_alone": "model alone",
    "test_time_augmentation": "ten views (test-time augmentation)",
}
"""The two ways the shipped model is scored, as recorded and as shown."""

SMOOTHING_VARIANTS = ("all_techniques", "no_label_smoothing")
"""The ablation's variants that differ in label smoothing alone."""

ECE_KEYS = {"val_ece": "with TTA", "val_ece_model_alone": "model alone"}
"""The validation ECE an ablation row records, scored with test-time
augmentation (as the recipe scores) and without."""

DIGITS = 4
"""Decimal places the record keeps of a fraction."""


def calibration_summary(
    probabilities, labels, bins: int = CALIBRATION_BINS
) -> dict[str, Any]:
    """Accuracy, mean confidence, ECE and reliability table, JSON-ready.

    Args:
        probabilities: Predicted class probabilities, shape `(images, classes)`.
        labels: The true class of each image, shape `(images,)`.
        bins: Confidence bins of equal width (`reliability_table`).

    Returns:
        `accuracy`, `mean_confidence`, `ece` (rounded to `DIGITS` places) and
        `table`, the reliability table's rows with `None` in an empty bin.

    Raises:
        UserError: As `reliability_table` says.

    Examples:
        >>> calibration_summary([[1.0, 0.0]], [1], bins=2)["table"][1]
        {'low': 0.5, 'high': 1.0, 'images': 1, 'confidence': 1.0, 'accuracy': 0.0}

    """
    table = reliability_table(probabilities, labels, bins)
    rows = [
        {
            "low": round(float(row.low), DIGITS),
            "high": round(float(row.high), DIGITS),
            "images": int(row.images),
            "confidence": None
            if row.images == 0
            else round(float(row.confidence), DIGITS),
            "accuracy": None if row.images == 0 else round(float(row.accuracy), DIGITS),
        }
        for row in table.itertuples()
    ]
    filled = table[table["images"] > 0]
    images = filled["images"].sum()
    return {
        "accuracy": round(
            float((filled["accuracy"] * filled["images"]).sum() / images), DIGITS
        ),
        "mean_confidence": round(
            float((filled["confidence"] * filled["images"]).sum() / images), DIGITS
        ),
        "ece": round(table_calibration_error(table), DIGITS),
        "table": rows,
    }


def _entry(results: Mapping[str, Any], device: str) -> Mapping[str, Any] | None:
    if device not in DEVICES:
        raise UserError(
            f"Expected a device among {', '.join(DEVICES)}. Received: {device!r}"
        )
    return (results.get("calibration") or {}).get(device)


def recorded_calibration(
    results: Mapping[str, Any], device: str = "cpu"
) -> pd.DataFrame:
    """The recorded calibration of the shipped model, one row per scoring.

    Args:
        results: The parsed `benchmarks/results.json`.
        device: `"cpu"` or `"gpu"`: whose measurement to show.

    Returns:
        Columns `accuracy`, `mean confidence`, `overconfidence` (the mean
        confidence minus the accuracy) and `ECE`, as fractions, indexed by
        scoring; `attrs["caption"]` says which model, seed and images, and
        `attrs["entry"]` holds the record. Empty when nothing is recorded.

    Raises:
        UserError: `device` is not one of `"cpu"`, `"gpu"`.

    Examples:
        >>> recorded_calibration({}).empty
        True
        >>> alone = {"accuracy": 0.94, "mean_confidence": 0.97, "ece": 0.03,
        ...          "table": []}
        >>> entry = {"model": "best", "seed": 0, "fingerprint_sha256": "ab12cd34ef",
        ...          "test_images": 10000, "bins": 15,
        ...          "measured_at": "2026-12-05T04:00:00Z",
        ...          "scorings": {"model_alone": alone}}
        >>> table = recorded_calibration({"calibration": {"cpu": entry}})
        >>> table.round(2).to_dict("index")
        ... # doctest: +NORMALIZE_WHITESPACE
        {'model alone': {'accuracy': 0.94, 'mean confidence': 0.97,
        'overconfidence': 0.03, 'ECE': 0.03}}
        >>> print(table.attrs["caption"])  # doctest: +NORMALIZE_WHITESPACE
        The shipped `best` model (seed 0, fingerprint ab12cd34), on 10,000 test
        images, in 15 confidence bins; measured 2026-12-05T04:00:00Z.

    """
    entry = _entry(results, device)
    if not entry:
        return pd.DataFrame(
            columns=["accuracy", "mean confidence", "overconfidence", "ECE"]
        )
    rows = {
        SCORINGS.get(key, key): {
            "accuracy": scoring["accuracy"],
            "mean confidence": scoring["mean_confidence"],
            "overconfidence": scoring["mean_confidence"] - scoring["accuracy"],
            "ECE": scoring["ece"],
        }
        for key, scoring in entry["scorings"].items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs["caption"] = (
        f"The shipped `{entry['model']}` model (seed {entry['seed']}, fingerprint "
        f"{entry['fingerprint_sha256'][:8]}), on {entry['test_images']:,} test "
        f"images, in {entry['bins']} confidence bins; measured "
        f"{entry['measured_at']}."
    )
    table.attrs["entry"] = dict(entry)
    return table


def recorded_reliability_tables(
    results: Mapping[str, Any], device: str = "cpu"
) -> dict[str, pd.DataFrame]:
    """The recorded reliability tables, by scoring, for `plot_reliability`.

    Examples:
        >>> recorded_reliability_tables({})
        {}
        >>> row = {"low": 0.5, "high": 1.0, "images": 2, "confidence": 0.9,
        ...        "accuracy": 1.0}
        >>> entry = {"scorings": {"model_alone": {"table": [row]}}}
        >>> tables = recorded_reliability_tables({"calibration": {"cpu": entry}})
        >>> list(tables), tables["model alone"]["images"].tolist()
        (['model alone'], [2])

    """
    entry = _entry(results, device) or {}
    return {
        SCORINGS.get(key, key): pd.DataFrame(scoring["table"]).astype(
            {"confidence": float, "accuracy": float}
        )
        for key, scoring in entry.get("scorings", {}).items()
    }


def label_smoothing_calibration(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Validation ECE with and without label smoothing, mean and std over seeds.

    Reads the ablation's rows (one per variant and seed): those of
    `SMOOTHING_VARIANTS` that record `val_ece` and `val_ece_model_alone`
    (`ECE_KEYS`). Older records lack them; then the table is empty.

    Args:
        rows: The ablation rows of one device (`results["ablation"][device]
            ["rows"]`).

    Returns:
        One row per variant and epoch budget: `label smoothing`, `epochs`,
        `seeds`, and for each of `ECE_KEYS` the mean over seeds and the
        sample standard deviation (0 for one seed). Empty when no row
        records the ECE.

    Examples:
        >>> rows = [
        ...     {"variant": "all_techniques", "seed": 0, "epochs": 10,
        ...      "recipe": {"label_smoothing": 0.1},
        ...      "val_ece": 0.031, "val_ece_model_alone": 0.042},
        ...     {"variant": "all_techniques", "seed": 1, "epochs": 10,
        ...      "recipe": {"label_smoothing": 0.1},
        ...      "val_ece": 0.035, "val_ece_model_alone": 0.046},
        ...     {"variant": "no_label_smoothing", "seed": 0, "epochs": 10,
        ...      "recipe": {"label_smoothing": 0.0},
        ...      "val_ece": 0.012, "val_ece_model_alone": 0.02},
        ...     {"variant": "no_cutout", "seed": 0, "epochs": 10, "val_ece": 0.5},
        ... ]
        >>> table = label_smoothing_calibration(rows)
        >>> print(table[["label smoothing", "seeds", "ECE with TTA",
        ...              "ECE with TTA (std)"]].round(4).to_string())
        ... # doctest: +NORMALIZE_WHITESPACE
                            label smoothing  seeds  ECE with TTA  ECE with TTA (std)
        variant
        all_techniques                  0.1      2         0.033              0.0028
        no_label_smoothing              0.0      1         0.012              0.0000
        >>> label_smoothing_calibration([{"variant": "all_techniques"}]).empty
        True

    """
    kept = [
        row
        for row in rows
        if row.get("variant") in SMOOTHING_VARIANTS
        and all(row.get(key) is not None for key in ECE_KEYS)
    ]
    columns = ["label smoothing", "epochs", "seeds"]
    for label in ECE_KEYS.values():
        columns += [f"ECE {label}", f"ECE {label} (std)"]
    if not kept:
        return pd.DataFrame(columns=columns).rename_axis("variant")
    frame = pd.DataFrame(
        {
            "variant": row["variant"],
            "epochs": row.get("epochs"),
            "label smoothing": (row.get("recipe") or {}).get("label_smoothing"),
            **{key: row[key] for key in ECE_KEYS},
        }
        for row in kept
    )
    table = []
    for (variant, epochs), group in frame.groupby(
        ["variant", "epochs"], sort=False, dropna=False
    ):
        line = {
            "variant": variant,
            "label smoothing": group["label smoothing"].iloc[0],
            "epochs": epochs,
            "seeds": len(group),
        }
        for key, label in ECE_KEYS.items():
            line[f"ECE {label}"] = group[key].mean()
            line[f"ECE {label} (std)"] = (
                float(np.std(group[key], ddof=1)) if len(group) > 1 else 0.0
            )
        table.append(line)
    order = {name: index for index, name in enumerate(SMOOTHING_VARIANTS)}
    table.sort(key=lambda line: (order[line["variant"]], line["epochs"] or 0))
    return pd.DataFrame(table).set_index("variant")[columns]
