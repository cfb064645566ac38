"""The results section of the course runtime: every lesson, timed in full mode.

One table per device of the last `fmnist-course site build`: each lesson's
wall time and CPU time, what the CPU time means on that machine, and how fast
the machine was while the build ran.

Examples:
    >>> course_runtime_markdown({})[0]
    '### Course runtime'

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.wording import counted, machine_line
from fmnist_course.settings import BATCH_SIZE


def course_runtime_markdown(runtime: Mapping[str, Any]) -> list[str]:
    """Each lesson's runtime in the last full build, per device."""
    lines = [
        "### Course runtime",
        "",
        "How long `make course` takes: it executes every lesson in full mode, "
        "and the time scales with the machine's speed (a machine half as fast "
        "takes about twice as long).",
        "",
    ]
    for device in ("cpu", "gpu"):
        entry = runtime.get(device)
        if not entry:
            continue
        lines += [
            f"Every lesson executed in full mode on the real data by "
            f"`fmnist-course site build`, on {device.upper()} "
            f"({machine_line(entry['machine'])}):",
            "",
        ]
        cpu = "total_cpu_seconds" in entry
        lines += (
            ["| lesson | runtime | CPU time |", "|---|---:|---:|"]
            if cpu
            else ["| lesson | runtime |", "|---|---:|"]
        )
        rows = [
            (lesson["lesson"], lesson["seconds"], lesson.get("cpu_seconds"), "")
            for lesson in entry["lessons"]
        ]
        rows.append(
            (
                "all lessons",
                entry["total_seconds"],
                entry.get("total_cpu_seconds"),
                "**",
            )
        )
        for name, seconds, cpu_seconds, bold in rows:
            cells = [name, f"{seconds / 60:.1f} min"]
            if cpu:
                cells.append(f"{cpu_seconds / 60:.1f} min")
            lines.append("| " + " | ".join(f"{bold}{c}{bold}" for c in cells) + " |")
        lines.append("")
        if "wall_seconds" in entry:
            lines += [wall_sentence(entry), ""]
        if cpu:
            lines += [cpu_floor_sentence(entry), ""]
        if entry.get("machine_speed"):
            lines += [machine_speed_sentence(entry["machine_speed"], entry), ""]
    return lines


def wall_sentence(entry: Mapping[str, Any]) -> str:
    """How long the build took when it ran lessons side by side.

    Examples:
        >>> wall_sentence({"wall_seconds": 1500.0, "jobs": 2})
        'The build ran 2 lessons at once: 25.0 minutes of wall time in all.'

    """
    return (
        f"The build ran {counted(entry.get('jobs', '?'), 'lesson')} at once: "
        f"{entry['wall_seconds'] / 60:.1f} minutes of wall time in all."
    )


def cpu_floor_sentence(entry: Mapping[str, Any]) -> str:
    """What the course's CPU time means for its wall time on this machine.

    Examples:
        >>> print(cpu_floor_sentence({"total_cpu_seconds": 4200.0,
        ...                            "total_seconds": 3000.0,
        ...                            "machine": {"logical_cores": 2}}))
        ... # doctest: +NORMALIZE_WHITESPACE
        CPU time is what the lessons' kernels used, all threads together: 70.0
        CPU-minutes in all. On 2 logical cores, both busy all the time, that is
        about 35.0 minutes of wall time at best, however lightly loaded the
        host. In this build the kernels kept 1.40 cores busy on average.

    A build that ran lessons side by side averages over its wall time
    (`wall_seconds`), not over the sum of the lessons' times.

    """
    cores = entry["machine"].get("logical_cores") or 1
    minutes = entry["total_cpu_seconds"] / 60
    busy = {1: "", 2: "both "}.get(cores, "all ")
    elapsed = entry.get("wall_seconds") or entry["total_seconds"]
    average = entry["total_cpu_seconds"] / elapsed
    return (
        "CPU time is what the lessons' kernels used, all threads together: "
        f"{minutes:.1f} CPU-minutes in all. On {counted(cores, 'logical core')}, "
        f"{busy}busy all the time, that is about {minutes / cores:.1f} minutes "
        "of wall time at best, however lightly loaded the host. In this build "
        f"the kernels kept {average:.2f} cores busy on average."
    )


def machine_speed_sentence(
    reading: Mapping[str, Any], runtime: Mapping[str, Any]
) -> str:
    """How fast the machine was while the build ran its lessons.

    Readings recorded before they had images per CPU-second, or their length,
    are shown without them.

    Examples:
        >>> reading = {"before_images_per_second": 2468.2,
        ...            "before_images_per_cpu_second": 1309.4,
        ...            "after_images_per_second": 2303.0,
        ...            "after_images_per_cpu_second": 1223.0,
        ...            "timed_seconds": 20.0, "lessons_executed": ["00_the_data"]}
        >>> print(machine_speed_sentence(reading, {"lessons": [{}]}))
        ... # doctest: +NORMALIZE_WHITESPACE
        Machine speed during this build (all lessons executed): a plain
        `model.fit` of the challenge model at batch 128, timed for 20 s,
        trained 2,468 images/s (1,309 per CPU-second) just before the lessons
        and 2,303 images/s (1,223 per CPU-second) just after. The same machine
        is not always this fast: compare with the plain `fit` speed in the
        training-speed table.

    """
    executed = reading["lessons_executed"]
    which = (
        "all lessons"
        if len(executed) == len(runtime["lessons"])
        else "lessons " + ", ".join(stem.split("_", 1)[0] for stem in executed)
    )
    timed = reading.get("timed_seconds")
    per_cpu = "before_images_per_cpu_second" in reading

    def speed(when: str) -> str:
        text = f"{reading[f'{when}_images_per_second']:,.0f} images/s"
        if per_cpu:
            text += f" ({reading[f'{when}_images_per_cpu_second']:,.0f} per CPU-second)"
        return text

    return (
        f"Machine speed during this build ({which} executed): a plain "
        f"`model.fit` of the challenge model at batch {BATCH_SIZE}"
        + (f", timed for {timed:.0f} s," if timed else "")
        + f" trained {speed('before')} just before the lessons and "
        f"{speed('after')} just after. "
        + "The same machine is not always this fast: compare with the plain "
        "`fit` speed in the training-speed table."
    )
