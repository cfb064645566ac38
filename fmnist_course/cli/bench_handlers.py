"""What each `fmnist-course bench ...` subcommand does, once its options are read.

Each handler checks its options, calls the benchmark in `fmnist_course.bench`,
prints its progress lines and records the result (`bench.record`): the
parser that reads the options is `fmnist_course.cli.bench_command`.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

from fmnist_course.ablation_tables import ablation_table
from fmnist_course.ablations import select_ablations
from fmnist_course.bench.ablation import (
    ABLATION_SEEDS,
    ablation_entry,
    merge_ablation_rows,
)
from fmnist_course.bench.ablation_runs import run_ablation
from fmnist_course.bench.calibration import measure_calibration
from fmnist_course.bench.cluster import benchmark_cluster_tuning
from fmnist_course.bench.ladder import merge_rows, run_ladder, select_recipes
from fmnist_course.bench.ladder_precision import (
    check_no_models,
    check_precision,
    ladder_section,
    resolve_precision,
)
from fmnist_course.bench.levers import measure_levers
from fmnist_course.bench.process_split import measure_process_split
from fmnist_course.bench.readme import update_readme
from fmnist_course.bench.record import README_PATH, RunRecorder, per_device, record
from fmnist_course.bench.schema import validate_results
from fmnist_course.bench.sections.wording import counted
from fmnist_course.bench.speed import measure_speed
from fmnist_course.bench.targets import evaluate_targets
from fmnist_course.bench.time_to_accuracy import (
    course_recipe,
    measure_time_to_accuracy,
)
from fmnist_course.bench.validation_runs import check_seeds
from fmnist_course.errors import UserError
from fmnist_course.machine import FLOAT32_POLICY
from fmnist_course.results import RESULTS_PATH, load_results, update_results
from fmnist_course.results_tables import named_list
from fmnist_course.trained_models import TRAINED_DIR


def _check_positive(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise UserError(
                f"Expected --{name.replace('_', '-')} >= 1. Received: {value}"
            )


def _results_path(args: argparse.Namespace, *smoke: str) -> Path | None:
    """Where to record, or `None` for a shortened run without `--results`."""
    if args.results:
        return Path(args.results)
    options = _shortened_options(args, smoke)
    if options:
        print(f"not recorded: a shortened run ({options}) is not a result")
        return None
    return RESULTS_PATH


def _search_seeds(args: argparse.Namespace, default, what: str) -> list[int]:
    """A search's `--seeds` (else `default`), refusing a lone `--seed`."""
    if args.seed != 0 and not args.seeds:
        raise UserError(
            f"Received --seed {args.seed}, but {what} under several seeds. Pass "
            f"them as --seeds (default: {' '.join(map(str, default))})."
        )
    return check_seeds(args.seeds or list(default))


def _shortened_options(args: argparse.Namespace, smoke: tuple[str, ...]) -> str:
    """The smoke-test options given, as `--train-size, --epochs` (or `""`)."""
    given = [name for name in smoke if getattr(args, name, None) is not None]
    return ", ".join(f"--{name.replace('_', '-')}" for name in given)


def _models_dir(args: argparse.Namespace, *smoke: str) -> Path | None:
    """Where the ladder saves its models, or `None` to save none.

    A full run ships its models (`TRAINED_DIR`) beside the record they match;
    a shortened run, or one recorded elsewhere (`--results`), saves them only
    into a folder that `--models-dir` names.
    """
    if args.no_save_models:
        return None
    if args.models_dir:
        return Path(args.models_dir)
    policy = getattr(args, "policy", FLOAT32_POLICY)
    if policy != FLOAT32_POLICY:
        print(f"no model saved: shipped models are float32, this run is {policy}")
        return None
    if getattr(args, "results", None):
        print("no model saved: shipped models match the course's own record")
        return None
    options = _shortened_options(args, smoke)
    if options:
        print(f"no model saved: a shortened run ({options}) is not a shipped model")
        return None
    return TRAINED_DIR


def _readme(args: argparse.Namespace) -> Path:
    return Path(args.readme) if args.readme else README_PATH


def _record_per_device(
    args: argparse.Namespace, path: Path | None, section: str, result: dict
) -> int:
    """Record `result` as this device's entry of `section`; print it with --json."""
    record(path, section, per_device(path, section, result), readme=_readme(args))
    if args.json:
        print(json.dumps(result))
    return 0


