"""Judging the confirmation runs; scoring the test set only for a promoted recipe.

`fmnist_course.confirmation` fixed the rule, the candidate and the seeds
before any confirmation run. The runs themselves are candidate runs
(`fmnist-course bench candidates --variants best epochs_80 --seeds 3 4 5
--save-models DIR`), each scored on validation and saved. This module reads
those rows, judges them with `paired_verdict`, and only when the candidate
is promoted loads its saved models and scores each on the test set, once.
Before that, each model must give its recorded validation accuracy again,
so the test score belongs to the run that was judged. `best`'s
confirmation models are never scored on test.

Examples:
    >>> entry = confirmation_entry(rows)  # doctest: +SKIP
    >>> entry["verdict"]["promoted"], len(entry.get("test", []))  # doctest: +SKIP
    (True, 3)

"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fmnist_course.bench.validation_runs import validation_scores
from fmnist_course.candidates import BASELINE, candidate_recipe, recipe_settings
from fmnist_course.choosing import SPREADS
from fmnist_course.confirmation import CANDIDATE, SEEDS, paired_verdict
from fmnist_course.data import IDX_FILES
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split


def confirmation_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The runs the confirmation judges: both recipes, its seeds, full length.

    Raises:
        UserError: A judged run was shortened (`--epochs`, `--train-size`),
            or trained another recipe than the candidate catalogue's today.

    Examples:
        >>> confirmation_rows([{"candidate": "wider", "seed": 3}])
        []

    """
    judged = [
        dict(row)
        for row in rows
        if row["candidate"] in (CANDIDATE, BASELINE) and row["seed"] in SEEDS
    ]
    full = IDX_FILES["train_images"].count
    for row in judged:
        recipe = candidate_recipe(row["candidate"])
        images = row["train_images"] + row["validation_images"]
        if row["recipe"] != recipe_settings(recipe) or images != full:
            raise UserError(
                f"Expected full runs of today's {row['candidate']!r}: "
                f"{recipe.epochs} epochs on all {full:,} training images (with "
                f"the validation split). Received seed {row['seed']} with "
                f"{row['epochs']} epochs on {images:,} images, or another "
                "recipe. Train it again without --epochs or --train-size."
            )
    return sorted(judged, key=lambda row: (row["candidate"] != BASELINE, row["seed"]))


def _scores(rows: Sequence[Mapping[str, Any]], name: str) -> dict[int, float]:
    return {
        row["seed"]: row["val_accuracy"] for row in rows if row["candidate"] == name
    }


def sha256_of(path: str) -> str:
    """The file's SHA-256, so the record names exactly which model was scored."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def score_on_test(
    row: Mapping[str, Any], data_dir: str | None = None
) -> dict[str, Any]:
    """Score one promoted run's saved model on the whole test set, once.

    Raises:
        UserError: The row saved no model, or the model no longer gives the
            row's validation accuracy (it is not the run that was judged).

    """
    import keras

    path = row.get("saved_to")
    if not path:
        raise UserError(
            f"Expected a saved model for {row['candidate']!r} seed {row['seed']}. "
            "Received a row without 'saved_to'. Train it again with --save-models."
        )
    recipe = candidate_recipe(row["candidate"])
    model = keras.saving.load_model(path)
    data = load_course_split(data_dir, fast=False, seed=row["seed"])
    again = validation_scores(model, recipe, *data.validation_data)["val_accuracy"]
    if again != row["val_accuracy"]:
        raise UserError(
            f"Expected {path} to score {row['val_accuracy']:.4f} on seed "
            f"{row['seed']}'s validation split, as its run recorded. Received "
            f"{again:.4f}: this file is not the run that was judged."
        )
    test = validation_scores(model, recipe, data.x_test, data.y_test)
    return {
        "seed": row["seed"],
        "test_accuracy": test["val_accuracy"],
        "test_accuracy_model_alone": test["val_accuracy_model_alone"],
        "test_images": len(data.x_test),
        "model_sha256": sha256_of(path),
    }


def confirmation_entry(
    rows: Sequence[Mapping[str, Any]], data_dir: str | None = None
) -> dict[str, Any]:
    """Judge the confirmation; score the test set only if the candidate wins.

    Args:
        rows: Candidate rows (`bench candidates`), of any candidates and seeds;
            those of `CANDIDATE` and `best` under `SEEDS` are judged.
        data_dir: Where the data lies.

    Returns:
        `candidate`, `baseline`, `seeds`, `spreads`, `rows` (the judged
        runs, validation only), `verdict` (`paired_verdict`), `machine` and
        `measured_at` (of the latest run); and, when promoted, `test`: one
        entry per seed (`score_on_test`), with `test_accuracy` their mean.

    """
    judged = confirmation_rows(rows)
    verdict = paired_verdict(_scores(judged, CANDIDATE), _scores(judged, BASELINE))
    latest = max(judged, key=lambda row: row["measured_at"])
    entry = {
        "candidate": CANDIDATE,
        "baseline": BASELINE,
        "seeds": list(SEEDS),
        "spreads": SPREADS,
        "verdict": verdict,
        "machine": latest["machine"],
        "measured_at": latest["measured_at"],
        "rows": judged,
    }
    if verdict["promoted"]:
        runs = [
            score_on_test(row, data_dir)
            for row in judged
            if row["candidate"] == CANDIDATE
        ]
        accuracies = [run["test_accuracy"] for run in runs]
        entry["test"] = {
            "runs": runs,
            "test_accuracy": round(float(np.mean(accuracies)), 4),
            "test_accuracy_std": round(float(np.std(accuracies, ddof=1)), 4),
            "test_accuracy_min": min(accuracies),
        }
    return entry
