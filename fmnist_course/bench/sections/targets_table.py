"""The results section of the course's targets: each one, measured and met or not.

The targets themselves (what is measured against what) are policy, kept in
`fmnist_course.bench.targets`; this module only renders their verdicts.

Examples:
    >>> targets_markdown({})[0]
    '### Targets'

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.wording import counted, format_measured


def targets_markdown(targets: Mapping[str, list[Mapping[str, Any]]]) -> list[str]:
    """One row per target and device: measured, and met or not.

    A target's `note` (which lesson was slowest, why nothing was measured)
    follows its measured value in parentheses.

    Examples:
        >>> row = {"name": "course_cpu_time", "target": "within 40 CPU-minutes",
        ...        "measured": None, "unit": "CPU-minutes", "met": False,
        ...        "note": "not measured: run `fmnist-course site build --force`"}
        >>> targets_markdown({"cpu": [row]})[-2]
        '| CPU | within 40 CPU-minutes | not measured: run `fmnist-course site build --force` | no |'

    """  # noqa: E501
    lines = [
        "### Targets",
        "",
        "| device | target | measured | met |",
        "|---|---|---:|---|",
    ]
    for device, device_targets in sorted(targets.items()):
        for target in device_targets:
            measured = target["measured"]
            shown = format_measured(measured, target.get("unit", "ratio"))
            if "num_seeds" in target and measured is not None:
                shown += f" ({counted(target['num_seeds'], 'seed')})"
            if target.get("note"):
                note = target["note"]
                shown = note if measured is None else f"{shown} ({note})"
            lines.append(
                f"| {device.upper()} | {target['target']} | {shown} "
                f"| {'yes' if target['met'] else 'no'} |"
            )
    return [*lines, ""]
