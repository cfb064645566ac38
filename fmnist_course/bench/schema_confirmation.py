"""The record's schema for the confirmation of the search's leader.

`fmnist-course bench confirm` (`fmnist_course.bench.confirm_runs`) records,
per device, the judged runs of `best` and the candidate under the seeds
`fmnist_course.confirmation` fixed, the verdict, and test scores only for a
promoted candidate. `validate_confirmation_entry` re-applies the
confirmation's own checks, so a hand-edited entry is refused.
"""

from __future__ import annotations

import statistics
from typing import Any

from fmnist_course.bench.schema_checks import (
    MACHINE_KEYS,
    _check_filed_device,
    _check_fraction,
    _check_mapping,
    _check_validation_runs,
    _fail,
)
from fmnist_course.bench.schema_measures import CANDIDATE_ROW_KEYS
from fmnist_course.data import IDX_FILES
from fmnist_course.errors import UserError
from fmnist_course.results_tables import later, utc_time

TEST_IMAGES = IDX_FILES["test_images"].count
"""The test set's size: a promoted candidate is scored on all of it."""

CONFIRMATION_KEYS = {
    "candidate": str,
    "baseline": str,
    "seeds": list,
    "spreads": int,
    "verdict": dict,
    "machine": dict,
    "measured_at": str,
    "rows": list,
}
CONFIRMATION_TEST_KEYS = {
    "runs": list,
    "test_accuracy": float,
    "test_accuracy_std": float,
    "test_accuracy_min": float,
    "machine": dict,
    "measured_at": str,
}
"""What the confirmation of the search's leader records
(`bench/confirm_runs.py`): validation rows, and a test score only for a
promoted candidate."""


