"""The ladder in bfloat16 against the ladder in float32, and any loss in accuracy.

Keras's `mixed_bfloat16` trains more images per CPU-second on a CPU with
native bfloat16 (`fmnist_course.machine.bf16_suits`), but it rounds every
layer's arithmetic to 8 bits of mantissa. Before bfloat16 becomes the default
on such a host (`settings.BF16_BY_DEFAULT`), the lesson ladder is recorded in
bfloat16 too (`fmnist-course bench ladder --precision bfloat16 --seeds 0 1
2`), into its own section of the record, `BF16_SECTION`, beside the float32
`ladder` it never replaces. `bf16_comparison` sets the two side by side.

The verdict is the course's rule for a change that may cost accuracy
(`fmnist_course.choosing`): over the seeds both rows share, bfloat16 shows a
*loss* only when its mean is lower than float32's by more than `SPREADS`
times the larger of the two seed spreads; anything less is what reseeding
alone moves. The verdict is read on validation accuracy alone, what the
course chooses on; test accuracy is compared the same way and reported
beside it, but choosing the precision by it would make the test set choose.

Examples:
    >>> bf16_comparison({}).empty
    True
    >>> BF16_SECTION
    'ladder_bf16'

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fmnist_course.errors import UserError
from fmnist_course.results import DEVICES
from fmnist_course.results_tables import (
    RECORDED_RECIPE_FIELDS,
    machine_line,
    named_list,
)

BF16_SECTION = "ladder_bf16"
"""The record's section of ladder rows trained under `mixed_bfloat16`."""
FLOAT32_SECTION = "ladder"
"""The record's float32 ladder: lessons, shipped models and tables read it."""

COMPARED = (("validation", "validation_accuracy"), ("test", "test_accuracy"))
"""The accuracies compared, each with the word that labels its columns."""

BF16_COLUMNS = (
    "lesson",
    "seeds",
    "validation float32 (%)",
    "validation bfloat16 (%)",
    "validation change (points)",
    "validation threshold (points)",
    "test float32 (%)",
    "test bfloat16 (%)",
    "test change (points)",
    "test threshold (points)",
    "CPU-s float32",
    "CPU-s bfloat16",
    "CPU-time ratio",
    "verdict",
)
"""The columns of `bf16_comparison`, one row per recipe (means over shared seeds)."""

nan = float("nan")


def _points(value: float) -> float:
    """A fraction as percent (or percentage points), NaN stays NaN."""
    return round(100 * float(value), 2) if value == value else float("nan")


def _runs(row: Mapping[str, Any], precision: str, key: str, seeds) -> list[dict]:
    """The row's runs under `seeds` that recorded `key`, as `seed_summary` rows."""
    return [
        {"variant": precision, "seed": run["seed"], key: run[key]}
        for run in row["runs"]
        if run["seed"] in seeds and run.get(key) is not None
    ]


