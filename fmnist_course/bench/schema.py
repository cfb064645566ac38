"""Check the shape of `benchmarks/results.json` before anything renders it.

The benchmark sections are:

- `ladder`: a list of rows, one per (recipe, device), each with at least
  `lesson`, `model`, `params`, `epochs`, `test_accuracy`, `train_seconds`,
  `images_per_second`, `seed`, `device`, `peak_rss_mib`, `machine` and
  `runs` (one entry per seed, each with at least `seed`, `test_accuracy` and
  `train_seconds`, and, when measured, a `validation_accuracy` between 0
  and 1 and a positive `train_cpu_seconds`); the row's `test_accuracy` is
  the mean of its runs'. Its rows trained in float32: a `precision` or a
  `machine.dtype_policy` other than `float32` is refused.
- `ladder_bf16`: the ladder trained under `mixed_bfloat16`, rows as in
  `ladder` (one per recipe and device) that must say `precision:
  "mixed_bfloat16"` and keep each run's `validation_accuracy` and
  `train_cpu_seconds`, which `fmnist_course.bf16_tables` compares.
- `speed`, `speed_levers`, `normalization`, `process_split`, `fresh_clone`,
  `retrain_build`, `time_to_accuracy`, `course_runtime`, `targets`:
  mappings from a device (`"cpu"`, `"gpu"`) to that device's measurement;
  each lesson of `course_runtime` has at least a `lesson` and its `seconds`.
- `ablation`: a mapping from a device to `{"epochs", "seeds", "machine",
  "measured_at", "rows", ...}`, with one row per variant and seed (each with
  at least the keys of `ABLATION_ROW_KEYS`, a variant, seed and budget at
  most once). The
  ablation chooses on validation alone, so a row with a test-set score is
  refused.
- `candidates`: a mapping from a device to `{"seeds", "machine",
  "measured_at", "rows", ...}`, one row per candidate and seed
  (`schema_measures.CANDIDATE_ROW_KEYS`); the search chooses on validation
  alone, so a row with any test-set score is refused.
- `confirmation`: a mapping from a device to the judged confirmation runs
  of the search's leader (`schema_confirmation.CONFIRMATION_KEYS`), validation
  rows only; a `test` score is allowed only when the verdict promoted it.
  `second_confirmation` holds the second round the same way
  (`fmnist_course.confirmation.ROUNDS`).
- `calibration`: a mapping from a device to one shipped model's calibration
  (`CALIBRATION_KEYS`), with a `scorings` entry per way of scoring it, each
  with its reliability table of `bins` rows whose images add up to
  `test_images`, and an ECE that the table gives again.

Other sections (say, `tuning`) belong to other tools and are not checked here.

Examples:
    >>> validate_results({"ladder": []})
    >>> validate_results({"ladder": [{"lesson": "01"}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: results.json: ladder[0] lacks key 'model'. ...

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.schema_checks import (
    MACHINE_KEYS,
    _check_devices,
    _check_fraction,
    _check_mapping,
    _check_positive,
    _check_type,
    _check_validation_runs,
    _fail,
)
from fmnist_course.bench.schema_confirmation import validate_confirmation_entry
from fmnist_course.bench.schema_measures import (
    validate_calibration_entry,
    validate_candidates_entry,
    validate_fresh_clone,
    validate_normalization,
    validate_process_split,
    validate_retrain_build,
)
from fmnist_course.recipes import RECIPES
from fmnist_course.results import DEVICES

LADDER_KEYS = {
    "lesson": str,
    "model": str,
    "params": int,
    "epochs": int,
    "test_accuracy": float,
    "train_seconds": float,
    "images_per_second": float,
    "seed": int,
    "device": str,
    "peak_rss_mib": float,
    "machine": dict,
    "runs": list,
}
RUN_KEYS = {"seed": int, "test_accuracy": float, "train_seconds": float}
"""What each seed's run of a ladder row records, at least."""
LADDER_PRECISIONS = {"ladder": "float32", "ladder_bf16": "mixed_bfloat16"}
"""Each ladder section and the one dtype policy its rows may have trained in."""
BF16_RUN_KEYS = {"validation_accuracy": float, "train_cpu_seconds": float}
"""What each run of a `ladder_bf16` row records too: what the comparison reads."""
MEAN_TOLERANCE = 1e-4
"""How far a ladder row's `test_accuracy` may lie from its runs' mean. The
ladder rounds the mean to four places (`combine_runs`), which moves it by at
most 5e-5; a row further off does not hold its runs' mean."""

