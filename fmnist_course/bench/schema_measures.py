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

from typing import Any

from fmnist_course.bench.schema_checks import (
    MACHINE_KEYS,
    _check_fraction,
    _check_mapping,
    _check_positive,
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


def validate_candidates_entry(entry: Any, where: str = "candidates.cpu") -> None:
    """Check one device's candidates: validation scores only, each run once.

    Examples:
        >>> validate_candidates_entry({"seeds": []})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: candidates.cpu lacks key 'machine'. ...

    """
    _check_mapping(where, entry, CANDIDATES_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    _check_validation_runs(
        where,
        entry,
        CANDIDATE_ROW_KEYS,
        ("candidate", "seed"),
        "the search for a better recipe",
    )


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
    if entry["wall_seconds"] < 0:
        _fail(f"{where}.wall_seconds", f"is negative: {entry['wall_seconds']}")
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
    "images_per_second": float,
    "images_per_cpu_second": float,
    "ratio": float,
    "cpu_ratio": float,
}
"""What each normalization variant records beside the baseline."""

RATIO_TOLERANCE = 2e-3
"""How far a recorded ratio may lie from its own speeds' (both are rounded)."""


def validate_normalization(entry: Any, where: str = "normalization.cpu") -> None:
    """Check one device's normalization timing: ratios that follow from speeds.

    Each variant's `ratio` and `cpu_ratio` must be its speed over the mean of
    the two baseline runs, so a ratio edited by hand is refused.

    Examples:
        >>> validate_normalization({"recipe": "best"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: normalization.cpu lacks key 'batch_size'. ...

    """
    _check_mapping(where, entry, NORMALIZATION_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    for speed, ratio, runs in (
        ("images_per_second", "ratio", "baseline_runs"),
        ("images_per_cpu_second", "cpu_ratio", "baseline_cpu_runs"),
    ):
        if len(entry[runs]) != 2:
            _fail(f"{where}.{runs}", f"should hold two runs. Received: {entry[runs]}")
        for index, value in enumerate(entry[runs]):
            _check_positive(f"{where}.{runs}[{index}]", value)
        baseline = sum(entry[runs]) / 2
        for index, variant in enumerate(entry["variants"]):
            at = f"{where}.variants[{index}]"
            _check_mapping(at, variant, NORMALIZATION_VARIANT_KEYS)
            _check_positive(f"{at}.{speed}", variant[speed])
            if abs(variant[speed] / baseline - variant[ratio]) > RATIO_TOLERANCE:
                _fail(
                    f"{at}.{ratio}",
                    f"is {variant[ratio]}, but {variant[speed]} over the "
                    f"baseline's {baseline} is {variant[speed] / baseline:.3f}",
                )
