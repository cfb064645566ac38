"""`fmnist-course train MODEL`: train a named course model on the real data."""

from __future__ import annotations

import argparse
import json
import sys

from fmnist_course.errors import UserError
from fmnist_course.fast_mode import (
    FAST_ENV,
    FAST_EPOCHS,
    FAST_TEST_SIZE,
    FAST_TRAIN_SIZE,
    load_course_split,
)
from fmnist_course.final_fit import data_for_recipe
from fmnist_course.recipes import RECIPES, get_recipe
from fmnist_course.runs import new_run_dir, save_run
from fmnist_course.training import train_recipe


def add_parser(subparsers) -> None:
    """Register the `train` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train a course model and save it in a new run directory",
        description="Train a named course model on the real Fashion-MNIST data, "
        "evaluate it on the standard test set and save it under --runs-dir. "
        f"Models: {', '.join(sorted(RECIPES))}.",
    )
    parser.add_argument("model", help=f"one of: {', '.join(sorted(RECIPES))}")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    parser.add_argument("--batch-size", type=int, help="override the batch size")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--fast",
        action="store_true",
        help=f"fast mode, as the lessons' {FAST_ENV}=1: train on a stratified "
        f"subset of {FAST_TRAIN_SIZE} images for {FAST_EPOCHS} epoch(s) (unless "
        f"--epochs says otherwise) and test on {FAST_TEST_SIZE}, for trying "
        "things out (not a reportable result)",
    )
    parser.add_argument("--data-dir", help="directory holding the four .gz files")
    parser.add_argument("--runs-dir", default="runs", help="parent of run directories")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary as the last line"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train, evaluate, save and report."""
    try:
        recipe = get_recipe(args.model)  # fails early on an unknown name
    except ValueError as error:
        raise UserError(str(error)) from None
    for option in ("epochs", "batch_size"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise UserError(
                f"Expected --{option.replace('_', '-')} >= 1. Received: {value}"
            )
    data = data_for_recipe(
        recipe, load_course_split(args.data_dir, fast=args.fast, seed=args.seed)
    )
    held_out = (
        f"validation {len(data.x_val)}"
        if data.x_val is not None
        else "validation images trained on too: a final fit"
    )
    print(
        f"training {recipe.name} on {len(data.x_train)} images "
        f"({held_out}, test {len(data.x_test)})"
    )
    epochs = args.epochs or (FAST_EPOCHS if args.fast else None)
    result = train_recipe(
        recipe,
        data,
        epochs=epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        # A progress bar on a terminal; one line per epoch in a log or a pipe.
        verbose=1 if sys.stdout.isatty() and not args.json else "lines",
    )
    run_dir = new_run_dir(args.runs_dir, recipe.name)
    summary = {
        "model": recipe.name,
        "params": result.params,
        "epochs": len(result.history),
        "batch_size": args.batch_size or recipe.batch_size,
        "seed": args.seed,
        "fast": args.fast,
        "train_images": len(data.x_train),
        "test_images": len(data.x_test),
        **result.scores(),
        "run_dir": str(run_dir),
    }
    save_run(run_dir, result.model, result.history, summary)
    print(
        f"test accuracy: {result.test_accuracy:.2%}  parameters: {result.params:,}  "
        f"training time: {result.train_seconds:.1f} s "
        f"({result.train_cpu_seconds:.1f} CPU-s)"
    )
    print(f"saved: {run_dir}")
    if args.json:
        print(json.dumps(summary))
    return 0
