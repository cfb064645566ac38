"""The checks every section of the record's schema is made of.

Each raises a `ValueError` that names the key's full path in
`results.json` and says what was expected, so a hand edit or a tool that
wrote the wrong thing is caught with its place (`fmnist_course.bench.schema`).

Examples:
    >>> _check_fraction("ladder[0].test_accuracy", 1.2)
    Traceback (most recent call last):
    ...
    ValueError: results.json: ladder[0].test_accuracy should be between 0 and 1. ...

"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from fmnist_course.results import DEVICES
from fmnist_course.results_tables import utc_time

MACHINE_KEYS = {
    "cpu_model": str,
    "logical_cores": int,
    "device": str,
    "gpus": list,
    "tensorflow": str,
    "keras": str,
}


def _fail(where: str, message: str) -> None:
    raise ValueError(
        f"results.json: {where} {message}. Re-run the `fmnist-course bench` command "
        "that writes it rather than editing the file by hand."
    )


def _check_type(where: str, value: Any, expected: type) -> None:
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected)
    if not ok:
        name = expected.__name__
        article = "an" if name[0] in "aeiou" else "a"
        _fail(where, f"should be {article} {name}. Received: {value!r}")


def _check_mapping(where: str, value: Any, keys: Mapping[str, type]) -> None:
    if not isinstance(value, Mapping):
        _fail(where, f"should be an object. Received: {value!r}")
    for key, expected in keys.items():
        if key not in value:
            _fail(where, f"lacks key {key!r}")
        _check_type(f"{where}.{key}", value[key], expected)


def _check_fraction(where: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        _fail(where, f"should be between 0 and 1. Received: {value!r}")


def _check_positive(where: str, value: float) -> None:
    _check_type(where, value, float)
    if value <= 0:
        _fail(where, f"should be positive. Received: {value!r}")
    if not math.isfinite(value):
        _fail(where, f"should be a finite number. Received: {value!r}")


def _check_devices(section: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        _fail(section, f"should map a device to its figures. Received: {value!r}")
    for device in value:
        if device not in DEVICES:
            _fail(
                f"{section}.{device}",
                f"is not a device; expected one of {', '.join(DEVICES)}",
            )


def _check_filed_device(where: str, machine: Mapping[str, Any], device: str) -> None:
    """A measurement's `machine.device` is the device its section files it under.

    Examples:
        >>> _check_filed_device("candidates.cpu.rows[0]", {"device": "cpu"}, "cpu")
        >>> _check_filed_device("x.cpu", {"device": "gpu"}, "cpu")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: x.cpu.machine.device should be 'cpu', ...

    """
    if machine.get("device") != device:
        _fail(
            f"{where}.machine.device",
            f"should be {device!r}, the device it is filed under. "
            f"Received: {machine.get('device')!r}",
        )


def _check_utc_time(where: str, value: Any) -> None:
    """`value` is an ISO time with a zone, as the benchmarks record them.

    Examples:
        >>> _check_utc_time("x.measured_at", "2026-12-06T05:06:07Z")
        >>> _check_utc_time("x.measured_at", "2026-12-06 05:06")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: x.measured_at should be an ISO time with a zone...

    """
    if utc_time(value) is None:
        _fail(
            where,
            "should be an ISO time with a zone, such as 2026-12-06T05:06:07Z. "
            f"Received: {value!r}",
        )


def _check_validation_runs(
    where: str,
    entry: Mapping[str, Any],
    row_keys: Mapping[str, type],
    run: tuple[str, ...],
    chooser: str,
) -> None:
    """Check the rows of a search that chooses on validation alone.

    Each row has `row_keys`, fractions for its `val_` scores, positive epochs
    and times, no test score (the test-time-augmentation flag aside), was
    trained in float32 (its `machine.dtype_policy`, where recorded), and is
    the only row with its values of the keys in `run`; the entry's `seeds`
    list the seeds of its rows. `chooser` names the search in the message.

    Examples:
        >>> row = {"variant": "a", "seed": 0, "epochs": 1, "train_seconds": 1,
        ...        "train_cpu_seconds": 1, "val_accuracy": 0.9,
        ...        "test_accuracy": 0.9}
        >>> keys = {"variant": str, "seed": int, "val_accuracy": float}
        >>> _check_validation_runs("x", {"rows": [row], "seeds": [0]}, keys,
        ...                        ("variant", "seed"), "the x")
        ...     # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: x.rows[0] scores the test set (test_accuracy), ...

    """
    seen = set()
    for index, row in enumerate(entry["rows"]):
        at = f"{where}.rows[{index}]"
        tested = sorted(
            key
            for key in (row if isinstance(row, Mapping) else {})
            if key.startswith("test_") and key != "test_time_augmentation"
        )
        if tested:
            _fail(
                at,
                f"scores the test set ({tested[0]}), but {chooser} chooses on "
                "validation alone",
            )
        _check_mapping(at, row, row_keys)
        if "measured_at" in row_keys:
            _check_utc_time(f"{at}.measured_at", row["measured_at"])
        policy = (row.get("machine") or {}).get("dtype_policy", "float32")
        if policy != "float32":
            _fail(
                f"{at}.machine.dtype_policy",
                f"is {policy!r}, but {chooser} compares float32 runs; measure "
                "it again with FMNIST_BF16=0",
            )
        for key in row_keys:
            if key.startswith("val_"):
                _check_fraction(f"{at}.{key}", row[key])
        for key in ("epochs", "train_seconds", "train_cpu_seconds"):
            _check_positive(f"{at}.{key}", row[key])
        identity = tuple(row[key] for key in run)
        if identity in seen:
            named = ", ".join(
                f"{key} {value!r}" for key, value in zip(run, identity, strict=True)
            )
            _fail(at, f"repeats the run of {named}")
        seen.add(identity)
    for index, seed in enumerate(entry["seeds"]):
        _check_type(f"{where}.seeds[{index}]", seed, int)
    if sorted({row["seed"] for row in entry["rows"]}) != sorted(entry["seeds"]):
        _fail(f"{where}.seeds", "should list the seeds of its rows")
