"""Recorded results as text and tables a lesson can show.

Lessons read the record through the library (`fmnist_course.results`), never
through the benchmarks that write it. `ablation_table` renders the recorded
ablation (measured by `fmnist-course bench ablation`) as a pandas DataFrame
for lesson 07; `ladder_spread` words the recorded ladder rows of lessons
01 to 04 with their spread over seeds; `counted`, `named_list` and
`machine_line` word a count, a list and the machine a measurement ran on, here
and in the benchmarks' tables (`fmnist_course.bench.sections`).

Examples:
    >>> named_list("seed", [0, 1, 2])
    'seeds 0, 1 and 2'

"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

from fmnist_course.data import IDX_FILES
from fmnist_course.errors import UserError
from fmnist_course.fingerprints import fingerprint, fingerprint_digest
from fmnist_course.recipes import RECIPES
from fmnist_course.results import DEVICES
from fmnist_course.settings import VALIDATION_SPLIT


def counted(count: Any, noun: str) -> str:
    """`count` and `noun`, with an "s" unless `count` is exactly 1.

    Examples:
        >>> counted(1, "seed"), counted(3, "seed"), counted("?", "logical core")
        ('1 seed', '3 seeds', '? logical cores')

    """
    return f"{count} {noun}{'' if count == 1 else 's'}"


def machine_line(machine: Mapping[str, Any]) -> str:
    """The CPU (with its clock and measured peak when recorded), GPUs, versions.

    Two machines of one cloud model name can differ by a factor of four in
    speed; the clock and the measured float32 peak
    (`machine.measured_gflops_per_core`, `machine.measured_peak_gflops`) tell
    tables measured on different ones apart. Records made before the probe
    hold a guess from the CPU's flags (`peak_gflops_estimate`), wrong by half
    on some CPUs; it is not shown.

    Examples:
        >>> print(machine_line({"cpu_model": "AMD EPYC", "cpu_mhz": 2596.1,
        ...                      "measured_gflops_per_core": 116.2,
        ...                      "measured_peak_gflops": 131.5, "logical_cores": 2,
        ...                      "tensorflow": "2.21.0", "keras": "3.15.1"}))
        ... # doctest: +NORMALIZE_WHITESPACE
        AMD EPYC at 2,596 MHz, 2 logical cores, measured float32 peak 116 GFLOP/s
        on one core and 132 on all, no GPU; TensorFlow 2.21.0, Keras 3.15.1
        >>> machine_line({"cpu_model": "AMD EPYC", "peak_gflops_estimate": 332.3})
        'AMD EPYC, ? logical cores, no GPU; TensorFlow ?, Keras ?'

    """
    gpus = ", ".join(machine.get("gpus") or []) or "no GPU"
    cpu = machine.get("cpu_model", "unknown CPU")
    if machine.get("cpu_mhz"):
        cpu += f" at {machine['cpu_mhz']:,.0f} MHz"
    cpu += f", {counted(machine.get('logical_cores', '?'), 'logical core')}"
    per_core, peak = (
        machine.get("measured_gflops_per_core"),
        machine.get("measured_peak_gflops"),
    )
    if per_core and peak:
        cpu += (
            f", measured float32 peak {per_core:,.0f} GFLOP/s on one core "
            f"and {peak:,.0f} on all"
        )
    return (
        f"{cpu}, {gpus}; "
        f"TensorFlow {machine.get('tensorflow', '?')}, "
        f"Keras {machine.get('keras', '?')}"
    )


def and_list(items: list[Any]) -> str:
    """`a`, `a and b` or `a, b and c`."""
    words = [str(item) for item in items]
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} and {words[-1]}"


def named_list(noun: str, items: list[Any]) -> str:
    """`seed 0` or `seeds 0, 1 and 2`; `lesson 04` or `lessons 04 and 07`."""
    return f"{noun if len(items) == 1 else noun + 's'} {and_list(items)}"


RECORDED_RECIPE_FIELDS = ("epochs", "batch_size", "learning_rate", "schedule")
"""The `Recipe` fields a ladder row records, compared with today's recipe."""


def changed_settings(row: Mapping[str, Any]) -> list[str]:
    """The settings a ladder row was measured with that its recipe has changed.

    Args:
        row: A ladder row: its `model` names the recipe, and it records the
            fields of `RECORDED_RECIPE_FIELDS`.

    Returns:
        `"field=value"` for each recorded field that today's recipe sets
        otherwise; empty when the row still measures today's recipe (or
        names no recipe of `RECIPES`).

    Examples:
        >>> changed_settings({"model": "best", "epochs": 40, "batch_size": 128})
        ['epochs=40']
        >>> changed_settings({"model": "best", "epochs": RECIPES["best"].epochs})
        []

    """
    recipe = RECIPES.get(row.get("model"))
    return [
        f"{key}={row[key]!r}"
        for key in RECORDED_RECIPE_FIELDS
        if recipe is not None and key in row and row[key] != getattr(recipe, key)
    ]


