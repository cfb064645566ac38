"""The search for a better recipe, as a table: every candidate against `best`.

`candidates_table` reads the record's `candidates` section (written by
`fmnist-course bench candidates`) and sets each candidate of
`fmnist_course.candidates.CANDIDATES` against the baseline `best`, by the
course's one rule (`fmnist_course.choosing`): a candidate beats `best` only
when going back to `best` would cost more than `SPREADS` times the larger
seed spread of the two, under at least two shared seeds.

The baseline's runs need no retraining when the record already holds them:
the ablation's confirmation trains the protocol's winner at the full budget
under three seeds, and `best` is that winner (`baseline_runs`). Then the
table reads those runs by reference, and says so; otherwise it needs runs of
`best` in the `candidates` section. Pure: the tables read only their
argument, so the results page and a lesson show the same numbers.

Examples:
    >>> table = candidates_table({})
    >>> table.empty
    True
    >>> print(table.attrs["caption"])  # doctest: +NORMALIZE_WHITESPACE
    No candidate recorded for CPU yet. Run `fmnist-course bench candidates`
    to measure them.

"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

from fmnist_course.candidates import (
    BASELINE,
    CANDIDATES,
    candidate_recipe,
    recipe_settings,
)
from fmnist_course.errors import UserError
from fmnist_course.results_tables import counted, later, named_list

CANDIDATE_COLUMNS = (
    "change",
    "seeds",
    "epochs",
    "validation accuracy (%)",
    "spread (points)",
    "change vs best (points)",
    "per seed vs best (points)",
    "threshold (points)",
    "verdict",
    "CPU-minutes per seed",
)
"""The columns of `candidates_table`, one row per recipe (means over seeds)."""

COMMAND = "fmnist-course bench candidates"
"""The command that measures the candidates."""


def _points(value: float) -> float:
    """A fraction as percent (or percentage points)."""
    return round(100 * float(value), 2)


class BaselineRuns(NamedTuple):
    """The runs of `best` the candidates are set against (`baseline_runs`).

    Attributes:
        rows: The runs, each with `variant` set to `"best"`.
        section: The record's section that holds them: `"ablation"` or
            `"candidates"`.
        source: Where they come from, in words, for the table's caption.

    """

    rows: list[dict[str, Any]]
    section: str
    source: str


def baseline_runs(results: Mapping[str, Any], device: str = "cpu") -> BaselineRuns:
    """The runs of `best` the candidates are set against, and where they are.

    When the protocol's recorded winner (`ablations.protocol_winner`) is
    the searched recipe, `RECIPES["best_40"]`, exactly (apart from its name
    and lesson), its
    confirmation runs are `best`'s runs: they are read from
    `results["ablation"][device]` by reference, never copied. Otherwise the
    `candidates` section must hold runs named `best`.

    Args:
        results: The parsed record.
        device: Whose runs.

    Returns:
        A `BaselineRuns`: rows with `variant` set to `"best"`, `seed`,
        `epochs`, `val_accuracy` and `train_cpu_seconds`; the section that
        holds them; and, in words, where they come from.

    Raises:
        UserError: No runs of `best` either way; the message says why the
            ablation's cannot stand in and which command measures them.

    Examples:
        >>> from fmnist_course.results import load_results
        >>> baseline_runs(load_results()).section
        'ablation'
        >>> baseline_runs({})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Expected runs of the baseline 'best'. ...

    """
    from fmnist_course.ablations import protocol_winner, winning_variant

    best = candidate_recipe(BASELINE)
    why = "no ablation confirmation is recorded"
    ablation = (results.get("ablation") or {}).get(device)
    if ablation:
        try:
            winner = protocol_winner(results, device)
        except UserError:
            winner = None
        same = winner is not None and best == dataclasses.replace(
            winner, name=best.name, lesson=best.lesson
        )
        if winner is None:
            pass
        elif not same:
            why = "the ablation's recorded winner is not RECIPES['best_40']"
        else:
            variant = winning_variant(results, device)
            rows = [
                {**row, "variant": BASELINE}
                for row in ablation["rows"]
                if row["variant"] == variant and row["epochs"] == winner.epochs
            ]
            trained = [row["recipe"] for row in rows if "recipe" in row]
            if any(settings != recipe_settings(best) for settings in trained):
                why = f"the recorded runs of {variant!r} trained other settings"
            elif rows:
                return BaselineRuns(
                    rows,
                    "ablation",
                    f"`best` is not trained again: its runs are the ablation's "
                    f"confirmation of `{variant}` at {winner.epochs} epochs "
                    f"(`results['ablation']['{device}']`), whose recipe is "
                    "`RECIPES['best_40']` exactly (`ablations.protocol_winner`)",
                )
    entry = (results.get("candidates") or {}).get(device) or {}
    rows = [
        {**row, "variant": BASELINE}
        for row in entry.get("rows", [])
        if row["candidate"] == BASELINE and not _is_stale(row)
    ]
    if rows:
        return BaselineRuns(
            rows,
            "candidates",
            f"`best` was trained by `{COMMAND} --variants best` ({why})",
        )
    raise UserError(
        f"Expected runs of the baseline 'best'. Received none on {device.upper()}: "
        f"{why}, and the candidates record holds no run of 'best' with its "
        f"current settings. Run `{COMMAND} --variants best` to measure it."
    )


def _empty(device: str, caption: str):
    import pandas as pd

    table = pd.DataFrame([], columns=["candidate", *CANDIDATE_COLUMNS])
    table = table.set_index("candidate")
    table.attrs.update(device=device, seeds=[], caption=caption, baseline=None)
    return table


def candidates_table(
    results: Mapping[str, Any], device: str = "cpu", measured_before: str | None = None
):
    """Every candidate tried, against `best`, on validation: a DataFrame.

    Pure: reads only its argument. Accuracies are means over seeds in
    percent; spreads, changes and thresholds in percentage points. A
    candidate's verdict is `"beats best"` when its mean is higher than
    `best`'s by more than `choosing.SPREADS` times the larger spread of the
    two (the rule of `choosing.ablation_verdicts`, with `best` as the part
    removed), `"not shown better"` otherwise (the rule did not show a gain;
    it did not show there is none), and `"undecided"` under fewer than two
    seeds shared with `best`, no baseline at all, or a candidate whose runs
    were shortened (a smoke test's `--epochs`). Beside the means, the
    change on each seed `best` shares is shown, so a gain that the means'
    spreads hide but every seed repeats is visible; the rule reads the
    means alone.

    Args:
        results: The parsed `benchmarks/results.json`.
        device: `"cpu"` or `"gpu"`.
        measured_before: An ISO UTC time as the record writes it: only the
            runs recorded before it (one round of the search). The caption
            then names no catalogued candidate as not run yet.

    Returns:
        A DataFrame indexed by `candidate` (`best` first), with the columns
        of `CANDIDATE_COLUMNS`; empty when no candidate is recorded, its
        caption then naming the command to run. `table.attrs` holds
        `caption`, `seeds`, `device`, `baseline` (where `best`'s runs
        come from, or `None`) and `paired` (each candidate's change on
        each seed it shares with `best`, in points: `{name: {seed: change}}`).

    Examples:
        >>> def runs(name, *accuracies):
        ...     return [{"candidate": name, "seed": s, "epochs": 40,
        ...              "val_accuracy": a, "train_cpu_seconds": 600.0,
        ...              "train_images": 54000, "validation_images": 6000}
        ...             for s, a in enumerate(accuracies)]
        >>> rows = runs("best", .940, .941, .942) + runs("wider", .950, .951, .952)
        >>> table = candidates_table({"candidates": {"cpu": {"rows": rows}}})
        >>> wider = table.loc["wider"]
        >>> wider["verdict"], float(wider["threshold (points)"])
        ('beats best', 0.2)
        >>> for row in rows:
        ...     row["measured_at"] = f"2026-12-0{1 + row['seed']}T00:00:00Z"
        >>> early = candidates_table({"candidates": {"cpu": {"rows": rows}}},
        ...                          measured_before="2026-12-03T00:00:00Z")
        >>> early.attrs["seeds"]
        [0, 1]

    """
    import pandas as pd

    from fmnist_course.choosing import SPREADS, ablation_verdicts, seed_summary

    entry = (results.get("candidates") or {}).get(device) or {}
    if measured_before is not None:  # one round: its rows, best's included
        rows = [
            r for r in entry.get("rows", []) if later(measured_before, r["measured_at"])
        ]
        entry = {**entry, "rows": rows}
        results = {**results, "candidates": {device: entry}}
    current, stale_rows = [], []
    for row in entry.get("rows", []):
        (stale_rows if _is_stale(row) else current).append(row)
    stale = _stale_note(stale_rows)
    tried = [
        {**row, "variant": row["candidate"]}
        for row in current
        if row["candidate"] != BASELINE
    ]
    if not tried:
        first = (
            "No candidate run with its current settings is recorded for"
            if stale
            else "No candidate recorded for"
        )
        return _empty(
            device,
            " ".join(
                filter(
                    None,
                    [
                        f"{first} {device.upper()} yet. Run `{COMMAND}` to "
                        "measure them.",
                        stale,
                    ],
                )
            ),
        )
    try:
        baseline, _, source = baseline_runs(results, device)
    except UserError as error:
        baseline, source = [], f"no baseline ({str(error).rstrip('.')})"
    rows = baseline + tried
    spreads = entry.get("spreads", SPREADS)
    summary = seed_summary(rows)
    cpu = seed_summary(rows, value="train_cpu_seconds")
    lines, paired = [], {}
    for name in summary.index:
        own = [row for row in rows if row["variant"] == name]
        if name != BASELINE:
            paired[name] = _paired(own, baseline)
        line = {
            "candidate": name,
            "change": "baseline" if name == BASELINE else _described(name),
            "seeds": int(summary.loc[name, "seeds"]),
            "epochs": "/".join(str(e) for e in sorted({r["epochs"] for r in own})),
            "validation accuracy (%)": _points(summary.loc[name, "mean"]),
            "spread (points)": _points(summary.loc[name, "spread"]),
            "change vs best (points)": 0.0 if name == BASELINE else float("nan"),
            "per seed vs best (points)": _per_seed(paired.get(name, {})),
            "threshold (points)": float("nan"),
            "verdict": "" if name == BASELINE else "undecided",
            "CPU-minutes per seed": round(cpu.loc[name, "mean"] / 60, 1),
        }
        if name != BASELINE and baseline:
            # The rule, read the other way round: the candidate is the
            # reference and going back to `best` is the part removed.
            pair = [row for row in rows if row["variant"] in (name, BASELINE)]
            said = ablation_verdicts(pair, name, spreads=spreads).loc[BASELINE]
            if said["seeds"]:
                line["change vs best (points)"] = _points(-said["change"])
            shortened = any(row["epochs"] < _full_epochs(row) for row in own)
            if said["seeds"] >= 2 and not shortened:
                line["threshold (points)"] = _points(said["threshold"])
                line["verdict"] = {"keep": "beats best", "drop": "not shown better"}[
                    said["verdict"]
                ]
        lines.append(line)
    columns = ["candidate", *CANDIDATE_COLUMNS]
    table = pd.DataFrame(lines, columns=columns).set_index("candidate")
    seeds = sorted({row["seed"] for row in rows})
    table.attrs.update(
        device=device,
        seeds=seeds,
        baseline=source if baseline else None,
        paired=paired,
        caption=" ".join(
            filter(
                None,
                [
                    _caption(tried, seeds, spreads, source),
                    _machines(rows),
                    stale,
                    ""
                    if measured_before
                    else _not_run({row["candidate"] for row in tried + stale_rows}),
                ],
            )
        ),
    )
    return table


def _is_stale(row: Mapping[str, Any]) -> bool:
    """Whether a run trained other settings than its candidate has now.

    A run of a candidate the catalogue no longer has, or one recorded
    without its settings, is not stale: nothing says what it should be. A
    smoke test's shortened run is compared at the epochs its recipe had
    (`full_recipe_epochs`).

    Examples:
        >>> settings = recipe_settings(candidate_recipe("wider"))
        >>> _is_stale({"candidate": "wider", "recipe": settings})
        False
        >>> _is_stale({"candidate": "wider", "recipe": {**settings, "epochs": 9}})
        True

    """
    name = row["candidate"]
    if (name not in CANDIDATES and name != BASELINE) or "recipe" not in row:
        return False
    full = _full_epochs(row)
    return {**row["recipe"], "epochs": full} != recipe_settings(candidate_recipe(name))


def _full_epochs(row: Mapping[str, Any]) -> int:
    """The epochs of the run's recipe before any smoke test shortened it.

    Examples:
        >>> _full_epochs({"epochs": 1, "full_recipe_epochs": 40}), _full_epochs(
        ...     {"epochs": 40, "recipe": {"epochs": 40}})
        (40, 40)

    """
    if "full_recipe_epochs" in row:
        return row["full_recipe_epochs"]
    return row.get("recipe", {}).get("epochs") or row["epochs"]


def _stale_note(stale: list[Mapping[str, Any]]) -> str:
    """The runs left out of the table because their candidate has changed."""
    if not stale:
        return ""
    names = list(dict.fromkeys(row["candidate"] for row in stale))
    return (
        f"Left out: {counted(len(stale), 'run')} of {', '.join(names)} trained "
        "other settings than the candidate has now (`RECIPES['best_40']` or the "
        f"candidate changed since); `{COMMAND} --variants {' '.join(names)}` "
        "trains them again."
    )


def _not_run(tried: set[str]) -> str:
    """The catalogued candidates with no recorded run, and how to run them.

    Examples:
        >>> _not_run(set(CANDIDATES))
        ''
        >>> _not_run(set(CANDIDATES) - {"epochs_80"})  # doctest: +ELLIPSIS
        'In the catalogue but not run yet: epochs_80 (`... --variants epochs_80`).'

    """
    waiting = [name for name in CANDIDATES if name not in tried]
    if not waiting:
        return ""
    return (
        f"In the catalogue but not run yet: {', '.join(waiting)} "
        f"(`{COMMAND} --variants {' '.join(waiting)}`)."
    )


def _paired(own: list[dict], baseline: list[dict]) -> dict[int, float]:
    """A candidate's change on each seed it shares with `best`, in points.

    Examples:
        >>> own = [{"seed": 1, "val_accuracy": .94}, {"seed": 0, "val_accuracy": .95}]
        >>> best = [{"seed": 1, "val_accuracy": .9425},
        ...         {"seed": 0, "val_accuracy": .94}]
        >>> _paired(own, best)
        {0: 1.0, 1: -0.25}

    """
    theirs = {row["seed"]: row["val_accuracy"] for row in baseline}
    return {
        row["seed"]: _points(row["val_accuracy"] - theirs[row["seed"]])
        for row in sorted(own, key=lambda row: row["seed"])
        if row["seed"] in theirs
    }


def _per_seed(paired: Mapping[int, float]) -> str:
    """The paired changes as the table shows them.

    Examples:
        >>> _per_seed({0: 1.0, 1: -0.25}), _per_seed({})
        ('s0 +1.00 / s1 -0.25', '')

    """
    return " / ".join(f"s{seed} {change:+.2f}" for seed, change in paired.items())


def _machines(rows: list[dict[str, Any]]) -> str:
    """A warning when the CPU-minutes come from more than one kind of CPU.

    Examples:
        >>> rows = [{"variant": "best", "machine": {"cpu_model": "A"}},
        ...         {"variant": "wider", "machine": {"cpu_model": "B"}}]
        >>> _machines(rows)  # doctest: +ELLIPSIS
        'The CPU-minutes come from more than one CPU: A (best); B (wider). ...'
        >>> _machines(rows[:1])
        ''

    """
    by_cpu: dict[str, list[str]] = {}
    for row in rows:
        machine = row.get("machine") or {}
        cpu = machine.get("cpu_model", "unknown")
        if "logical_cores" in machine:
            cpu += f", {counted(machine['logical_cores'], 'logical core')}"
        names = by_cpu.setdefault(cpu, [])
        if row["variant"] not in names:
            names.append(row["variant"])
    if len(by_cpu) < 2:
        return ""
    listed = "; ".join(f"{cpu} ({', '.join(names)})" for cpu, names in by_cpu.items())
    return (
        f"The CPU-minutes come from more than one CPU: {listed}. Compare the "
        "costs of candidates measured on the same CPU only."
    )


def _described(name: str) -> str:
    """A candidate's change in words, say `label_smoothing=0.2`."""
    if name not in CANDIDATES:
        return "(no longer a candidate)"
    changes = dict(CANDIDATES[name].changes)
    changes.update(changes.pop("model_kwargs", {}))
    return ", ".join(f"{key}={value}" for key, value in changes.items())


def _caption(tried: list[dict[str, Any]], seeds: list, spreads: float, source: str):
    """What the candidates table shows, where `best` comes from, how to read it."""
    images = sorted({row.get("train_images") for row in tried} - {None})
    on = f" on {images[0]:,} training images" if len(images) == 1 else ""
    return " ".join(
        [
            "Each candidate changes one setting of `RECIPES['best_40']` (the "
            "protocol's choice, named `best` here as it was when these ran), or, "
            "stacked, the settings of several candidates at once; each is "
            f"trained{on} "
            f"under {named_list('seed', seeds)} ({counted(len(tried), 'run')} in "
            "all), scored on validation as the test set is; no test image is "
            "scored.",
            f"The baseline: {source}.",
            "A change is the candidate's mean minus best's, in percentage "
            "points, over the seeds they share (so for a candidate with fewer "
            "seeds than best, it is not the difference of the two means shown); "
            f"the threshold is {spreads} times the larger seed spread of the "
            "two over those shared seeds. A candidate beats best only when its "
            "change is above the threshold, under two shared seeds at least "
            "(`fmnist_course.choosing`); every candidate tried is listed, the "
            "ones that lost included. The per-seed column sets each run against "
            "best's run on the same seed (s0 is seed 0), leaving out seeds best "
            "has no run of; the rule does not "
            'read it, and a candidate ahead on every seed is still "not shown '
            "better\" when the means' spreads are wider than its gain.",
        ]
    )
