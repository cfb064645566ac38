"""Confirming the search's leader on seeds the search never used.

The search of lesson 07 judged every candidate by the course's rule
(`fmnist_course.choosing`): a gain must exceed `SPREADS` times the spread of
single runs. None did. Read afterwards, the same rule applied to the paired
differences (each candidate's run minus `best`'s run on the same seed)
would have promoted `CANDIDATE`; but a rule chosen after seeing the runs it
judges proves nothing. So this module fixes the paired rule *before* the
runs that will judge it, on seeds the search never used:

1. `best` and `CANDIDATE` each train once under every seed of `SEEDS`, in
   a fresh process per run, scored on that seed's validation split as the
   test set is (`fmnist-course bench candidates --variants best epochs_80
   --seeds 3 4 5 --save-models DIR`), all on one machine. Nothing else is
   trained or compared, and each run is trained once: no seed is re-rolled.
   The recipes judged are the ones `RECIPE_DIGESTS` pins, so a later
   change to either recipe cannot pass for the judged one.
2. `paired_verdict`: per seed, the difference of validation accuracies,
   candidate minus `best`. The candidate is promoted when the mean of the
   three differences exceeds `MARGIN` times their sample standard deviation
   (every seed is required; the deviation counts as at least one validation
   image, so three equal differences do not pass on a zero spread). With
   three seeds that is a one-sided paired t-test at t > 2 * sqrt(3), about
   3.5 on 2 degrees of freedom: if the differences are independent and
   normal and the recipes equal, a false promotion has a chance near 4%.
   The test is weak the other way: a true gain of one standard deviation of
   the differences passes about a quarter of the time, so "not promoted"
   does not show that the recipes are equal.
   (The one-image floor was committed at 01:46:31 UTC on 2026-12-06, after
   one of the six runs had finished, `best` under seed 4 (01:45:59), and
   before any run of the candidate had; it matters only for a spread under
   0.017 points. The checks of step 1 that every run is on one machine and
   none is re-rolled, the recipes' digests, and the margin as a constant of
   its own (`MARGIN`, the same 2) came in the same commit. The seeds, the
   candidate, the margin of two deviations (then read from
   `choosing.SPREADS`) and the test-read policy were committed at 01:25:33,
   as the first runs started.)
3. If the candidate is promoted, the test set is read once, for its three
   confirmation models, and that mean is the recipe's reported accuracy.
   `best`'s confirmation models are never scored on test. If it is not
   promoted, no test image is scored and `best` stays.

`CANDIDATE` was promoted, and the course ships it: `RECIPES["best"]` now
trains the candidate's settings (fitted on the validation images too, its
final fit: `fmnist_course.final_fit`), and the recipe judged here as `best` is
`RECIPES["best_40"]` (`candidates.SEARCHED`); a test holds both. The record
keeps the names the runs had, so `best` in the rows below is the 40-epoch one.

A second round (`SECOND_ROUND`) judges the second search round's leader
against `epochs_80` by the same rule, with its own section in the record.
Each round is a `Rule`; `ROUNDS` lists them, and the functions below take
the round to apply (the first by default).

Examples:
    >>> verdict = paired_verdict({3: 0.950, 4: 0.952, 5: 0.949},
    ...                          {3: 0.947, 4: 0.948, 5: 0.946})
    >>> verdict["promoted"], verdict["differences"]
    (True, [0.3, 0.4, 0.3])
    >>> paired_verdict({3: 0.950, 4: 0.944, 5: 0.949},
    ...                {3: 0.947, 4: 0.948, 5: 0.946})["promoted"]
    False
    >>> paired_verdict({3: 0.9472, 4: 0.9482, 5: 0.9462},
    ...                {3: 0.947, 4: 0.948, 5: 0.946})["threshold"]  # spread 0
    0.033

"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fmnist_course.candidates import BASELINE, candidate_recipe, recipe_settings
from fmnist_course.data import IDX_FILES
from fmnist_course.errors import UserError
from fmnist_course.results_tables import VALIDATION_IMAGES, later

CANDIDATE = "epochs_80"
"""The candidate the confirmation judges: the one the paired form favoured."""

SEEDS = (3, 4, 5)
"""Seeds the search never trained under; each draws its own validation split."""

MARGIN = 2
"""How many standard deviations of the paired differences their mean must
exceed. Pinned here, apart from the search's `choosing.SPREADS`, so that a
later change to the search's rule cannot change the rule this judged."""

RECIPE_DIGESTS = {"best": "e6f672a7096383c1", "epochs_80": "bbf266454412ef78"}
"""`settings_digest` of each judged recipe's settings when the rule was fixed,
by the name its runs have in the record (`best` is now `RECIPES["best_40"]`)."""


