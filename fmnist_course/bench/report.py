"""Markdown tables rendered from `benchmarks/results.json` only, and the README.

The targets themselves (what is measured against what) are policy, kept in
`fmnist_course.bench.targets`; this module only renders them. The ablation
table the lessons show, and the wording helpers both use, are the library's
(`fmnist_course.results_tables`).

`render_results_markdown` is pure: the README (between the markers
`<!-- results:start -->` and `<!-- results:end -->`) and the website's results
page both show its output, so no figure is ever typed by hand.

Examples:
    >>> print(render_results_markdown({}))  # doctest: +ELLIPSIS
    No benchmark results yet. ...

"""

from __future__ import annotations

import os
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmnist_course.bench.targets import evaluate_targets
from fmnist_course.results_tables import and_list, counted, machine_line, named_list

START_MARKER = "<!-- results:start -->"
END_MARKER = "<!-- results:end -->"


def _shared_runs_lines(rows: list[Mapping[str, Any]]) -> list[str]:
    """Which rows were measured in one ladder run, so their times compare.

    Examples:
        >>> rows = [{"lesson": "04", "ladder_run": "2026-12-03T14:53:00Z"},
        ...         {"lesson": "07", "ladder_run": "2026-12-03T14:53:00Z"},
        ...         {"lesson": "01"}]
        >>> print(_shared_runs_lines(rows)[0])  # doctest: +NORMALIZE_WHITESPACE
        Training times compare only between rows of one ladder run, since the
        machine's speed moves from day to day. Rows by ladder run: lessons 04
        and 07 (started 2026-12-03T14:53:00Z); the others were recorded before
        rows named their run.

    """
    runs: dict[str, list[str]] = {}
    for row in rows:
        if row.get("ladder_run"):
            runs.setdefault(row["ladder_run"], []).append(row["lesson"])
    unnamed = any(not row.get("ladder_run") for row in rows)
    if not runs or (len(runs) == 1 and not unnamed):
        return []  # no row names its run, or one run measured every row
    groups = [
        f"{named_list('lesson', lessons)} (started {started})"
        for started, lessons in sorted(runs.items())
    ]
    if unnamed:
        groups.append("the others were recorded before rows named their run")
    return [
        "Training times compare only between rows of one ladder run, since the "
        f"machine's speed moves from day to day. Rows by ladder run: "
        f"{'; '.join(groups)}.",
        "",
    ]