def compare_metric(
    float32_row: Mapping[str, Any],
    bf16_row: Mapping[str, Any],
    key: str,
    spreads: float | None = None,
) -> dict[str, Any]:
    """One accuracy of one recipe, bfloat16 against float32, by the course's rule.

    Args:
        float32_row: The recipe's row of the float32 `ladder`.
        bf16_row: Its row of `BF16_SECTION`.
        key: The per-seed accuracy to compare, e.g. `"validation_accuracy"`.
        spreads: The threshold in seed spreads (`choosing.SPREADS` when `None`).

    Returns:
        `float32` and `bfloat16` (means over the shared seeds that recorded
        `key`), `change` (bfloat16 minus float32), `threshold` (`spreads`
        times the larger spread), `seeds` (how many shared) and `verdict`:
        `"loss"` when `-change > threshold`, `"no loss"` otherwise, and
        `"undecided"` with fewer than two shared seeds.

    Examples:
        >>> def row(*accuracies):
        ...     return {"runs": [{"seed": s, "test_accuracy": a}
        ...                      for s, a in enumerate(accuracies)]}
        >>> result = compare_metric(row(.90, .91, .92), row(.85, .86, .87),
        ...                         "test_accuracy")
        >>> result["verdict"], round(result["change"], 4), round(result["threshold"], 4)
        ('loss', -0.05, 0.02)
        >>> compare_metric(row(.90, .91, .92), row(.905, .9, .92),
        ...                "test_accuracy")["verdict"]
        'no loss'

    """
    from fmnist_course.choosing import SPREADS, ablation_verdicts, seed_summary

    spreads = SPREADS if spreads is None else spreads
    shared = {run["seed"] for run in float32_row["runs"]} & {
        run["seed"] for run in bf16_row["runs"]
    }
    rows = _runs(float32_row, "float32", key, shared) + _runs(
        bf16_row, "bfloat16", key, shared
    )
    nan = float("nan")
    result = {"float32": nan, "bfloat16": nan, "change": nan, "threshold": nan}
    result.update(seeds=0, verdict="undecided")
    if not rows:
        return result
    summary = seed_summary(rows, value=key)
    for precision in ("float32", "bfloat16"):
        if precision in summary.index:
            result[precision] = float(summary.loc[precision, "mean"])
    if "float32" not in summary.index or "bfloat16" not in summary.index:
        return result
    verdict = ablation_verdicts(rows, "float32", value=key, spreads=spreads)
    line = verdict.loc["bfloat16"]
    # The ablation's "keep" (removing float32 costs more than the threshold)
    # is bfloat16's loss; its "drop" is no measurable loss.
    words = {"keep": "loss", "drop": "no loss", "undecided": "undecided"}
    result.update(
        change=float(line["change"]),
        threshold=float(line["threshold"]),
        seeds=int(line["seeds"]),
        verdict=words[line["verdict"]],
    )
    return result


def _cpu_seconds(row: Mapping[str, Any], seeds) -> float:
    """The mean CPU-seconds of a row's runs under `seeds` (NaN if any lacks it)."""
    values = [
        run.get("train_cpu_seconds") for run in row["runs"] if run["seed"] in seeds
    ]
    if not values or any(value is None for value in values):
        return float("nan")
    return sum(values) / len(values)


def _overall(verdicts: Sequence[str], missing: Sequence[str]) -> str:
    """The ladder's verdict from its recipes' verdicts and the recipes not measured."""
    if "loss" in verdicts:
        return "loss"
    if not verdicts or missing or "undecided" in verdicts:
        return "undecided"
    return "no loss"


