"""The ablation: every technique stacked, then one removed at a time.

`RECIPES["all_techniques"]` stacks every technique of lessons 06 and 07 on the
best model: cutout, label smoothing, random flips and shifts, dropout, weight
decay, weight averaging and a cosine learning-rate schedule. Each variant of
`ABLATIONS` is that recipe with one of them switched off (derived from the
recipe when it runs, so a change to it flows into every variant), trained
under the same epoch budget and the same seeds (`ABLATION_SEEDS`); the change
in mean accuracy against the `all_techniques` row is what that technique
buys, measured.

Every run is judged on validation alone, scored as the test set is scored:
with the recipe's test-time augmentation (and, for comparison, without it).
The test images are never scored here. `fmnist_course.choosing` states the
rule that turns the rows into a verdict per technique (a technique stays
only when removing it costs more than twice the seeds' spread), and the test
set is read once, for the chosen recipe, by the ladder.

Each run trains in a fresh Python process (`fmnist_course.bench.child`), as
the ladder's recipes do, on the standard seeded 10% validation split of the
60,000 training images; runs go in parallel, one per core, each with its
share of the threads. The full recipe trains for 40 epochs; eight variants
under three seeds at that budget cost 24 full trainings of the best model, so
every variant trains for `ABLATION_EPOCHS` (the cosine schedule decays over
whatever epochs are used) unless told otherwise. A technique that pays off
only late in a long run shows less in a short one: the budget is recorded
with every row, and the tables say it.

Examples:
    >>> [variant.name for variant in
    ...  select_ablations(["no_dropout", "all_techniques"])]
    ['all_techniques', 'no_dropout']
    >>> ablation_recipe("no_cutout").model_kwargs["cutout"]
    0
    >>> rows = run_ablation(epochs=5, seeds=[0, 1, 2])  # doctest: +SKIP
    >>> len(rows)  # doctest: +SKIP
    24

"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fmnist_course.bench.child import child_main, run_child
from fmnist_course.bench.ladder import seed_sharing
from fmnist_course.bench.record import measured_now
from fmnist_course.calibration import expected_calibration_error
from fmnist_course.choosing import SPREADS
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine
from fmnist_course.parallel import thread_limits
from fmnist_course.recipes import RECIPES, SWITCH_OFF, Recipe, switch_off
from fmnist_course.training import fit_recipe
from fmnist_course.view_averaging import with_test_time_augmentation

ABLATION_EPOCHS = 5
"""Epochs every variant trains for, unless `--epochs` says otherwise.

The full recipe trains for 40; an eighth of that runs all eight variants
under three seeds, one run per core, in about the time of two full
trainings on two cores."""

ABLATION_SEEDS = (0, 1, 2)
"""The seeds every variant trains under, unless `--seeds` says otherwise."""

REFERENCE = "all_techniques"
"""The variant with nothing removed, and the recipe (a key of `RECIPES`) that
every variant removes a technique from: each row's change is against it."""


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


def _validation_scores(model, recipe: Recipe, x_val, y_val) -> dict[str, float]:
    """Accuracy and calibration on validation, with and without the views.

    "Scored as the test set is" means with test-time augmentation when the
    recipe uses it; `*_model_alone` is the model without it.
    """
    alone = model.predict(x_val, batch_size=1024, verbose=0)
    scored = alone
    if recipe.test_time_augmentation:
        scored = with_test_time_augmentation(model).predict(
            x_val, batch_size=1024, verbose=0
        )
    labels = np.asarray(y_val)
    return {
        "val_accuracy": round(float((scored.argmax(1) == labels).mean()), 4),
        "val_accuracy_model_alone": round(float((alone.argmax(1) == labels).mean()), 4),
        "val_ece": round(expected_calibration_error(scored, labels), 4),
        "val_ece_model_alone": round(expected_calibration_error(alone, labels), 4),
    }