def run_ladder_command(args: argparse.Namespace) -> int:
    """Train and record the ladder, row by row."""
    _check_positive(args, "epochs", "train_size", "test_size")
    recipes = select_recipes(args.lessons)  # fails early on an unknown lesson
    args.policy = resolve_precision(getattr(args, "precision", None))
    check_precision(args.policy)
    if not args.no_save_models:
        check_no_models(args.policy, args.models_dir)
    section = ladder_section(args.policy)
    path = _results_path(args, "epochs", "train_size", "test_size")
    models_dir = _models_dir(args, "epochs", "train_size", "test_size")
    print(
        f"ladder: {', '.join(f'{r.lesson} {r.name}' for r in recipes)} "
        f"(one process per seed) in {args.policy}, recorded under {section!r}"
    )
    if models_dir is not None:
        print(f"saving each recipe's first seed's model into {models_dir}")

    seeds = args.seeds or [args.seed]

    def on_row(row: dict[str, Any]) -> None:
        run = row["runs"][-1]
        cpu_seconds = run.get("train_cpu_seconds")
        cpu = f" ({cpu_seconds:,.0f} CPU-s)" if cpu_seconds is not None else ""
        print(
            f"  {row['lesson']} {row['model']} seed {run['seed']}: "
            f"{run['test_accuracy']:.2%} (mean of {len(row['runs'])}: "
            f"{row['test_accuracy']:.2%}) after "
            f"{row['epochs']} epochs, {run['train_seconds']:.1f} s{cpu}, "
            f"{run['images_per_second']:,.0f} images/s, peak "
            f"{run['peak_rss_mib']:,.0f} MiB, {row['params']:,} parameters",
            flush=True,
        )
        if path is not None:
            existing = load_results(path).get(section, [])
            record(path, section, merge_rows(existing, [row]), readme=_readme(args))

    rows = run_ladder(
        args.lessons,
        epochs=args.epochs,
        train_size=args.train_size,
        test_size=args.test_size,
        seeds=seeds,
        data_dir=args.data_dir,
        on_row=on_row,
        workers=args.workers,
        models_dir=models_dir,
        precision=args.policy,
    )
    if args.json:
        print(json.dumps(rows))
    return 0


def run_speed_command(args: argparse.Namespace) -> int:
    """Measure and record the speed comparison."""
    _check_positive(args, "epochs", "repeats", "train_size")
    path = _results_path(args, "train_size")
    result = measure_speed(
        epochs=args.epochs,
        repeats=args.repeats,
        train_size=args.train_size,
        seed=args.seed,
        data_dir=args.data_dir,
    )
    peak = result["measured_peak_gflops"]
    peak_text = f"{peak:.1f} GFLOP/s (measured, all cores)" if peak else "unknown"
    print(
        f"challenge model, batch {result['batch_size']}, {result['train_images']} "
        f"images, {result['epochs']} epochs x {result['repeats']} runs per path\n"
        f"  plain model.fit:      {result['plain_images_per_second']:,.0f} images/s, "
        f"{result['plain_gflops_per_second']:.1f} GFLOP/s\n"
        f"  course train_model:   {result['course_images_per_second']:,.0f} "
        f"images/s, {result['course_gflops_per_second']:.1f} GFLOP/s\n"
        f"  ratio course/plain:   {result['ratio']:.3f} "
        f"({result['cpu_ratio']:.3f} in CPU time: "
        f"{result['plain_images_per_cpu_second']:,.0f} and "
        f"{result['course_images_per_cpu_second']:,.0f} images per CPU-second)\n"
        f"  multiply-adds/image:  {result['forward_macs_per_image']:,} forward, "
        f"x{result['training_passes']} to train\n"
        f"  CPU peak:             {peak_text}"
    )
    return _record_per_device(args, path, "speed", result)


def run_levers_command(args: argparse.Namespace) -> int:
    """Measure and record each speed lever against the baseline."""
    _check_positive(args, "train_size")
    if args.seconds <= 0:
        raise UserError(f"Expected --seconds > 0. Received: {args.seconds}")
    path = _results_path(args, "train_size")

    def on_lever(result: dict[str, Any]) -> None:
        print(
            f"  {result['name']:20} {result['images_per_second']:8,.0f} images/s "
            f"{result['images_per_cpu_second']:8,.0f} images/CPU-s "
            f"({result['backend']})",
            flush=True,
        )

    result = measure_levers(
        args.levers,
        backend_python=args.backend_python,
        seconds=args.seconds,
        train_size=args.train_size,
        data_dir=args.data_dir,
        on_lever=on_lever,
    )
    print(
        f"baseline: {result['baseline_images_per_second']:,.0f} images/s (mean of "
        f"{result['baseline_runs'][0]:,.0f} before and "
        f"{result['baseline_runs'][1]:,.0f} after)"
    )
    for lever in result["levers"]:
        if "skipped" in lever:
            print(f"  {lever['name']:20} skipped: {lever['skipped']}")
        else:
            print(
                f"  {lever['name']:20} ratio {lever['ratio']:.3f}, "
                f"{lever['cpu_ratio']:.3f} in CPU time"
            )
    return _record_per_device(args, path, "speed_levers", result)


