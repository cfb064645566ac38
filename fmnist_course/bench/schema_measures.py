"""The record's schema for calibration, the process split, the candidates and more.

`fmnist_course.bench.schema` validates the whole record and calls these for
the `calibration`, `process_split`, `candidates`, `fresh_clone`,
`retrain_build` and `normalization` sections; they live here
to keep each module to one concern and under 500 lines.

Examples:
    >>> validate_process_split({})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: results.json: process_split.cpu lacks key 'recipe'. ...

"""

from __future__ import annotations

import statistics
from typing import Any

from fmnist_course.bench.schema_checks import (
    MACHINE_KEYS,
    _check_filed_device,
    _check_fraction,
    _check_mapping,
    _check_positive,
    _check_utc_time,
    _check_validation_runs,
    _fail,
)

CALIBRATION_TOLERANCE = 1e-3
"""How far a recorded ECE may lie from the one its table gives: the table
keeps each bin's confidence and accuracy to four places, which moves the sum
by at most 1e-4 per bin."""

PROCESS_SPLIT_KEYS = {
    "recipe": str,
    "train_images": int,
    "epochs": int,
    "repeats": int,
    "processes": int,
    "order": list,
    "arrangements": list,
    "ratio": float,
    "cpu_ratio": float,
    "machine": dict,
    "measured_at": str,
}
PROCESS_SPLIT_ARRANGEMENT_KEYS = {
    "name": str,
    "processes": int,
    "threads": int,
    "images_per_second": float,
    "images_per_cpu_second": float,
    "runs": list,
}
"""What `bench processes` records (`bench/process_split.py`): two
arrangements, N processes x 1 thread and 1 process x N threads."""

CALIBRATION_KEYS = {
    "model": str,
    "seed": int,
    "keras_sha256": str,
    "fingerprint_sha256": str,
    "test_images": int,
    "bins": int,
    "scorings": dict,
    "machine": dict,
    "measured_at": str,
}
CALIBRATION_SCORING_KEYS = {
    "accuracy": float,
    "mean_confidence": float,
    "ece": float,
    "table": list,
}
CALIBRATION_BIN_KEYS = {"low": float, "high": float, "images": int}
"""What `fmnist-course bench calibration` records (`bench/calibration.py`)."""


CANDIDATES_KEYS = {
    "seeds": list,
    "machine": dict,
    "measured_at": str,
    "rows": list,
}
CANDIDATE_ROW_KEYS = {
    "candidate": str,
    "changes": dict,
    "epochs": int,
    "seed": int,
    "train_images": int,
    "validation_images": int,
    "val_accuracy": float,
    "val_accuracy_model_alone": float,
    "val_ece": float,
    "val_ece_model_alone": float,
    "train_seconds": float,
    "train_cpu_seconds": float,
    "machine": dict,
    "measured_at": str,
}
"""What each row of the search for a better recipe records, at least
(`bench/candidate_runs.py`). The search chooses on validation alone."""


