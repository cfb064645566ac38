"""`fmnist-course tune`: hyperparameter search over a JSON search space.

Example `space.json`:

    {"model": "dense", "learning_rate": [3e-4, 1e-3], "dropout": [0.0, 0.3]}

Trials are stored one JSON file each under `--store-dir` as they finish, so
an interrupted search resumes where it stopped when run again. The test set
is never used: trials are compared on the validation set only.

Trials run here one after another by default; `--workers N` runs N at once in
local processes, and `--scheduler tcp://HOST:8786` (or Dask's own
`DASK_SCHEDULER_ADDRESS`) sends them to a Dask cluster, whose workers load the
data themselves. This process alone writes the trial files.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

import pandas as pd

from fmnist_course.data import find_data_dir
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import FAST_TRAIN_SIZE
from fmnist_course.parallel import SCHEDULER_ENV, open_executor, scheduler_address
from fmnist_course.tuning import (
    DataDescription,
    best_trial,
    grid_search,
    random_search,
    successive_halving,
    validate_space,
)
from fmnist_course.tuning.trial import resolve_data

STRATEGIES = ("grid", "random", "halving")


def add_parser(subparsers) -> None:
    """Register the `tune` subcommand."""
    parser = subparsers.add_parser(
        "tune",
        help="search hyperparameters (grid, random or successive halving)",
        description="Search the hyperparameters of a course model over the space "
        "in a JSON file, comparing trials on the validation set only. Finished "
        "trials are saved as they complete and reused when run again.",
    )
    parser.add_argument(
        "--space", required=True, help="JSON file: {'model': NAME, KEY: [values]}"
    )
    parser.add_argument("--strategy", choices=STRATEGIES, default="grid")
    parser.add_argument(
        "--epochs",
        type=int,
        default=5,
        help="epochs per trial (grid, random); the largest budget (halving)",
    )
    parser.add_argument(
        "--min-epochs", type=int, default=1, help="first-rung epochs (halving)"
    )
    parser.add_argument(
        "--reduction-factor", type=int, default=3, help="keep 1/N per rung (halving)"
    )
    parser.add_argument(
        "--num-trials", type=int, default=10, help="configurations drawn (random)"
    )
    parser.add_argument(
        "--store-dir", help="trial files (default: runs/tuning/<space file stem>)"
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help=f"search on a stratified subset of {FAST_TRAIN_SIZE} training images "
        "(for trying things out; not a reportable result)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="trials trained at once in local processes (default 1: one after "
        "another in this process); ignored with --scheduler",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler, such as tls://HOST:8786 with mutual TLS set in "
        f"Dask's configuration, to send the trials to (default: ${SCHEDULER_ENV} "
        "if set); needs fmnist-course[cluster]",
    )
    parser.add_argument(
        "--insecure-cluster",
        action="store_true",
        help="accept a plain tcp:// scheduler, which anyone who can reach it can "
        "use to run code on its workers",
    )
    parser.add_argument("--data-dir", help="directory holding the four .gz files")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary as the last line"
    )
    parser.set_defaults(func=run)


def read_space(path: str | Path) -> dict:
    """Read and validate a search space from a JSON file.

    Raises:
        FileNotFoundError: No file at `path`.
        ValueError: The file is not JSON, or the space is invalid.

    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No search space file at {path}.")
    try:
        space = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UserError(f"{path} is not valid JSON ({error}).") from None
    try:
        return validate_space(space)
    except ValueError as error:
        raise UserError(f"{path}: {error}") from None


def run(args: argparse.Namespace) -> int:
    """Validate the space, load the data, search, print the results table."""
    space = read_space(args.space)  # fails before the data is loaded
    for option in ("epochs", "min_epochs", "num_trials", "workers"):
        if getattr(args, option) < 1:
            raise UserError(
                f"Expected --{option.replace('_', '-')} >= 1. "
                f"Received: {getattr(args, option)}"
            )
    store_dir = Path(args.store_dir or Path("runs/tuning") / Path(args.space).stem)
    description = DataDescription(
        data_dir=args.data_dir,
        train_size=FAST_TRAIN_SIZE if args.fast else None,
        seed=args.seed,  # the course's validation split, DataDescription's default
    )
    find_data_dir(args.data_dir)  # downloads it when this machine has no copy
    data = resolve_data(description)  # and checks it before any worker starts
    address = scheduler_address(args.scheduler)
    if address:
        where = f"on the Dask cluster at {address}"
    elif args.workers > 1:
        where = f"on {args.workers} local workers"
    else:
        where = "here, one at a time"
    print(
        f"{args.strategy} search of {space['model']!r} on {len(data.x_train)} "
        f"images (validation {len(data.x_val)}); trials in {store_dir}, "
        f"trained {where}"
    )
    with contextlib.ExitStack() as stack:
        executor = None
        if address or args.workers > 1:
            try:
                executor = stack.enter_context(
                    open_executor(
                        args.workers, address, allow_insecure=args.insecure_cluster
                    )
                )
            except ImportError as error:  # no Dask here: a user error, one line
                raise UserError(str(error)) from None
        results = _search(args, space, description, store_dir, executor)
    with pd.option_context("display.width", 120, "display.max_columns", None):
        print(results.drop(columns="trial"))
    best = best_trial(results)
    print(
        f"best: {best['params']} -> validation accuracy "
        f"{best['best_val_accuracy']:.4f} after {best['epochs']} epochs"
    )
    if args.json:
        summary = {
            "strategy": args.strategy,
            "model": space["model"],
            "best_params": best["params"],
            "best_val_accuracy": best["best_val_accuracy"],
            "num_trials": len(results),
            "total_epochs": int(results["epochs"].sum()),
            "num_reused": int(results["reused"].sum()),
            "seconds": round(float(results["seconds"].sum()), 1),
            "store_dir": str(store_dir),
            "fast": args.fast,
            "scheduler": address,
            "workers": None if address else args.workers,
        }
        print(json.dumps(summary))
    return 0


def _search(args, space, data, store_dir, executor) -> pd.DataFrame:
    common = {"store_dir": store_dir, "seed": args.seed, "executor": executor}
    if args.strategy == "grid":
        return grid_search(space, data, epochs=args.epochs, **common)
    if args.strategy == "random":
        return random_search(
            space, data, num_trials=args.num_trials, epochs=args.epochs, **common
        )
    return successive_halving(
        space,
        data,
        min_epochs=args.min_epochs,
        max_epochs=args.epochs,
        reduction_factor=args.reduction_factor,
        **common,
    )
