"""The ablation's variants: the stacked recipe with one part switched off.

`RECIPES["all_techniques"]` stacks every technique of lessons 03, 06 and 07 on the
best model. Each variant of `ABLATIONS` switches one of them off
(`recipes.SWITCH_OFF`, derived from the recipe when it is used, so a change
to it flows into every variant). `fmnist-course bench ablation` trains them
under several seeds and records their validation scores;
`fmnist_course.choosing` turns those into a verdict per part,
`recorded_verdicts` reads them from the record, `chosen_recipe` applies them,
and `runner_up` names the variant the choice is confirmed against at the
full budget. Lesson 07 reads all of it.

Examples:
    >>> [variant.name for variant in
    ...  select_ablations(["no_dropout", "all_techniques"])]
    ['all_techniques', 'no_dropout']
    >>> ablation_recipe("no_cutout").model_kwargs["cutout"]
    0

"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fmnist_course.choosing import SPREADS, ablation_verdicts, seed_summary
from fmnist_course.errors import UserError
from fmnist_course.recipes import RECIPES, SWITCH_OFF, Recipe, switch_off

REFERENCE = "all_techniques"
"""The variant with nothing removed, and the recipe (a key of `RECIPES`) that
every variant removes a technique from: each row's change is against it."""


@dataclass(frozen=True)
class Ablation:
    """One variant of the stacked recipe: which technique it removes, and how.

    Attributes:
        name: The variant's name, a key of `ABLATIONS` (`--variants NAME`).
        removed: The technique removed, in words (the tables' `removed`).
        technique: The key of `recipes.SWITCH_OFF` that says how to switch
            it off (`None` for the reference, which removes nothing).
        without_views: Also score without test-time augmentation. Its views
            are mirror images and one-pixel shifts: a model never trained on
            them is hurt by them, so removing flips and shifts removes the
            views too, or the variant would be judged on images it never saw.

    """

    name: str
    removed: str
    technique: str | None = None
    without_views: bool = False

    @property
    def overrides(self) -> dict[str, Any]:
        """The `Recipe` fields this variant changes, as `SWITCH_OFF` says."""
        changes = {} if self.technique is None else dict(SWITCH_OFF[self.technique])
        if self.without_views:
            changes["test_time_augmentation"] = False
        return changes


ABLATIONS: dict[str, Ablation] = {
    ablation.name: ablation
    for ablation in (
        Ablation(REFERENCE, "nothing (every technique)"),
        Ablation("no_cutout", "cutout", "cutout"),
        Ablation("no_label_smoothing", "label smoothing", "label smoothing"),
        Ablation(
            "no_flip_shift",
            "random flips and shifts (and the mirrored and shifted views)",
            "flips and shifts",
            without_views=True,
        ),
        Ablation("no_dropout", "dropout", "dropout"),
        Ablation("no_weight_decay", "weight decay (Adam, not AdamW)", "weight decay"),
        Ablation("no_weight_averaging", "weight averaging", "weight averaging"),
        Ablation(
            "constant_rate",
            "cosine schedule (constant default rate)",
            "cosine schedule",
        ),
    )
}
"""The variants, in the order the tables list them; the reference first."""

CHOSEN = "chosen"
"""A variant name for the recipe the recorded verdicts choose: the stacked
recipe without every part they drop (`chosen_recipe`, `recorded_verdicts`).
Trained at the full budget, beside the runner-up, it confirms the choice."""


def select_ablations(names: Sequence[str] | None = None) -> list[Ablation]:
    """The named variants (all when `None`), in the order of `ABLATIONS`.

    Raises:
        UserError: No names, or a name that is not a variant; the message
            lists the known ones.

    Examples:
        >>> [variant.name for variant in select_ablations()][:2]
        ['all_techniques', 'no_cutout']
        >>> select_ablations(["no_cutuot"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Unknown ablation variant(s): 'no_cutuot'. ...

    """
    if names is None:
        return list(ABLATIONS.values())
    names = list(names)
    known = ", ".join([*ABLATIONS, CHOSEN])
    if not names:
        raise UserError(
            f"Expected at least one ablation variant. Received none. Known: {known}."
        )
    unknown = [name for name in names if name not in ABLATIONS and name != CHOSEN]
    if unknown:
        raise UserError(
            f"Unknown ablation variant(s): {', '.join(map(repr, unknown))}. "
            f"Expected names from: {known}. Pass some of these to --variants, "
            "or leave --variants out to run them all."
        )
    chosen = [Ablation(CHOSEN, "every part the verdicts drop")] * (CHOSEN in names)
    return [a for a in ABLATIONS.values() if a.name in names] + chosen


