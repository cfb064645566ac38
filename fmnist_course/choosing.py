"""Choosing between recipes on validation, over seeds, with one stated threshold.

Two trainings of one recipe that differ only in their seed (the validation
split, the first weights, the order of the batches) end a few tenths of a
point apart. So one run per recipe cannot tell a real difference from luck.
The course's rule, used by lesson 07 and `fmnist-course bench ablation`:

1. Train every candidate under the same seeds (at least two; the course uses
   three) and score each on its validation images, exactly as the test set
   will be scored (with test-time augmentation when the recipe uses it).
2. A candidate's *spread* is the standard deviation of its seeds' scores.
3. A part of a recipe stays only when removing it lowers the mean validation
   accuracy by more than `SPREADS` times the larger spread of the two.
   Anything less is within what reseeding alone moves, and a part that buys
   nothing measurable is dropped: the recipe stays simpler and cheaper.
4. The test set is read once, for the chosen recipe, at the end.

Examples:
    >>> rows = [{"variant": v, "seed": s, "val_accuracy": a} for v, s, a in [
    ...     ("all", 0, 0.930), ("all", 1, 0.932), ("all", 2, 0.931),
    ...     ("no_flips", 0, 0.921), ("no_flips", 1, 0.920), ("no_flips", 2, 0.923),
    ...     ("no_cutout", 0, 0.931), ("no_cutout", 1, 0.929), ("no_cutout", 2, 0.932)]]
    >>> verdicts = ablation_verdicts(rows, reference="all")
    >>> verdicts["verdict"].to_dict()
    {'no_flips': 'keep', 'no_cutout': 'drop'}

"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from fmnist_course.errors import UserError

SPREADS = 2
"""How many seed spreads a part's removal must cost for the part to stay."""


def seed_summary(
    rows: Iterable[Mapping[str, Any]], by: str = "variant", value: str = "val_accuracy"
) -> pd.DataFrame:
    """Each candidate's mean, spread and range over its seeds.

    Args:
        rows: One mapping per (candidate, seed) run, with `by`, `seed` and
            `value` keys.
        by: The key that names the candidate.
        value: The score to summarise.

    Returns:
        A DataFrame indexed by candidate, in first-seen order, with `seeds`
        (how many), `mean`, `spread` (standard deviation over seeds, 0 for a
        single seed), `low` and `high`.

    Raises:
        UserError: No rows, a row without the keys, or a seed given twice
            for one candidate.

    Examples:
        >>> rows = [{"variant": "a", "seed": 0, "val_accuracy": 0.90},
        ...         {"variant": "a", "seed": 1, "val_accuracy": 0.92}]
        >>> seed_summary(rows).round(4).loc["a"].to_dict()
        {'seeds': 2.0, 'mean': 0.91, 'spread': 0.0141, 'low': 0.9, 'high': 0.92}

    """
    frame = pd.DataFrame(list(rows))
    missing = {by, "seed", value} - set(frame.columns)
    if frame.empty or missing:
        raise UserError(
            f"Expected runs with the keys {by!r}, 'seed' and {value!r}. Received "
            f"{len(frame)} run(s)"
            + (f" without {sorted(missing)}." if missing else ".")
        )
    repeated = frame.duplicated([by, "seed"])
    if repeated.any():
        first = frame[repeated].iloc[0]
        raise UserError(
            f"Expected each seed once per candidate. Received seed {first['seed']} "
            f"twice for {first[by]!r}; drop the older run."
        )
    grouped = frame.groupby(by, sort=False)[value]
    summary = pd.DataFrame(
        {
            "seeds": grouped.count(),
            "mean": grouped.mean(),
            "spread": grouped.std(ddof=1).fillna(0.0),
            "low": grouped.min(),
            "high": grouped.max(),
        }
    )
    summary.index.name = by
    return summary


def ablation_verdicts(
    rows: Iterable[Mapping[str, Any]],
    reference: str,
    value: str = "val_accuracy",
    spreads: float = SPREADS,
) -> pd.DataFrame:
    """Keep or drop each removed part, by the module's rule.

    Args:
        rows: One mapping per (variant, seed) run, with `variant`, `seed` and
            `value`; the `reference` variant removes nothing, every other
            variant removes one part.
        reference: The variant with every part.
        value: The validation score to compare (scored as the test set is).
        spreads: The threshold, in seed spreads (`SPREADS`).

    Returns:
        A DataFrame indexed by variant (the reference left out), with
        `change` (the variant's mean minus the reference's: below 0, the
        removed part helped), `threshold` (`spreads` times the larger of the
        two spreads), `seeds` (seeds shared with the reference) and `verdict`:
        `"keep"` when `-change > threshold`, `"drop"` otherwise, and
        `"undecided"` with fewer than two shared seeds.

    Raises:
        UserError: No run of `reference`.

    Examples:
        >>> rows = [{"variant": "all", "seed": 0, "val_accuracy": 0.93},
        ...         {"variant": "no_x", "seed": 0, "val_accuracy": 0.92}]
        >>> ablation_verdicts(rows, "all").loc["no_x", "verdict"]
        'undecided'

    """
    frame = pd.DataFrame(list(rows))
    if frame.empty or reference not in set(frame.get("variant", [])):
        raise UserError(
            f"Expected runs of the reference {reference!r} to compare with. "
            "Received none: measure it under the same seeds."
        )
    base_seeds = set(frame.loc[frame["variant"] == reference, "seed"])
    verdicts = []
    for variant in dict.fromkeys(frame["variant"]):
        if variant == reference:
            continue
        seeds = base_seeds & set(frame.loc[frame["variant"] == variant, "seed"])
        change = threshold = float("nan")
        verdict = "undecided"
        if seeds:
            shared = frame["variant"].isin([reference, variant]) & frame["seed"].isin(
                seeds
            )
            summary = seed_summary(frame[shared].to_dict("records"), value=value)
            change = summary.loc[variant, "mean"] - summary.loc[reference, "mean"]
        if len(seeds) >= 2:
            threshold = spreads * summary["spread"].max()
            verdict = "keep" if -change > threshold else "drop"
        verdicts.append(
            {
                "variant": variant,
                "change": float(change),
                "threshold": float(threshold),
                "seeds": len(seeds),
                "verdict": verdict,
            }
        )
    columns = ["variant", "change", "threshold", "seeds", "verdict"]
    return pd.DataFrame(verdicts, columns=columns).set_index("variant")
