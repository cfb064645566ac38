"""`fmnist-course bench candidates`: search for a better recipe than `best`.

Trains each candidate of `fmnist_course.candidates.CANDIDATES` under each
seed (`fmnist_course.bench.candidate_runs`), scores it on validation only,
records each run as soon as it finishes in the `candidates` section of the
record, and prints `fmnist_course.candidates_tables.candidates_table`. The
baseline `best` is trained only when the record cannot supply its runs by
reference (`candidates_tables.baseline_runs`).

`fmnist-course bench confirm --round N` then judges a search round's leader
on seeds it never trained under, by the rule `fmnist_course.confirmation`
fixed beforehand (`fmnist_course.bench.confirm_runs`), and records that
round's section (`confirmation`, `second_confirmation`). Both parsers are
registered in `fmnist_course.cli.bench_command`.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

from fmnist_course.bench.candidate_runs import (
    CANDIDATE_SEEDS,
    CONFIRMATION_RUNS,
    candidates_entry,
    merge_candidate_rows,
    run_candidates,
)
from fmnist_course.bench.confirm_runs import confirmation_entry, with_test_scores
from fmnist_course.bench.record import RunRecorder, per_device, record
from fmnist_course.bench.schema import validate_results
from fmnist_course.candidates import BASELINE, select_candidates
from fmnist_course.candidates_tables import baseline_runs, candidates_table
from fmnist_course.cli.bench_handlers import (
    _check_positive,
    _readme,
    _results_path,
    _search_seeds,
)
from fmnist_course.confirmation import ROUNDS, Rule
from fmnist_course.errors import UserError
from fmnist_course.machine import gpu_names
from fmnist_course.results import RESULTS_PATH, load_results
from fmnist_course.results_tables import counted, named_list

SHORT_COLUMNS = {
    "validation accuracy (%)": "val %",
    "spread (points)": "spread",
    "change vs best (points)": "vs best",
    "per seed vs best (points)": "per seed",
    "threshold (points)": "threshold",
    "CPU-minutes per seed": "CPU-min",
}
"""Headers of the candidates table as the terminal shows it."""


def _device() -> str:
    """The device this process trains on, as the record names it."""
    return "gpu" if gpu_names() else "cpu"


def _names(args: argparse.Namespace, recorded: dict[str, Any]) -> list[str]:
    """The candidates to train: `best` too when its runs are nowhere else."""
    names = select_candidates(args.variants)  # fails early on an unknown name
    device = _device()
    try:
        found = baseline_runs(recorded, device)
    except UserError as error:
        if BASELINE in names:
            return names
        if args.variants is not None:
            raise UserError(
                f"{error} Or add 'best' to --variants: {' '.join(args.variants)} best"
            ) from None
        print(f"also training the baseline 'best': {error}")
        return [BASELINE, *names]
    if BASELINE in names and found.section == "ablation":
        print(
            "note: the table keeps reading best's runs from the ablation's "
            "confirmation, which match RECIPES['best_40'] exactly; the runs of "
            "'best' trained now are recorded but not used by that table (bench "
            "confirm reads those under its own seeds)."
        )
    return names


def run_bench_candidates(args: argparse.Namespace) -> int:
    """Train and record the candidates, run by run; print their table."""
    _check_positive(args, "epochs", "train_size", "workers")
    seeds = _search_seeds(args, CANDIDATE_SEEDS, "the candidates train")
    path = _results_path(args, "epochs", "train_size")
    recorded, course = _records(path or RESULTS_PATH)
    names = _names(args, recorded)
    print(
        f"candidates: {', '.join(names)} ({named_list('seed', seeds)}, "
        f"{counted(len(names) * len(seeds), 'run')}, one process per run; "
        "validation only)"
    )
    held = {  # in this record or the course's: a judged run is never re-rolled
        (row["candidate"], row["seed"])
        for record_ in (recorded, course)
        for section in ("candidates", *(rule.section for rule in ROUNDS))
        for row in record_.get(section, {}).get(_device(), {}).get("rows", [])
    }
    again = sorted(held & CONFIRMATION_RUNS & {(n, s) for n in names for s in seeds})
    if again:
        raise UserError(
            f"Expected new runs, but the record already holds the confirmation "
            f"runs {again}: each is trained once and never re-rolled "
            "(fmnist_course.confirmation). Leave those seeds out of --seeds."
        )
    recorder = RunRecorder(
        path,
        "candidates",
        merge_candidate_rows,
        candidates_entry,
        readme=_readme(args),
    )

    def on_row(row: dict[str, Any]) -> None:
        print(
            f"  {row['candidate']:18} seed {row['seed']}: validation "
            f"{row['val_accuracy']:.2%} ({row['val_accuracy_model_alone']:.2%} model "
            f"alone) after {counted(row['epochs'], 'epoch')}, "
            f"{row['train_seconds']:.1f} s ({row['train_cpu_seconds']:.1f} CPU-s), "
            f"peak {row['peak_rss_mib']:,.0f} MiB",
            flush=True,
        )
        recorder.add(row)

    rows = run_candidates(
        names,
        seeds=seeds,
        epochs=args.epochs,
        workers=args.workers,
        train_size=args.train_size,
        data_dir=args.data_dir,
        save_dir=args.save_models,
        on_row=on_row,
    )
    device = rows[0]["machine"]["device"]
    table = candidates_table({**recorded, "candidates": recorder.entries}, device)
    short = table.drop(columns=["change"]).rename(columns=SHORT_COLUMNS)
    print(short.to_string(float_format=lambda value: f"{value:.2f}", na_rep="n/a"))
    print(textwrap.fill(table.attrs["caption"], width=88))
    if args.json:
        print(json.dumps(recorder.entries[device]))
    return 0


def add_candidates_parser(commands, add_common) -> None:
    """Register `bench candidates` with `add_common`'s shared options."""
    parser = commands.add_parser(
        "candidates",
        help="search past RECIPES['best_40'] (runs named best), on validation, "
        "over seeds",
        description="Train each candidate (one named change to RECIPES['best_40'], "
        "or a stack of them, each with its reason) under each seed, one fresh "
        "process per run, scored on validation only, the way the test set "
        "would be; no test image is scored. Each run is recorded as soon as it "
        "finishes, with its CPU and wall seconds and peak memory; the table "
        "sets every candidate against best by the rule of "
        "fmnist_course.choosing. best's own runs are read from the ablation's "
        "confirmation when they are there.",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        metavar="NAME",
        help="only these candidates (default: all; 'best' trains the baseline)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        metavar="SEED",
        help="train every candidate once per seed (default: "
        f"{' '.join(map(str, CANDIDATE_SEEDS))})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="runs at once, one process each with its share of the cores "
        "(default: one per core)",
    )
    parser.add_argument(
        "--save-models",
        metavar="DIR",
        help="also save each run's model in DIR as NAME_seedSEED.keras (never "
        "over an existing file), so that a chosen candidate's runs can be "
        "scored on the test set once, later, without training again",
    )
    add_common(parser, smoke=("train-size", "epochs"))
    parser.set_defaults(func=run_bench_candidates)