def bf16_comparison(results: Mapping[str, Any], device: str = "cpu"):
    """Each recipe's bfloat16 ladder row against its float32 row, with a verdict.

    Pure: reads only its argument (say, `fmnist_course.results.load_results()`).
    Only seeds recorded in both precisions are compared. Accuracies are means
    in percent, changes and thresholds in percentage points
    (`compare_metric`); CPU-s are the mean training CPU-seconds per seed, and
    the CPU-time ratio is bfloat16's over float32's (below 1: bfloat16 trains
    on less CPU time). A recipe's verdict is its validation verdict: `"loss"`,
    `"no loss"` or `"undecided"` (`"not judged"` for a final fit, which has no
    validation accuracy); the test comparison is reported beside it.

    Args:
        results: The parsed `benchmarks/results.json`.
        device: `"cpu"` or `"gpu"`: whose rows to compare.

    Returns:
        A `pandas.DataFrame` indexed by `model`, in lesson order, with the
        columns of `BF16_COLUMNS`; empty when no recipe has both rows.
        `table.attrs` holds `verdict` (the ladder's: `"loss"` if any recipe
        lost, `"no loss"` when every float32 recipe judged on validation has
        a bfloat16 row and none lost, else `"undecided"`), `missing` (float32
        recipes without a bfloat16 row), `final_fits` (recipes without a
        validation set, left out of the verdict: `judged_on_validation`),
        `caption` and `device`.

    Raises:
        UserError: `device` is not one of `"cpu"`, `"gpu"`.

    Examples:
        >>> def row(model, accuracies, cpu):
        ...     runs = [{"seed": s, "test_accuracy": a, "validation_accuracy": a,
        ...              "train_cpu_seconds": cpu} for s, a in enumerate(accuracies)]
        ...     return {"lesson": "01", "model": model, "device": "cpu",
        ...             "runs": runs, "machine": {"cpu_model": "CPU"}}
        >>> results = {"ladder": [row("dense", [.88, .882, .89], 12.0)],
        ...            "ladder_bf16": [row("dense", [.881, .883, .888], 9.0)]}
        >>> table = bf16_comparison(results)
        >>> table.loc["dense", "verdict"], table.attrs["verdict"]
        ('no loss', 'no loss')
        >>> float(table.loc["dense", "CPU-time ratio"])
        0.75

    """
    import pandas as pd

    if device not in DEVICES:
        raise UserError(
            f"Expected a device among {', '.join(DEVICES)}. Received: {device!r}"
        )

    def rows_of(section: str) -> dict[str, Mapping[str, Any]]:
        return {
            row["model"]: row
            for row in results.get(section) or []
            if row.get("device", "cpu") == device
        }

    float32, bf16 = rows_of(FLOAT32_SECTION), rows_of(BF16_SECTION)
    apart = {
        model: settings_apart(float32[model], bf16[model])
        for model in set(float32) & set(bf16)
    }
    unlike = {model: why for model, why in apart.items() if why}  # other settings
    both = sorted(
        set(float32) & set(bf16) - set(unlike),
        key=lambda m: (float32[m]["lesson"], m),
    )
    lines = []
    for model in both:
        line: dict[str, Any] = {"model": model, "lesson": float32[model]["lesson"]}
        verdicts = []
        for word, key in COMPARED:
            compared = compare_metric(float32[model], bf16[model], key)
            if key == "validation_accuracy":
                verdicts.append(compared["verdict"])  # test is reported only
            line[f"{word} float32 (%)"] = _points(compared["float32"])
            line[f"{word} bfloat16 (%)"] = _points(compared["bfloat16"])
            line[f"{word} change (points)"] = _points(compared["change"])
            line[f"{word} threshold (points)"] = _points(compared["threshold"])
        shared = {run["seed"] for run in float32[model]["runs"]} & {
            run["seed"] for run in bf16[model]["runs"]
        }
        line["seeds"] = len(shared)
        cpu32, cpu16 = (
            _cpu_seconds(float32[model], shared),
            _cpu_seconds(bf16[model], shared),
        )
        line["CPU-s float32"] = round(cpu32, 1) if cpu32 == cpu32 else cpu32
        line["CPU-s bfloat16"] = round(cpu16, 1) if cpu16 == cpu16 else cpu16
        line["CPU-time ratio"] = (
            round(cpu16 / cpu32, 3) if cpu32 == cpu32 and cpu16 == cpu16 else nan
        )
        line["verdict"] = (
            _overall(verdicts, [])
            if judged_on_validation(float32[model])
            else "not judged"  # a final fit: no validation to judge on
        )
        lines.append(line)
    table = pd.DataFrame(lines, columns=["model", *BF16_COLUMNS]).set_index("model")
    missing = sorted(set(float32) - set(both), key=lambda m: (float32[m]["lesson"], m))
    final_fits = [m for m in float32 if not judged_on_validation(float32[m])]
    judged = [table.loc[m, "verdict"] for m in table.index if m not in final_fits]
    table.attrs.update(
        device=device,
        missing=missing,
        unlike=unlike,
        final_fits=final_fits,
        verdict=_overall(judged, [m for m in missing if m not in final_fits]),
        caption=_caption(float32, bf16, both, missing, device, unlike, final_fits),
    )
    return table