def ablation_recipe(name: str, base: Recipe | None = None) -> Recipe:
    """The stacked recipe with the variant's overrides applied.

    Args:
        name: A key of `ABLATIONS`.
        base: The recipe to remove a technique from (default:
            `RECIPES[REFERENCE]` as it is now).

    Returns:
        The base recipe itself for the reference, else a copy named
        `BASE-NAME` (say, `all_techniques-no_dropout`).

    Raises:
        UserError: `name` is not a variant.

    Examples:
        >>> recipe = ablation_recipe("no_dropout")
        >>> recipe.name, recipe.model_kwargs == {
        ...     **RECIPES[REFERENCE].model_kwargs, "dropout": 0.0}
        ('all_techniques-no_dropout', True)
        >>> ablation_recipe(REFERENCE) == RECIPES[REFERENCE]
        True

    """
    (ablation,) = select_ablations([name])
    base = RECIPES[REFERENCE] if base is None else base
    if ablation.name == CHOSEN:
        return chosen_recipe(recorded_verdicts(), base)
    if ablation.name == REFERENCE:
        return base
    name = f"{base.name}-{ablation.name}"
    recipe = switch_off(base, ablation.technique)
    if ablation.without_views:
        recipe = dataclasses.replace(recipe, test_time_augmentation=False)
    return dataclasses.replace(recipe, name=name)


def recorded_verdicts(
    results: Mapping[str, Any] | None = None, device: str = "cpu"
) -> dict[str, str]:
    """The verdict on each variant of the recorded ablation, at its budget.

    Args:
        results: The parsed results (default: the course's record).
        device: Whose ablation.

    Raises:
        UserError: No ablation recorded for `device`.

    Examples:
        >>> rows = [{"variant": v, "seed": s, "epochs": 5, "val_accuracy": a}
        ...         for v, a in [("all_techniques", .93), ("no_cutout", .935)]
        ...         for s in (0, 1)]
        >>> recorded_verdicts({"ablation": {"cpu": {"epochs": 5, "rows": rows}}})
        {'no_cutout': 'drop'}

    """
    from fmnist_course.results import load_results

    results = load_results() if results is None else results
    entry = (results.get("ablation") or {}).get(device)
    if not entry:
        raise UserError(
            f"No ablation recorded for {device.upper()}: run `fmnist-course bench "
            "ablation` before training the chosen recipe."
        )
    rows = [row for row in entry["rows"] if row["epochs"] == entry["epochs"]]
    verdicts = ablation_verdicts(rows, REFERENCE, spreads=entry.get("spreads", SPREADS))
    return verdicts["verdict"].to_dict()


def runner_up(results: Mapping[str, Any] | None = None, device: str = "cpu") -> str:
    """The variant the chosen recipe is confirmed against at the full budget.

    It is the variant with the highest mean validation accuracy in the
    recorded ablation, leaving out any whose recipe is the chosen one.

    Args:
        results: The parsed results (default: the course's record).
        device: Whose ablation.

    Examples:
        >>> rows = [{"variant": v, "seed": s, "epochs": 5, "val_accuracy": a}
        ...         for v, a in [("all_techniques", .93), ("no_cutout", .935),
        ...                      ("no_dropout", .90)] for s in (0, 1)]
        >>> runner_up({"ablation": {"cpu": {"epochs": 5, "rows": rows}}})
        'all_techniques'

    """
    from fmnist_course.results import load_results

    results = load_results() if results is None else results
    entry = results["ablation"][device]
    rows = [row for row in entry["rows"] if row["epochs"] == entry["epochs"]]
    chosen = chosen_recipe(recorded_verdicts(results, device))
    means = seed_summary(rows)["mean"].sort_values(ascending=False, kind="stable")
    for variant in means.index:
        recipe = dataclasses.replace(ablation_recipe(variant), name="chosen", lesson="")
        if variant != CHOSEN and recipe != chosen:
            return variant
    raise UserError("Expected a variant other than the chosen recipe. Received none.")