def _same_runs(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    return sorted(map(_key, a)) == sorted(map(_key, b))


def _seeds(rule: Rule) -> str:
    return " ".join(map(str, rule.seeds))


def _judged_rows(
    rule: Rule, source: Path, path: Path, recorded: dict[str, Any], device: str
) -> list[dict[str, Any]]:
    """A round's runs: trained ones from `source`, judged ones from `recorded`.

    `recorded` is the valid record read from `path`, named in messages.
    """
    if not source.is_file():
        raise UserError(
            f"Expected a record of candidate runs at {source}. Received no such "
            "file. Pass the record bench candidates wrote (--runs RESULTS)."
        )
    runs = _valid(source)
    entry = runs.get("candidates", {}).get(device)
    trains = rule.candidate
    if not rule.baseline_from:
        trains = f"{rule.baseline} {trains}"
    if not entry:
        raise UserError(
            f"Expected candidate runs for {device} in {source}. Received none. "
            f"Train them first: fmnist-course bench candidates --variants {trains} "
            f"--seeds {_seeds(rule)} --save-models DIR"
        )
    rows = list(entry["rows"])
    if rule.baseline_from:
        earlier = recorded.get(rule.baseline_from, {}).get(device)
        if not earlier:
            raise UserError(
                f"Expected the judged runs of {rule.baseline!r} in {path}, section "
                f"{rule.baseline_from}.{device}: this round reads them from the "
                "round before. Received none. Judge that round first "
                f"(fmnist-course bench confirm --round {ROUNDS.index(rule)})."
            )
        judged = [row for row in earlier["rows"] if row["candidate"] == rule.baseline]
        # The same runs may be in both records; they count once.
        rows = [row for row in rows if _key(row) not in set(map(_key, judged))]
        rows += judged
    return rows


def _key(row: dict[str, Any]) -> tuple:
    return row["candidate"], row["seed"], row["measured_at"], row["val_accuracy"]


def _valid(path: Path) -> dict[str, Any]:
    """The record at `path`, refused with a clear error when it is not valid."""
    results = load_results(path)
    try:
        validate_results(results)
    except ValueError as error:
        raise UserError(f"{path} is not a valid record: {error}") from None
    return results


def _records(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The valid records at `path` and at the course's `RESULTS_PATH`, read once each.

    The second is the first when `path` is the course's record.
    """
    recorded = _valid(path)
    same = path.resolve() == RESULTS_PATH.resolve()
    return recorded, recorded if same else _valid(RESULTS_PATH)


def run_bench_confirm(args: argparse.Namespace) -> int:
    """Judge a round's confirmation runs; score the test set only for a promotion."""
    rule = ROUNDS[args.round - 1]
    source = Path(args.runs) if args.runs else RESULTS_PATH
    path = Path(args.results) if args.results else RESULTS_PATH
    device = _device()
    recorded, course_record = _records(path)
    rows = _judged_rows(rule, source, path, recorded, device)
    result = confirmation_entry(rows, data_dir=args.data_dir, rule=rule)
    before = recorded.get(rule.section, {}).get(device)
    course = course_record.get(rule.section, {}).get(device, {})
    for where, earlier in ((path, before), (RESULTS_PATH, course)):
        if earlier and not _same_runs(earlier["rows"], result["rows"]):
            raise UserError(
                f"Expected to judge the runs the record already judged ({where}, "
                f"{rule.section}.{device}, measured {earlier['measured_at']}). "
                "Received other runs: a confirmation is judged once, on its "
                "first runs. Seeds are never re-rolled."
            )
    verdict = result["verdict"]
    print(
        f"{rule.candidate} against {rule.baseline}, seeds "
        f"{', '.join(map(str, rule.seeds))}, paired: "
        + " / ".join(f"{d:+.2f}" for d in verdict["differences"])
        + f" points; mean {verdict['mean']:+.2f} against {verdict['threshold']:.2f} "
        f"({result['spreads']} x their spread, or one image at least): "
        + ("promoted" if verdict["promoted"] else "not promoted; no test image scored")
    )
    scored = [e for e in (before, course) if e and "test" in e]
    if any(_same_runs(e["rows"], result["rows"]) for e in scored):
        print("already judged and scored on the test set: the record is unchanged")
        return 0
    record(
        path,
        rule.section,
        per_device(path, rule.section, result),
        readme=_readme(args),
    )
    if verdict["promoted"]:
        result = with_test_scores(result, data_dir=args.data_dir)
        record(
            path,
            rule.section,
            per_device(path, rule.section, result),
            readme=_readme(args),
        )
        test = result["test"]
        print(
            f"test, read once: {test['test_accuracy']:.2%} mean; "
            + ", ".join(
                f"seed {r['seed']} {r['test_accuracy']:.2%}" for r in test["runs"]
            )
        )
    if args.json:
        print(json.dumps(result))
    return 0


def add_confirm_parser(commands, add_common) -> None:
    """Register `bench confirm` with `add_common`'s shared options."""
    rounds = "; ".join(
        f"{number}: {rule.candidate} against {rule.baseline}, seeds {_seeds(rule)}"
        for number, rule in enumerate(ROUNDS, start=1)
    )
    parser = commands.add_parser(
        "confirm",
        help="judge a search round's leader on seeds it never trained under, "
        "by a rule fixed first",
        description="Read one round's runs from a record's candidates section "
        f"(rounds: {rounds}), judge them by the paired rule "
        "fmnist_course.confirmation fixed before the runs, and record the "
        "round's section. Only when the candidate is promoted are its saved "
        "models (bench candidates --save-models) scored on the test set, once "
        "each.",
    )
    parser.add_argument(
        "--round",
        type=int,
        choices=range(1, len(ROUNDS) + 1),
        default=len(ROUNDS),
        metavar="N",
        help=f"which round to judge (default: the last, {len(ROUNDS)})",
    )
    parser.add_argument(
        "--runs",
        metavar="RESULTS",
        help="the record holding the runs (default: the course's record)",
    )
    add_common(parser, smoke=())
    parser.set_defaults(func=run_bench_confirm)
