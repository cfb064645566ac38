"""Every key the record's schema promises is checked, and named when it is wrong.

Each case starts from the real `benchmarks/results.json`, breaks one key of one
checked object, and expects the schema to refuse it with the key's full path.
So a check dropped from `validate_results`, or a path reported wrong, fails here.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fmnist_course.bench import schema, schema_measures
from fmnist_course.bench.schema import validate_results

RESULTS = json.loads(
    (Path(__file__).resolve().parent.parent / "benchmarks" / "results.json").read_text()
)
TARGET_KEYS = {"name": str, "target": str, "met": bool}
MACHINE = schema.MACHINE_KEYS


def device_entries(
    results: dict, section: str, keys: dict, items: tuple[str, dict] | None = None
) -> Iterator[tuple[tuple, str, dict]]:
    """Each device's entry of `section`, its machine, and its listed `items`."""
    for device, entry in results.get(section, {}).items():
        where = f"{section}.{device}"
        yield (section, device), where, keys
        yield (section, device, "machine"), f"{where}.machine", MACHINE
        if items is not None:
            name, item_keys = items
            for i, _ in enumerate(entry[name]):
                yield (section, device, name, i), f"{where}.{name}[{i}]", item_keys


def checked_objects(results: dict) -> Iterator[tuple[tuple, str, dict]]:
    """(path into results, the schema's name for it, the keys it must have)."""
    for i, row in enumerate(results.get("ladder", [])):
        yield ("ladder", i), f"ladder[{i}]", schema.LADDER_KEYS
        yield ("ladder", i, "machine"), f"ladder[{i}].machine", schema.MACHINE_KEYS
        for j, _ in enumerate(row["runs"]):
            yield ("ladder", i, "runs", j), f"ladder[{i}].runs[{j}]", schema.RUN_KEYS
    sections = {
        "speed": schema.SPEED_KEYS,
        "speed_levers": schema.SPEED_LEVERS_KEYS,
        "course_runtime": schema.COURSE_RUNTIME_KEYS,
        "time_to_accuracy": schema.TIME_TO_ACCURACY_KEYS,
        "ablation": schema.ABLATION_KEYS,
    }
    for section, keys in sections.items():
        for device in results.get(section, {}):
            where = f"{section}.{device}"
            yield (section, device), where, keys
            yield (section, device, "machine"), f"{where}.machine", schema.MACHINE_KEYS
            if section == "time_to_accuracy":
                for side in ("original", "course"):
                    yield (
                        (section, device, side),
                        f"{where}.{side}",
                        schema.RECIPE_RUN_KEYS,
                    )
            if section == "course_runtime":
                for i, _ in enumerate(results[section][device]["lessons"]):
                    yield (
                        (section, device, "lessons", i),
                        f"{where}.lessons[{i}]",
                        schema.COURSE_RUNTIME_LESSON_KEYS,
                    )
            if section == "ablation":
                for i, _ in enumerate(results[section][device]["rows"]):
                    yield (
                        (section, device, "rows", i),
                        f"{where}.rows[{i}]",
                        schema.ABLATION_ROW_KEYS,
                    )
    yield from device_entries(
        results,
        "candidates",
        schema_measures.CANDIDATES_KEYS,
        ("rows", schema_measures.CANDIDATE_ROW_KEYS),
    )
    yield from device_entries(results, "fresh_clone", schema_measures.FRESH_CLONE_KEYS)
    yield from device_entries(
        results,
        "normalization",
        schema_measures.NORMALIZATION_KEYS,
        ("variants", schema_measures.NORMALIZATION_VARIANT_KEYS),
    )
    yield from device_entries(
        results,
        "retrain_build",
        schema_measures.RETRAIN_BUILD_KEYS,
        ("agreements", schema_measures.AGREEMENT_KEYS),
    )
    for device, targets in results.get("targets", {}).items():
        for i, _ in enumerate(targets):
            yield ("targets", device, i), f"targets.{device}[{i}]", TARGET_KEYS
    for device, entry in results.get("calibration", {}).items():
        where = f"calibration.{device}"
        yield ("calibration", device), where, schema_measures.CALIBRATION_KEYS
        yield ("calibration", device, "machine"), f"{where}.machine", MACHINE
        for name, scoring in entry["scorings"].items():
            path = ("calibration", device, "scorings", name)
            at = f"{where}.scorings.{name}"
            yield path, at, schema_measures.CALIBRATION_SCORING_KEYS
            for i, _ in enumerate(scoring["table"]):
                yield (
                    (*path, "table", i),
                    f"{at}.table[{i}]",
                    schema_measures.CALIBRATION_BIN_KEYS,
                )
    if "mutation" in results:
        yield ("mutation",), "mutation", schema.MUTATION_KEYS
        for i, _ in enumerate(results["mutation"]["modules"]):
            yield (
                ("mutation", "modules", i),
                f"mutation.modules[{i}]",
                schema.MUTATION_MODULE_KEYS,
            )


def at(results: Any, path: tuple) -> Any:
    for step in path:
        results = results[step]
    return results


def refusal(results: dict) -> str:
    with pytest.raises(ValueError) as raised:
        validate_results(results)
    return str(raised.value)


def test_the_real_record_passes_and_covers_every_section():
    validate_results(RESULTS)
    sections = {path[0] for path, _, _ in checked_objects(RESULTS)}
    expected = {
        "ladder",
        "speed",
        "speed_levers",
        "course_runtime",
        "time_to_accuracy",
        "ablation",
        "fresh_clone",
        "retrain_build",
        "normalization",
        "targets",
    }
    assert expected <= sections


