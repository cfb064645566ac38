"""`fmnist-course bench normalization`: the speed of batch-norm paths, measured.

Times `RECIPES["best"]`'s model with Keras's batch norm, the fused kernel
and none (`fmnist_course.bench.normalization`), prints each against the
baseline and records the `normalization` section. The parser is registered
in `fmnist_course.cli.bench_command`.
"""

from __future__ import annotations

import argparse
from typing import Any

from fmnist_course.bench.normalization import TIMED_SECONDS, measure_normalization
from fmnist_course.cli.bench_handlers import (
    _check_positive,
    _record_per_device,
    _results_path,
)
from fmnist_course.errors import UserError


def run_normalization_command(args: argparse.Namespace) -> int:
    """Measure and record each normalization variant against the baseline."""
    _check_positive(args, "train_size", "threads", "rounds")
    if args.seconds <= 0:
        raise UserError(
            f"Expected --seconds > 0. Received: {args.seconds}. Pass the timed "
            "seconds per run, e.g. --seconds 30."
        )
    path = _results_path(args, "train_size")

    def on_variant(result: dict[str, Any]) -> None:
        print(
            f"  {result['name']:6} {result['images_per_second']:8,.0f} images/s "
            f"{result['images_per_cpu_second']:8,.0f} images/CPU-s",
            flush=True,
        )

    result = measure_normalization(
        rounds=args.rounds,
        threads=args.threads,
        seed=args.seed,
        seconds=args.seconds,
        train_size=args.train_size,
        data_dir=args.data_dir,
        on_variant=on_variant,
    )
    print(
        f"baseline: {result['baseline_images_per_cpu_second']:,.0f} images per "
        f"CPU-second, the mean of {len(result['baseline_cpu_runs'])} runs"
    )
    for variant in result["variants"]:
        print(
            f"  {variant['name']:6} CPU-time ratio {variant['cpu_ratio']:.3f} "
            f"(by round: {', '.join(f'{r:.3f}' for r in variant['cpu_ratios'])}); "
            f"wall-time ratio {variant['ratio']:.3f}"
        )
    return _record_per_device(args, path, "normalization", result)


def add_normalization_parser(commands, add_common) -> None:
    """Register `bench normalization` with `add_common`'s shared options."""
    parser = commands.add_parser(
        "normalization",
        help="best's training speed with Keras's batch norm, a fused one, none",
        description="Train RECIPES['best']'s model with Keras's "
        "BatchNormalization, the same layer on TensorFlow's fused kernel, and "
        "no normalization (the most any normalization path could save), each "
        "in a fresh process, timing a fixed window after a warm-up; each "
        "variant runs between two baseline runs, for several rounds.",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times each variant runs, each between two baseline runs (default 3)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=TIMED_SECONDS,
        help=f"timed seconds per run after the warm-up (default {TIMED_SECONDS:g})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per process (default 1, as the ladder trains)",
    )
    add_common(parser, smoke=("train-size",))
    parser.set_defaults(func=run_normalization_command)
