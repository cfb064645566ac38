"""Training one recipe under one seed and scoring it on validation alone.

The ablation (`fmnist_course.bench.ablation_runs`) and the search for a
better recipe (`fmnist_course.bench.candidate_runs`) both choose on
validation, never on the test set, so both measure a run the same way:
`measure_on_validation` trains a recipe on the standard seeded 10%
validation split of the 60,000 training images and scores it as the test
set would be scored (with the recipe's test-time augmentation, and without
it for comparison), with its expected calibration error, its wall and CPU
seconds and its peak memory. `run_in_processes` runs many such measurements
at once, one fresh Python process each (`fmnist_course.bench.child`), so
each run's peak memory is its own.

Examples:
    >>> from fmnist_course.recipes import RECIPES
    >>> row = measure_on_validation(RECIPES["best"], epochs=1,
    ...                             train_size=600)  # doctest: +SKIP
    >>> sorted(key for key in row if key.startswith("test_"))  # doctest: +SKIP
    []

"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from fmnist_course.bench.child import run_child
from fmnist_course.bench.ladder import seed_sharing
from fmnist_course.bench.record import measured_now
from fmnist_course.calibration import expected_calibration_error
from fmnist_course.candidates import recipe_settings
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine, peak_rss_mib
from fmnist_course.parallel import thread_limits
from fmnist_course.recipes import Recipe
from fmnist_course.training import fit_recipe
from fmnist_course.view_averaging import with_test_time_augmentation


def validation_scores(model, recipe: Recipe, x_val, y_val) -> dict[str, float]:
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


def measure_on_validation(
    recipe: Recipe,
    *,
    epochs: int | None = None,
    train_size: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
    save_to: str | None = None,
) -> dict[str, Any]:
    """Train `recipe` under one seed in this process; score it on validation.

    The test images are never loaded into the scoring: a recipe is judged on
    validation alone, and the test set is read once, for the chosen recipe.

    Args:
        recipe: The recipe to train.
        epochs: Train for this many epochs instead of the recipe's (the
            cosine schedule decays over them); `None` keeps the recipe's.
        train_size: Train on a stratified subset (smoke tests only).
        seed: Seed of the validation split, weights, shuffling and dropout.
        data_dir: Where the data lies (found automatically when `None`).
        save_to: Also save the trained model to this new `.keras` path, so
            that a chosen recipe's runs can be scored on the test set later
            without training again; an existing file is never overwritten.

    Returns:
        The measurement: `recipe` (the settings trained, `epochs` included),
        `full_recipe_epochs`, `epochs` (those trained), `seed`,
        `train_images`, `validation_images`, `val_accuracy` (scored as the
        test set is), `val_accuracy_model_alone`, `val_ece`,
        `val_ece_model_alone`, `test_time_augmentation`, `train_seconds`,
        `train_cpu_seconds`, `load_average_before` (the 1-minute load
        average before loading the data), `peak_rss_mib` (this process's
        peak memory so far), `machine` and `measured_at`; and `saved_to`
        and `model_sha256` when `save_to` is given.

    Raises:
        UserError: `epochs` below 1, or `save_to` exists or is not a new
            `.keras` file in an existing folder.

    """
    if epochs is not None and epochs < 1:
        raise UserError(f"Expected epochs >= 1. Received: epochs={epochs}")
    if save_to is not None:
        check_new_model_path(save_to)
    trained = dataclasses.replace(recipe, epochs=epochs or recipe.epochs)
    load_before = os.getloadavg()[0]
    data = load_course_split(data_dir, fast=False, train_size=train_size, seed=seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    model, history = fit_recipe(trained, data, seed=seed, verbose=0)
    train_seconds = time.perf_counter() - start
    train_cpu_seconds = time.process_time() - cpu_start
    x_val, y_val = data.validation_data
    saved = {}
    if save_to is not None:
        saved = save_new_model(model, save_to)
    return {
        "recipe": recipe_settings(trained),
        "full_recipe_epochs": recipe.epochs,
        "epochs": len(history),
        "seed": seed,
        "train_images": len(data.x_train),
        "validation_images": len(x_val),
        **validation_scores(model, trained, x_val, y_val),
        "test_time_augmentation": trained.test_time_augmentation,
        "train_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),
        "load_average_before": round(load_before, 2),
        "peak_rss_mib": peak_rss_mib(),
        "machine": describe_machine(),
        "measured_at": measured_now(),
        **saved,
    }


def save_new_model(model, path: str) -> dict[str, str]:
    """Save `model` at the new `path`, never over a file made meanwhile.

    The model is written to a temporary name in the same folder, then linked
    to `path`, which fails if `path` exists by then.

    Returns:
        `saved_to` (the absolute path) and `model_sha256` (of the file).

    """
    check_new_model_path(path)
    path = os.path.abspath(path)
    partial = f"{path[: -len('.keras')]}.{os.getpid()}.partial.keras"
    model.save(partial)
    try:
        os.link(partial, path)
    except FileExistsError:
        raise UserError(
            f"Expected a new file, but {path!r} appeared while training and "
            f"would be overwritten. The model is kept at {partial!r}."
        ) from None
    os.unlink(partial)
    return {"saved_to": path, "model_sha256": sha256_of(path)}


def sha256_of(path: str) -> str:
    """The file's SHA-256, so a record names exactly which model it means."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_new_model_path(path: str) -> None:
    """Raise `UserError` unless `path` is a new `.keras` file in a folder.

    Examples:
        >>> check_new_model_path("/nonexistent-folder/best_seed3.keras")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Expected a folder for the model ...

    """
    folder = os.path.dirname(os.path.abspath(path))
    if not path.endswith(".keras"):
        raise UserError(
            f"Expected a model path ending in '.keras'. Received: {path!r}. "
            "Name the file <something>.keras."
        )
    if not os.path.isdir(folder):
        raise UserError(
            f"Expected a folder for the model at {folder!r}; there is none. "
            f"Received: {path!r}. Create the folder first."
        )
    if os.path.lexists(path):
        raise UserError(
            f"Expected a new file, but {path!r} exists and would be overwritten. "
            "Move it away or choose another folder."
        )


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """The seeds as a list; raise `UserError` for none, a repeat or a negative.

    Examples:
        >>> check_seeds((0, 1))
        [0, 1]
        >>> check_seeds([0, 2, 2, -1])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: ... (2 repeated; -1 below 0). ...

    """
    seeds = list(seeds)
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    negative = sorted({seed for seed in seeds if seed < 0})
    if seeds and not repeated and not negative:
        return seeds
    problems = [
        *([f"{', '.join(map(str, repeated))} repeated"] if repeated else []),
        *([f"{', '.join(map(str, negative))} below 0"] if negative else []),
    ]
    received = f"{seeds} ({'; '.join(problems)})" if problems else "none"
    raise UserError(
        "Expected one or more distinct seeds, each 0 or more. Received: "
        f"{received}. Pass distinct non-negative integers to --seeds, e.g. "
        "--seeds 0 1 2."
    )


def run_in_processes(
    module: str,
    runs: Sequence[tuple[str, int]],
    options: Mapping[str, Any],
    *,
    what: str,
    workers: int | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Each `(name, seed)` run in a fresh process, one per core at once.

    Args:
        module: The module whose main block measures one run
            (`child.child_main`), e.g. `"fmnist_course.bench.ablation_runs"`.
        runs: `(name, seed)` pairs, each run once.
        options: Keyword options every run gets (besides its seed).
        what: How error messages name a run, e.g. `"Ablation"`.
        workers: Runs at once, each with its share of the cores
            (`fmnist_course.bench.ladder.seed_sharing`); `None`: one per core.
        on_row: Called with each run's row as soon as it is measured, so a
            run cut short keeps what it measured.

    Returns:
        The rows, in the order they finished.

    Raises:
        RuntimeError: A run failed; no further run is started.

    """
    processes, threads = seed_sharing(len(runs), workers)
    env = thread_limits(threads) if processes > 1 else None
    rows = []
    with concurrent.futures.ThreadPoolExecutor(processes) as pool:
        futures = [
            pool.submit(
                run_child,
                module,
                name,
                {**options, "seed": seed},
                what=f"{what} {name!r} (seed {seed})",
                env=env,
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
    return rows
