"""The results sections on training speed: the course's path and the levers.

`speed_markdown` compares the course's `train_model` with a plain
`model.fit` (`bench speed`); `levers_markdown` lists what each speed lever of
`bench levers` gained over its baseline, in wall time and in CPU time;
`normalization_markdown` sets the batch-norm paths of `bench normalization`
against the baseline runs beside them;
`cpu_time_markdown` says once, below both, what images per CPU-second mean.

Examples:
    >>> speed_markdown({})[0]
    '### Training speed'

"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.wording import (
    and_list,
    cpu_time_note,
    machine_line,
    optional,
    spread,
)
from fmnist_course.results_tables import counted


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
            *_against_baseline(entry, entry["levers"], "lever"),
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


def normalization_markdown(normalization: Mapping[str, Any]) -> list[str]:
    """`best`'s model with Keras's batch norm, the fused kernel and none.

    Each variant shows its median ratio over the baseline runs beside it and
    the range over rounds; a verdict is given only when every round falls on
    the same side of 1.0.

    Examples:
        >>> normalization_markdown({})
        []

    """
    lines = []
    for device in ("cpu", "gpu"):
        entry = normalization.get(device)
        if not entry:
            continue
        cpu_runs = entry["baseline_cpu_runs"]
        lines += [
            f"On {device.upper()} ({machine_line(entry['machine'])}), "
            f"`{entry['recipe']}`'s model, trained as its recipe is, at batch "
            f"{entry['batch_size']}, {counted(entry['threads'], 'thread')} per "
            f"process, {entry['timed_seconds']:g} s timed per run after a warm-up, "
            "each run in a fresh process. Each variant ran "
            f"{counted(entry['rounds'], 'time')}, each time between two runs of "
            "the baseline (Keras's `BatchNormalization`, as the course trains), "
            "and is set against those two. The baseline's "
            f"{counted(len(cpu_runs), 'run')} averaged "
            f"{entry['baseline_images_per_cpu_second']:,.0f} images per CPU-second "
            f"({min(cpu_runs):,.0f} to {max(cpu_runs):,.0f}) and "
            f"{entry['baseline_images_per_second']:,.0f} images/s:",
            "",
            "| variant | what changes | images/CPU-s | over baseline, CPU time "
            "| rounds range | images/s | over baseline, wall time | verdict |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for variant in entry["variants"]:
            ratios = variant["cpu_ratios"]
            if min(ratios) > 1:
                verdict = "faster in every round"
            elif max(ratios) < 1:
                verdict = "slower in every round"
            else:
                verdict = "not resolved: rounds on both sides of 1.0"
            lines.append(
                f"| `{variant['name']}` | {variant['description']} "
                f"| {statistics.median(variant['cpu_runs']):,.0f} "
                f"| {variant['cpu_ratio']:.3f}x "
                f"| {min(ratios):.3f} to {max(ratios):.3f} "
                f"| {statistics.median(variant['runs']):,.0f} "
                f"| {variant['ratio']:.3f}x | {verdict} |"
            )
        lines += ["", *_ceiling_note(entry["variants"]), ""]
    if lines:
        lines = ["### Batch normalization: Keras's, fused or none", "", *lines]
    return lines


def _ceiling_note(variants: list[Mapping[str, Any]]) -> list[str]:
    """What the `none` row bounds, as shares of a step, and where it holds.

    Examples:
        >>> note = _ceiling_note([{"name": "fused", "cpu_ratio": 1.06},
        ...                       {"name": "none", "cpu_ratio": 1.092}])[0]
        >>> "took 8.4% of a training step's CPU time" in note
        True
        >>> "fused kernel saved 5.7% of the step's" in note
        True

    """
    by_name = {variant["name"]: variant for variant in variants}
    if "none" not in by_name:
        return []
    ceiling = 1 - 1 / by_name["none"]["cpu_ratio"]
    note = (
        "Medians are over rounds; the verdict reads CPU time. Without "
        "normalization the model trains differently, so only its speed is read: "
        f"here normalization took {ceiling:.1%} of a training step's CPU time, "
        "the most that any normalization path, fused or of another kind, could "
        "save for this model on this CPU at this thread count. It says nothing "
        "of the time to reach an accuracy."
    )
    fused = by_name.get("fused")
    if fused:
        saved = 1 - 1 / fused["cpu_ratio"]
        note += f" The fused kernel saved {saved:.1%} of the step's CPU time."
        if fused["cpu_ratio"] > by_name["none"]["cpu_ratio"]:
            note += (
                " It ran faster than no normalization at all, which only the "
                "noise between runs can explain."
            )
        note += (
            " The course still trains with Keras's layer: the fused one would "
            "change the model code that fingerprints every shipped model, so it "
            "waits for the next time the ladder trains them all, and then buys "
            "speed, not accuracy."
        )
    return [note]


def _against_baseline(
    entry: Mapping[str, Any], items: list[Mapping[str, Any]], kind: str
) -> list[str]:
    """A table of `items` against `entry`'s baseline, and the baseline's spread."""
    lines = [
        f"| {kind} | what changes | images/s | over baseline "
        "| images/CPU-s | over baseline |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for item in items:
        if "skipped" in item:
            cells = ["skipped", item["skipped"], "", ""]
        else:
            cells = [
                optional(item["images_per_second"]),
                optional(item["ratio"], "{:.2f}x"),
                optional(item.get("images_per_cpu_second")),
                optional(item.get("cpu_ratio"), "{:.2f}x"),
            ]
        lines.append(
            f"| `{item['name']}` | {item['description']} | " + " | ".join(cells) + " |"
        )
    spreads = [f"{spread(*entry['baseline_runs']):.0%} in wall time"]
    if "baseline_cpu_runs" in entry:
        spreads.append(f"{spread(*entry['baseline_cpu_runs']):.0%} in CPU time")
    return [
        *lines,
        "",
        f"The two baseline runs differ by {and_list(spreads)}: a {kind} whose "
        "ratio lies within that of 1.0 is not a measured gain.",
        "",
    ]


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