SPEED_KEYS = {
    "model": str,
    "batch_size": int,
    "epochs": int,
    "train_images": int,
    "plain_images_per_second": float,
    "course_images_per_second": float,
    "ratio": float,
    "forward_macs_per_image": int,
    "plain_gflops_per_second": float,
    "course_gflops_per_second": float,
    "machine": dict,
}

RECIPE_RUN_KEYS = {
    "recipe": str,
    "reached": bool,
    "epochs": int,
    "train_seconds": float,
    "curve": list,
}

SPEED_LEVERS_KEYS = {
    "model": str,
    "baseline_images_per_second": float,
    "baseline_runs": list,
    "levers": list,
    "machine": dict,
}

COURSE_RUNTIME_KEYS = {"lessons": list, "total_seconds": float, "machine": dict}
COURSE_RUNTIME_LESSON_KEYS = {"lesson": str, "seconds": float}
"""What each lesson of `course_runtime` records, at least: its wall time. Its
`cpu_seconds`, and the build's `total_cpu_seconds`, `wall_seconds` and `jobs`,
are there when the build measured them (`fmnist_course.website.build`); the
runtime targets read them (`fmnist_course.bench.targets.runtime_targets`)."""

TIME_TO_ACCURACY_KEYS = {
    "threshold": float,
    "original": dict,
    "course": dict,
    "machine": dict,
}

ABLATION_KEYS = {
    "epochs": int,
    "seeds": list,
    "machine": dict,
    "measured_at": str,
    "rows": list,
}