def measure_ablation(
    name: str,
    *,
    epochs: int = ABLATION_EPOCHS,
    train_size: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Train one variant under one seed in this process; return its row.

    The test images are never scored: a variant is judged on validation
    alone, and the test set is read once, for the chosen recipe.

    Args:
        name: A key of `ABLATIONS`.
        epochs: Epochs to train; the cosine schedule decays over these.
        train_size: Train on a stratified subset (smoke tests only).
        seed: Seed of the validation split, weights, shuffling and dropout.
        data_dir: Where the data lies (found automatically when `None`).

    Returns:
        The row: `variant`, `removed`, `overrides`, `recipe` (the settings
        trained, with `epochs` the budget), `full_recipe_epochs`, `epochs`,
        `seed`, `train_images`, `validation_images`, `val_accuracy` (scored
        as the test set is: with test-time augmentation when the recipe has
        it), `val_accuracy_model_alone` (without), `val_ece` and
        `val_ece_model_alone` (expected calibration error, the same two
        ways), `test_time_augmentation`, `train_seconds`,
        `train_cpu_seconds`, `load_average_before` (the 1-minute load
        average before loading the data: other work on the machine slows
        the row), `machine` and `measured_at`.

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
    data = load_course_split(data_dir, fast=False, train_size=train_size, seed=seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    model, history = fit_recipe(trained, data, seed=seed, verbose=0)
    train_seconds = time.perf_counter() - start
    train_cpu_seconds = time.process_time() - cpu_start
    x_val, y_val = data.validation_data
    return {
        "variant": ablation.name,
        "removed": ablation.removed,
        "overrides": dict(ablation.overrides),
        "recipe": _recipe_settings(trained),
        "full_recipe_epochs": recipe.epochs,
        "epochs": len(history),
        "seed": seed,
        "train_images": len(data.x_train),
        "validation_images": len(x_val),
        **_validation_scores(model, trained, x_val, y_val),
        "test_time_augmentation": trained.test_time_augmentation,
        "train_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),
        "load_average_before": round(load_before, 2),
        "machine": describe_machine(),
        "measured_at": measured_now(),
    }


def measure_ablation_in_subprocess(
    name: str, *, threads: int | None = None, **options: Any
) -> dict[str, Any]:
    """`measure_ablation` in a fresh Python process.

    Args:
        name: A key of `ABLATIONS`.
        threads: Cap the process's TensorFlow to this many threads
            (`thread_limits`); `None` leaves its default.
        **options: Keyword arguments of `measure_ablation`.

    Raises:
        RuntimeError: The child process failed; its last output is shown.

    """
    return run_child(
        "fmnist_course.bench.ablation",
        name,
        options,
        what=f"Ablation {name!r} (seed {options.get('seed', 0)})",
        env=None if threads is None else thread_limits(threads),
    )


def merge_ablation_rows(
    existing: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Replace rows of the same variant and seed, keep every other row.

    Rows come out in the order of `ABLATIONS`, then by seed; a recorded
    variant the table no longer has is kept, after the others. A row
    recorded before runs were scored on validation alone (it has a
    `test_accuracy`) is dropped: its variant was chosen with test numbers.

    Examples:
        >>> old = [{"variant": "no_dropout", "seed": 0, "val_accuracy": 0.92},
        ...        {"variant": "all_techniques", "seed": 0, "val_accuracy": 0.93}]
        >>> new = [{"variant": "all_techniques", "seed": 0, "val_accuracy": 0.94},
        ...        {"variant": "all_techniques", "seed": 1, "val_accuracy": 0.93}]
        >>> [(r["variant"], r["seed"], r["val_accuracy"])
        ...  for r in merge_ablation_rows(old, new)]  # doctest: +NORMALIZE_WHITESPACE
        [('all_techniques', 0, 0.94), ('all_techniques', 1, 0.93),
         ('no_dropout', 0, 0.92)]

    """
    merged = {
        (row["variant"], row["seed"]): dict(row)
        for row in existing
        if "test_accuracy" not in row
    }
    merged.update({(row["variant"], row["seed"]): dict(row) for row in new})
    order = {name: index for index, name in enumerate(ABLATIONS)}
    return sorted(
        merged.values(),
        key=lambda row: (
            order.get(row["variant"], len(order)),
            row["variant"],
            row["seed"],
        ),
    )


def ablation_entry(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `ablation` entry of one device: the rows and their latest run's settings.

    `epochs`, `train_images`, `validation_images`, `machine` and
    `measured_at` are those of the most recently measured row, `seeds`
    every seed measured; each row keeps its own. `reference` names the
    variant the changes are against, `spreads` the rule's threshold
    (`fmnist_course.choosing.SPREADS`).

    Raises:
        ValueError: No rows.

    Examples:
        >>> entry = ablation_entry([{"variant": "all_techniques",
        ...     "val_accuracy": 0.93, "epochs": 10, "seed": 1,
        ...     "train_images": 54000, "validation_images": 6000,
        ...     "machine": {"device": "cpu"}, "measured_at": "2025-01-02T03:04:05Z"}])
        >>> entry["epochs"], entry["seeds"], entry["spreads"]
        (10, [1], 2)

    """
    if not rows:
        raise ValueError("Expected at least one ablation row. Received none.")
    rows = merge_ablation_rows([], rows)
    latest = max(rows, key=lambda row: row["measured_at"])
    keys = ("epochs", "train_images", "validation_images", "machine", "measured_at")
    return {
        **{key: latest[key] for key in keys},
        "seeds": sorted({row["seed"] for row in rows}),
        "reference": REFERENCE,
        "spreads": SPREADS,
        "rows": rows,
    }


def run_ablation(
    variants: Sequence[str] | None = None,
    *,
    epochs: int = ABLATION_EPOCHS,
    seeds: Sequence[int] = ABLATION_SEEDS,
    workers: int | None = None,
    train_size: int | None = None,
    data_dir: str | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Train each chosen variant under each seed, one fresh process each.

    Args:
        variants: Names from `ABLATIONS`; all when `None`.
        epochs: Epochs every variant trains for.
        seeds: Train every variant once per seed.
        workers: Runs at once, each in its own process with its share of the
            cores (`fmnist_course.bench.ladder.seed_sharing`); `None`: one
            per core.
        train_size: Train on a subset (smoke tests only).
        data_dir: Where the data lies.
        on_row: Called with each run's row as soon as it is measured, so a
            run cut short keeps what it measured.

    Returns:
        One row per (variant, seed), in the order of `ABLATIONS`, then seed.

    Raises:
        UserError: An unknown variant, no seeds or a repeated one, or
            `epochs` below 1.

    Examples:
        >>> rows = run_ablation([REFERENCE, "no_cutout"], epochs=5,
        ...                     seeds=[0, 1, 2])  # doctest: +SKIP
        >>> len(rows)  # doctest: +SKIP
        6

    """
    if epochs < 1:
        raise UserError(f"Expected epochs >= 1. Received: epochs={epochs}")
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"Expected one or more distinct seeds. Received: seeds={seeds}")
    runs = [(a.name, seed) for a in select_ablations(variants) for seed in seeds]
    processes, threads = seed_sharing(len(runs), workers)
    rows = []
    with concurrent.futures.ThreadPoolExecutor(processes) as pool:
        futures = [
            pool.submit(
                measure_ablation_in_subprocess,
                name,
                threads=threads if processes > 1 else None,
                epochs=epochs,
                seed=seed,
                train_size=train_size,
                data_dir=data_dir,
            )
            for name, seed in runs
        ]
        try:
            for future in concurrent.futures.as_completed(futures):
                row = future.result()
                if on_row is not None:
                    on_row(row)
                rows.append(row)
        except BaseException:  # start no more runs; the running ones end
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return merge_ablation_rows([], rows)


if __name__ == "__main__":
    child_main(measure_ablation)