def test_a_retrain_verdict_edited_by_hand_is_refused():
    """Promise: a comparison's verdict follows from its own numbers."""
    broken = copy.deepcopy(RESULTS)
    agreement = broken["retrain_build"]["cpu"]["agreements"][0]
    agreement["difference"] = agreement["limit"] + 0.01
    assert "agreements[0].agrees is True, but the difference" in refusal(broken)


def test_a_missing_key_is_refused_by_its_full_path():
    """Promise: a row without a promised key cannot enter the record."""
    count = 0
    for path, where, keys in checked_objects(RESULTS):
        for key in keys:
            broken = copy.deepcopy(RESULTS)
            del at(broken, path)[key]
            message = refusal(broken)
            assert message.startswith(
                f"results.json: {where} lacks key {key!r}. Re-run the "
                "`fmnist-course bench` command that writes it"
            ), message
            count += 1
    assert count > 100


def test_a_key_of_the_wrong_type_is_refused_by_its_full_path():
    """Promise: each promised key has the type the readers of the record expect."""
    for path, where, keys in checked_objects(RESULTS):
        for key, expected in keys.items():
            broken = copy.deepcopy(RESULTS)
            at(broken, path)[key] = "not a value" if expected is not str else 7
            message = refusal(broken)
            name = expected.__name__
            article = "an" if name[0] in "aeiou" else "a"
            assert message.startswith(
                f"results.json: {where}.{key} should be {article} {name}. "
            ), message


def test_an_object_that_is_not_one_is_refused():
    for path, where, _ in checked_objects(RESULTS):
        broken = copy.deepcopy(RESULTS)
        at(broken, path[:-1])[path[-1]] = ["a list"]
        message = refusal(broken)
        assert re.match(
            rf"results\.json: {re.escape(where)} should be (an object|a dict)", message
        ), message


@pytest.mark.parametrize("section", ["speed", "ablation", "time_to_accuracy"])
def test_a_section_must_map_known_devices(section):
    broken = copy.deepcopy(RESULTS)
    broken[section] = ["cpu"]
    assert refusal(broken).startswith(
        f"results.json: {section} should map a device to its figures. "
    )
    broken[section] = {"tpu": {}}
    assert refusal(broken).startswith(
        f"results.json: {section}.tpu is not a device; expected one of cpu, gpu."
    )


def test_fractions_are_between_0_and_1_inclusive():
    """Promise: an accuracy outside [0, 1] is refused; 0 and 1 themselves are not."""
    device = next(iter(RESULTS["time_to_accuracy"]))
    for value, ok in ((0.0, True), (1.0, True), (-0.001, False), (1.001, False)):
        broken = copy.deepcopy(RESULTS)
        broken["time_to_accuracy"][device]["threshold"] = value
        if ok:
            validate_results(broken)
        else:
            assert refusal(broken).startswith(
                f"results.json: time_to_accuracy.{device}.threshold should be "
                f"between 0 and 1. Received: {value!r}"
            )
    row = copy.deepcopy(RESULTS["ablation"][next(iter(RESULTS["ablation"]))])
    for key in (
        "val_accuracy",
        "val_accuracy_model_alone",
        "val_ece",
        "val_ece_model_alone",
    ):
        broken = copy.deepcopy(RESULTS)
        entry = next(iter(broken["ablation"].values()))
        entry["rows"][0][key] = 1.5
        device = next(iter(broken["ablation"]))
        assert refusal(broken).startswith(
            f"results.json: ablation.{device}.rows[0].{key} should be between 0 and 1"
        )
    assert row


@pytest.mark.parametrize(
    "key", ["params", "epochs", "train_seconds", "images_per_second", "peak_rss_mib"]
)
def test_ladder_sizes_and_times_are_positive(key):
    broken = copy.deepcopy(RESULTS)
    broken["ladder"][0][key] = 0
    assert refusal(broken).startswith(
        f"results.json: ladder[0].{key} should be positive. Received: 0"
    )
    fine = copy.deepcopy(RESULTS)
    fine["ladder"][0][key] = 1
    validate_results(fine)


@pytest.mark.parametrize("key", ["epochs", "train_seconds", "train_cpu_seconds"])
def test_ablation_epochs_and_times_are_positive(key):
    broken = copy.deepcopy(RESULTS)
    device = next(iter(broken["ablation"]))
    broken["ablation"][device]["rows"][0][key] = 0
    assert refusal(broken).startswith(
        f"results.json: ablation.{device}.rows[0].{key} should be positive."
    )
    broken["ablation"][device]["rows"][0][key] = 1
    validate_results(broken)
    broken["ablation"][device]["epochs"] = 0
    assert refusal(broken).startswith(
        f"results.json: ablation.{device}.epochs should be positive."
    )


def test_every_key_of_a_candidates_entry_is_checked_by_its_full_path():
    """Promise: the search's record is held to its keys, as every section is."""
    ablation_row = RESULTS["ablation"]["cpu"]["rows"][0]
    row = {**ablation_row, "candidate": "wider", "changes": {"epochs": 60}}
    entry = {"seeds": [row["seed"]], "machine": row["machine"], "rows": [row]}
    results = {"candidates": {"cpu": {**entry, "measured_at": row["measured_at"]}}}
    validate_results(results)
    checked = [item for item in checked_objects(results) if item[0][0] == "candidates"]
    assert len(checked) == 3
    for path, where, keys in checked:
        for key in keys:
            broken = copy.deepcopy(results)
            del at(broken, path)[key]
            assert refusal(broken).startswith(
                f"results.json: {where} lacks key {key!r}. "
            )
