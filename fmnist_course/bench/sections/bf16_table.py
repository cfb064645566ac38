"""The results section of the ladder in bfloat16 against the ladder in float32.

One table per device that has rows in both, from
`fmnist_course.bf16_tables.bf16_comparison`: each recipe's validation and test
accuracy in both precisions over their shared seeds, the change, the
threshold, the CPU time per seed and their ratio, and whether bfloat16 lost
accuracy by the course's rule. Nothing is shown until a bfloat16 row is
recorded (`fmnist-course bench ladder --precision bfloat16`).

Examples:
    >>> bf16_markdown({})
    []

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bf16_tables import BF16_SECTION, bf16_comparison
from fmnist_course.results import DEVICES

VERDICTS = {
    "no loss": "no loss in mean accuracy: every recipe of the ladder is within "
    "the threshold in bfloat16",
    "loss": "a loss: at least one recipe's mean accuracy is lower in bfloat16 by "
    "more than the threshold",
    "undecided": "undecided: not every recipe of the ladder is recorded in "
    "bfloat16 under at least two shared seeds",
}
"""How the ladder's verdict (`table.attrs["verdict"]`) is worded under the table."""


def _cell(column: str, value: Any) -> str:
    """One cell: points signed, percents and ratios with two places, — for NaN."""
    if isinstance(value, float):
        if value != value:
            return "—"
        if "change" in column:
            return f"{value:+.2f}"
        if "ratio" in column:
            return f"{value:.3f}"
        if "CPU-s" in column:
            return f"{value:,.1f}"
        return f"{value:.2f}"
    return str(value)


def bf16_markdown(results: Mapping[str, Any]) -> list[str]:
    """The bfloat16 ladder beside the float32 one, per device, with the verdict.

    Examples:
        >>> def row(accuracy, cpu):
        ...     runs = [{"seed": s, "test_accuracy": accuracy,
        ...              "validation_accuracy": accuracy, "train_cpu_seconds": cpu}
        ...             for s in (0, 1, 2)]
        ...     return {"lesson": "01", "model": "dense", "device": "cpu",
        ...             "runs": runs, "machine": {"cpu_model": "CPU"}}
        >>> lines = bf16_markdown({"ladder": [row(0.89, 12.0)],
        ...                        "ladder_bf16": [row(0.89, 9.0)]})
        >>> lines[0]
        '### Lesson ladder in bfloat16 against float32'
        >>> lines[4].startswith("| model | lesson | seeds |")
        True
        >>> lines[6]
        '| `dense` | 01 | 3 | 89.00 | 89.00 | +0.00 | 0.00 | 89.00 | 89.00 | +0.00 | 0.00 | 12.0 | 9.0 | 0.750 | no loss |'

    """  # noqa: E501
    if not results.get(BF16_SECTION):
        return []
    lines = ["### Lesson ladder in bfloat16 against float32", ""]
    for device in DEVICES:
        table = bf16_comparison(results, device)
        if table.empty:
            continue
        columns = list(table.columns)
        lines += [
            table.attrs["caption"],
            "",
            "| model | " + " | ".join(columns) + " |",
            "|---|" + "---|" * len(columns),
        ]
        for model, row in table.iterrows():
            cells = [_cell(column, value) for column, value in row.items()]
            lines.append(f"| `{model}` | " + " | ".join(cells) + " |")
        lines += [
            "",
            f"On {device.upper()}, the verdict for the ladder: "
            f"**{VERDICTS[table.attrs['verdict']]}**.",
            "",
        ]
    return lines if len(lines) > 2 else []
