"""`fmnist-course bench ...`: measure the course and record it in results.json.

- `bench ladder [--lessons 01 02]`: train each lesson's model as its lesson does,
  and ship the model of its first seed (`fmnist_course/trained/`).
  `--precision bfloat16` trains in `mixed_bfloat16` instead, records its rows
  under `ladder_bf16` beside the float32 ones and ships nothing. Every
  benchmark trains in float32 unless `FMNIST_BF16` is set, whatever the
  course's default on this CPU, since the record it adds to is float32.
- `bench speed`: the course's training path against a plain `model.fit`.
- `bench levers`: other ways to train faster, each against a plain `model.fit`.
- `bench normalization`: the best model's training speed with Keras's batch
  norm, TensorFlow's fused kernel and none, against each other.
- `bench processes`: N processes of one thread against one of N threads, on a
  short training of one recipe, in one run.
- `bench time-to-accuracy`: the original recipe against the course's fastest,
  to the accuracy the challenge model is held to.
- `bench ablation [--epochs N] [--variants NAME ...]`: every technique stacked
  (`RECIPES["all_techniques"]`), then one removed at a time, each variant in a
  fresh process.
- `bench candidates [--variants NAME ...] [--seeds ...]`: named changes to
  `RECIPES["best_40"]`, the protocol's choice, each under each seed, on
  validation only, against it (its runs are named `best`).
- `bench confirm [--runs RESULTS]`: the search's leader against best on fresh
  seeds, by the paired rule fixed beforehand; the test set only if it wins.
- `bench calibration [--model NAME]`: the shipped best model's reliability
  table and expected calibration error on the test set, with and without
  test-time augmentation.
- `bench grading`: grading throughput with 1 and 2 workers, in the sandbox.
- `bench cluster`: tuning throughput on local Dask clusters of 1 and 2 workers.
- `bench fresh-clone`: `make setup` and `make course` on a fresh clone of the
  last commit, timed as a newcomer runs them.
- `bench readme`: re-render the README's results tables from results.json.

Each command merges its figures into `benchmarks/results.json` (per device, so
GPU figures sit beside CPU ones), recomputes the `targets` section, checks the
file against the schema and re-renders the README between its results markers.
Runs shortened with the hidden smoke-test options (`--epochs`, `--train-size`,
`--test-size`) are never recorded unless `--results` names a file.

This module reads the options; what each subcommand then does is in
`fmnist_course.cli.bench_handlers`.
"""

from __future__ import annotations

import argparse
import functools
import os

from fmnist_course.ablations import ABLATIONS, CHOSEN
from fmnist_course.bench.ablation import ABLATION_EPOCHS, ABLATION_SEEDS
from fmnist_course.bench.calibration import CALIBRATED_MODEL
from fmnist_course.bench.process_split import (
    PROCESS_SPLIT_IMAGES,
    PROCESS_SPLIT_RECIPE,
)
from fmnist_course.bench.targets import TIME_TO_ACCURACY_THRESHOLD
from fmnist_course.bench.time_to_accuracy import RACE_RECIPE
from fmnist_course.calibration import CALIBRATION_BINS
from fmnist_course.cli.bench_candidates import (
    add_candidates_parser,
    add_confirm_parser,
)
from fmnist_course.cli.bench_fresh_clone import add_fresh_clone_parser
from fmnist_course.cli.bench_handlers import (
    run_ablation_command,
    run_calibration_command,
    run_cluster_command,
    run_grading_command,
    run_ladder_command,
    run_levers_command,
    run_processes_command,
    run_readme_command,
    run_speed_command,
    run_time_to_accuracy_command,
)
from fmnist_course.cli.bench_normalization import add_normalization_parser
from fmnist_course.settings import BATCH_SIZE, BF16_ENV


def _add_common(parser: argparse.ArgumentParser, *, smoke: tuple[str, ...]) -> None:
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--data-dir", help="directory holding the four .gz files")
    parser.add_argument(
        "--json", action="store_true", help="print the measurement as JSON, last line"
    )
    parser.add_argument("--results", help=argparse.SUPPRESS)
    parser.add_argument("--readme", help=argparse.SUPPRESS)
    for option in smoke:  # hidden: shortened runs for smoke tests
        parser.add_argument(f"--{option}", type=int, help=argparse.SUPPRESS)