FULL_TEST_IMAGES = IDX_FILES["test_images"].count
"""The test images a ladder row scores unless it ran on a subset."""
MIN_SEEDS = 3
"""A ladder row speaks for its recipe (an accuracy target, a retrained run's
agreement) only with at least this many seeds: the same recipe and seed move
test accuracy by about 0.3 points between runs."""
VALIDATION_IMAGES = round(IDX_FILES["train_images"].count * VALIDATION_SPLIT)
"""Images in a full run's validation split: 6,000 of the 60,000."""
FULL_TRAIN_IMAGES = IDX_FILES["train_images"].count - VALIDATION_IMAGES
"""The training images a full recipe trains on: the training set less validation
(a final fit, `fmnist_course.final_fit`, trains on the validation images too)."""


def outdated_row(row: Mapping[str, Any], precision: str = "float32") -> str | None:
    """Why a ladder row no longer measures today's full recipe, or `None`.

    A row counts for today's recipe only when its recorded settings are the
    recipe's (`changed_settings`), its fingerprint is today's for the
    recipe's full run (recipe, training code and data:
    `fmnist_course.fingerprints`), it trained in `precision`, on the full
    training set (all 60,000 images for a final fit, which then reports no
    validation accuracy: `fmnist_course.final_fit`), scored the full test
    set, and every run has its own seed.

    Args:
        row: A ladder row.
        precision: The dtype policy its section holds (`"float32"` for the
            ladder, `"mixed_bfloat16"` for `ladder_bf16`).

    Returns:
        The first reason, in words, or `None` when the row still counts.

    Examples:
        >>> outdated_row({"model": "best", "epochs": 10})
        'measured with epochs=10, which its recipe has changed since'
        >>> outdated_row({"model": "best"})
        'recorded without a fingerprint'
        >>> outdated_row({"model": "best", "fingerprint": "0" * 64})
        "its fingerprint is not today's recipe, training code and data"

    """
    model = row.get("model")
    if model not in RECIPES:
        return f"no recipe is named {model!r} now"
    changed = changed_settings(row)
    if changed:
        return f"measured with {', '.join(changed)}, which its recipe has changed since"
    recorded = row.get("fingerprint")
    if not isinstance(recorded, str):
        return "recorded without a fingerprint"
    if recorded != _todays_fingerprint(model):
        return "its fingerprint is not today's recipe, training code and data"
    if row.get("precision") != precision:
        return f"trained in {row.get('precision')!r}, not {precision!r}"
    final_fit = RECIPES[model].final_fit  # trains on the validation images too
    train_images = FULL_TRAIN_IMAGES + (VALIDATION_IMAGES if final_fit else 0)
    sizes = (row.get("train_images"), row.get("test_images"))
    if sizes != (train_images, FULL_TEST_IMAGES):
        return (
            f"measured on {sizes[0]} training and {sizes[1]} test images, not "
            f"{train_images:,} and {FULL_TEST_IMAGES:,}"
        )
    runs = row.get("runs") or []
    if not isinstance(runs, list) or not all(isinstance(r, Mapping) for r in runs):
        return "its runs are not a list of runs"
    scored = [row, *runs]  # the row's mean and each run's figure
    if final_fit and any(r.get("validation_accuracy") is not None for r in scored):
        return "a final fit reports a validation accuracy, on images it trained on"
    seeds = [run.get("seed") for run in runs]
    if not all(isinstance(seed, int) for seed in seeds):
        return f"its runs' seeds are not whole numbers: {seeds!r}"
    if len(set(seeds)) != len(seeds) or row.get("seeds", seeds) != seeds:
        return f"its runs do not each have their own seed: {seeds}"
    wrong = _summary_mismatch(row)
    if wrong:
        verb = "does" if len(wrong) == 1 else "do"
        return f"its {', '.join(wrong)} {verb} not follow from its runs"
    return None


def _summary_mismatch(row: Mapping[str, Any]) -> list[str]:
    """The test-accuracy summary fields of `row` that its runs do not give.

    Examples:
        >>> runs = [{"test_accuracy": a} for a in (0.91, 0.92, 0.93)]
        >>> row = {"runs": runs, "test_accuracy": 0.92, "test_accuracy_std": 0.01,
        ...        "test_accuracy_min": 0.91, "test_accuracy_max": 0.93}
        >>> _summary_mismatch(row), _summary_mismatch({**row, "test_accuracy_std": 1})
        ([], ['test_accuracy_std'])

    """
    scores = [run.get("test_accuracy") for run in row.get("runs") or []]
    if not scores or not all(finite(score) for score in scores):
        return ["test accuracies"]
    return [
        key
        for key, value in accuracy_summary(scores).items()
        if not finite(row.get(key)) or abs(row[key] - value) > 1e-9
    ]


