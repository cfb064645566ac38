"""Running the search for a better recipe: each candidate under each seed.

The candidates are course content (`fmnist_course.candidates`); this module
trains them and says how their rows join the record's `candidates` section
(`merge_candidate_rows`, `candidates_entry`). Each run is one fresh Python
process, measured exactly as an ablation run is
(`fmnist_course.bench.validation_runs.measure_on_validation`): on
validation alone, with its wall and CPU seconds and its peak memory. The
test images are never scored.

Examples:
    >>> rows = run_candidates(["wider", "epochs_60"],
    ...                       seeds=[0, 1, 2])  # doctest: +SKIP
    >>> len(rows)  # doctest: +SKIP
    6

"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fmnist_course import confirmation
from fmnist_course.bench.child import child_main
from fmnist_course.bench.validation_runs import (
    check_new_model_path,
    check_seeds,
    measure_on_validation,
    run_in_processes,
)
from fmnist_course.candidates import (
    BASELINE,
    CANDIDATES,
    candidate_recipe,
    select_candidates,
)
from fmnist_course.choosing import SPREADS
from fmnist_course.errors import UserError
from fmnist_course.results_tables import utc_time

CANDIDATE_SEEDS = (0, 1, 2)
"""The seeds every candidate trains under, unless `--seeds` says otherwise."""

CONFIRMATION_RUNS = {
    (name, seed)
    for rule in confirmation.ROUNDS
    for name in (rule.baseline, rule.candidate)
    for seed in rule.seeds
}
"""The runs `fmnist-course bench confirm` judges, each recorded once."""


def measure_candidate(
    name: str,
    *,
    epochs: int | None = None,
    train_size: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
    save_dir: str | None = None,
) -> dict[str, Any]:
    """Train one candidate under one seed in this process; return its row.

    Args:
        name: A key of `CANDIDATES`, or `BASELINE`.
        epochs: Override the candidate's epochs (smoke tests only).
        train_size: Train on a stratified subset (smoke tests only).
        seed: Seed of the validation split, weights, shuffling and dropout.
        data_dir: Where the data lies (found automatically when `None`).
        save_dir: Also save the trained model there, as `model_path`
            names it (never over an existing file).

    Returns:
        The row: `candidate`, `changes` (the recipe fields it sets), `why`,
        then the measurement of `validation_runs.measure_on_validation`.

    Raises:
        UserError: Unknown candidate, or `epochs` below 1.

    Examples:
        >>> row = measure_candidate("wider", epochs=1,
        ...                         train_size=600)  # doctest: +SKIP
        >>> row["candidate"], row["recipe"]["model_kwargs"]["filters"]  # doctest: +SKIP
        ('wider', [48, 96, 192])

    """
    recipe = candidate_recipe(name)
    candidate = CANDIDATES.get(name)
    return {
        "candidate": name,
        "changes": dict(candidate.changes) if candidate else {},
        "why": candidate.why if candidate else "the baseline",
        **measure_on_validation(
            recipe,
            epochs=epochs,
            train_size=train_size,
            seed=seed,
            data_dir=data_dir,
            save_to=None if save_dir is None else model_path(save_dir, name, seed),
        ),
    }


def model_path(folder: str, name: str, seed: int) -> str:
    """Where a candidate's run saves its model under `save_dir`.

    Examples:
        >>> model_path("models", "epochs_80", 3)
        'models/epochs_80_seed3.keras'

    """
    return os.path.join(folder, f"{name}_seed{seed}.keras")


def run_candidates(
    names: Sequence[str] | None = None,
    *,
    seeds: Sequence[int] = CANDIDATE_SEEDS,
    epochs: int | None = None,
    workers: int | None = None,
    train_size: int | None = None,
    data_dir: str | None = None,
    save_dir: str | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Train each named candidate under each seed, one fresh process each.

    Args:
        names: Keys of `CANDIDATES` (and `BASELINE`); every candidate when
            `None`.
        seeds: Train every candidate once per seed.
        epochs: Override every candidate's epochs (smoke tests only).
        workers: Runs at once; `None`: one per core.
        train_size: Train on a subset (smoke tests only).
        data_dir: Where the data lies.
        save_dir: Also save each run's model there (`model_path`); checked
            before any run starts, so no run would overwrite a file.
        on_row: Called with each run's row as soon as it is measured.

    Returns:
        One row per (candidate, seed), in the order of `merge_candidate_rows`.

    Raises:
        UserError: An unknown candidate, no seeds or a repeated one, or a
            model file that `save_dir` already holds.

    """
    seeds = check_seeds(seeds)
    runs = [(name, seed) for name in select_candidates(names) for seed in seeds]
    if save_dir is not None:
        save_dir = os.path.abspath(save_dir)
        for name, seed in runs:
            check_new_model_path(model_path(save_dir, name, seed))
    options = {
        "epochs": epochs,
        "train_size": train_size,
        "data_dir": data_dir,
        "save_dir": save_dir,
    }
    rows = run_in_processes(
        "fmnist_course.bench.candidate_runs",
        runs,
        options,
        what="Candidate",
        workers=workers,
        on_row=on_row,
    )
    return merge_candidate_rows([], rows)


