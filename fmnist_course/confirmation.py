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
   --seeds 3 4 5 --save-models DIR`). Nothing else is trained or compared.
2. `paired_verdict`: per seed, the difference of validation accuracies,
   candidate minus `best`. The candidate is promoted when the mean of the
   three differences exceeds `SPREADS` times their sample standard deviation
   (every seed is required). With three seeds that is a one-sided paired
   t-test at t > 2 * sqrt(3), about 3.5 on 2 degrees of freedom, a
   false-promotion chance near 4% when the recipes are equal.
3. If the candidate is promoted, the test set is read once, for its three
   confirmation models, and that mean is the recipe's reported accuracy.
   `best`'s confirmation models are never scored on test. If it is not
   promoted, no test image is scored and `best` stays.

Examples:
    >>> verdict = paired_verdict({3: 0.950, 4: 0.952, 5: 0.949},
    ...                          {3: 0.947, 4: 0.948, 5: 0.946})
    >>> verdict["promoted"], verdict["differences"]
    (True, [0.3, 0.4, 0.3])
    >>> paired_verdict({3: 0.950, 4: 0.944, 5: 0.949},
    ...                {3: 0.947, 4: 0.948, 5: 0.946})["promoted"]
    False

"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fmnist_course.choosing import SPREADS
from fmnist_course.errors import UserError

CANDIDATE = "epochs_80"
"""The candidate the confirmation judges: the one the paired form favoured."""

SEEDS = (3, 4, 5)
"""Seeds the search never trained under; each draws its own validation split."""


def paired_verdict(
    candidate: Mapping[int, float],
    baseline: Mapping[int, float],
    seeds: tuple[int, ...] = SEEDS,
    spreads: float = SPREADS,
) -> dict:
    """Judge the candidate against `best` by the paired rule fixed above.

    Args:
        candidate: Validation accuracy (a fraction) of the candidate, by seed.
        baseline: Validation accuracy of `best`, by seed.
        seeds: The seeds judged; each must be in both mappings.
        spreads: How many standard deviations of the differences the mean
            difference must exceed.

    Returns:
        `differences` (points, candidate minus `best`, in `seeds` order),
        `mean` and `spread` (their mean and sample standard deviation, in
        points), `threshold` (`spreads` times `spread`) and `promoted`.

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
    return {
        "differences": differences,
        "mean": round(mean, 3),
        "spread": round(spread, 3),
        "threshold": round(spreads * spread, 3),
        "promoted": bool(mean > spreads * spread),
    }
