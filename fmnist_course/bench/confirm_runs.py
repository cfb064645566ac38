"""Judging the confirmation runs; scoring the test set only for a promoted recipe.

`fmnist_course.confirmation` fixed each round's rule, candidate, seeds and
recipes before any of its runs. The runs themselves are candidate runs
(`fmnist-course bench candidates --variants best epochs_80 --seeds 3 4 5
--save-models DIR` for the first round), each scored on validation and
saved; the second round trains its candidate alone and reads `epochs_80`'s
runs from the first round's judged ones. This module reads those rows and
checks them (the pinned recipes, full length, one machine, each run once),
then loads every saved model, the baseline's too, and requires it to give
its recorded validation accuracy again, so the verdict is about those
files. Only then does `paired_verdict` judge; only a promoted candidate's
three models are scored on the test set (`with_test_scores`), once each.
The baseline's confirmation models are never scored on test.

Examples:
    >>> entry = confirmation_entry(rows)  # doctest: +SKIP
    >>> entry["verdict"]["promoted"]  # doctest: +SKIP
    True
    >>> len(with_test_scores(entry)["test"]["runs"])  # doctest: +SKIP
    3

"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fmnist_course.bench.record import measured_now
from fmnist_course.bench.validation_runs import sha256_of, validation_scores
from fmnist_course.candidates import candidate_recipe
from fmnist_course.confirmation import FIRST, Rule, confirmation_rows, judge
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine
from fmnist_course.results_tables import utc_time


def load_judged_model(row: Mapping[str, Any], data):
    """Load a run's saved model; require it to be the run the row records.

    The file must carry the run's name (`candidate_runs.model_path`), match
    the SHA-256 recorded when it was saved (where recorded), and give the
    row's validation accuracy again on the seed's split `data`.

    Returns:
        `(model, sha256)`.

    Raises:
        UserError: No saved model, or one that is not the run judged.

    """
    import keras

    name, seed = row["candidate"], row["seed"]
    path = row.get("saved_to")
    if not path:
        raise UserError(
            f"Expected a saved model for {name!r} seed {seed}. Received a row "
            "without 'saved_to'. Train it again with --save-models."
        )
    if os.path.basename(path) != f"{name}_seed{seed}.keras" or not os.path.isfile(path):
        raise UserError(
            f"Expected {name!r} seed {seed}'s model at .../{name}_seed{seed}.keras. "
            f"Received {path!r}, which is not that file or does not exist."
        )
    sha = sha256_of(path)
    if row.get("model_sha256", sha) != sha:
        raise UserError(
            f"Expected {path} to have the SHA-256 recorded when it was saved, "
            f"{row['model_sha256']}. Received {sha}: the file was replaced."
        )
    model = keras.saving.load_model(path)
    recipe = candidate_recipe(name)
    again = validation_scores(model, recipe, *data.validation_data)["val_accuracy"]
    if again != row["val_accuracy"]:
        raise UserError(
            f"Expected {path} to score {row['val_accuracy']:.4f} on seed {seed}'s "
            f"validation split, as its run recorded. Received {again:.4f}: this "
            "file is not the run that was judged, or inference differs on this "
            "machine; judge on the machine that trained it."
        )
    return model, sha


def confirmation_entry(
    rows: Sequence[Mapping[str, Any]],
    data_dir: str | None = None,
    rule: Rule = FIRST,
) -> dict[str, Any]:
    """Check a round's runs and their saved models; judge them. No test image is read.

    Args:
        rows: Candidate rows (`bench candidates`), of any candidates and seeds;
            those of the rule's candidate and baseline under its seeds are
            judged.
        data_dir: Where the data lies.
        rule: The round (`confirmation.ROUNDS`).

    Returns:
        `candidate`, `baseline`, `seeds`, `spreads` (the rule's margin),
        `rows` (the judged runs, validation only, each with its model's
        `model_sha256`), `verdict` (`paired_verdict`), `machine` and
        `measured_at` (of the latest run).

    """
    judged = confirmation_rows(rows, rule)
    verdict = judge(judged, rule)
    for seed in rule.seeds:  # every run is there: now check the files are the runs
        data = load_course_split(data_dir, fast=False, seed=seed)
        for row in judged:
            if row["seed"] == seed:
                row["model_sha256"] = load_judged_model(row, data)[1]
    latest = max(judged, key=lambda row: utc_time(row["measured_at"]))
    return {
        "candidate": rule.candidate,
        "baseline": rule.baseline,
        "seeds": list(rule.seeds),
        "spreads": rule.margin,
        "verdict": verdict,
        "machine": latest["machine"],
        "measured_at": latest["measured_at"],
        "rows": judged,
    }


def with_test_scores(entry: Mapping[str, Any], data_dir: str | None = None) -> dict:
    """A promoted candidate's entry with its three runs scored on test, once.

    Raises:
        UserError: The entry's candidate was not promoted, or already holds
            test scores.

    """
    if entry["verdict"]["promoted"] is not True or "test" in entry:
        raise UserError(
            "Expected a promoted candidate not yet scored on the test set. "
            f"Received promoted={entry['verdict']['promoted']}, test already "
            f"scored: {'test' in entry}. The test set is read once, for a "
            "promoted recipe only."
        )
    runs = []
    for row in entry["rows"]:
        if row["candidate"] != entry["candidate"]:
            continue  # the baseline's models are never scored on test
        data = load_course_split(data_dir, fast=False, seed=row["seed"])
        model, sha = load_judged_model(row, data)
        test = validation_scores(
            model, candidate_recipe(row["candidate"]), data.x_test, data.y_test
        )
        runs.append(
            {
                "seed": row["seed"],
                "test_accuracy": test["val_accuracy"],
                "test_accuracy_model_alone": test["val_accuracy_model_alone"],
                "test_images": len(data.x_test),
                "model_sha256": sha,
            }
        )
    accuracies = [run["test_accuracy"] for run in runs]
    return {
        **entry,
        "test": {
            "runs": runs,
            "test_accuracy": round(float(np.mean(accuracies)), 4),
            "test_accuracy_std": round(float(np.std(accuracies, ddof=1)), 4),
            "test_accuracy_min": min(accuracies),
            "machine": describe_machine(),
            "measured_at": measured_now(),
        },
    }