def merge_candidate_rows(
    existing: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Replace rows of the same candidate and seed; keep every other row.

    A confirmation run (`CONFIRMATION_RUNS`) is never replaced: its seed
    would be re-rolled.

    Rows come out `BASELINE` first, then in the order of `CANDIDATES`, then
    by seed; a recorded candidate the catalogue no longer has is kept, after
    the others, so the table still lists every candidate tried.

    Examples:
        >>> old = [{"candidate": "wider", "seed": 0, "val_accuracy": 0.9},
        ...        {"candidate": "gone", "seed": 0}]
        >>> new = [{"candidate": "wider", "seed": 0, "val_accuracy": 0.95},
        ...        {"candidate": "best", "seed": 1}]
        >>> [(r["candidate"], r["seed"], r.get("val_accuracy"))
        ...  for r in merge_candidate_rows(old, new)]
        [('best', 1, None), ('wider', 0, 0.95), ('gone', 0, None)]

    """

    def key(row: Mapping[str, Any]) -> tuple[str, int]:
        return row["candidate"], row["seed"]

    merged = {key(row): dict(row) for row in existing}
    for row in new:
        if key(row) in merged and key(row) in CONFIRMATION_RUNS:
            raise UserError(
                f"Expected a new run, but {row['candidate']!r} under seed "
                f"{row['seed']} is a confirmation run the record already holds "
                "(fmnist_course.confirmation): it is judged once and never "
                "re-rolled. Keep the first run."
            )
        merged[key(row)] = dict(row)
    order = {name: index for index, name in enumerate([BASELINE, *CANDIDATES])}
    return sorted(
        merged.values(),
        key=lambda row: (
            order.get(row["candidate"], len(order)),
            row["candidate"],
            row["seed"],
        ),
    )


def candidates_entry(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `candidates` entry of one device: the rows and their settings.

    `machine` and `measured_at` are those of the most recently measured row,
    `seeds` every seed measured; `baseline` names the recipe every change is
    against, `spreads` the rule's threshold (`fmnist_course.choosing.SPREADS`).

    Raises:
        ValueError: No rows.

    Examples:
        >>> entry = candidates_entry([{"candidate": "wider", "seed": 1,
        ...     "machine": {"device": "cpu"}, "measured_at": "2025-01-02T03:04:05Z"}])
        >>> entry["seeds"], entry["baseline"], entry["spreads"]
        ([1], 'best', 2)

    """
    if not rows:
        raise ValueError("Expected at least one candidate row. Received none.")
    rows = merge_candidate_rows([], rows)
    latest = max(rows, key=lambda row: utc_time(row["measured_at"]))
    return {
        "seeds": sorted({row["seed"] for row in rows}),
        "machine": latest["machine"],
        "measured_at": latest["measured_at"],
        "baseline": BASELINE,
        "spreads": SPREADS,
        "rows": rows,
    }


if __name__ == "__main__":
    child_main(measure_candidate)
