"""The results page's confirmation sections: each round's leader, judged.

`fmnist_course.confirmation` fixes each round's paired rule before its runs
(`ROUNDS`); `fmnist-course bench confirm --round N` records the verdict in
the round's section. `confirmation_markdown` writes each recorded round: the
rule in words, the runs seed by seed, the verdict, and the test accuracy
only where a candidate was promoted.

Examples:
    >>> confirmation_markdown({})
    []

"""

from __future__ import annotations

import math
from typing import Any

from fmnist_course.candidates import candidate_recipe, recipe_settings
from fmnist_course.confirmation import ROUNDS, Rule
from fmnist_course.recipes import RECIPES, without_final_fit


def confirmation_markdown(results: dict[str, Any]) -> list[str]:
    """Every recorded round's leader against its baseline, by a rule fixed first.

    Examples:
        >>> confirmation_markdown({"second_confirmation": {}})
        []

    """
    lines = []
    for index, rule in enumerate(ROUNDS):
        later = [
            after.candidate
            for after in ROUNDS[index + 1 :]
            if after.baseline == rule.candidate and _ships(after.candidate)
        ]
        for device, entry in results.get(rule.section, {}).items():
            lines += _round_markdown(rule, device, entry, later[0] if later else None)
    return lines


def _round_markdown(
    rule: Rule, device: str, entry: dict[str, Any], replaced_by: str | None
) -> list[str]:
    """One round on one device, as Markdown lines.

    `replaced_by` names a later round's candidate that the course ships in
    place of this round's.
    """
    name, baseline, verdict = entry["candidate"], entry["baseline"], entry["verdict"]
    scores = {
        (row["candidate"], row["seed"]): row["val_accuracy"] for row in entry["rows"]
    }
    seeds = ", ".join(map(str, entry["seeds"]))
    if rule.baseline_from is None:
        title = f"### Confirming `{name}` on fresh seeds ({device.upper()})"
        how = (
            "The rule was fixed in `fmnist_course.confirmation` before these runs "
            "had finished (its one-image floor after one run of the baseline had; "
            "the module's docstring gives the times): "
            f"`{baseline}` and `{name}` train once under each of seeds {seeds}, "
            "which the search never used, "
        )
    else:
        title = (
            f"### Confirming `{name}` against `{baseline}`, a second round "
            f"({device.upper()})"
        )
        how = (
            "The rule was fixed in `fmnist_course.confirmation` (`SECOND_ROUND`) "
            f"before any of these runs of `{name}`: it trains once under each of "
            f"seeds {seeds}, which it never trained under, and `{baseline}`'s "
            "runs are its judged runs of the first round under the same seeds, "
            "read again, not trained again (they got it promoted, so if anything "
            "they lean high, against the candidate); "
        )
    lines = [
        title,
        "",
        how + f"`{name}` is promoted when the mean of its per-seed differences "
        f"exceeds {entry['spreads']} times their standard deviation (counted as "
        f"at least one validation image). {_chance(entry)}A true gain the size "
        "of that deviation would often fail it, so a recipe not promoted is "
        "not shown equal. "
        "Validation only; the test set is read only for a promoted recipe.",
        "",
        f"| seed | `{baseline}` validation (%) | `{name}` validation (%) "
        "| difference (points) |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {seed} | {100 * scores[baseline, seed]:.2f} | "
        f"{100 * scores[name, seed]:.2f} | {change:+.2f} |"
        for seed, change in zip(entry["seeds"], verdict["differences"], strict=True)
    ]
    said = "promoted" if verdict["promoted"] else "not promoted: `best` stays"
    verdict_line = (
        f"Mean difference {verdict['mean']:+.2f} points against a threshold of "
        f"{verdict['threshold']:.2f} ({entry['spreads']} x their deviation, "
        f"{verdict['spread']:.2f}, or one image at least): **{said}**."
    )
    if "test" in entry:
        test = entry["test"]
        verdict_line += (
            f" Its test accuracy, read once per run: {test['test_accuracy']:.2%} "
            "mean ("
            + ", ".join(
                f"seed {run['seed']} {run['test_accuracy']:.2%}" for run in test["runs"]
            )
            + ")."
        )
    else:
        verdict_line += " No test image was scored."
    if verdict["promoted"] and _ships(name):
        verdict_line += f" The course now ships `{name}` as `best`."
        if rule.baseline_from is None:
            verdict_line += (
                " The runs keep the names they trained under, so "
                f"`{baseline}` above is the recipe `RECIPES['best_40']`."
            )
    elif verdict["promoted"] and replaced_by:
        verdict_line += (
            f" The course shipped it as `best` until a later round promoted "
            f"`{replaced_by}`, which it ships now."
        )
    elif verdict["promoted"]:
        verdict_line += (
            f" `best` becomes `{name}` once the ladder has measured it on the "
            "test set under its own seeds; until then the course ships "
            "`best` as it is."
        )
    return [*lines, "", verdict_line, ""]


def _ships(candidate: str) -> bool:
    """Whether `RECIPES["best"]` trains exactly the candidate's settings.

    Its final fit aside (`recipes.without_final_fit`): that changes which
    images the chosen recipe trains on, not the recipe the rule judged.
    """
    return recipe_settings(without_final_fit(RECIPES["best"])) == recipe_settings(
        candidate_recipe(candidate)
    )


def _chance(entry: dict[str, Any]) -> str:
    """How often two equal recipes would pass the rule, for three seeds.

    The rule is a one-sided paired t-test at t > spreads * sqrt(seeds); with
    three seeds, Student's t on 2 degrees of freedom has a closed form.

    Examples:
        >>> _chance({"spreads": 2, "seeds": [3, 4, 5]})[:36]
        'Two equal recipes would pass it 3.7%'
        >>> _chance({"spreads": 2, "seeds": [3, 4]})
        ''

    """
    if len(entry["seeds"]) != 3:
        return ""
    t = entry["spreads"] * math.sqrt(3)
    chance = 0.5 * (1 - t / math.sqrt(t**2 + 2))
    return (
        f"Two equal recipes would pass it {chance:.1%} of the time (a paired "
        "t-test, normal differences). "
    )
