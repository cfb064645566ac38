"""The ablation: every technique stacked, then one removed at a time.

`RECIPES["all_techniques"]` stacks every technique of lessons 06 and 07 on the
best model: cutout, label smoothing, random flips and shifts, dropout, weight
decay, weight averaging and a cosine learning-rate schedule. Each variant of
`ABLATIONS` is that recipe with one of them switched off (derived from the
recipe when it runs, so a change to it flows into every variant), trained
under the same epoch budget and seed; the change in accuracy against the
`all_techniques` row is what that technique buys, measured. The recorded
run has one seed per variant and scores validation without test-time
augmentation; `RECIPES["best"]` keeps the parts whose removal lowered *test*
accuracy, which is test-set selection (lesson 07 says so). An honest choice
scores validation with the same views, over several seeds (issues #36, #37).

Each variant trains in a fresh Python process (`fmnist_course.bench.child`), as
the ladder's recipes do, on the standard seeded 10% validation split of the
60,000 training images, and is tested on the 10,000 test images. The full
recipe trains for 40 epochs; eight variants of that cost eight full trainings
of the best model (about what the best recipe's ladder row takes), so every variant
trains for `ABLATION_EPOCHS` (the cosine schedule decays over whatever epochs
are used) unless told otherwise.

Test-time augmentation (`Recipe.test_time_augmentation`) changes no training,
so it is not a variant: every row records its test accuracy both with it
(`test_accuracy`, as the recipe says) and without it
(`test_accuracy_model_alone`), and what it buys is read off the same runs.

Examples:
    >>> [variant.name for variant in
    ...  select_ablations(["no_dropout", "all_techniques"])]
    ['all_techniques', 'no_dropout']
    >>> ablation_recipe("no_cutout").model_kwargs["cutout"]
    0
    >>> rows = run_ablation(epochs=10)  # doctest: +SKIP
    >>> rows[1]["variant"], rows[1]["delta_test"]  # doctest: +SKIP
    ('no_cutout', -0.0021)

"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fmnist_course.bench.child import child_main, run_child
from fmnist_course.bench.record import measured_now
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine
from fmnist_course.recipes import RECIPES, SWITCH_OFF, Recipe, switch_off
from fmnist_course.training import evaluate_model, train_recipe

ABLATION_EPOCHS = 10
"""Epochs every variant trains for, unless `--epochs` says otherwise.

The full recipe trains for 40; a quarter of that runs all eight variants
in about the time of two full trainings. A technique that pays off only late
in a long run shows less in a short one; the epochs are recorded with every
row, and the tables say them."""

REFERENCE = "all_techniques"
"""The variant with nothing removed, and the recipe (a key of `RECIPES`) that
every variant removes a technique from: each row's change is against it."""

COMPARABLE_KEYS = ("epochs", "seed", "train_images", "test_images")
"""Rows are compared with the reference only when these settings agree."""


@dataclass(frozen=True)
class Ablation:
    """One variant of the stacked recipe: which technique it removes, and how.

    Attributes:
        name: The variant's name, a key of `ABLATIONS` (`--variants NAME`).
        removed: The technique removed, in words (the tables' `removed`).
        technique: The key of `recipes.SWITCH_OFF` that says how to switch
            it off (`None` for the reference, which removes nothing).

    """

    name: str
    removed: str
    technique: str | None = None

    @property
    def overrides(self) -> dict[str, Any]:
        """The `Recipe` fields this variant changes (`SWITCH_OFF[technique]`)."""
        return {} if self.technique is None else dict(SWITCH_OFF[self.technique])


ABLATIONS: dict[str, Ablation] = {
    ablation.name: ablation
    for ablation in (
        Ablation(REFERENCE, "nothing (every technique)"),
        Ablation("no_cutout", "cutout", "cutout"),
        Ablation("no_label_smoothing", "label smoothing", "label smoothing"),
        Ablation("no_flip_shift", "random flips and shifts", "flips and shifts"),
        Ablation("no_dropout", "dropout", "dropout"),
        Ablation("no_weight_decay", "weight decay (Adam, not AdamW)", "weight decay"),
        Ablation("no_weight_averaging", "weight averaging", "weight averaging"),
        Ablation(
            "constant_rate",
            "cosine schedule (constant default rate)",
            "cosine schedule",
        ),
    )
}
"""The variants, in the order the tables list them; the reference first."""


