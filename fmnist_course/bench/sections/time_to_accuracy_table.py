"""The results section of the race to an accuracy: original recipe vs course's.

One table per device of `bench time-to-accuracy`: each recipe's training time
until its test accuracy first reaches the threshold, and their ratio.

Examples:
    >>> time_to_accuracy_markdown({})
    ['### Time to accuracy', '']

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.wording import machine_line


def time_to_accuracy_markdown(races: Mapping[str, Any]) -> list[str]:
    """Each recipe's training time to the threshold, and their ratio, per device."""
    lines = ["### Time to accuracy", ""]
    for device in ("cpu", "gpu"):
        entry = races.get(device)
        if not entry:
            continue
        lines += [
            f"On {device.upper()} ({machine_line(entry['machine'])}), "
            f"training time until the test accuracy first reaches "
            f"{entry['threshold']:.1%}:",
            "",
            "| recipe | reached | epochs | epoch budget | training time |",
            "|---|---|---:|---:|---:|",
        ]
        for side in ("original", "course"):
            run = entry[side]
            reached = "yes" if run["reached"] else "no (budget spent)"
            lines.append(
                f"| {side}: `{run['recipe']}` | {reached} | {run['epochs']} "
                f"| {run.get('max_epochs', '?')} | {run['train_seconds']:.1f} s |"
            )
        ratio = entry["ratio"]
        if ratio is None:
            lines += ["", "Ratio: not defined (the course recipe did not reach it)."]
        else:
            bound = ">= " if entry.get("ratio_is_lower_bound") else ""
            lines += ["", f"Ratio original/course: **{bound}{ratio:.2f}x**."]
        lines.append("")
    return lines
