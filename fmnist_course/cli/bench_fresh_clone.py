"""`fmnist-course bench fresh-clone`: time `make course` as a newcomer runs it.

Clones this checkout's last commit, runs `make setup` and `make course`
there (`fmnist_course.bench.fresh_clone`), and records the `fresh_clone`
section of the record, with the clone's full-mode build as this checkout's
`course_runtime`: that build executed every lesson from nothing on this
machine. The parser is registered in `fmnist_course.cli.bench_command`.
"""

from __future__ import annotations

import argparse
import json

from fmnist_course.bench.fresh_clone import measure_fresh_clone
from fmnist_course.bench.record import measured_now, per_device, record
from fmnist_course.bench.targets import FRESH_CLONE_MINUTES_TARGET, fresh_clone_minutes
from fmnist_course.cli.bench_handlers import _readme, _results_path
from fmnist_course.machine import describe_machine


def run_bench_fresh_clone(args: argparse.Namespace) -> int:
    """Measure and record `make course` on a fresh clone."""
    path = _results_path(args)
    measured = measure_fresh_clone(work_dir=args.work_dir)
    runtime = measured.pop("course_runtime")
    # The clone's own build describes the machine as the course met it (its
    # precision too); this process trains nothing and runs pinned to float32.
    machine = (runtime or {}).get("machine") or describe_machine()
    entry = {**measured, "machine": machine, "measured_at": measured_now()}
    minutes = fresh_clone_minutes(entry)
    print(
        f"make course on a fresh clone: {minutes:.1f} minutes (set-up "
        f"{entry['setup_seconds'] / 60:.1f}, course "
        f"{entry['course_seconds'] / 60:.1f}; target "
        f"{FRESH_CLONE_MINUTES_TARGET} minutes), {entry['cpu_seconds'] / 60:.1f} "
        "CPU-minutes"
    )
    record(
        path,
        "fresh_clone",
        per_device(path, "fresh_clone", entry),
        readme=_readme(args),
    )
    if runtime and runtime.get("wall_seconds") is not None:
        print("the clone's build executed every lesson: recording its course_runtime")
        section = per_device(path, "course_runtime", runtime)
        record(path, "course_runtime", section, readme=_readme(args))
    else:
        print("the clone recorded no full build: course_runtime left as it was")
    if args.json:
        print(json.dumps(entry))
    return 0


def add_fresh_clone_parser(commands, add_common) -> None:
    """Register `bench fresh-clone` with `add_common`'s shared options."""
    parser = commands.add_parser(
        "fresh-clone",
        help="time `make course` on a fresh clone, set-up included",
        description="Clone this checkout's last commit into an empty directory, "
        "run `make setup` and `make course` there as a newcomer would (set-up "
        "from pip's cache where there is one), and record both wall times "
        f"against the {FRESH_CLONE_MINUTES_TARGET}-minute target; the clone's "
        "full-mode build is recorded as the course's runtime. Run it on an idle "
        "machine: it takes as long as the course.",
    )
    parser.add_argument(
        "--work-dir",
        help="an empty directory for the clone and its logs (default: a "
        "temporary one, removed afterwards)",
    )
    add_common(parser, smoke=())
    parser.set_defaults(func=run_bench_fresh_clone)