def select_ablations(names: Sequence[str] | None = None) -> list[Ablation]:
    """The named variants (all when `None`), in the order of `ABLATIONS`.

    Raises:
        UserError: No names, or a name that is not a variant; the message
            lists the known ones.

    Examples:
        >>> [variant.name for variant in select_ablations()][:2]
        ['all_techniques', 'no_cutout']
        >>> select_ablations(["no_cutuot"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Unknown ablation variant(s): 'no_cutuot'. ...

    """
    if names is None:
        return list(ABLATIONS.values())
    names = list(names)
    known = ", ".join(ABLATIONS)
    if not names:
        raise UserError(
            f"Expected at least one ablation variant. Received none. Known: {known}."
        )
    unknown = [name for name in names if name not in ABLATIONS]
    if unknown:
        raise UserError(
            f"Unknown ablation variant(s): {', '.join(map(repr, unknown))}. "
            f"Expected names from: {known}. Pass some of these to --variants, "
            "or leave --variants out to run them all."
        )
    return [ablation for ablation in ABLATIONS.values() if ablation.name in names]


def ablation_recipe(name: str, base: Recipe | None = None) -> Recipe:
    """The stacked recipe with the variant's overrides applied.

    Args:
        name: A key of `ABLATIONS`.
        base: The recipe to remove a technique from (default:
            `RECIPES[REFERENCE]` as it is now).

    Returns:
        The base recipe itself for the reference, else a copy named
        `BASE-NAME` (say, `all_techniques-no_dropout`).

    Raises:
        UserError: `name` is not a variant.

    Examples:
        >>> recipe = ablation_recipe("no_dropout")
        >>> recipe.name, recipe.model_kwargs == {
        ...     **RECIPES[REFERENCE].model_kwargs, "dropout": 0.0}
        ('all_techniques-no_dropout', True)
        >>> ablation_recipe(REFERENCE) == RECIPES[REFERENCE]
        True

    """
    (ablation,) = select_ablations([name])
    base = RECIPES[REFERENCE] if base is None else base
    if ablation.name == REFERENCE:
        return base
    name = f"{base.name}-{ablation.name}"
    return dataclasses.replace(switch_off(base, ablation.technique), name=name)


def _recipe_settings(recipe: Recipe) -> dict[str, Any]:
    """The recipe's training settings as JSON (its name and lesson left out)."""
    settings = dataclasses.asdict(recipe)
    for key in ("name", "lesson"):
        settings.pop(key)
    return settings