def accuracy_summary(scores: Sequence[float]) -> dict[str, float]:
    """The summary a ladder row keeps of its runs' test accuracies, to 4 places.

    The mean, the sample standard deviation (0 for one run), the lowest and
    the highest: `bench ladder` writes them (`ladder.combine_runs`), and a
    row counts only when they are what its runs give (`outdated_row`).

    Examples:
        >>> accuracy_summary([0.91, 0.92, 0.93])
        {'test_accuracy': 0.92, 'test_accuracy_std': 0.01, \
'test_accuracy_min': 0.91, 'test_accuracy_max': 0.93}
        >>> accuracy_summary([0.9])["test_accuracy_std"]
        0.0

    """
    return {
        "test_accuracy": round(statistics.fmean(scores), 4),
        "test_accuracy_std": round(statistics.stdev(scores), 4)
        if len(scores) > 1
        else 0.0,
        "test_accuracy_min": round(min(scores), 4),
        "test_accuracy_max": round(max(scores), 4),
    }


def finite(value: Any) -> bool:
    """Whether `value` is a finite real number (not a bool).

    Examples:
        >>> finite(0.5), finite(float("nan")), finite(True), finite("1")
        (True, False, False, False)

    """
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def utc_time(text: Any) -> datetime | None:
    """`text` as an aware UTC time, or `None` when it is not an ISO time with a zone.

    The record's times (`measured_at`, a rule's `fixed_at`) are read with it,
    so that a time without a zone, or no time at all, never compares.

    Examples:
        >>> utc_time("2026-12-06T11:50:52Z").isoformat()
        '2026-12-06T11:50:52+00:00'
        >>> utc_time("2026-12-06 11:50:52"), utc_time(1), utc_time(None)
        (None, None, None)

    """
    try:
        moment = datetime.fromisoformat(text)
        return None if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def later(text: Any, than: Any) -> bool:
    """Whether ISO time `text` is later than ISO time `than`, both with a zone.

    Examples:
        >>> later("2026-12-06T15:00:00Z", "2026-12-06T14:23:28+00:00")
        True
        >>> later(None, "2026-12-06T14:23:28Z"), later("2026-12-06T15:00:00", "")
        (False, False)

    """
    moment, bound = utc_time(text), utc_time(than)
    return moment is not None and bound is not None and moment > bound


@functools.cache
def _todays_fingerprint(model: str) -> str:
    """The digest a ladder row of `model`'s full recipe records today."""
    return fingerprint_digest(fingerprint(model))


LADDER_METRICS = {"test_accuracy": "test", "validation_accuracy": "validation"}
"""The accuracies `ladder_spread` can show, each with the word that labels it."""


def _seed_values(row: Mapping[str, Any], metric: str) -> list[float]:
    """A ladder row's `metric` in each of its runs (seeds) that recorded it."""
    return [run[metric] for run in row.get("runs") or [] if metric in run]


def _seed_range(
    row: Mapping[str, Any], metric: str = "test_accuracy"
) -> tuple[float, float]:
    """A ladder row's lowest and highest `metric` over its seeds."""
    values = _seed_values(row, metric) or [row[metric]]
    return row.get(f"{metric}_min", min(values)), row.get(f"{metric}_max", max(values))


def _seed_std(row: Mapping[str, Any], metric: str) -> float:
    """The recorded sample standard deviation of `metric`, else the runs'."""
    values = _seed_values(row, metric)
    if f"{metric}_std" in row or len(values) < 2:
        return row.get(f"{metric}_std", 0.0)
    return statistics.stdev(values)


def _ladder_line(
    name: str, row: Mapping[str, Any] | None, metric: str = "test_accuracy"
) -> str:
    """One recipe's recorded `metric` with its spread over the seeds."""
    if row is None:
        return (
            f"{name}: not in the record yet; `fmnist-course bench ladder` measures it."
        )
    runs = row.get("runs") or [row]
    mean = row[metric]
    low, high = _seed_range(row, metric)
    std = _seed_std(row, metric)
    line = (
        f"{name}: {LADDER_METRICS[metric]} mean {mean:.2%} over "
        f"{counted(len(runs), 'seed')}, std {100 * std:.2f} points, "
        f"from {low:.2%} to {high:.2%}"
    )
    stale = changed_settings({**row, "model": name})
    if stale:
        line += (
            f" (measured with {', '.join(stale)}, which the recipe has changed "
            "since: `fmnist-course bench ladder` measures it again)"
        )
    return line


