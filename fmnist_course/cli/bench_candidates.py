"""`fmnist-course bench candidates`: search for a better recipe than `best`.

Trains each candidate of `fmnist_course.candidates.CANDIDATES` under each
seed (`fmnist_course.bench.candidate_runs`), scores it on validation only,
records each run as soon as it finishes in the `candidates` section of the
record, and prints `fmnist_course.candidates_tables.candidates_table`. The
baseline `best` is trained only when the record cannot supply its runs by
reference (`candidates_tables.baseline_runs`). The parser is registered in
`fmnist_course.cli.bench_command`.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from fmnist_course.bench.candidate_runs import (
    CANDIDATE_SEEDS,
    candidates_entry,
    merge_candidate_rows,
    run_candidates,
)
from fmnist_course.bench.record import RunRecorder
from fmnist_course.candidates import BASELINE, select_candidates
from fmnist_course.candidates_tables import baseline_runs, candidates_table
from fmnist_course.cli.bench_handlers import (
    _check_positive,
    _readme,
    _results_path,
    _search_seeds,
)
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


def _names(args: argparse.Namespace, recorded: dict[str, Any]) -> list[str]:
    """The candidates to train: `best` too when its runs are nowhere else."""
    names = select_candidates(args.variants)  # fails early on an unknown name
    device = "gpu" if gpu_names() else "cpu"
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
            "confirmation, which match RECIPES['best'] exactly; the runs of "
            "'best' trained now are recorded but not used."
        )
    return names


def run_bench_candidates(args: argparse.Namespace) -> int:
    """Train and record the candidates, run by run; print their table."""
    _check_positive(args, "epochs", "train_size", "workers")
    seeds = _search_seeds(args, CANDIDATE_SEEDS, "the candidates train")
    path = _results_path(args, "epochs", "train_size")
    recorded = load_results(path or RESULTS_PATH)
    names = _names(args, recorded)
    print(
        f"candidates: {', '.join(names)} ({named_list('seed', seeds)}, "
        f"{counted(len(names) * len(seeds), 'run')}, one process per run; "
        "validation only)"
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
        help="search for a better recipe than best, on validation, over seeds",
        description="Train each candidate (one named change to RECIPES['best'], "
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
