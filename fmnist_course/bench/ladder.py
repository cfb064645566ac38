"""The lesson ladder: each lesson's model trained exactly as its lesson does.

Each recipe of `fmnist_course.recipes.RECIPES` is trained by `train_recipe` on
the real data with a seeded 10% validation split, as `fmnist-course train`
and the lessons (in full mode) do, and evaluated on the standard test set. A
final fit (`Recipe.final_fit`, `fmnist_course.final_fit`) trains on the
validation images too.
Each run is trained in a fresh Python process, so its `peak_rss_mib` (the
process's peak resident memory: TensorFlow, the data and the training) is its
own and not its predecessors'. Runs train at once, one process each, up to
the number of cores (a core freed by one recipe's last seed starts the next
recipe's first), each process capped to its share of the threads
(`seed_processes` and `threads_per_process` in the row say how the cores were
shared, since that moves the training times). Rows then follow in lesson
order, and the runs of a row in seed order.

The model of a recipe's first seed is saved with its history and fingerprint
(`fmnist_course.trained_models`) when `models_dir` is given: the command line
saves a full run's models into the package's folder, where lessons find them.
Each row records the `fingerprint` (its SHA-256) of what trained it, so a
shipped model's test accuracy can be matched to its row's run of that seed.

`images_per_second` is training images times epochs over the training wall
time (which includes the per-epoch validation pass, as in the lessons; a
final fit has none, so its figure is not quite comparable with the others).
`train_cpu_seconds` is the CPU time the row's process used over the same
span, all threads together. A shared host may lend a virtual machine fewer
cores for a while, which slows the wall time of the same work; the CPU time
moves far less, so rows measured on different days compare better in it.
`validation_accuracy` scores the trained model on the validation images the
way the test images are scored (with test-time augmentation when the recipe
says so): recipes are compared on it, and the test set is only reported. A
recipe with `final_fit` (`best`, chosen on validation already) trains on the
validation images too, all 60,000 (`fmnist_course.final_fit`), and has none.

`precision` is the dtype policy the model was built in: float32 unless asked
for bfloat16, whose rows have a section of their own and whose models are
never saved (`fmnist_course.bench.ladder_precision`).

Examples:
    >>> rows = run_ladder(["01"])  # doctest: +SKIP
    >>> rows[0]["model"], rows[0]["test_accuracy"]  # doctest: +SKIP
    ('dense', 0.89...)

"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fmnist_course.bench.child import child_main, run_child
from fmnist_course.bench.ladder_precision import (
    check_no_models,
    check_precision,
    precision_env,
    resolve_precision,
)
from fmnist_course.bench.record import measured_now
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.final_fit import data_for_recipe
from fmnist_course.fingerprints import fingerprint, fingerprint_digest
from fmnist_course.machine import describe_machine, peak_rss_mib
from fmnist_course.parallel import default_workers, thread_limits
from fmnist_course.recipes import RECIPES, Recipe, get_recipe
from fmnist_course.results_tables import accuracy_summary
from fmnist_course.trained_models import (
    check_can_save,
    model_precision,
    save_trained_model,
)
from fmnist_course.training import train_recipe


def normalize_lesson(lesson: str) -> str:
    """`"1"` -> `"01"`; lessons are two-digit strings.

    Raises:
        ValueError: Not a lesson number.

    Examples:
        >>> normalize_lesson("2"), normalize_lesson("04")
        ('02', '04')

    """
    text = str(lesson).strip()
    if not text.isdigit():
        raise UserError(f"Expected a lesson number such as 01. Received: {lesson!r}")
    return f"{int(text):02d}"


def select_recipes(
    lessons: Sequence[str] | None = None,
    recipes: dict[str, Recipe] | None = None,
) -> list[Recipe]:
    """The recipes of the given lessons (all lessons when `None`), by lesson.

    Raises:
        ValueError: A lesson has no recipe.

    Examples:
        >>> [recipe.name for recipe in select_recipes(["1"])]
        ['dense']

    """
    recipes = RECIPES if recipes is None else recipes
    ordered = sorted(
        (recipe for recipe in recipes.values() if recipe.lesson),
        key=lambda recipe: (recipe.lesson, recipe.name),
    )
    if lessons is None:
        return ordered
    wanted = [normalize_lesson(lesson) for lesson in lessons]
    known = sorted({recipe.lesson for recipe in ordered})
    unknown = [lesson for lesson in wanted if lesson not in known]
    if unknown:
        raise UserError(
            f"No recipe for lesson(s) {', '.join(unknown)}. "
            f"Lessons with a recipe: {', '.join(known)}."
        )
    return [recipe for recipe in ordered if recipe.lesson in wanted]


def measure_recipe(
    name: str,
    *,
    epochs: int | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
    save_dir: str | None = None,
    precision: str | None = None,
) -> dict[str, Any]:
    """Train one recipe in this process and return its ladder row.

    Args:
        name: A key of `RECIPES`.
        epochs: Override the recipe's epochs (for smoke tests only).
        train_size: Train on a stratified subset (for smoke tests only).
        test_size: Test on a stratified subset (for smoke tests only).
        seed: Seed of the validation split, weights, shuffling and dropout.
        data_dir: Where the data lies (found automatically when `None`).
        save_dir: Save the trained model there (`save_trained_model`), or
            nowhere when `None`.
        precision: The dtype policy this process was asked to train in
            (`precision_env` sets it); the run fails when the model was built
            in another. `None` checks nothing.

    Returns:
        The row, with `peak_rss_mib` of this process so far, the `fingerprint`
        of what trained the model and the `precision` it was built in.

    Raises:
        RuntimeError: The model was built in another policy than `precision`.

    Examples:
        >>> measure_recipe("dense", epochs=1, train_size=2000)  # doctest: +SKIP
        {'lesson': '01', 'model': 'dense', ...}

    """
    recipe = get_recipe(name)
    data = load_course_split(
        data_dir, fast=False, train_size=train_size, test_size=test_size, seed=seed
    )
    data = data_for_recipe(recipe, data)  # all 60,000 images for a final fit
    run = train_recipe(recipe, data, epochs=epochs, seed=seed, verbose=0)
    num_epochs = len(run.history)
    machine = describe_machine()
    measured_at = measured_now()
    trained_in = model_precision(run.model)
    if precision is not None and trained_in != precision:
        raise RuntimeError(
            f"Expected {name!r} to train in {precision}. Received a model built "
            f"in {trained_in}: the process's FMNIST_BF16 did not reach it."
        )
    if save_dir is not None:
        save_trained_model(
            run,
            seed=seed,
            directory=save_dir,
            train_size=train_size,
            details={
                "train_images": len(data.x_train),
                "test_images": len(data.x_test),
                "device": machine["device"],
                "measured_at": measured_at,
            },
        )
    trained_by = fingerprint(recipe, epochs=num_epochs, train_size=train_size)
    return {
        "lesson": recipe.lesson,
        "model": recipe.name,
        "architecture": recipe.model,
        "params": run.params,
        "epochs": num_epochs,
        "batch_size": recipe.batch_size,
        "learning_rate": recipe.learning_rate,
        "schedule": recipe.schedule,
        "test_time_augmentation": recipe.test_time_augmentation,
        "train_images": len(data.x_train),
        "test_images": len(data.x_test),
        **run.scores(),
        "images_per_second": round(
            len(data.x_train) * num_epochs / run.train_seconds, 1
        ),
        "seed": seed,
        "device": machine["device"],
        "peak_rss_mib": peak_rss_mib(),
        "machine": machine,
        "measured_at": measured_at,
        "fingerprint": fingerprint_digest(trained_by),
        "precision": trained_in,
    }


def measure_recipe_in_subprocess(
    name: str,
    *,
    threads: int | None = None,
    precision: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """`measure_recipe` in a fresh Python process, so its peak memory is its own.

    Args:
        name: A key of `RECIPES`.
        threads: Cap the process's TensorFlow to this many threads (set
            before it starts, `thread_limits`); `None` leaves its default.
        precision: The dtype policy to train in (`FMNIST_BF16` is set for the
            process, `precision_env`); `None` leaves the environment's.
        **options: Keyword arguments of `measure_recipe`.

    Raises:
        RuntimeError: The child process failed; its last output is shown.

    """
    env = {} if threads is None else thread_limits(threads)
    if precision is not None:
        env.update(precision_env(precision))
    return run_child(
        "fmnist_course.bench.ladder",
        name,
        {**options, "precision": precision},
        what=f"Training {name!r} (seed {options.get('seed', 0)})",
        env=env or None,
    )


def merge_rows(
    existing: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Replace rows with the same model and device; keep every other row.

    A GPU row never replaces a CPU row: they sit side by side.

    Examples:
        >>> old = [{"model": "dense", "device": "cpu", "x": 1},
        ...        {"model": "cnn", "device": "cpu", "x": 2}]
        >>> merged = merge_rows(old, [{"model": "dense", "device": "cpu", "x": 3},
        ...                          {"model": "dense", "device": "gpu", "x": 4}])
        >>> [(row["model"], row["device"], row["x"]) for row in merged]
        [('cnn', 'cpu', 2), ('dense', 'cpu', 3), ('dense', 'gpu', 4)]

    """

    def key(row: dict[str, Any]) -> tuple[str, str]:
        return (row["model"], row.get("device", "cpu"))

    merged = {key(row): row for row in existing}
    merged.update({key(row): row for row in new})
    return sorted(
        merged.values(),
        key=lambda row: (row.get("lesson", ""), key(row)[0], key(row)[1]),
    )


