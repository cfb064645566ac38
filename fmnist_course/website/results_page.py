"""The results page: every measured number of `benchmarks/results.json`.

The ladder, speed, time-to-accuracy and target tables are the README's
(`fmnist_course.bench.report.render_results_markdown`); the other sections are
listed measure by measure, and `ladder_plot` draws the ladder as a bar chart.

Examples:
    >>> "Not measured yet: ladder" in results_page({}, None)
    True

"""

from __future__ import annotations

import io
import json
from typing import Any

import matplotlib
from matplotlib.figure import Figure

matplotlib.use("Agg")  # the site is built without a screen

from fmnist_course.bench.report import render_results_markdown

ORIGINAL_ACCURACY = 0.8746
"""Test accuracy the original challenge notebook reported after 100 epochs."""

RESULTS_COMMANDS = {
    "ladder": "fmnist-course bench ladder",
    "speed": "fmnist-course bench speed",
    "speed_levers": "fmnist-course bench levers",
    "time_to_accuracy": "fmnist-course bench time-to-accuracy",
    "course_runtime": "fmnist-course site build",
    "tuning": "fmnist-course tune",
}


def ladder_plot(rows: list[dict[str, Any]]) -> bytes:
    """A PNG bar chart of test accuracy per recipe, with the original's mark."""
    labels = [f"{row.get('lesson', '')} {row.get('model', '')}".strip() for row in rows]
    accuracies = [100 * float(row.get("test_accuracy", 0.0)) for row in rows]
    figure = Figure(figsize=(7, 0.5 * len(rows) + 1.5))
    axes = figure.subplots()
    axes.barh(labels, accuracies, color="#3f51b5")
    axes.axvline(
        100 * ORIGINAL_ACCURACY,
        color="#e53935",
        linestyle="--",
        label="original challenge (reported)",
    )
    for y, accuracy in enumerate(accuracies):
        axes.text(accuracy, y, f" {accuracy:.2f}%", va="center")
    lowest = min([*accuracies, 100 * ORIGINAL_ACCURACY])
    axes.set_xlim(max(0.0, lowest - 5), 100)
    axes.invert_yaxis()
    axes.set_xlabel("test accuracy (%)")
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _section_markdown(name: str, value: Any) -> str:
    flat: list[tuple[str, Any]] = []

    def walk(prefix: str, item: Any) -> None:
        if isinstance(item, dict):
            for key, sub in item.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        else:
            flat.append((prefix, item))

    walk("", value)
    lines = ["| measure | value |", "|---|---|"]
    for key, item in flat:
        shown = json.dumps(item) if isinstance(item, (list, dict)) else item
        lines.append(f"| `{key}` | {shown} |")
    return "\n".join(lines)


def results_page(results: dict[str, Any], plot_name: str | None) -> str:
    """The Markdown of the results page, from the results mapping only.

    The ladder, speed, time-to-accuracy and target tables are the ones the
    README shows (`render_results_markdown`); the other sections, such as the
    hyperparameter search, are listed measure by measure.
    """
    parts = [
        "# Results",
        "",
        "Every number on this page is read from `benchmarks/results.json`, which "
        "the benchmark commands write; none is typed by hand. The original "
        f"challenge notebook reported {ORIGINAL_ACCURACY:.2%}.",
        "",
        render_results_markdown(results),
    ]
    if plot_name:
        parts += [f"![Test accuracy per recipe]({plot_name})", ""]
    for key, command in RESULTS_COMMANDS.items():
        if key not in results:
            what = key.replace("_", " ")
            parts += [f"Not measured yet: {what}. Run `{command}`.", ""]
    covered = {
        "ladder",
        "speed",
        "speed_levers",
        "time_to_accuracy",
        "course_runtime",
        "targets",
    }
    for key in [key for key in results if key not in covered]:
        parts += [f"### {key.replace('_', ' ').capitalize()}", ""]
        parts += [_section_markdown(key, results[key]), ""]
    return "\n".join(parts)
