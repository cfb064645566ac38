"""The search for a better recipe than `best`: named changes, tried on validation.

Lesson 07's protocol chose a recipe by removing parts of a stacked recipe
(`recipes.PROTOCOL_CHOICE`, `RECIPES["best_40"]`; it was `best` until the
search's confirmation promoted 80 epochs). The search goes the other way: each
candidate of `CANDIDATES` changes one setting that recipe already has (its
epochs, label smoothing, cutout, weight decay, the width of its blocks), for a
reason it names; a stacked candidate
(`stacked`) makes the changes of several at once, to ask whether their gains
add. No candidate adds a layer or a training feature.
`fmnist-course bench candidates` trains each under several seeds and scores
it on validation only;
`fmnist_course.candidates_tables.candidates_table` sets each against `best`
by the rule of `fmnist_course.choosing`, and the results page shows every
candidate tried, the ones that lost included.

Each candidate is derived from `RECIPES["best_40"]` when it is used, so a
change to that recipe flows into every candidate. The baseline is that recipe
itself, named `best` in the record (`BASELINE`), as it was when it ran: the
search's runs stay comparable after the course ships the promoted recipe as
`best`.

Examples:
    >>> candidate_recipe("epochs_60").epochs
    60
    >>> candidate_recipe("wider").model_kwargs["filters"]
    (48, 96, 192)
    >>> candidate_recipe(BASELINE) == RECIPES["best_40"]
    True

"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fmnist_course.errors import UserError
from fmnist_course.recipes import LATER_FIELDS, RECIPES, Recipe

BASELINE = "best"
"""The name of the runs of the recipe every candidate changes (`SEARCHED`)."""

SEARCHED = "best_40"
"""The key of `RECIPES` every candidate changes: the protocol's choice."""


@dataclass(frozen=True)
class Candidate:
    """One named change to `RECIPES[SEARCHED]`, and why it is worth a try.

    Attributes:
        name: The candidate's name, a key of `CANDIDATES` (`--variants NAME`).
        changes: The `Recipe` fields it sets; a `model_kwargs` mapping is
            merged into the recipe's.
        why: One line: the reason to try it, naming its anchor.
        parts: For a stacked candidate, the candidates whose changes it
            makes at once; empty for a single change.

    """

    name: str
    changes: dict[str, Any]
    why: str
    parts: tuple[str, ...] = ()


CANDIDATES: dict[str, Candidate] = {
    candidate.name: candidate
    for candidate in (
        Candidate(
            "epochs_60",
            {"epochs": 60},
            "Longer schedules: the published Fashion-MNIST leaders (WRN, "
            "ResNet, DenseNet in Zalando's table) train for hundreds of epochs.",
        ),
        Candidate(
            "epochs_80",
            {"epochs": 80},
            "Twice best's schedule, the same published anchor: does the cosine "
            "decay still pay at 80 epochs?",
        ),
        Candidate(
            "smoothing_0.2",
            {"label_smoothing": 0.2},
            "Label smoothing of 0.1 is Szegedy et al.'s (2016) default; Müller et "
            "al. (2019) report gains up to 0.2 with heavy augmentation.",
        ),
        Candidate(
            "wider",
            {"model_kwargs": {"filters": (48, 96, 192)}},
            "Wider blocks: Wide ResNets (Zagoruyko and Komodakis, 2016; WRN-40-4 "
            "leads Zalando's table) gain from width more than from depth.",
        ),
        Candidate(
            "cutout_12",
            {"model_kwargs": {"cutout": 12}},
            "DeVries and Taylor (2017) tune cutout to about half the image side "
            "(16 of CIFAR's 32); 12 of 28 is that share here, 8 is less.",
        ),
        Candidate(
            "weight_decay_0.1",
            {"weight_decay": 0.1},
            "Decoupled weight decay (Loshchilov and Hutter, 2019) is often run at "
            "0.1 with AdamW; best uses 0.05.",
        ),
    )
}
"""The candidates, in the order the table lists them (after `BASELINE`)."""