def validate_candidates_entry(entry: Any, *, device: str = "cpu") -> None:
    """Check one device's candidates: validation scores only, each run once.

    Args:
        entry: The entry the record's `candidates` section files under `device`.
        device: Its key there; every row's machine must be that device.

    Examples:
        >>> validate_candidates_entry({"seeds": []})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: candidates.cpu lacks key 'machine'. ...

    """
    where = f"candidates.{device}"
    _check_mapping(where, entry, CANDIDATES_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    _check_filed_device(where, entry["machine"], device)
    _check_utc_time(f"{where}.measured_at", entry["measured_at"])
    _check_validation_runs(
        where,
        entry,
        CANDIDATE_ROW_KEYS,
        ("candidate", "seed"),
        "the search for a better recipe",
    )
    for index, row in enumerate(entry["rows"]):
        _check_filed_device(f"{where}.rows[{index}]", row["machine"], device)


def validate_process_split(entry: Any, where: str = "process_split.cpu") -> None:
    """Check one device's process split: both arrangements, positive speeds.

    Examples:
        >>> validate_process_split({"recipe": "cnn"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: process_split.cpu lacks key 'train_images'. ...

    """
    _check_mapping(where, entry, PROCESS_SPLIT_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    if len(entry["arrangements"]) != 2:
        _fail(
            f"{where}.arrangements",
            "should hold two arrangements, processes and threads. "
            f"Received: {len(entry['arrangements'])}",
        )
    for index, arrangement in enumerate(entry["arrangements"]):
        at = f"{where}.arrangements[{index}]"
        _check_mapping(at, arrangement, PROCESS_SPLIT_ARRANGEMENT_KEYS)
        for key in ("images_per_second", "images_per_cpu_second"):
            _check_positive(f"{at}.{key}", arrangement[key])
        if not arrangement["runs"]:
            _fail(f"{at}.runs", "should list one entry per run. Received: []")
    for key in ("ratio", "cpu_ratio"):
        _check_positive(f"{where}.{key}", entry[key])


def validate_calibration_entry(entry: Any, where: str = "calibration.cpu") -> None:
    """Check one device's calibration; raise `ValueError` naming the first bad key.

    Examples:
        >>> validate_calibration_entry({"model": "best"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: calibration.cpu lacks key 'seed'. ...

    """
    _check_mapping(where, entry, CALIBRATION_KEYS)
    _check_positive(f"{where}.test_images", entry["test_images"])
    _check_positive(f"{where}.bins", entry["bins"])
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    if not entry["scorings"]:
        _fail(f"{where}.scorings", "should hold one scoring at least. Received: {}")
    for name, scoring in entry["scorings"].items():
        at = f"{where}.scorings.{name}"
        _check_mapping(at, scoring, CALIBRATION_SCORING_KEYS)
        for key in ("accuracy", "mean_confidence", "ece"):
            _check_fraction(f"{at}.{key}", scoring[key])
        table = scoring["table"]
        if len(table) != entry["bins"]:
            _fail(f"{at}.table", f"should have {entry['bins']} bins, not {len(table)}")
        weighted = 0.0
        for index, row in enumerate(table):
            _check_mapping(f"{at}.table[{index}]", row, CALIBRATION_BIN_KEYS)
            for key in ("confidence", "accuracy"):
                if row.get(key) is None and row["images"]:
                    _fail(f"{at}.table[{index}]", f"has images but no {key}")
                if row.get(key) is not None:
                    _check_fraction(f"{at}.table[{index}].{key}", row[key])
            if row["images"]:
                weighted += row["images"] * abs(row["accuracy"] - row["confidence"])
        images = sum(row["images"] for row in table)
        if images != entry["test_images"]:
            _fail(f"{at}.table", f"counts {images} images of {entry['test_images']}")
        if abs(weighted / images - scoring["ece"]) > CALIBRATION_TOLERANCE:
            _fail(
                f"{at}.ece",
                f"is {scoring['ece']}, but its table gives {weighted / images:.4f}",
            )


FRESH_CLONE_KEYS = {
    "commit": str,
    "setup_seconds": float,
    "course_seconds": float,
    "cpu_seconds": float,
    "machine": dict,
    "measured_at": str,
}
"""What `fmnist-course bench fresh-clone` records per device, at least."""


def validate_fresh_clone(entry: Any, where: str = "fresh_clone.cpu") -> None:
    """Check one device's fresh-clone timing: a commit and positive seconds.

    Examples:
        >>> validate_fresh_clone({"commit": "ab"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: fresh_clone.cpu lacks key 'setup_seconds'. ...

    """
    _check_mapping(where, entry, FRESH_CLONE_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    for key in ("setup_seconds", "course_seconds", "cpu_seconds"):
        _check_positive(f"{where}.{key}", entry[key])


RETRAIN_BUILD_KEYS = {
    "lessons": list,
    "agreements": list,
    "wall_seconds": float,
    "jobs": int,
    "measured_at": str,
    "machine": dict,
    "site_seconds": float,
}
"""What a site build with the retrain switch on records per device, at least."""

AGREEMENT_KEYS = {
    "lesson": str,
    "recipe": str,
    "precision": str,
    "accuracy": float,
    "mean": float,
    "std": float,
    "seeds": int,
    "difference": float,
    "limit": float,
    "agrees": bool,
}
"""What each comparison of a retrained recipe with the ladder records."""


def validate_retrain_build(entry: Any, where: str = "retrain_build.cpu") -> None:
    """Check one device's retrain build: comparisons whose verdicts follow.

    Each comparison's verdict must follow from its own numbers (the
    difference within the limit), so a hand-edited verdict is refused.

    Examples:
        >>> validate_retrain_build({"lessons": []})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: retrain_build.cpu lacks key 'agreements'. ...

    """
    _check_mapping(where, entry, RETRAIN_BUILD_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    for key in ("wall_seconds", "site_seconds"):
        if not entry[key] >= 0:
            _fail(f"{where}.{key}", f"should be a number of seconds: {entry[key]}")
    if not all(isinstance(lesson, str) for lesson in entry["lessons"]):
        _fail(f"{where}.lessons", f"should name lessons: {entry['lessons']!r}")
    for index, agreement in enumerate(entry["agreements"]):
        at = f"{where}.agreements[{index}]"
        _check_mapping(at, agreement, AGREEMENT_KEYS)
        if (abs(agreement["difference"]) <= agreement["limit"]) != agreement["agrees"]:
            _fail(
                f"{at}.agrees",
                f"is {agreement['agrees']}, but the difference "
                f"{agreement['difference']} against the limit {agreement['limit']} "
                "says otherwise",
            )


NORMALIZATION_KEYS = {
    "recipe": str,
    "batch_size": int,
    "rounds": int,
    "threads": int,
    "timed_seconds": float,
    "baseline_images_per_second": float,
    "baseline_images_per_cpu_second": float,
    "baseline_runs": list,
    "baseline_cpu_runs": list,
    "variants": list,
    "machine": dict,
    "measured_at": str,
}
"""What `fmnist-course bench normalization` records per device, at least."""

NORMALIZATION_VARIANT_KEYS = {
    "name": str,
    "description": str,
    "compute_dtype": str,
    "normalization_layers": list,
    "runs": list,
    "cpu_runs": list,
    "ratios": list,
    "cpu_ratios": list,
    "ratio": float,
    "cpu_ratio": float,
}
"""What each normalization variant records beside the baseline."""

NORMALIZATION_VARIANTS = {"fused": "FusedBatchNorm", "none": "Unnormalized"}
"""The variants a record holds, each with the layer it puts in place."""

RATIO_TOLERANCE = 2e-3
"""How far a recorded ratio may lie from its own speeds' (both are rounded)."""


def validate_normalization(entry: Any, where: str = "normalization.cpu") -> None:
    """Check one device's normalization timing: ratios that follow from speeds.

    The runs alternate (`bench.normalization.run_order`): round r of the
    variant at place j sits between baseline runs r * V + j and r * V + j + 1
    for V variants. Each recorded ratio must be the variant's speed over the
    mean of those two, each median the median of its rounds, and each mean
    the mean of its runs, so a number edited by hand is refused.

    Examples:
        >>> validate_normalization({"recipe": "best"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: normalization.cpu lacks key 'batch_size'. ...

    """
    _check_mapping(where, entry, NORMALIZATION_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    variants, rounds = entry["variants"], entry["rounds"]
    for index, variant in enumerate(variants):
        _check_mapping(
            f"{where}.variants[{index}]", variant, NORMALIZATION_VARIANT_KEYS
        )
    names = {variant["name"]: variant for variant in variants}
    if set(names) != set(NORMALIZATION_VARIANTS) or len(variants) != len(names):
        _fail(
            f"{where}.variants",
            f"should hold {', '.join(NORMALIZATION_VARIANTS)} once each. Received: "
            f"{[variant['name'] for variant in variants]}",
        )
    for name, layer in NORMALIZATION_VARIANTS.items():
        if names[name]["normalization_layers"] != [layer]:
            _fail(
                f"{where}.variants[{variants.index(names[name])}]",
                f"should have put {layer} in place. Received: "
                f"{names[name]['normalization_layers']}",
            )
    for speed, kept, ratios, ratio in (
        ("images_per_second", "runs", "ratios", "ratio"),
        ("images_per_cpu_second", "cpu_runs", "cpu_ratios", "cpu_ratio"),
    ):
        baselines = entry[f"baseline_{kept}"]
        if len(baselines) != rounds * len(variants) + 1:
            _fail(
                f"{where}.baseline_{kept}",
                f"should hold {rounds * len(variants) + 1} runs for {rounds} "
                f"rounds. Received: {len(baselines)}",
            )
        for index, value in enumerate(baselines):
            _check_positive(f"{where}.baseline_{kept}[{index}]", value)
        mean = sum(baselines) / len(baselines)
        if abs(entry[f"baseline_{speed}"] - mean) > 0.05 + 1e-9:
            _fail(f"{where}.baseline_{speed}", f"is not the mean of its runs, {mean}")
        for place, variant in enumerate(variants):
            at = f"{where}.variants[{place}]"
            if len(variant[kept]) != rounds or len(variant[ratios]) != rounds:
                _fail(at, f"should hold {rounds} {kept} and {ratios}")
            for r, (value, said) in enumerate(
                zip(variant[kept], variant[ratios], strict=True)
            ):
                _check_positive(f"{at}.{kept}[{r}]", value)
                left = r * len(variants) + place
                expected = value / ((baselines[left] + baselines[left + 1]) / 2)
                if abs(expected - said) > RATIO_TOLERANCE:
                    _fail(
                        f"{at}.{ratios}[{r}]",
                        f"is {said}, but {value} over the baseline runs beside "
                        f"it is {expected:.3f}",
                    )
            median = statistics.median(variant[ratios])
            if abs(median - variant[ratio]) > RATIO_TOLERANCE:
                _fail(
                    f"{at}.{ratio}",
                    f"is {variant[ratio]}, but the median of its rounds is {median}",
                )