def measure_ablation(
    name: str,
    *,
    epochs: int = ABLATION_EPOCHS,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Train one variant in this process and return its row (without changes).

    Args:
        name: A key of `ABLATIONS`.
        epochs: Epochs to train; the cosine schedule decays over these.
        train_size: Train on a stratified subset (smoke tests only).
        test_size: Test on a stratified subset (smoke tests only).
        seed: Seed of the validation split, weights, shuffling and dropout.
        data_dir: Where the data lies (found automatically when `None`).

    Returns:
        The row: `variant`, `removed`, `overrides`, `recipe` (the settings
        trained, with `epochs` the budget), `full_recipe_epochs`, `epochs`,
        `seed`, `train_images`, `test_images`, `val_accuracy` (of the final
        weights, the averaged ones under weight averaging), `test_accuracy`
        (with test-time augmentation when the recipe has it),
        `test_accuracy_model_alone` (without), `test_time_augmentation`,
        `train_seconds`, `load_average_before` (the 1-minute load average
        before loading the data: other work on the machine slows the row),
        `machine` and `measured_at`.

    Raises:
        UserError: Unknown variant, or `epochs` below 1.

    Examples:
        >>> row = measure_ablation("no_cutout", epochs=1,
        ...                        train_size=600)  # doctest: +SKIP
        >>> row["variant"], row["overrides"]  # doctest: +SKIP
        ('no_cutout', {'model_kwargs': {'cutout': 0}})

    """
    if epochs < 1:
        raise UserError(f"Expected epochs >= 1. Received: epochs={epochs}")
    (ablation,) = select_ablations([name])
    recipe = ablation_recipe(name)
    trained = dataclasses.replace(recipe, epochs=epochs)
    load_before = os.getloadavg()[0]
    data = load_course_split(
        data_dir, fast=False, train_size=train_size, test_size=test_size, seed=seed
    )
    run = train_recipe(trained, data, seed=seed, verbose=0)
    model_alone = run.test_accuracy
    if trained.test_time_augmentation:
        model_alone = evaluate_model(run.model, data.x_test, data.y_test)["accuracy"]
    return {
        "variant": ablation.name,
        "removed": ablation.removed,
        "overrides": dict(ablation.overrides),
        "recipe": _recipe_settings(trained),
        "full_recipe_epochs": recipe.epochs,
        "epochs": len(run.history),
        "seed": seed,
        "train_images": len(data.x_train),
        "test_images": len(data.x_test),
        "val_accuracy": round(float(run.history["val_accuracy"].iloc[-1]), 4),
        "test_accuracy": round(run.test_accuracy, 4),
        "test_accuracy_model_alone": round(model_alone, 4),
        "test_time_augmentation": trained.test_time_augmentation,
        "train_seconds": round(run.train_seconds, 1),
        "load_average_before": round(load_before, 2),
        "machine": describe_machine(),
        "measured_at": measured_now(),
    }


def measure_ablation_in_subprocess(name: str, **options: Any) -> dict[str, Any]:
    """`measure_ablation` in a fresh Python process.

    Args:
        name: A key of `ABLATIONS`.
        **options: Keyword arguments of `measure_ablation`.

    Raises:
        RuntimeError: The child process failed; its last output is shown.

    """
    return run_child(
        "fmnist_course.bench.ablation", name, options, what=f"Ablation {name!r}"
    )


def with_deltas(
    rows: Sequence[Mapping[str, Any]], reference: str = REFERENCE
) -> list[dict[str, Any]]:
    """Copies of the rows with `delta_val` and `delta_test` against the reference.

    A change is the row's accuracy minus the reference row's, as a fraction
    (-0.004 is 0.4 points lower: removing the technique cost 0.4 points). It
    is `None` when there is no reference row, or when the row was measured
    with other settings than it (`COMPARABLE_KEYS`: epochs, seed, image
    counts), say a row kept from an earlier run with another budget.

    Examples:
        >>> rows = [{"variant": "all_techniques", "val_accuracy": 0.93,
        ...          "test_accuracy": 0.92, "epochs": 10, "seed": 0},
        ...         {"variant": "no_cutout", "val_accuracy": 0.925,
        ...          "test_accuracy": 0.9212, "epochs": 10, "seed": 0},
        ...         {"variant": "no_dropout", "val_accuracy": 0.91,
        ...          "test_accuracy": 0.90, "epochs": 1, "seed": 0}]
        >>> [(r["delta_val"], r["delta_test"]) for r in with_deltas(rows)]
        [(0.0, 0.0), (-0.005, 0.0012), (None, None)]

    """
    base = next((row for row in rows if row["variant"] == reference), None)
    result = []
    for row in rows:
        row = dict(row)
        comparable = base is not None and all(
            row.get(key) == base.get(key) for key in COMPARABLE_KEYS
        )
        for delta, key in (
            ("delta_val", "val_accuracy"),
            ("delta_test", "test_accuracy"),
        ):
            row[delta] = round(row[key] - base[key], 4) if comparable else None
        result.append(row)
    return result


def merge_ablation_rows(
    existing: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Replace rows of the same variant, keep every other row; recompute changes.

    Rows come out in the order of `ABLATIONS`; a recorded variant the table no
    longer has is kept, after the others.

    Examples:
        >>> old = [{"variant": "all_techniques", "val_accuracy": 0.93,
        ...         "test_accuracy": 0.92},
        ...        {"variant": "no_dropout", "val_accuracy": 0.92,
        ...         "test_accuracy": 0.91}]
        >>> new = [{"variant": "all_techniques", "val_accuracy": 0.94,
        ...         "test_accuracy": 0.93}]
        >>> [(r["variant"], r["delta_test"]) for r in merge_ablation_rows(old, new)]
        [('all_techniques', 0.0), ('no_dropout', -0.02)]

    """
    merged = {row["variant"]: dict(row) for row in existing}
    merged.update({row["variant"]: dict(row) for row in new})
    order = {name: index for index, name in enumerate(ABLATIONS)}
    ordered = sorted(
        merged.values(),
        key=lambda row: (order.get(row["variant"], len(order)), row["variant"]),
    )
    return with_deltas(ordered)


def ablation_entry(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `ablation` entry of one device: the rows and their latest run's settings.

    `epochs`, `seed`, `train_images`, `test_images`, `machine` and
    `measured_at` are those of the most recently measured row; each row
    keeps its own. `reference` names the variant the changes are against.

    Raises:
        ValueError: No rows.

    Examples:
        >>> entry = ablation_entry([{"variant": "all_techniques",
        ...     "val_accuracy": 0.93, "test_accuracy": 0.92, "epochs": 10, "seed": 0,
        ...     "train_images": 54000, "test_images": 10000,
        ...     "machine": {"device": "cpu"}, "measured_at": "2025-01-02T03:04:05Z"}])
        >>> entry["epochs"], entry["rows"][0]["delta_test"]
        (10, 0.0)

    """
    if not rows:
        raise ValueError("Expected at least one ablation row. Received none.")
    rows = merge_ablation_rows([], rows)
    latest = max(rows, key=lambda row: row["measured_at"])
    entry = {key: latest[key] for key in (*COMPARABLE_KEYS, "machine", "measured_at")}
    return {**entry, "reference": REFERENCE, "rows": rows}


def run_ablation(
    variants: Sequence[str] | None = None,
    *,
    epochs: int = ABLATION_EPOCHS,
    seed: int = 0,
    train_size: int | None = None,
    test_size: int | None = None,
    data_dir: str | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Train the chosen variants, one fresh process each; rows with their changes.

    Args:
        variants: Names from `ABLATIONS`; all when `None`.
        epochs: Epochs every variant trains for.
        seed: Seed of the split and of every run.
        train_size: Train on a subset (smoke tests only).
        test_size: Test on a subset (smoke tests only).
        data_dir: Where the data lies.
        on_row: Called with each variant's row as soon as it is measured
            (before changes are computed), so a run cut short keeps what it
            measured.

    Returns:
        One row per variant, in the order of `ABLATIONS`, with `delta_val`
        and `delta_test` against the reference when it is among them
        (`with_deltas`).

    Raises:
        UserError: An unknown variant, or `epochs` below 1.

    Examples:
        >>> rows = run_ablation([REFERENCE, "no_cutout"],
        ...                     epochs=10)  # doctest: +SKIP
        >>> [row["delta_test"] for row in rows]  # doctest: +SKIP
        [0.0, -0.0018]

    """
    if epochs < 1:
        raise UserError(f"Expected epochs >= 1. Received: epochs={epochs}")
    rows = []
    for ablation in select_ablations(variants):
        row = measure_ablation_in_subprocess(
            ablation.name,
            epochs=epochs,
            seed=seed,
            train_size=train_size,
            test_size=test_size,
            data_dir=data_dir,
        )
        if on_row is not None:
            on_row(row)
        rows.append(row)
    return with_deltas(rows)


if __name__ == "__main__":
    child_main(measure_ablation)