RUN_KEYS = (
    "seed",
    "test_accuracy",
    "test_loss",
    "validation_accuracy",
    "train_seconds",
    "train_cpu_seconds",
    "images_per_second",
    "peak_rss_mib",
    "measured_at",
)
"""What a ladder row keeps of each seed's run, under `runs`."""


def _mean_or_none(values: Sequence[float | None], places: int = 4) -> float | None:
    """The mean, rounded to `places`; `None` when any value is missing."""
    if any(value is None for value in values):
        return None
    return round(float(np.mean(values)), places)


def combine_runs(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One ladder row from the rows of the same recipe under several seeds.

    The row's `test_accuracy`, `train_seconds`, `train_cpu_seconds` (`None`
    unless every run has one) and `images_per_second` are the means over the
    runs, `peak_rss_mib` the largest, and the accuracy's spread
    is kept beside its mean (`test_accuracy_std`, the sample standard
    deviation, 0 for one run; `test_accuracy_min`, `test_accuracy_max`).
    `runs` lists one entry per seed, in the order given, and `seeds` their
    seeds. The other keys are the first run's.

    Raises:
        ValueError: No runs, or runs of different recipes or devices.

    Examples:
        >>> rows = [{"model": "dense", "device": "cpu", "seed": seed,
        ...          "test_accuracy": accuracy, "test_loss": 0.3,
        ...          "train_seconds": 10.0, "images_per_second": 5000.0,
        ...          "peak_rss_mib": 1000.0 + seed}
        ...         for seed, accuracy in [(0, 0.88), (1, 0.89), (2, 0.90)]]
        >>> row = combine_runs(rows)
        >>> row["test_accuracy"], row["test_accuracy_std"], row["seeds"]
        (0.89, 0.01, [0, 1, 2])
        >>> row["peak_rss_mib"], len(row["runs"])
        (1002.0, 3)

    """
    if not runs:
        raise UserError("Expected at least one run to combine. Received none.")
    kinds = {(run["model"], run.get("device", "cpu")) for run in runs}
    if len(kinds) != 1:
        raise UserError(
            f"Expected runs of one recipe on one device. Received: {sorted(kinds)}"
        )
    row = dict(runs[0])
    row.update(
        {
            **accuracy_summary([float(run["test_accuracy"]) for run in runs]),
            "test_loss": round(float(np.mean([r["test_loss"] for r in runs])), 4),
            "validation_accuracy": _mean_or_none(
                [r.get("validation_accuracy") for r in runs]
            ),
            "train_seconds": round(
                float(np.mean([r["train_seconds"] for r in runs])), 1
            ),
            "train_cpu_seconds": _mean_or_none(
                [r.get("train_cpu_seconds") for r in runs], places=1
            ),
            "images_per_second": round(
                float(np.mean([r["images_per_second"] for r in runs])), 1
            ),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
            "seeds": [run["seed"] for run in runs],
            "runs": [{key: run[key] for key in RUN_KEYS if key in run} for run in runs],
        }
    )
    return row


def seed_sharing(num_seeds: int, workers: int | None = None) -> tuple[int, int]:
    """How many runs train at once, and the threads each process gets.

    Args:
        num_seeds: The runs to make (seeds times recipes).
        workers: At most this many at once (`None`: the number of cores).

    Returns:
        `(processes, threads)`: processes at once, never more than the seeds;
        threads per process, the cores shared out, at least 1.

    Raises:
        UserError: `workers` is below 1.

    Examples:
        >>> seed_sharing(3, workers=2)
        (2, ...)
        >>> seed_sharing(1, workers=4)[0]
        1

    """
    if workers is not None and workers < 1:
        raise UserError(f"Expected --workers >= 1. Received: {workers}")
    cores = default_workers()
    processes = max(1, min(num_seeds, workers or cores))
    return processes, max(1, cores // processes)


def run_ladder(
    lessons: Sequence[str] | None = None,
    *,
    seeds: Sequence[int] = (0,),
    epochs: int | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    data_dir: str | None = None,
    on_row=None,
    workers: int | None = None,
    models_dir: str | os.PathLike | None = None,
    precision: str | None = None,
) -> list[dict[str, Any]]:
    """Train the recipes of the chosen lessons under each seed, one process each.

    Args:
        lessons: Lesson numbers (`["01", "02"]`); all when `None`.
        seeds: Train every recipe once per seed; a row holds their mean and
            each run (`combine_runs`).
        epochs: Override every recipe's epochs (smoke tests only).
        train_size: Train on a subset (smoke tests only).
        test_size: Test on a subset (smoke tests only).
        data_dir: Where the data lies.
        on_row: Called with a recipe's row after each of its seeds, in seed
            order (the row of the seeds so far), so a run cut short keeps what
            it measured.
        workers: Seeds trained at once, each in its own process with its
            share of the cores (`seed_sharing`); `None`: one per core.
        models_dir: Save the model of each recipe's first seed there
            (`fmnist_course.trained_models.save_trained_model`); `None` saves
            nothing. Outside the package's folder, an existing file is never
            overwritten: that is checked before any training.
        precision: `"float32"` or `"bfloat16"` (`resolve_precision`); `None`:
            the course's decision here (`FMNIST_BF16`). Every run's process
            is told it, and its rows say it (`precision`). A bfloat16 run
            needs a CPU with native bfloat16 and saves no model.

    Returns:
        One row per recipe, in lesson order. Every row of one call has the
        same `ladder_run`, the time the call started: training times are
        compared only between rows of one run, since the machine's speed
        moves from day to day.

    Raises:
        ValueError: No seeds, or a seed given twice.
        UserError: A model in `models_dir` would be overwritten; bfloat16 on
            a CPU without it, or with a `models_dir`.

    Examples:
        >>> rows = run_ladder(["01"], seeds=[0, 1, 2])  # doctest: +SKIP
        >>> rows[0]["seeds"]  # doctest: +SKIP
        [0, 1, 2]

    """
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"Expected one or more distinct seeds. Received: seeds={seeds}")
    recipes = select_recipes(lessons)
    processes, threads = seed_sharing(len(seeds) * len(recipes), workers)
    policy = resolve_precision(precision)
    check_precision(policy)
    check_no_models(policy, models_dir)
    if models_dir is not None:
        check_can_save([recipe.name for recipe in recipes], models_dir)
    save_dir = None if models_dir is None else str(Path(models_dir).resolve())
    ladder_run = measured_now()
    sharing = {
        "ladder_run": ladder_run,
        "seed_processes": processes,
        "threads_per_process": threads,
    }
    rows = []
    # One pool for every run of every recipe, started in lesson and seed order,
    # so a core freed by one recipe's last seed starts the next recipe's first.
    with concurrent.futures.ThreadPoolExecutor(processes) as pool:
        futures = {
            recipe.name: [
                pool.submit(
                    measure_recipe_in_subprocess,
                    recipe.name,
                    threads=threads if processes > 1 else None,
                    epochs=epochs,
                    train_size=train_size,
                    test_size=test_size,
                    seed=seed,
                    data_dir=data_dir,
                    save_dir=save_dir if index == 0 else None,
                    precision=policy,
                )
                for index, seed in enumerate(seeds)
            ]
            for recipe in recipes
        }
        try:
            for recipe in recipes:
                runs = []
                for future in futures[recipe.name]:  # in seed order
                    runs.append({**future.result(), **sharing})
                    if on_row is not None:
                        on_row(combine_runs(runs))
                rows.append(combine_runs(runs))
        except BaseException:  # start no more runs; the running ones end
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return rows


if __name__ == "__main__":
    child_main(measure_recipe)