def settings_apart(float32: Mapping[str, Any], bf16: Mapping[str, Any]) -> str:
    """How a recipe's two rows differ in their recorded settings; `""` if alike.

    Rows of one recipe measured with different settings (say, before and
    after its epochs changed, or on a different number of training images)
    compare the change of recipe as well as the precision, so
    `bf16_comparison` leaves such a recipe out, as missing.

    Examples:
        >>> settings_apart({"epochs": 80, "batch_size": 128},
        ...                {"epochs": 40, "batch_size": 128})
        'epochs 80 in float32, 40 in bfloat16'
        >>> settings_apart({"epochs": 8}, {"epochs": 8})
        ''

    """
    return "; ".join(
        f"{key} {float32[key]!r} in float32, {bf16[key]!r} in bfloat16"
        for key in (*RECORDED_RECIPE_FIELDS, "train_images")
        if key in float32 and key in bf16 and float32[key] != bf16[key]
    )


def judged_on_validation(row: Mapping[str, Any]) -> bool:
    """Whether a ladder row kept a validation set to judge bfloat16 on.

    A final fit (`fmnist_course.final_fit`) trains on its validation images
    too, so its runs record no validation accuracy: the ladder's verdict
    cannot read it, and its test change is reported only.

    Examples:
        >>> judged_on_validation({"runs": [{"validation_accuracy": None}]})
        False
        >>> judged_on_validation({"runs": [{"validation_accuracy": 0.9}]})
        True

    """
    return any(run.get("validation_accuracy") is not None for run in row["runs"])


def _caption(float32, bf16, both, missing, device: str, unlike, final_fits) -> str:
    """What the comparison shows, on which machines, and how to read it."""
    from fmnist_course.choosing import SPREADS  # imports pandas

    if not both:
        return (
            f"No ladder row recorded in bfloat16 for {device.upper()} yet. Run "
            "`fmnist-course bench ladder --precision bfloat16 --seeds 0 1 2` on a "
            "CPU with avx512_bf16 or amx_bf16 to measure it."
        )
    machines = {machine_line(bf16[m]["machine"]) for m in both}
    # A measured peak differs between runs on one CPU: name CPUs by model.
    cpus = sorted({str(bf16[m]["machine"].get("cpu_model")) for m in both})
    on = (
        f"on {device.upper()} ({next(iter(machines))})"
        if len(machines) == 1
        else f"on {device.upper()} ({', '.join(cpus)})"
    )
    apart = [
        m
        for m in both
        if float32[m]["machine"].get("cpu_model") != bf16[m]["machine"].get("cpu_model")
    ]
    same = (
        f" For {', '.join(apart)}, the float32 row was measured on another CPU "
        f"({', '.join(sorted({float32[m]['machine'].get('cpu_model') for m in apart}))}"
        "), so the CPU-time ratio compares machines as well as precisions."
        if apart
        else ""
    )
    text = [
        f"Each lesson's recipe trained under Keras's `mixed_bfloat16` {on}, "
        "against the same recipe's float32 row of the ladder, over the seeds "
        "both recorded. Accuracies are means over those seeds; a change is "
        "bfloat16's mean minus float32's, in percentage points. bfloat16 shows "
        "a loss only when its validation mean is lower by more than "
        f"{SPREADS} times the larger seed spread of the two (the threshold; "
        "`fmnist_course.choosing`); the test columns are reported beside it, "
        "not judged. CPU-s is the "
        "training CPU time per seed; the ratio is bfloat16's over float32's "
        f"(below 1: bfloat16 is cheaper).{same}",
    ]
    for model, apart in sorted(unlike.items()):
        text.append(
            f"Not compared: `{model}`, whose rows were measured with other "
            f"settings ({apart}); `fmnist-course bench ladder --precision "
            f"bfloat16 --lessons {float32[model]['lesson']} --seeds 0 1 2` "
            "measures it again."
        )
    for model in final_fits:
        text.append(
            f"Not judged: `{model}`, a final fit trained on its validation images "
            "too (`fmnist_course.final_fit`), which has no validation accuracy "
            "to judge bfloat16 on; the ladder's verdict reads the other recipes."
        )
    missing = [model for model in missing if model not in unlike]
    if missing:
        text.append(
            "Not recorded in bfloat16 yet: "
            + named_list("recipe", [f"`{model}`" for model in missing])
            + "."
        )
    return " ".join(text)