def _add_worker_counts(parser: argparse.ArgumentParser, what: str) -> None:
    """`--workers N...` (default 1 2) and `--json`, for the throughput benchmarks."""
    parser.add_argument(
        "--workers",
        nargs="+",
        type=int,
        default=[1, 2],
        metavar="N",
        help=f"{what} (default: 1 2)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the measurement as JSON, last line"
    )


def add_parser(subparsers) -> None:
    """Register `bench` and its subcommands."""
    parser = subparsers.add_parser(
        "bench",
        help="measure accuracy, speed and time to accuracy into results.json",
        description="Benchmarks on the real data; figures go to "
        "benchmarks/results.json and the README's results tables.",
    )
    commands = parser.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    commands.required = True

    ladder = commands.add_parser(
        "ladder",
        help="train each lesson's model as its lesson does (long: the full course)",
        description="Train each lesson's recipe on the full training set, one "
        "fresh process per seed (the seeds at once), record test accuracy, "
        "epochs, parameters, training time, images per second, peak memory and "
        "the machine, and save the first seed's model as the course's shipped "
        "model, with its history and fingerprint.",
    )
    ladder.add_argument(
        "--lessons", nargs="+", metavar="NN", help="only these lessons (e.g. 01 02)"
    )
    ladder.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        metavar="SEED",
        help="train every recipe once per seed and record the mean and each run "
        "(default: --seed alone)",
    )
    ladder.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="seeds trained at once, one process each with its share of the "
        "cores (default: one per core)",
    )
    ladder.add_argument(
        "--models-dir",
        metavar="DIR",
        help="save the model of each recipe's first seed here, never over an "
        "existing file (default: the course's shipped models, "
        "fmnist_course/trained/, for a full run)",
    )
    ladder.add_argument(
        "--no-save-models",
        action="store_true",
        help="save no model (the shipped models stay as they are)",
    )
    ladder.add_argument(
        "--precision",
        choices=["float32", "bfloat16"],
        help="train in float32 (the recorded ladder, which ships its models) or "
        "in Keras's mixed_bfloat16 (needs a CPU with avx512_bf16 or amx_bf16; "
        "its rows go to the ladder_bf16 section beside the float32 ones, and no "
        "model is saved) (default: float32, as every benchmark, unless "
        "FMNIST_BF16=1)",
    )
    _add_common(ladder, smoke=("epochs", "train-size", "test-size"))
    ladder.set_defaults(func=run_ladder_command)

    speed = commands.add_parser(
        "speed",
        help="course training path vs plain model.fit, images/s and GFLOP/s",
        description="Train the challenge model with the course's train_model and "
        f"with a plain model.fit at batch {BATCH_SIZE}, alternating, in one "
        "process; print "
        "images per second of each, their ratio and the achieved GFLOP/s against "
        "the CPU's peak, measured by a short matrix-product probe on every core.",
    )
    speed.add_argument(
        "--epochs",
        type=int,
        default=3,
        help="epochs per run, the first a warm-up (default 3)",
    )
    speed.add_argument(
        "--repeats", type=int, default=2, help="runs per path (default 2)"
    )
    _add_common(speed, smoke=("train-size",))
    speed.set_defaults(func=run_speed_command)

    levers = commands.add_parser(
        "levers",
        help="speed levers (uint8 input, threads, tf.data, backends...) vs plain fit",
        description="Train the challenge model with one speed lever pulled at a "
        "time, each in a fresh process, timing a fixed window after a warm-up, "
        "and compare each with a plain model.fit measured before and after.",
    )
    levers.add_argument(
        "--levers",
        nargs="+",
        metavar="NAME",
        help="only these levers (default: all)",
    )
    levers.add_argument(
        "--backend-python",
        metavar="PATH",
        help="a Python with keras, jax and torch installed, for the backend levers",
    )
    levers.add_argument(
        "--seconds",
        type=float,
        default=40.0,
        help="timed seconds per lever after the warm-up (default 40)",
    )
    _add_common(levers, smoke=("train-size",))
    levers.set_defaults(func=run_levers_command)

    processes = commands.add_parser(
        "processes",
        help="N processes x 1 thread vs 1 process x N threads, short training",
        description="Train one recipe briefly as N processes of one thread each, "
        "at once, and as one process of N threads, back to back in ABBA order, "
        "and record images per second and per CPU-second of each arrangement: "
        "whether a second process pays more than a second thread.",
    )
    processes.add_argument(
        "--recipe",
        default=PROCESS_SPLIT_RECIPE,
        help=f"the recipe to train (default {PROCESS_SPLIT_RECIPE!r})",
    )
    processes.add_argument(
        "--processes",
        type=int,
        default=2,
        help="the cores to share out: N processes of 1 thread against 1 of N "
        "threads (default 2)",
    )
    processes.add_argument(
        "--train-images",
        type=int,
        default=PROCESS_SPLIT_IMAGES,
        help="training images per process, before the validation split "
        f"(default {PROCESS_SPLIT_IMAGES})",
    )
    processes.add_argument(
        "--epochs", type=int, default=1, help="epochs per process (default 1)"
    )
    processes.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="runs of each arrangement, in ABBA order (default 2)",
    )
    _add_common(processes, smoke=())
    processes.set_defaults(func=run_processes_command)

    race = commands.add_parser(
        "time-to-accuracy",
        help="original recipe vs the course's fastest, time to "
        f"{TIME_TO_ACCURACY_THRESHOLD:.1%}% test accuracy",
        description="Train the original challenge recipe, then a course recipe "
        f"({RACE_RECIPE!r} unless --course-recipe says otherwise), evaluating "
        "test accuracy after each epoch, and record the training time each needs "
        "to first reach the threshold.",
    )
    race.add_argument(
        "--course-recipe",
        metavar="NAME",
        help=f"the course recipe to race (default: {RACE_RECIPE!r})",
    )
    race.add_argument(
        "--threshold",
        type=float,
        default=TIME_TO_ACCURACY_THRESHOLD,
        help=f"test accuracy to reach (default {TIME_TO_ACCURACY_THRESHOLD})",
    )
    race.add_argument(
        "--max-epochs",
        type=int,
        default=100,
        help="epoch budget of the original recipe (default 100, as the challenge)",
    )
    _add_common(race, smoke=("train-size", "test-size"))
    race.set_defaults(func=run_time_to_accuracy_command)

    ablation = commands.add_parser(
        "ablation",
        help="every technique stacked, then one removed at a time, over seeds",
        description="Train the recipe that stacks every technique "
        "(all_techniques) and its variants, each with one "
        "technique removed (cutout, label smoothing, flips and shifts, dropout, "
        "weight decay, weight averaging, the cosine schedule), under one epoch "
        "budget and each seed, one fresh process per run (one per core at "
        "once). Each run is scored on validation only, as the test set is "
        "scored (with test-time augmentation, and without for comparison), "
        "with its calibration error; the test set is never read. Each run is "
        "recorded as soon as it finishes, and the table gives each technique's "
        "verdict by the rule of fmnist_course.choosing.",
    )
    ablation.add_argument(
        "--epochs",
        type=int,
        default=ABLATION_EPOCHS,
        help=f"epochs every variant trains for (default {ABLATION_EPOCHS}; the "
        "cosine schedule decays over them)",
    )
    ablation.add_argument(
        "--variants",
        nargs="+",
        metavar="NAME",
        help=f"only these variants (default: all): {', '.join(ABLATIONS)}; "
        f"'{CHOSEN}' adds the recipe the recorded verdicts choose",
    )
    ablation.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        metavar="SEED",
        help="train every variant once per seed (default: "
        f"{' '.join(map(str, ABLATION_SEEDS))})",
    )
    ablation.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="runs at once, one process each with its share of the cores "
        "(default: one per core)",
    )
    _add_common(ablation, smoke=("train-size",))
    ablation.set_defaults(func=run_ablation_command)

    add_candidates_parser(commands, _add_common)
    add_confirm_parser(commands, _add_common)
    add_fresh_clone_parser(commands, _add_common)
    add_normalization_parser(commands, _add_common)

    calibration = commands.add_parser(
        "calibration",
        help="the best model's confidence against its accuracy (ECE), with and "
        "without test-time augmentation",
        description="Load a shipped model (trained by `bench ladder`), predict "
        "the 10,000 test images with the model alone and averaged over ten "
        "views (test-time augmentation), and record for each the accuracy, the "
        "mean confidence, the expected calibration error and the reliability "
        "table, with the model's seed and fingerprint. Trains nothing.",
    )
    calibration.add_argument(
        "--model",
        default=CALIBRATED_MODEL,
        metavar="NAME",
        help=f"the shipped model to measure (default {CALIBRATED_MODEL!r})",
    )
    calibration.add_argument(
        "--bins",
        type=int,
        default=CALIBRATION_BINS,
        help=f"confidence bins of equal width (default {CALIBRATION_BINS})",
    )
    calibration.add_argument(
        "--models-dir",
        metavar="DIR",
        help="where the shipped models are (default: the course's own, "
        "fmnist_course/trained/)",
    )
    calibration.add_argument("--data-dir", help="directory holding the four .gz files")
    calibration.add_argument(
        "--json", action="store_true", help="print the measurement as JSON, last line"
    )
    calibration.add_argument("--results", help=argparse.SUPPRESS)
    calibration.add_argument("--readme", help=argparse.SUPPRESS)
    calibration.add_argument("--test-size", type=int, help=argparse.SUPPRESS)
    calibration.set_defaults(func=run_calibration_command)

    grading = commands.add_parser(
        "grading",
        help="grading throughput: seconds per submission with 1 and 2 workers",
        description="Build the exercises, hand in the solved notebooks of a few "
        "short lessons as a small class, and grade it in the sandbox in fast "
        "mode with each worker count; record seconds per submission and the "
        "speed-up in benchmarks/results.json (grading). Needs bubblewrap.",
    )
    _add_worker_counts(grading, "worker counts to measure")
    grading.set_defaults(func=run_grading_command)

    cluster = commands.add_parser(
        "cluster",
        help="tuning throughput on local Dask clusters of 1 and 2 workers",
        description="Time the same small grid search (the dense grid of "
        "fmnist_course.bench.search_strategies.BENCHMARK_SPACE, one epoch per "
        "trial) on a LocalCluster of each size and record trials per minute. Needs the "
        "cluster extra: pip install 'fmnist-course[cluster]'.",
    )
    _add_worker_counts(cluster, "cluster sizes to measure")
    cluster.set_defaults(func=run_cluster_command)

    readme = commands.add_parser(
        "readme", help="re-render the README's headline results from results.json"
    )
    readme.add_argument("--results", help=argparse.SUPPRESS)
    readme.add_argument("--readme", help=argparse.SUPPRESS)
    readme.set_defaults(func=run_readme_command)
    for benchmark in commands.choices.values():
        benchmark.set_defaults(
            func=_in_float32_unless_asked(benchmark.get_default("func"))
        )


def _in_float32_unless_asked(run):
    """`run` with `FMNIST_BF16=0` unless the caller set the switch.

    The course trains in bfloat16 where the CPU suits it
    (`settings.BF16_BY_DEFAULT`), but the record is float32: the ladder
    ships float32 models, and every benchmark compares with float32 runs.
    So a benchmark measures float32 unless `FMNIST_BF16=1` asks for
    bfloat16 (unset or `auto`, it is set to 0), or the ladder is asked for
    `--precision bfloat16`. The searches' rows are refused by the schema
    unless float32 (`schema_checks._check_validation_runs`).
    """

    @functools.wraps(run)
    def in_float32(args: argparse.Namespace) -> int:
        if os.environ.get(BF16_ENV, "").strip().lower() in ("", "auto"):
            os.environ[BF16_ENV] = "0"
        return run(args)

    return in_float32