def _ladder_markdown(rows: list[Mapping[str, Any]]) -> list[str]:
    lines = ["### Lesson ladder", ""]
    for device in ("cpu", "gpu"):
        device_rows = sorted(
            (row for row in rows if row.get("device", "cpu") == device),
            key=lambda row: (row["lesson"], row["model"]),
        )
        if not device_rows:
            continue
        machines: dict[str, list[str]] = {}
        for row in device_rows:
            machines.setdefault(machine_line(row["machine"]), []).append(row["lesson"])
        on = f" ({next(iter(machines))})" if len(machines) == 1 else ""
        seed_sets = {tuple(run["seed"] for run in row["runs"]) for row in device_rows}
        seeds = (
            named_list("seed", list(next(iter(seed_sets))))
            if len(seed_sets) == 1
            else "the seeds each row lists"
        )
        lines += [
            f"On {device.upper()}{on}, {seeds}, trained on "
            f"{device_rows[0].get('train_images', 54000):,} images (10% of the "
            "training set held out for validation), tested on "
            f"{device_rows[0].get('test_images', 10000):,}. Test accuracy is the "
            "mean over the seeds, with its sample standard deviation and its "
            "lowest and highest run; validation accuracy (on the held-out "
            "images, scored as the test is; — for rows recorded before the "
            "ladder scored it) and times are means:",
            "",
            "| lesson | model | params | epochs | test accuracy "
            "| range | validation | seeds | train time | images/s | peak memory |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in device_rows:
            marked = " *" if row.get("test_time_augmentation") else ""
            accuracies = [run["test_accuracy"] for run in row["runs"]]
            spread = (
                f" ± {100 * statistics.stdev(accuracies):.2f}"
                if len(accuracies) > 1
                else ""
            )
            low, high = min(accuracies), max(accuracies)
            lines.append(
                f"| {row['lesson']} | `{row['model']}` | {row['params']:,} "
                f"| {row['epochs']} | {row['test_accuracy']:.2%}{spread}{marked} "
                f"| {100 * low:.2f}–{100 * high:.2f} "
                f"| {_optional(row.get('validation_accuracy'), '{:.2%}')} "
                f"| {len(accuracies)} "
                f"| {row['train_seconds']:.1f} s | {row['images_per_second']:,.0f} "
                f"| {row['peak_rss_mib']:,.0f} MiB |"
            )
        lines.append("")
        if len(machines) > 1:
            lines += [
                "Measured on different machines: "
                + and_list(
                    [
                        f"{named_list('lesson', lessons)} ({line})"
                        for line, lessons in machines.items()
                    ]
                )
                + ".",
                "",
            ]
        lines += _shared_runs_lines(device_rows)
        if any(row.get("test_time_augmentation") for row in device_rows):
            lines += [
                "\\* Tested with test-time augmentation: the mean of the "
                "model's predictions on 10 views of each test image (the image, "
                "the image moved by one pixel up, down, left and right, and "
                "the mirror images of these five; "
                "`fmnist_course.with_test_time_augmentation`); training is "
                "unchanged.",
                "",
            ]
    return lines


def _speed_markdown(speed: Mapping[str, Any]) -> list[str]:
    lines = [
        "### Training speed",
        "",
        "| device | path | images/s | images/CPU-s | GFLOP/s "
        "| share of estimated peak |",
        "|---|---|---:|---:|---:|---:|",
    ]
    notes = []
    for device in ("cpu", "gpu"):
        entry = speed.get(device)
        if not entry:
            continue
        peak = entry["machine"].get("peak_gflops_estimate")
        for path in ("plain", "course"):
            gflops = entry[f"{path}_gflops_per_second"]
            share = f"{gflops / peak:.1%}" if peak and device == "cpu" else "n/a"
            label = "plain `model.fit`" if path == "plain" else "course `train_model`"
            per_cpu_second = _optional(entry.get(f"{path}_images_per_cpu_second"))
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
    missing = any("cpu_ratio" not in entry for entry in speed.values() if entry)
    return [*lines, "", *notes, "", _cpu_time_note(missing), ""]


def _cpu_time_note(missing: bool) -> str:
    """What images per CPU-second mean; `missing`: some value is a dash."""
    note = (
        "Images per CPU-second (images/CPU-s) divide by the CPU time the process "
        "used, all its threads together, where images/s divide by wall time. They "
        "count the work done per image: they move far less than wall time when "
        "the host lends the process fewer cores for a while, and they do not "
        "credit a change that only keeps the cores busier."
    )
    dash = " \u2014: recorded before the benchmark read CPU time."
    return note + (dash if missing else "")


def _optional(value: float | None, template: str = "{:,.0f}") -> str:
    """`value` written by `template`, or a dash for a value not recorded.

    Examples:
        >>> _optional(1234.5), _optional(None), _optional(0.98, "{:.2f}x")
        ('1,234', '\u2014', '0.98x')

    """
    return "\u2014" if value is None else template.format(value)


def _tta_markdown(tta: Mapping[str, Any]) -> list[str]:
    lines = ["### Time to accuracy", ""]
    for device in ("cpu", "gpu"):
        entry = tta.get(device)
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


def _format_measured(measured: float | None, unit: str) -> str:
    if measured is None:
        return "not measured"
    formats = {
        "MiB": f"{measured:,.0f} MiB",
        "accuracy": f"{measured:.2%}",
        "minutes": f"{measured:.1f} min",
    }
    return formats.get(unit, f"{measured:.2f}x")


def _levers_markdown(levers: Mapping[str, Any]) -> list[str]:
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
                    _optional(lever["images_per_second"]),
                    _optional(lever["ratio"], "{:.2f}x"),
                    _optional(lever.get("images_per_cpu_second")),
                    _optional(lever.get("cpu_ratio"), "{:.2f}x"),
                ]
            lines.append(
                f"| `{lever['name']}` | {lever['description']} | "
                + " | ".join(cells)
                + " |"
            )
        spreads = [f"{_spread(first, last):.0%} in wall time"]
        if "baseline_cpu_runs" in entry:
            spreads.append(f"{_spread(*entry['baseline_cpu_runs']):.0%} in CPU time")
        lines += [
            "",
            f"The two baseline runs differ by {and_list(spreads)}: a lever whose "
            "ratio lies within that of 1.0 is not a measured gain.",
            "",
            _cpu_time_note("baseline_cpu_runs" not in entry),
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


def _spread(first: float, last: float) -> float:
    """How far apart two runs are, as a share of their mean.

    Examples:
        >>> _spread(900.0, 1100.0)
        0.2

    """
    return abs(first - last) / ((first + last) / 2)


def _cpu_baseline_clause(entry: Mapping[str, Any]) -> str:
    if "baseline_cpu_runs" not in entry:
        return ""
    first, last = entry["baseline_cpu_runs"]
    return (
        f"; {entry['baseline_images_per_cpu_second']:,.0f} images per CPU-second, "
        f"the mean of {first:,.0f} and {last:,.0f}"
    )


def _course_runtime_markdown(runtime: Mapping[str, Any]) -> list[str]:
    lines = ["### Course runtime", ""]
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
        if cpu:
            lines += [_cpu_floor_sentence(entry), ""]
        if entry.get("machine_speed"):
            lines += [_machine_speed_sentence(entry["machine_speed"], entry), ""]
    return lines


def _cpu_floor_sentence(entry: Mapping[str, Any]) -> str:
    """What the course's CPU time means for its wall time on this machine.

    Examples:
        >>> print(_cpu_floor_sentence({"total_cpu_seconds": 4200.0,
        ...                            "total_seconds": 3000.0,
        ...                            "machine": {"logical_cores": 2}}))
        ... # doctest: +NORMALIZE_WHITESPACE
        CPU time is what the lessons' kernels used, all threads together: 70.0
        CPU-minutes in all. On 2 logical cores, both busy all the time, that is
        about 35.0 minutes of wall time at best, however lightly loaded the
        host. In this build the kernels kept 1.40 cores busy on average.

    """
    cores = entry["machine"].get("logical_cores") or 1
    minutes = entry["total_cpu_seconds"] / 60
    busy = {1: "", 2: "both "}.get(cores, "all ")
    average = entry["total_cpu_seconds"] / entry["total_seconds"]
    return (
        "CPU time is what the lessons' kernels used, all threads together: "
        f"{minutes:.1f} CPU-minutes in all. On {counted(cores, 'logical core')}, "
        f"{busy}busy all the time, that is about {minutes / cores:.1f} minutes "
        "of wall time at best, however lightly loaded the host. In this build "
        f"the kernels kept {average:.2f} cores busy on average."
    )


def _machine_speed_sentence(
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
        >>> print(_machine_speed_sentence(reading, {"lessons": [{}]}))
        ... # doctest: +NORMALIZE_WHITESPACE
        Machine speed during this build (all lessons executed): a plain
        `model.fit` of the challenge model at batch 128, timed for 20 s,
        trained 2,468 images/s (1,309 per CPU-second) just before the lessons
        and 2,303 images/s (1,223 per CPU-second) just after. A reading this
        short can catch a shared host lending every core for a burst; images
        per CPU-second move far less. The same machine is not always this fast:
        compare with the plain `fit` speed in the training-speed table.

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
        "`model.fit` of the challenge model at batch 128"
        + (f", timed for {timed:.0f} s," if timed else "")
        + f" trained {speed('before')} just before the lessons and "
        f"{speed('after')} just after. "
        + (
            "A reading this short can catch a shared host lending every core "
            "for a burst; images per CPU-second move far less. "
            if per_cpu
            else ""
        )
        + "The same machine is not always this fast: compare with the plain "
        "`fit` speed in the training-speed table."
    )


def _targets_markdown(targets: Mapping[str, list[Mapping[str, Any]]]) -> list[str]:
    lines = [
        "### Targets",
        "",
        "| device | target | measured | met |",
        "|---|---|---:|---|",
    ]
    for device, device_targets in sorted(targets.items()):
        for target in device_targets:
            measured = target["measured"]
            shown = _format_measured(measured, target.get("unit", "ratio"))
            if "num_seeds" in target and measured is not None:
                shown += f" ({counted(target['num_seeds'], 'seed')})"
            if target.get("same_run") is False and measured is not None:
                shown += " (rows from different ladder runs)"
            lines.append(
                f"| {device.upper()} | {target['target']} | {shown} "
                f"| {'yes' if target['met'] else 'no'} |"
            )
    return [*lines, ""]


def render_results_markdown(results: Mapping[str, Any]) -> str:
    """Markdown tables of the ladder, speed, time to accuracy and targets.

    Pure: reads only its argument. Sections without figures are left out; CPU
    and GPU figures are shown side by side, never merged.

    Args:
        results: The parsed `benchmarks/results.json`.

    Returns:
        Markdown text ending with a newline.

    Examples:
        >>> text = render_results_markdown({"speed": {}})
        >>> text.startswith("### Training speed")
        True

    """
    sections: list[str] = []
    if results.get("ladder"):
        sections += _ladder_markdown(results["ladder"])
    if "speed" in results:
        sections += _speed_markdown(results["speed"])
    if results.get("speed_levers"):
        sections += _levers_markdown(results["speed_levers"])
    if results.get("time_to_accuracy"):
        sections += _tta_markdown(results["time_to_accuracy"])
    if results.get("course_runtime"):
        sections += _course_runtime_markdown(results["course_runtime"])
    targets = results.get("targets") or evaluate_targets(results)
    if targets:
        sections += _targets_markdown(targets)
    if not sections:
        return (
            "No benchmark results yet. Run `fmnist-course bench ladder`, "
            "`bench speed` and `bench time-to-accuracy`.\n"
        )
    return "\n".join(sections).rstrip("\n") + "\n"


def replace_between_markers(text: str, content: str) -> str:
    r"""Replace what lies between the results markers of `text` with `content`.

    Raises:
        ValueError: The markers are missing or out of order.

    Examples:
        >>> replace_between_markers(
        ...     "a\n<!-- results:start -->\nold\n<!-- results:end -->\nb", "new\n")
        'a\n<!-- results:start -->\nnew\n<!-- results:end -->\nb'

    """
    start = text.find(START_MARKER)
    end = text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(
            f"Expected the markers {START_MARKER} and {END_MARKER}, in that order, "
            "around the generated results. Add them where the tables should go."
        )
    head = text[: start + len(START_MARKER)]
    return f"{head}\n{content.rstrip()}\n{text[end:]}"


def update_readme(readme: str | os.PathLike, results: Mapping[str, Any]) -> bool:
    """Rewrite the results tables of a README from `results`.

    Returns:
        Whether the file changed.

    Raises:
        FileNotFoundError: No such README.
        ValueError: The README lacks the results markers.

    Examples:
        >>> update_readme("README.md", load_results())  # doctest: +SKIP
        True

    """
    path = Path(readme)
    if not path.is_file():
        raise FileNotFoundError(f"No README at {path}.")
    text = path.read_text(encoding="utf-8")
    updated = replace_between_markers(text, render_results_markdown(results))
    if updated == text:
        return False
    partial = path.with_name(path.name + ".partial")
    partial.write_text(updated, encoding="utf-8")
    os.replace(partial, path)
    return True
