"""The results sections on training speed: the course's path and the levers.

`speed_markdown` compares the course's `train_model` with a plain
`model.fit` (`bench speed`); `levers_markdown` lists what each speed lever of
`bench levers` gained over its baseline, in wall time and in CPU time;
`cpu_time_markdown` says once, below both, what images per CPU-second mean.

Examples:
    >>> speed_markdown({})[0]
    '### Training speed'

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.wording import (
    and_list,
    cpu_time_note,
    machine_line,
    optional,
    spread,
)


def speed_markdown(speed: Mapping[str, Any]) -> list[str]:
    """The course's `train_model` against a plain `model.fit`, per device."""
    lines = [
        "### Training speed",
        "",
        "| device | path | images/s | images/CPU-s | GFLOP/s "
        "| share of measured peak |",
        "|---|---|---:|---:|---:|---:|",
    ]
    notes = []
    for device in ("cpu", "gpu"):
        entry = speed.get(device)
        if not entry:
            continue
        # Only a measured peak: records before the probe hold a guess from
        # the CPU's flags, wrong by half on a Zen 4, so they show no share.
        peak = entry["machine"].get("measured_peak_gflops")
        for path in ("plain", "course"):
            gflops = entry[f"{path}_gflops_per_second"]
            share = f"{gflops / peak:.1%}" if peak and device == "cpu" else "n/a"
            label = "plain `model.fit`" if path == "plain" else "course `train_model`"
            per_cpu_second = optional(entry.get(f"{path}_images_per_cpu_second"))
            lines.append(
                f"| {device.upper()} | {label} "
                f"| {entry[f'{path}_images_per_second']:,.0f} | {per_cpu_second} "
                f"| {gflops:.1f} | {share} |"
            )
        in_cpu_time = (
            f", {entry['cpu_ratio']:.2f} in CPU time" if "cpu_ratio" in entry else ""
        )
        notes.append(
            f"{device.upper()}: ratio course/plain **{entry['ratio']:.2f}**"
            f"{in_cpu_time} "
            f"(`{entry['model']}`, batch {entry['batch_size']}, "
            f"{entry['forward_macs_per_image']:,} multiply-adds per image forward; "
            f"{machine_line(entry['machine'])})."
        )
    return [*lines, "", *notes, ""]


def levers_markdown(levers: Mapping[str, Any]) -> list[str]:
    """Each speed lever against its baseline, in wall time and CPU time."""
    lines = ["### Speed levers", ""]
    for device in ("cpu", "gpu"):
        entry = levers.get(device)
        if not entry:
            continue
        first, last = entry["baseline_runs"]
        lines += [
            f"On {device.upper()} ({machine_line(entry['machine'])}), the "
            f"`{entry['model']}` model at batch {entry['batch_size']}, "
            f"{entry['timed_seconds']:g} s timed per lever after a warm-up, each "
            "in a fresh process; baseline (plain `model.fit`) "
            f"{entry['baseline_images_per_second']:,.0f} images/s, the mean of "
            f"{first:,.0f} before and {last:,.0f} after the levers"
            f"{_cpu_baseline_clause(entry)}:",
            "",
            "| lever | what changes | images/s | over baseline "
            "| images/CPU-s | over baseline |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for lever in entry["levers"]:
            if "skipped" in lever:
                cells = ["skipped", lever["skipped"], "", ""]
            else:
                cells = [
                    optional(lever["images_per_second"]),
                    optional(lever["ratio"], "{:.2f}x"),
                    optional(lever.get("images_per_cpu_second")),
                    optional(lever.get("cpu_ratio"), "{:.2f}x"),
                ]
            lines.append(
                f"| `{lever['name']}` | {lever['description']} | "
                + " | ".join(cells)
                + " |"
            )
        spreads = [f"{spread(first, last):.0%} in wall time"]
        if "baseline_cpu_runs" in entry:
            spreads.append(f"{spread(*entry['baseline_cpu_runs']):.0%} in CPU time")
        lines += [
            "",
            f"The two baseline runs differ by {and_list(spreads)}: a lever whose "
            "ratio lies within that of 1.0 is not a measured gain.",
            "",
        ]
        bf16 = entry["machine"].get("bf16_instructions")
        if bf16 is not None and any(
            lever["name"] == "mixed_bfloat16" for lever in entry["levers"]
        ):
            lines += [
                f"This CPU {'has' if bf16 else 'lacks'} native bfloat16 "
                "instructions (AVX512_BF16 or AMX), which `mixed_bfloat16` needs "
                "to pay.",
                "",
            ]
    return lines


def _cpu_baseline_clause(entry: Mapping[str, Any]) -> str:
    if "baseline_cpu_runs" not in entry:
        return ""
    first, last = entry["baseline_cpu_runs"]
    return (
        f"; {entry['baseline_images_per_cpu_second']:,.0f} images per CPU-second, "
        f"the mean of {first:,.0f} and {last:,.0f}"
    )


def cpu_time_markdown(
    speed: Mapping[str, Any] | None, levers: Mapping[str, Any] | None
) -> list[str]:
    """What images per CPU-second mean, said once below the speed tables.

    Examples:
        >>> cpu_time_markdown({}, None)[0].startswith("Images per CPU-second")
        True

    """
    missing = any(
        "cpu_ratio" not in entry for entry in (speed or {}).values() if entry
    ) or any(
        "baseline_cpu_runs" not in entry for entry in (levers or {}).values() if entry
    )
    return [cpu_time_note(missing), ""]
