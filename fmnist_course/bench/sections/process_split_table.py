"""The results section of `bench processes`: processes or threads on the cores.

One table per device: N processes of one thread each against one process of
N threads, training one recipe briefly, in images per second and per
CPU-second, and the ratio that says whether a second process pays more than a
second thread.

Examples:
    >>> process_split_markdown({})
    []

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.wording import counted, machine_line


def process_split_markdown(split: Mapping[str, Any]) -> list[str]:
    r"""The arrangements of each device's `process_split`, and their ratio.

    Examples:
        >>> machine = {"cpu_model": "Test CPU", "logical_cores": 2}
        >>> arrangements = [
        ...     {"name": "1x2", "processes": 1, "threads": 2,
        ...      "images_per_second": 1000.0, "images_per_cpu_second": 600.0,
        ...      "runs": [{"images_per_second": 1000.0}]},
        ...     {"name": "2x1", "processes": 2, "threads": 1,
        ...      "images_per_second": 1300.0, "images_per_cpu_second": 690.0,
        ...      "runs": [{"images_per_second": 1300.0}]}]
        >>> entry = {"recipe": "cnn", "train_images": 6000, "epochs": 1,
        ...          "repeats": 1, "processes": 2, "order": ["1x2", "2x1"],
        ...          "arrangements": arrangements, "ratio": 1.3,
        ...          "cpu_ratio": 1.15, "machine": machine}
        >>> print("\n".join(process_split_markdown({"cpu": entry})[6:10]))
        | arrangement | images/s | images/CPU-s | runs (images/s) |
        |---|---:|---:|---|
        | 1 process x 2 threads | 1,000 | 600 | 1,000 |
        | 2 processes x 1 thread | 1,300 | 690 | 1,300 |

    """
    if not split:
        return []
    lines = [
        "### Processes or threads",
        "",
        "The course keeps the cores busy with processes: `site build` runs "
        "lessons side by side and `bench ladder` trains seeds at once, each "
        "process with its share of the threads. `fmnist-course bench processes` "
        "checks that bet in one run, on a short training of one recipe.",
        "",
    ]
    for device in ("cpu", "gpu"):
        entry = split.get(device)
        if not entry:
            continue
        lines += [
            f"On {device.upper()} ({machine_line(entry['machine'])}): "
            f"`{entry['recipe']}` on {entry['train_images']:,} images for "
            f"{counted(entry['epochs'], 'epoch')} per process, each arrangement "
            f"{counted(entry['repeats'], 'time')} "
            f"(in the order {', '.join(entry['order'])}):",
            "",
            "| arrangement | images/s | images/CPU-s | runs (images/s) |",
            "|---|---:|---:|---|",
        ]
        for arrangement in entry["arrangements"]:
            runs = ", ".join(
                f"{run['images_per_second']:,.0f}" for run in arrangement["runs"]
            )
            processes = arrangement["processes"]
            lines.append(
                f"| {processes} process{'' if processes == 1 else 'es'} x "
                f"{counted(arrangement['threads'], 'thread')} "
                f"| {arrangement['images_per_second']:,.0f} "
                f"| {arrangement['images_per_cpu_second']:,.0f} | {runs} |"
            )
        many = entry["processes"]
        lines += [
            "",
            f"{many} processes of 1 thread train **{entry['ratio']:.2f}x** the "
            f"images per second of 1 process of {many} threads "
            f"({entry['cpu_ratio']:.2f}x per CPU-second): "
            + (
                "processes pay."
                if entry["ratio"] > 1
                else "a second process pays no more than a second thread."
            ),
            "",
        ]
    return lines
