"""Markdown tables rendered from `benchmarks/results.json` only, and the README.

The targets themselves (what is measured against what) are policy, kept in
`fmnist_course.bench.targets`; this module only renders them.

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

START_MARKER = "<!-- results:start -->"
END_MARKER = "<!-- results:end -->"


def _machine_line(machine: Mapping[str, Any]) -> str:
    """The CPU (with its clock and estimated peak when recorded), GPUs, versions.

    Two machines of one cloud model name can differ by a factor of four in
    speed; the clock and the peak estimate (which reflects the vector width)
    tell tables measured on different ones apart.

    Examples:
        >>> print(_machine_line({"cpu_model": "AMD EPYC", "cpu_mhz": 2596.1,
        ...                      "peak_gflops_estimate": 332.3, "logical_cores": 2,
        ...                      "tensorflow": "2.21.0", "keras": "3.15.1"}))
        AMD EPYC at 2,596 MHz, 2 logical cores, estimated peak 332 GFLOP/s,
        no GPU; TensorFlow 2.21.0, Keras 3.15.1

    """
    gpus = ", ".join(machine.get("gpus") or []) or "no GPU"
    cpu = machine.get("cpu_model", "unknown CPU")
    if machine.get("cpu_mhz"):
        cpu += f" at {machine['cpu_mhz']:,.0f} MHz"
    cpu += f", {machine.get('logical_cores', '?')} logical cores"
    if machine.get("peak_gflops_estimate"):
        cpu += f", estimated peak {machine['peak_gflops_estimate']:,.0f} GFLOP/s"
    return (
        f"{cpu}, {gpus}; "
        f"TensorFlow {machine.get('tensorflow', '?')}, "
        f"Keras {machine.get('keras', '?')}"
    )


def _seeds_text(seeds: list[int]) -> str:
    """`seed 0` or `seeds 0, 1 and 2`."""
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    return f"seeds {', '.join(map(str, seeds[:-1]))} and {seeds[-1]}"


def _ladder_markdown(rows: list[Mapping[str, Any]]) -> list[str]:
    lines = ["### Lesson ladder", ""]
    for device in ("cpu", "gpu"):
        device_rows = sorted(
            (row for row in rows if row.get("device", "cpu") == device),
            key=lambda row: (row["lesson"], row["model"]),
        )
        if not device_rows:
            continue
        machine = device_rows[0]["machine"]
        seed_sets = {tuple(run["seed"] for run in row["runs"]) for row in device_rows}
        seeds = (
            _seeds_text(list(next(iter(seed_sets))))
            if len(seed_sets) == 1
            else "the seeds each row lists"
        )
        lines += [
            f"On {device.upper()} ({_machine_line(machine)}), {seeds}, trained on "
            f"{device_rows[0].get('train_images', 54000):,} images (10% of the "
            "training set held out for validation), tested on "
            f"{device_rows[0].get('test_images', 10000):,}. Test accuracy is the "
            "mean over the seeds, with its sample standard deviation and its "
            "lowest and highest run; times are means:",
            "",
            "| lesson | model | parameters | epochs | test accuracy "
            "| range | seeds | training time | images/s | peak memory |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
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
                f"| {100 * low:.2f}–{100 * high:.2f} | {len(accuracies)} "
                f"| {row['train_seconds']:.1f} s | {row['images_per_second']:,.0f} "
                f"| {row['peak_rss_mib']:,.0f} MiB |"
            )
        lines.append("")
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
        "| device | path | images/s | GFLOP/s | share of estimated peak |",
        "|---|---|---:|---:|---:|",
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
            lines.append(
                f"| {device.upper()} | {label} "
                f"| {entry[f'{path}_images_per_second']:,.0f} | {gflops:.1f} "
                f"| {share} |"
            )
        notes.append(
            f"{device.upper()}: ratio course/plain **{entry['ratio']:.2f}** "
            f"(`{entry['model']}`, batch {entry['batch_size']}, "
            f"{entry['forward_macs_per_image']:,} multiply-adds per image forward; "
            f"{_machine_line(entry['machine'])})."
        )
    return [*lines, "", *notes, ""]


def _tta_markdown(tta: Mapping[str, Any]) -> list[str]:
    lines = ["### Time to accuracy", ""]
    for device in ("cpu", "gpu"):
        entry = tta.get(device)
        if not entry:
            continue
        lines += [
            f"On {device.upper()} ({_machine_line(entry['machine'])}), "
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
            f"On {device.upper()} ({_machine_line(entry['machine'])}), the "
            f"`{entry['model']}` model at batch {entry['batch_size']}, "
            f"{entry['timed_seconds']:g} s timed per lever after a warm-up, each "
            "in a fresh process; baseline (plain `model.fit`) "
            f"{entry['baseline_images_per_second']:,.0f} images/s, the mean of "
            f"{first:,.0f} before and {last:,.0f} after the levers:",
            "",
            "| lever | what changes | images/s | over baseline |",
            "|---|---|---:|---:|",
        ]
        for lever in entry["levers"]:
            if "skipped" in lever:
                speed, ratio = "skipped", lever["skipped"]
            else:
                speed = f"{lever['images_per_second']:,.0f}"
                ratio = f"{lever['ratio']:.2f}x"
            lines.append(
                f"| `{lever['name']}` | {lever['description']} | {speed} | {ratio} |"
            )
        spread = abs(first - last) / ((first + last) / 2)
        lines += [
            "",
            f"The two baseline runs differ by {spread:.0%}: a lever whose ratio "
            "lies within that of 1.0 is not a measured gain.",
            "",
        ]
    return lines


def _course_runtime_markdown(runtime: Mapping[str, Any]) -> list[str]:
    lines = ["### Course runtime", ""]
    for device in ("cpu", "gpu"):
        entry = runtime.get(device)
        if not entry:
            continue
        lines += [
            f"Every lesson executed in full mode on the real data by "
            f"`fmnist-course site build`, on {device.upper()} "
            f"({_machine_line(entry['machine'])}):",
            "",
            "| lesson | runtime |",
            "|---|---:|",
        ]
        for lesson in entry["lessons"]:
            lines.append(f"| {lesson['lesson']} | {lesson['seconds'] / 60:.1f} min |")
        lines += [
            f"| **all lessons** | **{entry['total_seconds'] / 60:.1f} min** |",
            "",
        ]
        if entry.get("machine_speed"):
            lines += [_machine_speed_sentence(entry["machine_speed"], entry), ""]
    return lines


def _machine_speed_sentence(
    reading: Mapping[str, Any], runtime: Mapping[str, Any]
) -> str:
    """How fast the machine was while the build ran its lessons."""
    executed = reading["lessons_executed"]
    which = (
        "all lessons"
        if len(executed) == len(runtime["lessons"])
        else "lessons " + ", ".join(stem.split("_", 1)[0] for stem in executed)
    )
    return (
        f"Machine speed during this build ({which} executed): a plain "
        f"`model.fit` of the challenge model at batch 128 trained "
        f"{reading['before_images_per_second']:,.0f} images/s just before the "
        f"lessons and {reading['after_images_per_second']:,.0f} images/s just "
        "after. The same machine is not always this fast: compare with the "
        "plain `fit` speed in the training-speed table."
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
                count = target["num_seeds"]
                shown += f" ({count} seed{'s' if count != 1 else ''})"
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