def ladder_spread(
    results: Mapping[str, Any],
    names: list[str],
    device: str = "cpu",
    metric: str = "test_accuracy",
) -> str:
    """The recorded accuracies of ladder rows, their seed spreads and gaps.

    Pure: reads only its argument (say, `fmnist_course.results.load_results()`).
    One line per recipe: the mean accuracy over its seeds, their sample
    standard deviation and their lowest and highest. Then, for each recipe
    after the first, the difference of its mean from the previous recipe's,
    beside the two ranges (highest minus lowest): a difference smaller than
    the ranges is within what another seed could give. A recipe the record
    lacks gets a line that says so, and no difference; a row measured with
    other settings than today's recipe (`RECORDED_RECIPE_FIELDS`) says which.

    Choices between recipes are made on `metric="validation_accuracy"`; the
    test accuracy (the default) is what a final model reports.

    Args:
        results: The parsed `benchmarks/results.json`.
        names: Recipe names (keys of `RECIPES`), each compared with the one
            before it.
        device: `"cpu"` or `"gpu"`: whose measurement to show.
        metric: `"test_accuracy"` or `"validation_accuracy"`
            (`LADDER_METRICS`), the accuracy to show.

    Returns:
        The lines, joined by newlines.

    Raises:
        UserError: `device` is not one of `"cpu"`, `"gpu"`, or `metric` is
            not one of `LADDER_METRICS`.

    Examples:
        >>> rows = [{"model": "dense", "device": "cpu", "test_accuracy": 0.88,
        ...          "epochs": RECIPES["dense"].epochs,
        ...          "test_accuracy_std": 0.002, "test_accuracy_min": 0.878,
        ...          "test_accuracy_max": 0.882, "runs": [{}, {}, {}]},
        ...         {"model": "cnn", "device": "cpu", "test_accuracy": 0.9,
        ...          "test_accuracy_std": 0.001, "test_accuracy_min": 0.899,
        ...          "test_accuracy_max": 0.901, "runs": [{}, {}, {}]}]
        >>> print(ladder_spread({"ladder": rows}, ["dense", "cnn", "cnn_dropout"]))
        ... # doctest: +NORMALIZE_WHITESPACE
        dense: test mean 88.00% over 3 seeds, std 0.20 points, from 87.80% to 88.20%
        cnn: test mean 90.00% over 3 seeds, std 0.10 points, from 89.90% to 90.10%
        cnn_dropout: not in the record yet; `fmnist-course bench ladder`
        measures it.
        cnn - dense: +2.00 points, against ranges (highest minus lowest) of
        0.40 (dense) and 0.20 (cnn) points
        >>> rows[1]["epochs"] = 99
        >>> print(ladder_spread({"ladder": rows}, ["cnn"]))
        ... # doctest: +NORMALIZE_WHITESPACE
        cnn: test mean 90.00% over 3 seeds, std 0.10 points, from 89.90% to 90.10%
        (measured with epochs=99, which the recipe has changed since:
        `fmnist-course bench ladder` measures it again)

        The validation accuracy of each seed's run, when only the runs keep
        it, gives the same lines:

        >>> row = {"model": "cnn", "validation_accuracy": 0.92, "runs": [
        ...     {"validation_accuracy": 0.91}, {"validation_accuracy": 0.93}]}
        >>> print(ladder_spread({"ladder": [row]}, ["cnn"],
        ...                     metric="validation_accuracy"))
        ... # doctest: +NORMALIZE_WHITESPACE
        cnn: validation mean 92.00% over 2 seeds, std 1.41 points, from 91.00%
        to 93.00%

    """
    if device not in DEVICES:
        raise UserError(
            f"Expected a device among {', '.join(DEVICES)}. Received: {device!r}"
        )
    if metric not in LADDER_METRICS:
        raise UserError(
            f"Expected a metric among {', '.join(LADDER_METRICS)}. Received: {metric!r}"
        )
    ladder = {
        row["model"]: row
        for row in results.get("ladder") or []
        if row.get("device", "cpu") == device
    }
    lines = [_ladder_line(name, ladder.get(name), metric) for name in names]
    for before, after in pairwise(names):
        if before not in ladder or after not in ladder:
            continue
        first, second = ladder[before], ladder[after]
        ranges = [
            100 * (high - low)
            for low, high in (_seed_range(row, metric) for row in (first, second))
        ]
        difference = 100 * (second[metric] - first[metric])
        lines.append(
            f"{after} - {before}: {difference:+.2f} points, against ranges "
            f"(highest minus lowest) of {ranges[0]:.2f} ({before}) and "
            f"{ranges[1]:.2f} ({after}) points"
        )
    return "\n".join(lines)
