"""The results section on calibration: how far the best model's confidence holds.

Two tables per device, read from the record by `fmnist_course.calibration_record`:
the shipped model's accuracy, mean confidence and expected calibration error
on the test set, alone and with test-time augmentation, with its reliability
table bin by bin (`bench calibration`); and, when the ablation records it,
the validation ECE with and without label smoothing, over its seeds
(`bench ablation`).

Examples:
    >>> calibration_markdown({})
    []

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.wording import counted
from fmnist_course.calibration_record import (
    ECE_KEYS,
    SCORINGS,
    label_smoothing_calibration,
    recorded_calibration,
)
from fmnist_course.results import DEVICES

HEADING = "### Calibration: how far to trust a confidence"


def _bins_markdown(entry: Mapping[str, Any]) -> list[str]:
    """The reliability tables side by side: one row per non-empty bin."""
    scorings = entry["scorings"]
    names = list(scorings)
    header = "| confidence bin | " + " | ".join(
        f"{SCORINGS.get(name, name)}: images, mean confidence, accuracy"
        for name in names
    )
    lines = [header + " |", "|---|" + "---:|" * len(names)]
    for index, first in enumerate(scorings[names[0]]["table"]):
        cells = []
        for name in names:
            row = scorings[name]["table"][index]
            cells.append(
                "—"
                if not row["images"]
                else f"{row['images']:,}, {row['confidence']:.2%}, "
                f"{row['accuracy']:.2%}"
            )
        if any(cell != "—" for cell in cells):
            lines.append(
                f"| {first['low']:.2f}–{first['high']:.2f} | "
                + " | ".join(cells)
                + " |"
            )
    return lines


def _best_model_markdown(results: Mapping[str, Any], device: str) -> list[str]:
    table = recorded_calibration(results, device)
    if table.empty:
        return []
    lines = [
        f"{device.upper()}. {table.attrs['caption']} A model is calibrated when "
        "its mean confidence equals its accuracy in every bin; the ECE is the "
        "gap, weighted by the images in each bin (0 is perfect).",
        "",
        "| scoring | accuracy | mean confidence | overconfidence (points) | ECE |",
        "|---|---:|---:|---:|---:|",
    ]
    for scoring, row in table.iterrows():
        lines.append(
            f"| {scoring} | {row['accuracy']:.2%} | {row['mean confidence']:.2%} "
            f"| {100 * row['overconfidence']:+.2f} | {row['ECE']:.4f} |"
        )
    return [*lines, "", *_bins_markdown(table.attrs["entry"]), ""]


def _shown(value: Any, template: str) -> str:
    """`value` through `template`, or "?" when it was not recorded."""
    return "?" if value is None or value != value else template.format(value)


def _smoothing_markdown(results: Mapping[str, Any], device: str) -> list[str]:
    entry = (results.get("ablation") or {}).get(device) or {}
    table = label_smoothing_calibration(entry.get("rows", []))
    if table.empty:
        return []
    labels = list(ECE_KEYS.values())
    lines = [
        f"{device.upper()}. Label smoothing and calibration: the ablation's "
        "validation ECE with and without label smoothing, mean ± standard "
        "deviation over its seeds.",
        "",
        "| variant | label smoothing | epochs | seeds | "
        + " | ".join(f"validation ECE, {label}" for label in labels)
        + " |",
        "|---|---:|---:|---:|" + "---:|" * len(labels),
    ]
    for variant, row in table.iterrows():
        cells = [
            f"{row[f'ECE {label}']:.4f} ± {row[f'ECE {label} (std)']:.4f}"
            for label in labels
        ]
        smoothing, epochs = row["label smoothing"], row["epochs"]
        lines.append(
            f"| `{variant}` | {_shown(smoothing, '{:g}')} | "
            f"{_shown(epochs, '{:.0f}')} | {counted(int(row['seeds']), 'seed')} | "
            + " | ".join(cells)
            + " |"
        )
    return [*lines, ""]


def calibration_markdown(results: Mapping[str, Any]) -> list[str]:
    """The calibration section: the best model's, then label smoothing's.

    Args:
        results: The parsed `benchmarks/results.json`.

    Returns:
        Markdown lines; empty when neither is recorded.

    Examples:
        >>> rows = [{"variant": "all_techniques", "seed": 0, "epochs": 10,
        ...          "recipe": {"label_smoothing": 0.1}, "val_ece": 0.03,
        ...          "val_ece_model_alone": 0.04}]
        >>> lines = calibration_markdown({"ablation": {"cpu": {"rows": rows}}})
        >>> lines[0], lines[-2]
        ('### Calibration: how far to trust a confidence', '| `all_techniques` | 0.1 | 10 | 1 seed | 0.0300 ± 0.0000 | 0.0400 ± 0.0000 |')

    """  # noqa: E501
    parts: list[str] = []
    for device in DEVICES:
        parts += _best_model_markdown(results, device)
        parts += _smoothing_markdown(results, device)
    if not parts:
        return []
    return [HEADING, "", *parts]
