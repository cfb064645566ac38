"""Running the ablation: each variant under each seed, in fresh processes.

`fmnist_course.bench.ablation` says what the variants are and how their
runs are recorded; this module trains them. Each run is one fresh Python
process (`fmnist_course.bench.child`), as the ladder's recipes are, on the
standard seeded 10% validation split of the 60,000 training images; runs go
in parallel, one per core, each with its share of the threads. A run is
scored on its validation images only, as the test set is scored (with the
recipe's test-time augmentation, and without it for comparison), with its
expected calibration error both ways; the test images are never scored.
How one run is measured, and how runs share the cores, is
`fmnist_course.bench.validation_runs`, which the search for a better recipe
(`fmnist_course.bench.candidate_runs`) uses too.

Examples:
    >>> rows = run_ablation(["all_techniques", "no_cutout"], epochs=5,
    ...                     seeds=[0, 1, 2])  # doctest: +SKIP
    >>> len(rows)  # doctest: +SKIP
    6

"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fmnist_course.ablations import (
    CHOSEN,
    ablation_recipe,
    recorded_verdicts,
    select_ablations,
)
from fmnist_course.bench.ablation import (
    ABLATION_EPOCHS,
    ABLATION_SEEDS,
    merge_ablation_rows,
)
from fmnist_course.bench.child import child_main, run_child
from fmnist_course.bench.validation_runs import (
    check_seeds,
    measure_on_validation,
    run_in_processes,
)
from fmnist_course.errors import UserError
from fmnist_course.parallel import thread_limits


def _overrides(ablation) -> dict[str, Any]:
    """What a variant changes; for the chosen recipe, the parts it switches off."""
    if ablation.name != CHOSEN:
        return dict(ablation.overrides)
    verdicts = recorded_verdicts()
    return {"switched_off": sorted(v for v, said in verdicts.items() if said == "drop")}


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
        the row), `peak_rss_mib`, `machine` and `measured_at`
        (`validation_runs.measure_on_validation`).

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
    return {
        "variant": ablation.name,
        "removed": ablation.removed,
        "overrides": _overrides(ablation),
        **measure_on_validation(
            ablation_recipe(name),
            epochs=epochs,
            train_size=train_size,
            seed=seed,
            data_dir=data_dir,
        ),
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
        "fmnist_course.bench.ablation_runs",
        name,
        options,
        what=f"Ablation {name!r} (seed {options.get('seed', 0)})",
        env=None if threads is None else thread_limits(threads),
    )


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
    seeds = check_seeds(seeds)
    runs = [(a.name, seed) for a in select_ablations(variants) for seed in seeds]
    options = {"epochs": epochs, "train_size": train_size, "data_dir": data_dir}
    rows = run_in_processes(
        "fmnist_course.bench.ablation_runs",
        runs,
        options,
        what="Ablation",
        workers=workers,
        on_row=on_row,
    )
    return merge_ablation_rows([], rows)


if __name__ == "__main__":
    child_main(measure_ablation)