def validate_confirmation_entry(
    entry: Any, *, device: str = "cpu", rule=None, earlier: Any = None
) -> None:
    """Check one device's confirmation: validation rows; test only if promoted.

    Args:
        entry: The device's entry of a round's section.
        device: Its key in that section; its machine must be that device.
        rule: The round (`confirmation.ROUNDS`); the first when `None`.
        earlier: The same device's entry of `rule.baseline_from`, for a
            round whose baseline runs are an earlier round's judged runs:
            they must be those runs, field for field.

    Examples:
        >>> validate_confirmation_entry({"candidate": "epochs_80"})
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: confirmation.cpu lacks key 'baseline'. ...

    """
    from fmnist_course.confirmation import FIRST, confirmation_rows, judge

    rule = rule or FIRST
    where = f"{rule.section}.{device}"
    _check_mapping(where, entry, CONFIRMATION_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    _check_filed_device(where, entry["machine"], device)
    _check_validation_runs(
        where, entry, CANDIDATE_ROW_KEYS, ("candidate", "seed"), "the confirmation"
    )
    fixed = {
        "candidate": rule.candidate,
        "baseline": rule.baseline,
        "seeds": list(rule.seeds),
        "spreads": rule.margin,
    }
    for key, value in fixed.items():
        if entry[key] != value:
            _fail(
                f"{where}.{key}",
                f"should be {value!r}, as fmnist_course.confirmation fixed it "
                f"before the runs. Received: {entry[key]!r}",
            )
    try:  # the pinned recipes, full length, one machine, each run once
        judged = confirmation_rows(entry["rows"], rule)
    except (UserError, KeyError, TypeError, AttributeError) as error:
        _fail(f"{where}.rows", f"are not runs the confirmation judges: {error}")
    if len(judged) != len(entry["rows"]):
        _fail(
            f"{where}.rows",
            f"should hold only the judged runs of seeds {list(rule.seeds)}",
        )
    hashes = {}
    for index, row in enumerate(entry["rows"]):
        _check_mapping(f"{where}.rows[{index}]", row, {"model_sha256": str})
        hashes[row["candidate"], row["seed"]] = row["model_sha256"]
    try:
        verdict = judge(judged, rule)
    except UserError as error:  # a seed without both runs
        _fail(f"{where}.rows", f"cannot be judged: {error}")
    if entry["verdict"] != verdict:
        _fail(
            f"{where}.verdict",
            f"should be what the rule gives on the rows, {verdict}. "
            f"Received: {entry['verdict']}",
        )
    latest = max(entry["rows"], key=lambda row: utc_time(row["measured_at"]))
    for key in ("machine", "measured_at"):
        if entry[key] != latest[key]:
            _fail(f"{where}.{key}", "should be its latest run's")
    if rule.baseline_from:
        _check_baseline_from(entry, rule, earlier, device)
    if "test" in entry:
        _validate_confirmation_test(
            entry["test"], f"{where}.test", verdict, hashes, rule
        )
        if not later(entry["test"]["measured_at"], entry["measured_at"]):
            _fail(
                f"{where}.test.measured_at",
                "should be a UTC time after the judged runs",
            )
        from fmnist_course.confirmation import SAME_MACHINE

        if any(
            entry["test"]["machine"].get(key) != entry["machine"].get(key)
            for key in SAME_MACHINE
        ):
            _fail(
                f"{where}.test.machine",
                f"should be the judged runs' machine ({', '.join(SAME_MACHINE)})",
            )


def _check_baseline_from(entry, rule, earlier: Any, device: str) -> None:
    """A round's baseline runs are the earlier round's judged runs, unchanged."""
    where, section = f"{rule.section}.{device}", f"{rule.baseline_from}.{device}"
    if not isinstance(earlier, dict) or not isinstance(earlier.get("rows"), list):
        _fail(
            f"{where}.rows",
            f"read {rule.baseline!r}'s runs from {section}, which the record "
            "does not hold; judge that round first",
        )
    theirs = [row for row in earlier["rows"] if row.get("candidate") == rule.baseline]
    ours = [row for row in entry["rows"] if row["candidate"] == rule.baseline]
    if ours != theirs:
        _fail(
            f"{where}.rows",
            f"should hold {rule.baseline!r}'s judged runs from {section} as "
            "recorded there, field for field; they differ",
        )


def _validate_confirmation_test(test: Any, where: str, verdict, hashes, rule) -> None:
    """A promoted candidate's test scores: one per seed, of the judged files."""
    if verdict["promoted"] is not True:
        _fail(
            where,
            "scores the test set, but the candidate was not promoted; the "
            "test set is read only for a promoted recipe",
        )
    _check_mapping(where, test, CONFIRMATION_TEST_KEYS)
    for index, run in enumerate(test["runs"]):
        _check_mapping(
            f"{where}.runs[{index}]",
            run,
            {"seed": int, "test_accuracy": float, "model_sha256": str},
        )
    seeds = [run["seed"] for run in test["runs"]]
    if seeds != list(rule.seeds):
        _fail(
            f"{where}.runs",
            f"should hold one run per seed {list(rule.seeds)}, once each. "
            f"Received seeds: {seeds}",
        )
    for index, run in enumerate(test["runs"]):
        at = f"{where}.runs[{index}]"
        _check_fraction(f"{at}.test_accuracy", run["test_accuracy"])
        if run.get("test_images") != TEST_IMAGES:
            _fail(f"{at}.test_images", f"should be the whole test set, {TEST_IMAGES:,}")
        if run["model_sha256"] != hashes[rule.candidate, run["seed"]]:
            _fail(f"{at}.model_sha256", "should be the judged run's model's")
    if len({run["model_sha256"] for run in test["runs"]}) != len(test["runs"]):
        _fail(f"{where}.runs", "should score a different model per seed")
    accuracies = [run["test_accuracy"] for run in test["runs"]]
    summary = {
        "test_accuracy": round(statistics.mean(accuracies), 4),
        "test_accuracy_std": round(statistics.stdev(accuracies), 4),
        "test_accuracy_min": min(accuracies),
    }
    for key, value in summary.items():
        if not abs(test[key] - value) <= 1.01e-4:  # rounding to 4 places; NaN too
            _fail(
                f"{where}.{key}",
                f"should be {value} from the runs. Received: {test[key]}",
            )