ABLATION_ROW_KEYS = {
    "variant": str,
    "removed": str,
    "overrides": dict,
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
"""What each row of the ablation records, at least (`bench/ablation.py`)."""

MUTATION_KEYS = {
    "tool": str,
    "target": float,
    "measured_at": str,
    "modules": list,
    "survivors": list,
    "stale_judgements": list,
}
MUTATION_MODULE_KEYS = {
    "module": str,
    "mutants": int,
    "killed": int,
    "timeout": int,
    "survived": int,
    "no_tests": int,
    "score": float,
    "met": bool,
}
"""What `make mutants` records per module (`bench/mutation.py`)."""


def validate_ladder_row(row: Any, where: str = "ladder[0]") -> None:
    """Check one ladder row; raise `ValueError` naming the first bad key.

    Examples:
        >>> validate_ladder_row({"lesson": "01"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: ladder[0] lacks key 'model'. ...

    """
    _check_mapping(where, row, LADDER_KEYS)
    _check_fraction(f"{where}.test_accuracy", row["test_accuracy"])
    for key in ("params", "epochs", "train_seconds", "images_per_second"):
        _check_positive(f"{where}.{key}", row[key])
    _check_positive(f"{where}.peak_rss_mib", row["peak_rss_mib"])
    if row["device"] not in DEVICES:
        _fail(
            f"{where}.device",
            f"should be one of {DEVICES}. Received: {row['device']!r}",
        )
    _check_mapping(f"{where}.machine", row["machine"], MACHINE_KEYS)
    if row["machine"]["device"] != row["device"] or (
        row["device"] == "cpu" and row["machine"]["gpus"]
    ):
        _fail(
            f"{where}.device",
            "should be the device its machine trained on. Received: "
            f"{row['device']!r} on a machine with device "
            f"{row['machine']['device']!r} and GPUs {row['machine']['gpus']!r}",
        )
    if row.get("train_cpu_seconds") is not None:
        _check_positive(f"{where}.train_cpu_seconds", row["train_cpu_seconds"])
    if not row["runs"]:
        _fail(f"{where}.runs", "should list one run per seed. Received: []")
    for index, run in enumerate(row["runs"]):
        _check_mapping(f"{where}.runs[{index}]", run, RUN_KEYS)
        _check_fraction(f"{where}.runs[{index}].test_accuracy", run["test_accuracy"])
        if run.get("validation_accuracy") is not None:
            _check_fraction(
                f"{where}.runs[{index}].validation_accuracy",
                run["validation_accuracy"],
            )
        if run.get("train_cpu_seconds") is not None:
            _check_positive(
                f"{where}.runs[{index}].train_cpu_seconds", run["train_cpu_seconds"]
            )
    seeds = [run["seed"] for run in row["runs"]]
    if len(set(seeds)) != len(seeds) or row.get("seeds", seeds) != seeds:
        _fail(
            f"{where}.runs",
            "should give each run its own seed, listed in `seeds`. Received: "
            f"runs of seeds {seeds}, seeds {row.get('seeds', seeds)}",
        )
    mean = sum(run["test_accuracy"] for run in row["runs"]) / len(row["runs"])
    if abs(mean - row["test_accuracy"]) > MEAN_TOLERANCE:
        _fail(
            f"{where}.test_accuracy",
            f"should be the mean of its runs, {mean:.4f}. "
            f"Received: {row['test_accuracy']}",
        )


def validate_ladder_section(rows: Any, section: str = "ladder") -> None:
    """Check a ladder section: its rows, their precision, one per model and device.

    Examples:
        >>> validate_ladder_section([], "ladder_bf16")
        >>> validate_ladder_section({}, "ladder")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: ladder should be a list of rows. Received: {}. ...

    """
    policy = LADDER_PRECISIONS[section]
    if not isinstance(rows, list):
        _fail(section, f"should be a list of rows. Received: {rows!r}")
    seen = set()
    for index, row in enumerate(rows):
        where = f"{section}[{index}]"
        validate_ladder_row(row, where)
        if policy != "float32" and "precision" not in row:
            _fail(where, f"lacks key 'precision' (expected {policy!r})")
        for key, value in [
            ("precision", row.get("precision", policy)),
            ("machine.dtype_policy", row["machine"].get("dtype_policy", policy)),
        ]:
            if value != policy:
                _fail(
                    f"{where}.{key}",
                    f"should be {policy!r} in section {section!r}. Received: "
                    f"{value!r}; record it in section "
                    f"{next(name for name in LADDER_PRECISIONS if name != section)!r}",
                )
        if policy != "float32":
            recipe = RECIPES.get(row["model"])
            needed = dict(BF16_RUN_KEYS)
            if recipe is not None and recipe.final_fit:  # no validation to score
                del needed["validation_accuracy"]
            for number, run in enumerate(row["runs"]):
                _check_mapping(f"{where}.runs[{number}]", run, needed)
        key = (row["model"], row["device"])
        if key in seen:
            _fail(where, f"repeats model and device {key}")
        seen.add(key)


def validate_ablation_entry(entry: Any, where: str = "ablation.cpu") -> None:
    """Check one device's ablation; raise `ValueError` naming the first bad key.

    Examples:
        >>> validate_ablation_entry({"epochs": 10})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: ablation.cpu lacks key 'seeds'. ...

    """
    _check_mapping(where, entry, ABLATION_KEYS)
    _check_positive(f"{where}.epochs", entry["epochs"])
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    _check_validation_runs(
        where, entry, ABLATION_ROW_KEYS, ("variant", "seed", "epochs"), "the ablation"
    )


def validate_course_runtime(entry: Any, where: str = "course_runtime.cpu") -> None:
    """Check one device's course runtime: every lesson timed, totals that add up.

    Examples:
        >>> machine = {"cpu_model": "x", "logical_cores": 2, "device": "cpu",
        ...            "gpus": [], "tensorflow": "2", "keras": "3"}
        >>> validate_course_runtime({"lessons": [{"lesson": "00", "seconds": 5.0}],
        ...     "total_seconds": 5.0, "machine": machine, "wall_seconds": -1})
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: course_runtime.cpu.wall_seconds should not be ...

    """
    _check_mapping(where, entry, COURSE_RUNTIME_KEYS)
    _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    for index, lesson in enumerate(entry["lessons"]):
        at = f"{where}.lessons[{index}]"
        _check_mapping(at, lesson, COURSE_RUNTIME_LESSON_KEYS)
        _check_positive(f"{at}.seconds", lesson["seconds"])
        if "cpu_seconds" in lesson:
            _check_type(f"{at}.cpu_seconds", lesson["cpu_seconds"], float)
    for key in ("wall_seconds", "total_cpu_seconds"):
        if key in entry:
            _check_type(f"{where}.{key}", entry[key], float)
            if entry[key] < 0:
                _fail(
                    f"{where}.{key}", f"should not be negative. Received: {entry[key]}"
                )
    if "jobs" in entry:
        _check_type(f"{where}.jobs", entry["jobs"], int)
        _check_positive(f"{where}.jobs", entry["jobs"])


def validate_mutation(entry: Any, where: str = "mutation") -> None:
    """Check the mutation section: counts that add up, scores that follow.

    Examples:
        >>> row = {"module": "m.py", "mutants": 4, "killed": 3, "timeout": 0,
        ...        "survived": 1, "no_tests": 0, "score": 0.5, "met": False}
        >>> validate_mutation({"tool": "mutmut", "target": 0.8,
        ...     "measured_at": "2026-12-04T00:00:00Z", "modules": [row],
        ...     "survivors": [], "stale_judgements": []})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: mutation.modules[0].score is 0.5, but its counts ...

    """
    _check_mapping(where, entry, MUTATION_KEYS)
    _check_fraction(f"{where}.target", entry["target"])
    for index, row in enumerate(entry["modules"]):
        at = f"{where}.modules[{index}]"
        _check_mapping(at, row, MUTATION_MODULE_KEYS)
        caught = row["killed"] + row["timeout"]
        counted = caught + row["survived"] + row["no_tests"]
        if counted > row["mutants"]:
            _fail(at, f"counts {counted} verdicts for {row['mutants']} mutants")
        score = caught / counted if counted else 0.0
        if abs(score - row["score"]) > MEAN_TOLERANCE:
            _fail(
                f"{at}.score",
                f"is {row['score']}, but its counts give {score:.4g}; "
                "re-record it with `make mutants`",
            )
        unchecked = row.get("not_checked", 0)
        if row["met"] != (row["score"] >= entry["target"] and unchecked == 0):
            _fail(
                f"{at}.met",
                f"is {row['met']} for score {row['score']} with {unchecked} "
                "mutants not checked (a run cut short meets no target)",
            )


def validate_results(results: Mapping[str, Any]) -> None:
    """Check the benchmark sections of a results mapping.

    Args:
        results: The parsed `benchmarks/results.json`.

    Raises:
        ValueError: A section, row or key is missing or has the wrong type or
            range; the message names it, e.g. `ladder[2].test_accuracy`.

    Examples:
        >>> validate_results({})
        >>> validate_results({"speed": {"tpu": {}}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: results.json: speed.tpu is not a device; ...

    """
    if not isinstance(results, Mapping):
        _fail("the top level", f"should be an object. Received: {results!r}")
    for section in LADDER_PRECISIONS:
        if section in results:
            validate_ladder_section(results[section], section)
    if "speed" in results:
        _check_devices("speed", results["speed"])
        for device, entry in results["speed"].items():
            where = f"speed.{device}"
            _check_mapping(where, entry, SPEED_KEYS)
            for key in ("plain_images_per_second", "course_images_per_second"):
                _check_positive(f"{where}.{key}", entry[key])
            _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    if "speed_levers" in results:
        _check_devices("speed_levers", results["speed_levers"])
        for device, entry in results["speed_levers"].items():
            _check_mapping(f"speed_levers.{device}", entry, SPEED_LEVERS_KEYS)
            _check_mapping(
                f"speed_levers.{device}.machine", entry["machine"], MACHINE_KEYS
            )
    if "normalization" in results:
        _check_devices("normalization", results["normalization"])
        for device, entry in results["normalization"].items():
            validate_normalization(entry, f"normalization.{device}")
    if "process_split" in results:
        _check_devices("process_split", results["process_split"])
        for device, entry in results["process_split"].items():
            validate_process_split(entry, f"process_split.{device}")
    if "fresh_clone" in results:
        _check_devices("fresh_clone", results["fresh_clone"])
        for device, entry in results["fresh_clone"].items():
            validate_fresh_clone(entry, f"fresh_clone.{device}")
    if "retrain_build" in results:
        _check_devices("retrain_build", results["retrain_build"])
        for device, entry in results["retrain_build"].items():
            validate_retrain_build(entry, f"retrain_build.{device}")
    if "course_runtime" in results:
        _check_devices("course_runtime", results["course_runtime"])
        for device, entry in results["course_runtime"].items():
            validate_course_runtime(entry, f"course_runtime.{device}")
    if "time_to_accuracy" in results:
        _check_devices("time_to_accuracy", results["time_to_accuracy"])
        for device, entry in results["time_to_accuracy"].items():
            where = f"time_to_accuracy.{device}"
            _check_mapping(where, entry, TIME_TO_ACCURACY_KEYS)
            _check_fraction(f"{where}.threshold", entry["threshold"])
            for side in ("original", "course"):
                _check_mapping(f"{where}.{side}", entry[side], RECIPE_RUN_KEYS)
            if "ratio" not in entry:
                _fail(where, "lacks key 'ratio'")
            if entry["ratio"] is not None:
                _check_type(f"{where}.ratio", entry["ratio"], float)
            _check_mapping(f"{where}.machine", entry["machine"], MACHINE_KEYS)
    if "ablation" in results:
        _check_devices("ablation", results["ablation"])
        for device, entry in results["ablation"].items():
            validate_ablation_entry(entry, f"ablation.{device}")
    if "candidates" in results:
        _check_devices("candidates", results["candidates"])
        for device, entry in results["candidates"].items():
            validate_candidates_entry(entry, device=device)
    from fmnist_course.confirmation import ROUNDS

    for rule in ROUNDS:
        if rule.section in results:
            _check_devices(rule.section, results[rule.section])
            for device, entry in results[rule.section].items():
                earlier = None
                if rule.baseline_from:
                    earlier = (results.get(rule.baseline_from) or {}).get(device)
                validate_confirmation_entry(
                    entry, device=device, rule=rule, earlier=earlier
                )
    if "calibration" in results:
        _check_devices("calibration", results["calibration"])
        for device, entry in results["calibration"].items():
            validate_calibration_entry(entry, f"calibration.{device}")
    if "mutation" in results:
        validate_mutation(results["mutation"])
    if "targets" in results:
        _check_devices("targets", results["targets"])
        for device, targets in results["targets"].items():
            if not isinstance(targets, list):
                _fail(f"targets.{device}", f"should be a list. Received: {targets!r}")
            for index, target in enumerate(targets):
                _check_mapping(
                    f"targets.{device}[{index}]",
                    target,
                    {"name": str, "target": str, "met": bool},
                )