def chosen_recipe(verdicts: Mapping[str, str], base: Recipe | None = None) -> Recipe:
    """The stacked recipe with every part whose verdict is `"drop"` switched off.

    Args:
        verdicts: A verdict per variant (`"keep"`, `"drop"` or
            `"undecided"`), as `fmnist_course.choosing.ablation_verdicts`
            gives them; undecided parts stay.
        base: The stacked recipe (default: `RECIPES[REFERENCE]`).

    Returns:
        A new `Recipe` named `"chosen"`.

    Raises:
        UserError: A verdict for a variant that is not in `ABLATIONS`.

    Examples:
        >>> recipe = chosen_recipe({"no_cutout": "drop", "no_dropout": "keep"})
        >>> recipe.model_kwargs["cutout"], recipe.label_smoothing
        (0, 0.1)

    """
    recipe = RECIPES[REFERENCE] if base is None else base
    for variant in select_ablations(list(verdicts)):
        if verdicts[variant.name] == "drop":
            recipe = switch_off(recipe, variant.technique)
            if variant.without_views:
                recipe = dataclasses.replace(recipe, test_time_augmentation=False)
    return dataclasses.replace(recipe, name="chosen", lesson="")


def protocol_winner(
    results: Mapping[str, Any] | None = None, device: str = "cpu"
) -> Recipe:
    """The recipe the whole protocol chooses, ablation and confirmation together.

    The short ablation chooses a recipe (`chosen_recipe`); the confirmation
    trains it against its runner-up at the full budget. The choice stands
    unless a variant beats it there (`ablation_tables.confirmation_table`);
    then the variant that beats it by the most wins.

    Args:
        results: The parsed results (default: the course's record).
        device: Whose ablation.

    Returns:
        The winning recipe, named `"winner"`, at the confirmation's budget.

    Raises:
        UserError: The ablation, or its confirmation, is not recorded.

    Examples:
        >>> def runs(variant, epochs, *accuracies):
        ...     return [{"variant": variant, "seed": s, "epochs": epochs,
        ...              "val_accuracy": a} for s, a in enumerate(accuracies)]
        >>> rows = (runs("all_techniques", 5, .93, .931)
        ...         + runs("no_dropout", 5, .94, .941)
        ...         + runs("chosen", 40, .91, .911)
        ...         + runs("no_dropout", 40, .95, .951))
        >>> entry = {"epochs": 5, "rows": rows}
        >>> winner = protocol_winner({"ablation": {"cpu": entry}})
        >>> winner.model_kwargs["dropout"], winner.epochs
        (0.0, 40)

    """
    from fmnist_course.ablation_tables import confirmation_table
    from fmnist_course.results import load_results

    results = load_results() if results is None else results
    table = confirmation_table(results, device)
    variant = _winner_of(table, device)
    if variant == CHOSEN:
        recipe = chosen_recipe(recorded_verdicts(results, device))
    else:
        recipe = ablation_recipe(variant)
    budget = table.attrs["epochs"]
    return dataclasses.replace(recipe, name="winner", lesson="", epochs=budget)


def winning_variant(
    results: Mapping[str, Any] | None = None, device: str = "cpu"
) -> str:
    """The variant whose confirmation runs trained `protocol_winner`'s recipe.

    `CHOSEN` when the choice stands, else the variant that beats it by the
    most. Its rows at the confirmation's budget are the winner's own runs:
    the search for a better recipe (`fmnist_course.candidates_tables`) reads
    them as its baseline instead of training `best` again.

    Args:
        results: The parsed results (default: the course's record).
        device: Whose ablation.

    Raises:
        UserError: The ablation, or its confirmation, is not recorded.

    Examples:
        >>> def runs(variant, epochs, *accuracies):
        ...     return [{"variant": variant, "seed": s, "epochs": epochs,
        ...              "val_accuracy": a} for s, a in enumerate(accuracies)]
        >>> rows = (runs("all_techniques", 5, .93, .931)
        ...         + runs("chosen", 40, .91, .911)
        ...         + runs("no_dropout", 40, .95, .951))
        >>> winning_variant({"ablation": {"cpu": {"epochs": 5, "rows": rows}}})
        'no_dropout'

    """
    from fmnist_course.ablation_tables import confirmation_table
    from fmnist_course.results import load_results

    results = load_results() if results is None else results
    return _winner_of(confirmation_table(results, device), device)


def _winner_of(table, device: str) -> str:
    """`winning_variant`, read from the `confirmation_table` already built."""
    if table.empty:
        raise UserError(
            f"The ablation's choice on {device.upper()} is not confirmed at the full "
            "budget yet. Expected a confirmation in the record. Run `fmnist-course "
            "bench ablation --variants chosen RUNNER_UP --epochs 40` first."
        )
    beaten_by = table[table["verdict"] == "beats chosen"]
    if beaten_by.empty:
        return CHOSEN
    return str(beaten_by["change (points)"].idxmax())