SECOND_ROUND = {
    "candidate": "wider_cutout_12_epochs_60",
    "baseline": "epochs_80",
    "seeds": (3, 4, 5),
    "margin": 2,
    "digests": {
        "wider_cutout_12_epochs_60": "452710cc0f05c355",
        "epochs_80": "bbf266454412ef78",
    },
}
"""The second round's rule, fixed before any of its runs.

The search's second round (`candidates.CANDIDATES`) found one stack,
`wider_cutout_12_epochs_60`, ahead of `epochs_80` (today's `best`) on each
of seeds 0, 1 and 2. It is judged against `epochs_80` by the same paired
rule and margin as the first round (`paired_verdict`), on seeds 3, 4 and 5:
the candidate has never trained under them, and `epochs_80`'s runs under
them are the first round's judged runs (`SEEDS`), read from the record and
their saved models, never trained again. Those runs are the ones that got
`epochs_80` promoted, so if anything they lean high, against the candidate.
Only a promoted candidate's three models are scored on test, once each;
`best` changes only after the ladder measures the promoted recipe."""


@dataclass(frozen=True)
class Rule:
    """One round's confirmation rule, as it was fixed before the round's runs.

    Attributes:
        section: The record's section that holds the round's verdict.
        candidate: The name of the candidate's runs.
        baseline: The name of the runs it is judged against.
        seeds: The seeds judged, each with one run of both.
        margin: How many deviations of the paired differences the mean must
            exceed (`paired_verdict`).
        digests: `settings_digest` of each judged recipe, by its runs' name.
        fixed_at: When the rule was committed (UTC); every run the round
            trains finished after it.
        baseline_from: The section whose judged runs supply the baseline's,
            when they are an earlier round's; `None` when both train anew.

    Examples:
        >>> [rule.section for rule in ROUNDS]
        ['confirmation', 'second_confirmation']
        >>> SECOND.baseline, SECOND.baseline_from
        ('epochs_80', 'confirmation')

    """

    section: str
    candidate: str
    baseline: str
    seeds: tuple[int, ...]
    margin: int
    digests: Mapping[str, str] = field(hash=False)
    fixed_at: str
    baseline_from: str | None = None


FIRST = Rule(
    "confirmation",
    CANDIDATE,
    BASELINE,
    SEEDS,
    MARGIN,
    RECIPE_DIGESTS,
    fixed_at="2026-12-06T01:25:33+00:00",
)
"""The first round: `epochs_80` against the 40-epoch `best` (this docstring)."""

SECOND = Rule(
    "second_confirmation",
    fixed_at="2026-12-06T14:23:28+00:00",  # commit 5fb8622
    baseline_from="confirmation",
    **SECOND_ROUND,
)
"""The second round (`SECOND_ROUND`): `epochs_80`'s runs come from the first."""

ROUNDS = (FIRST, SECOND)
"""Every round, in the order they were fixed; `bench confirm --round N` judges
the Nth."""


SAME_MACHINE = (
    "cpu_model",
    "logical_cores",
    "device",
    "gpus",
    "tensorflow",
    "keras",
    "python",
    "platform",
)
"""The machine fields every judged run must share."""


def settings_digest(settings: Mapping[str, Any]) -> str:
    """A short digest of a recipe's settings (`candidates.recipe_settings`).

    Examples:
        >>> settings_digest({"epochs": 80, "model": "best"})
        '427d5c58ae8e614e'

    """
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def paired_verdict(
    candidate: Mapping[int, float],
    baseline: Mapping[int, float],
    seeds: tuple[int, ...] = SEEDS,
    margin: float = MARGIN,
    validation_images: int = VALIDATION_IMAGES,
) -> dict:
    """Judge the candidate against `best` by the paired rule fixed above.

    Args:
        candidate: Validation accuracy (a fraction) of the candidate, by seed.
        baseline: Validation accuracy of `best`, by seed.
        seeds: The seeds judged; each must be in both mappings.
        margin: How many standard deviations of the differences the mean
            difference must exceed.
        validation_images: Images per validation split: one image, in
            points, is the least the deviation counts as.

    Returns:
        `differences` (points, candidate minus `best`, in `seeds` order),
        `mean` and `spread` (their mean and sample standard deviation, in
        points), `threshold` (`margin` times the spread, or times one
        validation image when the spread is smaller) and `promoted`.

    Raises:
        UserError: A seed is missing from either mapping, or fewer than two
            seeds are given.

    Examples:
        >>> paired_verdict({3: 0.95}, {3: 0.94, 4: 0.94})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Expected validation scores for seeds ...

    """
    if len(seeds) < 2:
        raise UserError(
            f"Expected at least two seeds to measure a spread. Received: {seeds}."
        )
    missing = [s for s in seeds if s not in candidate or s not in baseline]
    if missing:
        raise UserError(
            f"Expected validation scores for seeds {list(seeds)} from both "
            f"recipes; seeds {missing} lack one. Received candidate seeds "
            f"{sorted(candidate)} and baseline seeds {sorted(baseline)}. Train "
            "the missing runs before judging."
        )
    differences = [round(100 * (candidate[s] - baseline[s]), 2) for s in seeds]
    mean = float(np.mean(differences))
    spread = float(np.std(differences, ddof=1))
    threshold = margin * max(spread, 100 / validation_images)
    return {
        "differences": differences,
        "mean": round(mean, 3),
        "spread": round(spread, 3),
        "threshold": round(threshold, 3),
        "promoted": bool(mean > threshold),
    }