def stacked(name: str, parts: Sequence[str], why: str) -> Candidate:
    """A candidate that makes the changes of several `CANDIDATES` at once.

    Args:
        name: The stacked candidate's name.
        parts: Names of two or more candidates already in `CANDIDATES`.
        why: One line: the reason to stack them.

    Raises:
        ValueError: Fewer than two parts, an unknown part, or two parts that
            set the same setting (their changes would not add, one would win).

    Examples:
        >>> stacked("both", ["wider", "cutout_12"], "why").changes
        {'model_kwargs': {'filters': (48, 96, 192), 'cutout': 12}}
        >>> stacked("clash", ["epochs_60", "epochs_80"], "why")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: ... 'epochs_60' and 'epochs_80' both set epochs. ...

    """
    parts = list(parts)
    known = ", ".join(CANDIDATES)
    unknown = [part for part in parts if part not in CANDIDATES]
    repeated = sorted({part for part in parts if parts.count(part) > 1})
    if len(parts) < 2 or unknown or repeated:
        why = (
            f"unknown: {', '.join(map(repr, unknown))}"
            if unknown
            else f"repeated: {', '.join(map(repr, repeated))}"
            if repeated
            else "fewer than two"
        )
        raise ValueError(
            f"Cannot stack {name!r}: expected two or more different candidates. "
            f"Received: {parts!r} ({why}). Name each part once, from: {known}."
        )
    changes: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for part in parts:
        flat = dict(CANDIDATES[part].changes)
        model_kwargs = flat.pop("model_kwargs", {})
        for key, value in [*flat.items(), *model_kwargs.items()]:
            if key in owner:
                raise ValueError(
                    f"Cannot stack {name!r}: {owner[key]!r} and {part!r} both set "
                    f"{key}. Stack candidates that change different settings."
                )
            owner[key] = part
            target = (
                changes.setdefault("model_kwargs", {})
                if key in model_kwargs
                else changes
            )
            target[key] = value
    return Candidate(name, changes, why, parts=tuple(parts))


CANDIDATES["wider_cutout_12"] = stacked(
    "wider_cutout_12",
    ["wider", "cutout_12"],
    "wider and cutout_12 each came out ahead of best's mean, neither by the "
    "threshold: do their gains add? Zhong et al. (2020) add random erasing to a "
    "Wide ResNet for their best Fashion-MNIST result.",
)
CANDIDATES["wider_cutout_12_epochs_60"] = stacked(
    "wider_cutout_12_epochs_60",
    ["wider", "cutout_12", "epochs_60"],
    "wider_cutout_12 and a longer schedule each came out ahead of best: do "
    "they add? Wider blocks double the CPU time per epoch, so 60 epochs is "
    "the longest schedule within the course's 60 CPU-minutes per seed.",
)


def select_candidates(names: Sequence[str] | None = None) -> list[str]:
    """The named candidates, `BASELINE` first; every candidate (not it) for `None`.

    Raises:
        UserError: No names, or a name that is neither a candidate nor
            `BASELINE`; the message says what was received, what is known
            and how to fix it.

    Examples:
        >>> select_candidates(["wider", "best"])
        ['best', 'wider']
        >>> select_candidates(["widre"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Unknown candidate(s): 'widre'. ...

    """
    if names is None:
        return list(CANDIDATES)
    names = list(names)
    known = ", ".join([BASELINE, *CANDIDATES])
    if not names:
        raise UserError(
            f"Expected at least one candidate. Received none. Known: {known}. "
            "Name some after --variants, or leave --variants out to run them all."
        )
    unknown = [name for name in names if name != BASELINE and name not in CANDIDATES]
    if unknown:
        raise UserError(
            f"Unknown candidate(s): {', '.join(map(repr, unknown))}. Expected names "
            f"from: {known}. Pass some of these to --variants, or leave --variants "
            "out to run every candidate."
        )
    return [name for name in [BASELINE, *CANDIDATES] if name in names]


def candidate_recipe(name: str, base: Recipe | None = None) -> Recipe:
    """`RECIPES[SEARCHED]` as it is now, with the candidate's change applied.

    Args:
        name: A key of `CANDIDATES`, or `BASELINE`.
        base: The recipe to change (default: `RECIPES[SEARCHED]`).

    Returns:
        The base recipe itself for `BASELINE`, else a copy named
        `best-NAME` with no lesson.

    Raises:
        UserError: `name` is not a candidate.

    Examples:
        >>> recipe = candidate_recipe("cutout_12")
        >>> recipe.name, recipe.model_kwargs == {
        ...     **RECIPES[SEARCHED].model_kwargs, "cutout": 12}
        ('best-cutout_12', True)

    """
    select_candidates([name])
    base = RECIPES[SEARCHED] if base is None else base
    if name == BASELINE:
        return base
    changes = dict(CANDIDATES[name].changes)
    if "model_kwargs" in changes:
        changes["model_kwargs"] = {**base.model_kwargs, **changes["model_kwargs"]}
    return dataclasses.replace(base, name=f"{BASELINE}-{name}", lesson="", **changes)


def recipe_settings(recipe: Recipe) -> dict[str, Any]:
    """A recipe's training settings as the record keeps them, JSON types only.

    Its name and lesson are left out: two recipes that train alike have
    equal settings. So is a field of `recipes.LATER_FIELDS` at its old value,
    as runs recorded before it existed keep it. Tuples come out as lists, as
    they do from the record.

    Examples:
        >>> settings = recipe_settings(candidate_recipe("wider"))
        >>> settings["model_kwargs"]["filters"], "name" in settings
        ([48, 96, 192], False)

    """
    settings = dataclasses.asdict(recipe)
    for key in ("name", "lesson"):
        settings.pop(key)
    for key, old in LATER_FIELDS.items():  # as recorded before the field existed
        if settings[key] == old:
            settings.pop(key)
    return json.loads(json.dumps(settings))
