"""The ablation: every technique stacked, then one removed at a time.

`RECIPES["all_techniques"]` stacks every technique of lessons 06 and 07 on the
best model: cutout, label smoothing, random flips and shifts, dropout, weight
decay, weight averaging and a cosine learning-rate schedule. Each variant of
`ABLATIONS` is that recipe with one of them switched off (derived from the
recipe when it runs, so a change to it flows into every variant), trained
under the same epoch budget and the same seeds (`ABLATION_SEEDS`); the change
in mean accuracy against the `all_techniques` row is what that technique
buys, measured.

Every run is judged on validation alone, scored as the test set is scored:
with the recipe's test-time augmentation (and, for comparison, without it).
The test images are never scored (`fmnist_course.bench.ablation_runs` trains
the runs). `fmnist_course.choosing` states the rule that turns the rows into
a verdict per technique (a technique stays only when removing it costs more
than twice the seeds' spread), `chosen_recipe` applies the verdicts, and the
test set is read once, for the chosen recipe, by the ladder.

The full recipe trains for 40 epochs; eight variants under three seeds at
that budget cost 24 full trainings of the best model, so every variant
trains for `ABLATION_EPOCHS` (the cosine schedule decays over whatever
epochs are used) unless told otherwise. A technique that pays off only late
in a long run shows less in a short one: the budget is recorded with every
row, and a variant trained again at the full budget, to confirm a choice
against its runner-up, is recorded beside the short runs.

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

ABLATION_EPOCHS = 5
"""Epochs every variant trains for, unless `--epochs` says otherwise.

The full recipe trains for 40; an eighth of that runs all eight variants
under three seeds, one run per core, in about the time of two full
trainings on two cores."""

ABLATION_SEEDS = (0, 1, 2)
"""The seeds every variant trains under, unless `--seeds` says otherwise."""

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


def merge_ablation_rows(
    existing: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Replace rows of the same variant, seed and budget; keep every other row.

    Rows come out in the order of `ABLATIONS`, then by budget and seed; a
    recorded variant the table no longer has is kept, after the others. A
    run of a variant at another epoch budget (say, the full recipe's, to
    confirm a choice) is kept beside the short one. A row recorded before
    runs were scored on validation alone (it has a `test_accuracy`) is
    dropped: its variant was chosen with test numbers.

    Examples:
        >>> old = [{"variant": "no_dropout", "seed": 0, "epochs": 5},
        ...        {"variant": "all_techniques", "seed": 0, "epochs": 5}]
        >>> new = [{"variant": "all_techniques", "seed": 0, "epochs": 5},
        ...        {"variant": "all_techniques", "seed": 0, "epochs": 40}]
        >>> [(r["variant"], r["seed"], r["epochs"])
        ...  for r in merge_ablation_rows(old, new)]  # doctest: +NORMALIZE_WHITESPACE
        [('all_techniques', 0, 5), ('all_techniques', 0, 40), ('no_dropout', 0, 5)]

    """

    def key(row: Mapping[str, Any]) -> tuple[str, int, int]:
        return row["variant"], row["seed"], row["epochs"]

    merged = {key(row): dict(row) for row in existing if "test_accuracy" not in row}
    merged.update({key(row): dict(row) for row in new})
    order = {name: index for index, name in enumerate(ABLATIONS)}
    return sorted(
        merged.values(),
        key=lambda row: (
            order.get(row["variant"], len(order)),
            row["variant"],
            row["epochs"],
            row["seed"],
        ),
    )


def ablation_budget(rows: Sequence[Mapping[str, Any]]) -> int:
    """The ablation's epoch budget: the shortest its rows trained for.

    Longer runs confirm a choice at the full recipe's budget; they are not
    part of the ablation's verdicts, and `fmnist_course.ablation_tables`
    shows them apart.

    Raises:
        ValueError: No rows.

    Examples:
        >>> ablation_budget([{"epochs": 40}, {"epochs": 5}, {"epochs": 40}])
        5

    """
    if not rows:
        raise ValueError("Expected at least one ablation row. Received none.")
    return min(row["epochs"] for row in rows)


def ablation_entry(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `ablation` entry of one device: the rows and their settings.

    `epochs` is the ablation's budget (`ablation_budget`); `train_images`,
    `validation_images`, `machine` and `measured_at` are those of the most
    recently measured row at that budget, `seeds` every seed measured; each
    row keeps its own. `reference` names the variant the changes are
    against, `spreads` the rule's threshold (`fmnist_course.choosing.SPREADS`).

    Raises:
        ValueError: No rows.

    Examples:
        >>> entry = ablation_entry([{"variant": "all_techniques",
        ...     "val_accuracy": 0.93, "epochs": 5, "seed": 1,
        ...     "train_images": 54000, "validation_images": 6000,
        ...     "machine": {"device": "cpu"}, "measured_at": "2025-01-02T03:04:05Z"}])
        >>> entry["epochs"], entry["seeds"], entry["spreads"]
        (5, [1], 2)

    """
    rows = merge_ablation_rows([], rows)
    budget = ablation_budget(rows)
    latest = max(
        (row for row in rows if row["epochs"] == budget),
        key=lambda row: row["measured_at"],
    )
    keys = ("train_images", "validation_images", "machine", "measured_at")
    return {
        "epochs": budget,
        **{key: latest[key] for key in keys},
        "seeds": sorted({row["seed"] for row in rows}),
        "reference": REFERENCE,
        "spreads": SPREADS,
        "rows": rows,
    }


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
