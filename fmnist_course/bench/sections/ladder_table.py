"""The results section of the lesson ladder: each lesson's model, measured.

One table per device of `bench ladder`'s rows (accuracy over seeds, its
spread, validation accuracy, time, speed and memory), with the machine it was
measured on and which rows share a ladder run.

Examples:
    >>> ladder_markdown([])
    ['### Lesson ladder', '']

"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.ladder_targets import ACCURACY_TARGETS
from fmnist_course.bench.sections.wording import (
    and_list,
    machine_line,
    named_list,
    optional,
)
from fmnist_course.results_tables import FULL_TRAIN_IMAGES, VALIDATION_IMAGES
from fmnist_course.settings import VALIDATION_SPLIT


def shared_runs_lines(rows: list[Mapping[str, Any]]) -> list[str]:
    """Which rows were measured in one ladder run, so their times compare.

    Examples:
        >>> rows = [{"lesson": "04", "ladder_run": "2026-12-03T14:53:00Z"},
        ...         {"lesson": "07", "ladder_run": "2026-12-03T14:53:00Z"},
        ...         {"lesson": "01"}]
        >>> print(shared_runs_lines(rows)[0])  # doctest: +NORMALIZE_WHITESPACE
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


def trained_on(rows: list[Mapping[str, Any]]) -> str:
    """How many images the rows trained on, and which rows held none out.

    A final fit (`fmnist_course.final_fit`) trains on the validation images
    too, so it is named apart, with why it has no validation accuracy.

    Examples:
        >>> trained_on([{"model": "cnn", "train_images": 54000}])
        '54,000 images (10% of the training set held out for validation)'
        >>> print(trained_on([{"model": "cnn", "train_images": 54000},
        ...                   {"model": "best", "train_images": 60000}]))
        ... # doctest: +NORMALIZE_WHITESPACE
        54,000 images (10% of the training set held out for validation), and
        `best` on all 60,000 (a final fit: its validation images were trained
        on too, so it has no validation accuracy)

    """
    every = FULL_TRAIN_IMAGES + VALIDATION_IMAGES  # a final fit's 60,000
    sizes = {row.get("train_images", FULL_TRAIN_IMAGES) for row in rows}
    first = min(sizes)
    text = (
        f"{first:,} images ({VALIDATION_SPLIT:.0%} of the training set held out "
        "for validation)"
    )
    whole = [f"`{row['model']}`" for row in rows if row.get("train_images") == every]
    if whole and first != every:
        text += (
            f", and {and_list(whole)} on all {every:,} (a final fit: its "
            "validation images were trained on too, so it has no validation "
            "accuracy)"
        )
    elif first == every:
        text = f"all {every:,} images (final fits, none held out for validation)"
    return text


def ladder_markdown(rows: list[Mapping[str, Any]]) -> list[str]:
    """The ladder in full, one table per device, with its machines and runs."""
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
            f"{trained_on(device_rows)}, tested on "
            f"{device_rows[0].get('test_images', 10000):,}. Test accuracy is the "
            "mean over the seeds, with its sample standard deviation and its "
            "lowest and highest run; validation accuracy (on the held-out "
            "images, scored as the test is; — for a final fit, and for rows "
            "recorded before the ladder scored it) and times are means:",
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
                f"| {optional(row.get('validation_accuracy'), '{:.2%}')} "
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
        lines += shared_runs_lines(device_rows)
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


def ladder_headline_markdown(rows: list[Mapping[str, Any]]) -> list[str]:
    r"""The ladder in brief: each lesson's accuracy beside its target.

    The README's and the home page's view of the ladder. Machines, times,
    spreads and memory are left to `ladder_markdown` (the results page). CPU
    rows are shown; GPU rows only when no CPU row is recorded.

    Examples:
        >>> row = {"lesson": "04", "model": "challenge", "params": 122922,
        ...        "epochs": 40, "test_accuracy": 0.9155,
        ...        "runs": [{"seed": s, "test_accuracy": 0.9155} for s in (0, 1)]}
        >>> print("\n".join(ladder_headline_markdown([row])[2:6]))
        ... # doctest: +NORMALIZE_WHITESPACE
        Each lesson's model, trained with its lesson's full recipe, in float32.
        Test accuracy on the 10,000 test images, the mean over seeds 0 and 1:
        <BLANKLINE>
        | lesson | model | params | epochs | test accuracy | target |
        |---|---|---:|---:|---:|---:|

    """
    devices = {row.get("device", "cpu") for row in rows}
    device = "cpu" if "cpu" in devices else "gpu"
    shown = sorted(
        (row for row in rows if row.get("device", "cpu") == device),
        key=lambda row: (row["lesson"], row["model"]),
    )
    seed_sets = {tuple(run["seed"] for run in row["runs"]) for row in shown}
    seeds = (
        named_list("seed", list(next(iter(seed_sets))))
        if len(seed_sets) == 1
        else "the seeds each row lists"
    )
    test_images = shown[0].get("test_images", 10000)
    lines = [
        "### Lesson ladder",
        "",
        "Each lesson's model, trained with its lesson's full recipe, in float32. "
        f"Test accuracy on the {test_images:,} test images, the mean over {seeds}:",
        "",
        "| lesson | model | params | epochs | test accuracy | target |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in shown:
        marked = " *" if row.get("test_time_augmentation") else ""
        target = ACCURACY_TARGETS.get(row["model"])
        lines.append(
            f"| {row['lesson']} | `{row['model']}` | {row['params']:,} "
            f"| {row['epochs']} | {row['test_accuracy']:.2%}{marked} "
            f"| {optional(target, '{:.2%}')} |"
        )
    lines.append("")
    if any(row.get("test_time_augmentation") for row in shown):
        lines += [
            "\\* With test-time augmentation: the mean of the model's "
            "predictions on several views of each test image.",
            "",
        ]
    return lines