def run_processes_command(args: argparse.Namespace) -> int:
    """Measure and record N processes x 1 thread against 1 process x N threads."""
    path = _results_path(args)
    print(
        f"{args.processes} processes x 1 thread against 1 process x "
        f"{args.processes} threads: {args.recipe!r} on {args.train_images:,} "
        f"images, {counted(args.epochs, 'epoch')} per process"
    )

    def on_run(name: str, run: dict[str, Any]) -> None:
        print(
            f"  {name:6} {run['images_per_second']:8,.0f} images/s "
            f"{run['images_per_cpu_second']:8,.0f} images/CPU-s "
            f"({run['seconds']:.1f} s)",
            flush=True,
        )

    result = measure_process_split(
        args.recipe,
        processes=args.processes,
        train_images=args.train_images,
        epochs=args.epochs,
        repeats=args.repeats,
        seed=args.seed,
        data_dir=args.data_dir,
        on_run=on_run,
    )
    print(
        f"ratio processes/threads: {result['ratio']:.3f}, "
        f"{result['cpu_ratio']:.3f} in CPU time"
    )
    return _record_per_device(args, path, "process_split", result)


def run_calibration_command(args: argparse.Namespace) -> int:
    """Measure and record a shipped model's calibration, with and without TTA."""
    _check_positive(args, "test_size", "bins")
    path = _results_path(args, "test_size")
    where = args.models_dir or "the course's shipped models"
    print(f"calibration of the shipped {args.model!r} model ({where})")
    result = measure_calibration(
        args.model,
        models_dir=args.models_dir,
        test_size=args.test_size,
        data_dir=args.data_dir,
        bins=args.bins,
    )
    print(
        f"  seed {result['seed']}, fingerprint {result['fingerprint_sha256'][:8]}, "
        f"{result['test_images']:,} test images, {result['bins']} bins"
    )
    for name, scoring in result["scorings"].items():
        print(
            f"  {name.replace('_', ' '):24} accuracy {scoring['accuracy']:.2%}, "
            f"mean confidence {scoring['mean_confidence']:.2%}, "
            f"ECE {scoring['ece']:.4f}"
        )
    return _record_per_device(args, path, "calibration", result)


def run_time_to_accuracy_command(args: argparse.Namespace) -> int:
    """Race the two recipes and record the result."""
    _check_positive(args, "max_epochs", "train_size", "test_size")
    if not 0.0 < args.threshold <= 1.0:
        raise UserError(f"Expected --threshold in (0, 1]. Received: {args.threshold}")
    recipe = course_recipe(args.course_recipe)  # fails early when missing
    path = _results_path(args, "train_size", "test_size")
    print(
        f"racing the original challenge recipe (at most {args.max_epochs} epochs) "
        f"against {recipe.name!r} ({recipe.epochs} epochs) to "
        f"{args.threshold:.1%} test accuracy"
    )
    result = measure_time_to_accuracy(
        threshold=args.threshold,
        course=recipe.name,
        max_epochs=args.max_epochs,
        train_size=args.train_size,
        test_size=args.test_size,
        seed=args.seed,
        data_dir=args.data_dir,
    )
    for side in ("original", "course"):
        run = result[side]
        status = "reached" if run["reached"] else "not reached"
        print(
            f"  {side:8} {run['recipe']}: {status} after {run['epochs']} epochs, "
            f"{run['train_seconds']:.1f} s of training, final test accuracy "
            f"{run['final_test_accuracy']:.2%}"
        )
    if result["ratio"] is None:
        print("  ratio: undefined (the course recipe did not reach the threshold)")
    else:
        bound = ">= " if result["ratio_is_lower_bound"] else ""
        print(f"  ratio original/course: {bound}{result['ratio']:.2f}")
    return _record_per_device(args, path, "time_to_accuracy", result)


ABLATION_SHORT_COLUMNS = {
    "removed": "removed",
    "seeds": "seeds",
    "validation accuracy (%)": "val %",
    "spread (points)": "spread",
    "change (points)": "change",
    "threshold (points)": "threshold",
    "verdict": "verdict",
    "validation, model alone (%)": "no TTA %",
    "calibration error (%)": "ECE %",
    "training CPU time (s)": "CPU-s",
}
"""Headers of the ablation table as the terminal shows it (the lessons' are long)."""