def confirmation_rows(
    rows: Sequence[Mapping[str, Any]], rule: Rule = FIRST
) -> list[dict[str, Any]]:
    """The runs a round judges, checked: pinned recipes, full, one machine.

    Args:
        rows: Candidate rows, of any candidates and seeds.
        rule: The round whose runs to pick and check.

    Raises:
        UserError: A judged run trained another recipe than the one pinned
            (the rule's `digests`), was shortened (`--epochs`,
            `--train-size`), scored another validation split, or (for a run
            the round trains) finished before the rule was fixed; a run is
            there twice; or the runs differ in machine.

    Examples:
        >>> confirmation_rows([{"candidate": "wider", "seed": 3}])
        []

    """
    judged = [
        dict(row)
        for row in rows
        if row["candidate"] in (rule.candidate, rule.baseline)
        and row["seed"] in rule.seeds
    ]
    full = IDX_FILES["train_images"].count
    seen = set()
    for row in judged:
        name, seed = row["candidate"], row["seed"]
        if (name, seed) in seen:
            raise UserError(
                f"Expected one run of {name!r} under seed {seed}. Received two: "
                "each run is judged once, never re-rolled. Keep the first."
            )
        seen.add((name, seed))
        theirs = row.get("recipe")
        theirs = theirs if isinstance(theirs, Mapping) else {}
        digest = settings_digest(theirs)
        if digest != rule.digests[name]:
            pinned = recipe_settings(candidate_recipe(name))
            differ = sorted(
                key for key in {*theirs, *pinned} if theirs.get(key) != pinned.get(key)
            )
            raise UserError(
                f"Expected seed {seed}'s run of {name!r} to train the recipe "
                f"pinned when the rule was fixed (digest {rule.digests[name]}). "
                f"Received digest {digest}; fields that differ from today's "
                f"recipe: {differ or 'none (today’s recipe changed too)'}. "
                "Train it again with the pinned recipe."
            )
        images = row["train_images"] + row["validation_images"]
        if images != full:
            raise UserError(
                f"Expected seed {seed}'s run of {name!r} on all {full:,} "
                f"training images (with the validation split). Received "
                f"{images:,}. Train it again without --train-size."
            )
        if row["validation_images"] != VALIDATION_IMAGES:
            raise UserError(
                f"Expected seed {seed}'s run of {name!r} scored on the course's "
                f"{VALIDATION_IMAGES:,} validation images. Received "
                f"{row['validation_images']!r}. Train it again with the course's split."
            )
        epochs = row.get("recipe", {}).get("epochs")
        if not row.get("epochs") == row.get("full_recipe_epochs") == epochs:
            raise UserError(
                f"Expected seed {seed}'s run of {name!r} to train all {epochs} "
                f"epochs of its recipe. Received epochs={row.get('epochs')!r}, "
                f"full_recipe_epochs={row.get('full_recipe_epochs')!r}. Train it "
                "again without --epochs."
            )
        trained_here = name == rule.candidate or rule.baseline_from is None
        if trained_here and not later(row.get("measured_at"), rule.fixed_at):
            raise UserError(
                f"Expected seed {seed}'s run of {name!r} to finish after the rule "
                f"was fixed ({rule.fixed_at}). Received measured_at="
                f"{row.get('measured_at')!r}: a run before the rule cannot be "
                "judged by it."
            )
    machines = {
        tuple(str(row["machine"].get(k)) for k in SAME_MACHINE) for row in judged
    }
    if len(machines) > 1:
        raise UserError(
            f"Expected every judged run on one machine ({', '.join(SAME_MACHINE)}). "
            f"Received {len(machines)}: {sorted(machines)}. Train them on one."
        )
    return sorted(
        judged, key=lambda row: (row["candidate"] != rule.baseline, row["seed"])
    )


def judge(judged: Sequence[Mapping[str, Any]], rule: Rule = FIRST) -> dict:
    """The rule's verdict on the runs `confirmation_rows` checked and returned.

    Raises:
        UserError: A seed of the rule's `seeds` lacks a run of either recipe.

    Examples:
        >>> def run(name, seed, accuracy):
        ...     return {"candidate": name, "seed": seed, "val_accuracy": accuracy,
        ...             "validation_images": VALIDATION_IMAGES}
        >>> runs = [run(CANDIDATE, s, .95 + s / 1e4) for s in SEEDS]
        >>> judge(runs + [run(BASELINE, s, .947) for s in SEEDS])["promoted"]
        True

    """

    def scores(name: str) -> dict[int, float]:
        return {r["seed"]: r["val_accuracy"] for r in judged if r["candidate"] == name}

    images = min(
        (row["validation_images"] for row in judged), default=VALIDATION_IMAGES
    )
    return paired_verdict(
        scores(rule.candidate),
        scores(rule.baseline),
        seeds=rule.seeds,
        margin=rule.margin,
        validation_images=images,
    )
