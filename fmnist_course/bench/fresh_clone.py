"""`make course` on a fresh clone, timed as a newcomer runs it.

The README promises that its first command sets everything up and builds
the course. This benchmark checks the promise the way a newcomer meets it:
it clones the checkout's last commit into an empty directory (so nothing
built here, no `.venv`, no executed lessons, travels with it), runs
`make setup` there, then `make course`, and times both. Set-up installs
from pip's cache where the machine has one, as a second-time user's would.
The course's build in the clone records its lessons' runtimes in the
clone's own record; they are returned too (`course_runtime`), since that
build is the full-mode build the runtime targets ask for, run on an idle
machine from nothing.

Its target, `make course` within `targets.FRESH_CLONE_MINUTES_TARGET`
minutes, is judged by `fmnist_course.bench.targets.fresh_clone_target`.

Examples:
    >>> measure_fresh_clone(work_dir="/tmp/course-clone")  # doctest: +SKIP
    {'commit': '...', 'setup_seconds': 160.2, 'course_seconds': 1020.5, ...}

"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fmnist_course.authoring.lesson_files import REPO_ROOT
from fmnist_course.bench.record import measured_now
from fmnist_course.errors import UserError

MAKE_STEPS = ("setup", "course")
"""The make targets run in the clone, in order: set-up alone, then the course
(whose own set-up step then has nothing left to do)."""

CLEARED_ENV = (
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "FMNIST_RETRAIN",
    "FMNIST_FAST",
    "FMNIST_BF16",  # set to 0 for every benchmark; a newcomer's course decides
)
"""Variables of this shell that a newcomer's shell would not have."""


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _commit(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def measure_fresh_clone(
    repo: str | os.PathLike = REPO_ROOT,
    *,
    work_dir: str | os.PathLike | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Clone `repo`'s last commit, run `make setup` and `make course`, time both.

    Args:
        repo: A git checkout of the course (default: this one). Only its
            last commit is measured: uncommitted changes do not travel.
        work_dir: An empty or absent directory for the clone (default: a new
            temporary one, removed afterwards). Each step's output goes to
            `make-STEP.log` beside the clone.
        log: Where progress lines go.

    Returns:
        `{"commit", "setup_seconds", "course_seconds", "cpu_seconds",
        "course_runtime"}`: wall seconds of each step, the CPU seconds of
        every process they started, and the clone's recorded
        `course_runtime` entry for this device if its build recorded one
        (else `None`).

    Raises:
        FileExistsError: `work_dir` is not empty.
        UserError: A step failed; the message names its log.

    """
    repo = Path(repo)
    commit = _commit(repo)
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="fmnist-fresh-clone-") as tmp:
            return measure_fresh_clone(repo, work_dir=tmp, log=log)
    work_dir = Path(work_dir)
    if work_dir.exists() and any(work_dir.iterdir()):
        raise FileExistsError(
            f"Expected an empty directory for the fresh clone. Received: "
            f"{work_dir}, which holds files. Name a new or empty directory."
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    clone = work_dir / "course"
    subprocess.run(["git", "clone", "--quiet", str(repo), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    log(f"fresh clone of {commit[:12]} in {clone}")
    seconds = {}
    started = measured_now()
    cpu_before = _children_cpu_seconds()
    for step in MAKE_STEPS:
        output = work_dir / f"make-{step}.log"
        log(f"  make {step} (output: {output})")
        start = time.perf_counter()
        with output.open("w", encoding="utf-8") as sink:
            done = subprocess.run(
                ["make", step],
                cwd=clone,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        seconds[step] = round(time.perf_counter() - start, 1)
        if done.returncode != 0:
            raise UserError(
                f"`make {step}` failed in the fresh clone (exit {done.returncode}) "
                f"after {seconds[step]:.0f} s; its output is in {output}."
            )
        log(f"  make {step}: {seconds[step] / 60:.1f} minutes")
    record = clone / "fmnist_course" / "results.json"
    runtime = json.loads(record.read_text(encoding="utf-8")).get("course_runtime", {})
    built = runtime.get("cpu") or {}
    if built.get("measured_at", "") < started:  # the commit's own, not this build's
        built = None
    return {
        "commit": commit,
        "setup_seconds": seconds["setup"],
        "course_seconds": seconds["course"],
        "cpu_seconds": round(_children_cpu_seconds() - cpu_before, 1),
        "course_runtime": built,
    }