def run_ablation_command(args: argparse.Namespace) -> int:
    """Train and record the ablation, run by run; print its table."""
    _check_positive(args, "epochs", "train_size", "workers")
    variants = select_ablations(args.variants)  # fails early on an unknown name
    seeds = _search_seeds(args, ABLATION_SEEDS, "the ablation trains")
    path = _results_path(args, "train_size")
    print(
        f"ablation: {', '.join(variant.name for variant in variants)} "
        f"({counted(args.epochs, 'epoch')} each, {named_list('seed', seeds)}, "
        "one process per run)"
    )
    recorder = RunRecorder(
        path, "ablation", merge_ablation_rows, ablation_entry, readme=_readme(args)
    )

    def on_row(row: dict[str, Any]) -> None:
        print(
            f"  {row['variant']:20} seed {row['seed']}: validation "
            f"{row['val_accuracy']:.2%} ({row['val_accuracy_model_alone']:.2%} model "
            f"alone), ECE {row['val_ece']:.2%}, {row['train_seconds']:.1f} s "
            f"({row['train_cpu_seconds']:.1f} CPU-s), load before "
            f"{row['load_average_before']:.2f}",
            flush=True,
        )
        recorder.add(row)

    rows = run_ablation(
        args.variants,
        epochs=args.epochs,
        seeds=seeds,
        workers=args.workers,
        train_size=args.train_size,
        data_dir=args.data_dir,
        on_row=on_row,
    )
    device = rows[0]["machine"]["device"]
    table = ablation_table({"ablation": recorder.entries}, device)
    short = table.rename(columns=ABLATION_SHORT_COLUMNS)
    print(short.to_string(float_format=lambda value: f"{value:.2f}", na_rep="n/a"))
    print(textwrap.fill(table.attrs["caption"], width=88))
    measured = {(row["variant"], row["seed"]) for row in rows}
    kept = sorted(
        {
            row["variant"]
            for row in recorder.entries[device]["rows"]
            if (row["variant"], row["seed"]) not in measured
        }
    )
    if kept:
        print(
            f"kept from earlier runs on {device.upper()}: {', '.join(kept)} "
            "(name them in --variants to measure them again)"
        )
    if args.json:
        print(json.dumps(recorder.entries[device]))
    return 0


def run_grading_command(args: argparse.Namespace) -> int:
    """Measure and record grading throughput."""
    # Imported here: grading needs the notebooks extra; the other benchmarks don't.
    from fmnist_course.bench.grading_speed import run_grading_benchmark

    result = run_grading_benchmark(args.workers)
    for workers, run in sorted(result["runs"].items(), key=lambda item: int(item[0])):
        print(
            f"  {workers} worker(s): {run['seconds_per_submission']:.1f} s per "
            f"submission, {run['speedup']:.2f}x, {run['total_points']} points"
        )
    if args.json:
        print(json.dumps(result))
    return 0


def run_cluster_command(args: argparse.Namespace) -> int:
    """Measure and record tuning throughput on Dask clusters."""
    if any(workers < 1 for workers in args.workers):
        raise UserError(f"Expected --workers >= 1. Received: {args.workers}")
    try:
        summary = benchmark_cluster_tuning(args.workers)
    except ImportError as error:  # Dask is an optional extra
        raise UserError(
            f"{error}. Install the cluster extra: pip install 'fmnist-course[cluster]'"
        ) from None
    for run in summary["runs"]:
        print(
            f"  {run['workers']} worker(s): {run['trials_per_minute']:.1f} trials/min"
        )
    if args.json:
        print(json.dumps(summary))
    return 0


def run_readme_command(args: argparse.Namespace) -> int:
    """Re-render the README from the recorded results, targets recomputed.

    The targets are policy (`bench.targets`): when it changes, the recorded
    verdicts follow it here without a new measurement.
    """
    path = Path(args.results or RESULTS_PATH)
    results = load_results(path)
    targets = evaluate_targets(results)
    # Validate first: a verdict computed from a bad record is never stored.
    validate_results({**results, "targets": targets})
    if results.get("targets") != targets:
        results = update_results("targets", targets, path)
        print(f"targets recomputed: {path}")
    readme = _readme(args)
    changed = update_readme(readme, results)
    print(f"README {'updated' if changed else 'unchanged'}: {readme}")
    return 0
