"""Build the course website: execute the lessons, then run `mkdocs build`.

The published site runs every lesson in full mode on the real data; the fast
build (`fast=True`) runs them with `FMNIST_FAST=1`, for CI. Executions are
cached under `build/executed/{fast,full}/` by `execute_lesson`, so an unchanged
lesson is not run again; a lesson whose cell raises stops the build with
`LessonError` before anything is published. Lessons run side by side, as many
at once as there are cores (`jobs`), each kernel with its share of the cores'
threads; a lesson that loads what another saved
(`authoring.lesson_files.LESSON_DEPENDENCIES`) starts once that one is done.
The MkDocs hooks in `fmnist_course/website/events.py` then turn the executed
notebooks into pages.

A full-mode build records how long each lesson took (`course_runtime` in
`benchmarks/results.json`). On a shared machine the same lesson can take half
as long again from one build to the next, so a build that executes lessons
also reads the machine's speed just before and just after them: images per
second of a plain `model.fit` of the challenge model (the `baseline` of
`fmnist-course bench levers`). A runtime can then be read against the speed
the machine had while it was measured.

Examples:
    >>> site_dir = build_site(fast=True)  # doctest: +SKIP
    >>> (site_dir / "index.html").is_file()  # doctest: +SKIP
    True

"""

from __future__ import annotations

import concurrent.futures
import graphlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fmnist_course.authoring.execute import (
    CPU_FIELD,
    RUNTIME_FIELD,
    cached_execution,
    execute_lesson,
)
from fmnist_course.authoring.lesson_files import LESSON_DEPENDENCIES, REPO_ROOT
from fmnist_course.bench.levers import run_lever_in_subprocess
from fmnist_course.bench.record import measured_now, per_device, record
from fmnist_course.machine import describe_machine, logical_cores
from fmnist_course.results import RESULTS_PATH, load_results
from fmnist_course.settings import (
    BATCH_SIZE,
    FAST_ENV,
    RETRAIN_ENV,
    retrain_requested,
    thread_environment,
)
from fmnist_course.website.lessons import site_lessons
from fmnist_course.website.retrain_record import retrain_entry

MKDOCS_CONFIG = REPO_ROOT / "mkdocs.yml"
SITE_DIR = REPO_ROOT / "site"
SPEED_READING_SECONDS = 20.0
"""How long `machine_speed` times its plain `fit` after the warm-up."""
SPEED_KEYS = ("images_per_second", "images_per_cpu_second")
"""What a speed reading holds: images per second of wall time and of CPU time."""


class SiteBuildError(RuntimeError):
    """`mkdocs build` failed (a broken link, reference or missing page)."""


def execute_lessons(
    *,
    fast: bool = False,
    force: bool = False,
    lessons: list[Path] | None = None,
    log: Callable[[str], None] = print,
    jobs: int | None = None,
    dependencies: Mapping[str, Sequence[str]] = LESSON_DEPENDENCIES,
) -> list[Path]:
    """Execute every lesson (or the given ones), side by side, reusing cached ones.

    Up to `jobs` lessons run at once, each in its own kernel, driven by a
    thread of a `concurrent.futures.ThreadPoolExecutor` (the work is in the
    kernels). Each kernel gets an equal share of the cores as its TensorFlow
    and oneDNN threads (`settings.thread_environment`). A lesson starts once
    the lessons it depends on are done (`dependencies`, by file stem), in
    course order otherwise. Progress lines and the returned list keep course
    order, whatever order the lessons end in. When a lesson fails, the others
    are stopped (their kernels shut down, their half-runs not cached) and its
    error is raised; a rerun resumes with the lessons not yet cached.

    Args:
        fast: Run the lessons in fast mode (`FMNIST_FAST=1`).
        force: Execute even the lessons whose cached execution is current.
        lessons: The lesson scripts; defaults to the site's lessons
            (`fmnist_course.website.lessons.site_lessons`).
        log: Where progress lines go.
        jobs: Lessons run at once; defaults to the usable cores
            (`machine.logical_cores`).
        dependencies: For a lesson's stem, the stems of the lessons it must
            follow; those not among `lessons` are ignored.

    Returns:
        The executed notebooks, in course order.

    Raises:
        LessonError: A cell of a lesson raised or timed out.
        ValueError: `jobs` is below 1, or the dependencies form a cycle.

    Examples:
        >>> paths = execute_lessons(fast=True, jobs=2)  # doctest: +SKIP
        00_the_data: executed in fast mode in 21.3 s
        01_dense_baseline: executed in fast mode in 48.0 s

    """
    lessons = _site_lessons() if lessons is None else [Path(p) for p in lessons]
    jobs = logical_cores() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"Expected jobs >= 1. Received: jobs={jobs}")
    stems = [lesson.stem for lesson in lessons]
    graph = graphlib.TopologicalSorter(
        {stem: [d for d in dependencies.get(stem, ()) if d in stems] for stem in stems}
    )
    try:
        graph.prepare()
    except graphlib.CycleError as error:
        raise ValueError(
            f"Lessons that depend on each other cannot run: {error.args[1]}. "
            "Fix LESSON_DEPENDENCIES in fmnist_course/authoring/lesson_files.py."
        ) from None
    num_running = min(
        jobs, sum(needs_execution(lesson, fast=fast, force=force) for lesson in lessons)
    )
    environment = thread_environment(max(1, logical_cores() // max(1, num_running)))
    cancel = threading.Event()

    def run(lesson: Path) -> tuple[Path, str]:
        return _execute_one(lesson, fast, force, environment, cancel)

    done: dict[str, tuple[Path, str]] = {}  # each finished lesson's notebook and line
    num_logged = 0
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=jobs, thread_name_prefix="lesson"
    ) as pool:
        ready: list[str] = []  # in course order; started as threads come free
        running: dict[concurrent.futures.Future, str] = {}
        try:
            while graph.is_active():
                ready = sorted([*ready, *graph.get_ready()], key=stems.index)
                while ready and len(running) < jobs:
                    stem = ready.pop(0)
                    running[pool.submit(run, lessons[stems.index(stem)])] = stem
                finished, _ = concurrent.futures.wait(
                    running, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in sorted(finished, key=lambda f: stems.index(running[f])):
                    stem = running.pop(future)
                    done[stem] = future.result()  # a failed lesson raises here
                    graph.done(stem)
                while num_logged < len(stems) and stems[num_logged] in done:
                    log(done[stems[num_logged]][1])  # after the lessons before it
                    num_logged += 1
        except BaseException:  # a lesson failed, or Ctrl-C: stop the others
            cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [done[stem][0] for stem in stems]


def _execute_one(
    lesson: Path,
    fast: bool,
    force: bool,
    environment: Mapping[str, str],
    cancel: threading.Event,
) -> tuple[Path, str]:
    """Execute or reuse one lesson; return its notebook and its progress line."""
    mode = "fast" if fast else "full"
    if not needs_execution(lesson, fast=fast, force=force):
        path = execute_lesson(lesson, fast=fast)
        return path, f"{lesson.stem}: unchanged, reusing its {mode}-mode execution"
    start = time.perf_counter()
    path = execute_lesson(
        lesson, fast=fast, force=force, environment=environment, cancel=cancel
    )
    seconds = time.perf_counter() - start
    return path, f"{lesson.stem}: executed in {mode} mode in {seconds:.1f} s"


def _site_lessons() -> list[Path]:
    """The lesson scripts the site publishes, in course order."""
    return [lesson.path for lesson in site_lessons()]


def machine_speed(seconds: float = SPEED_READING_SECONDS) -> dict[str, float]:
    """The machine's training speed now, per second of wall time and of CPU time.

    A fresh Python process trains the challenge model with a plain
    `model.fit` (float32 arrays, batches of `bench.levers.BATCH_SIZE`) for a
    short warm-up, then for `seconds`: the `baseline` of `fmnist-course bench
    levers`. Images per second divide by wall time; images per CPU-second by
    the CPU time the process used, all threads together. A shared host may
    lend both cores for a short burst and fewer afterwards, which moves the
    first far more than the second.

    Returns:
        `images_per_second` and `images_per_cpu_second`.

    Examples:
        >>> machine_speed(seconds=5)  # doctest: +SKIP
        {'images_per_second': 2468.2, 'images_per_cpu_second': 1309.4}

    """
    result = run_lever_in_subprocess("baseline", seconds=seconds)
    return {key: result[key] for key in SPEED_KEYS}


def is_cached(lesson: str | os.PathLike, *, fast: bool) -> bool:
    """Whether `execute_lesson` would reuse a cached execution of this lesson.

    Examples:
        >>> is_cached("lessons/01_dense_baseline.py", fast=True)  # doctest: +SKIP
        True

    """
    return cached_execution(lesson, fast=fast) is not None


def needs_execution(lesson: str | os.PathLike, *, fast: bool, force: bool) -> bool:
    """Whether `execute_lessons` runs this lesson (rather than reusing it).

    Examples:
        >>> needs_execution("lessons/01_dense_baseline.py", fast=True, force=True)
        True

    """
    return force or not is_cached(lesson, fast=fast)


def course_runtime(executed: list[Path]) -> dict:
    """The `course_runtime` entry: each lesson's full-mode runtime and the total.

    Args:
        executed: Executed notebooks, each carrying the wall time of its
            execution in its metadata (`fmnist_course_runtime_seconds`) and,
            when executed by a version that read it, its kernel's CPU time
            (`fmnist_course_cpu_seconds`).

    Returns:
        `{"lessons": [{"lesson", "seconds", "cpu_seconds"}], "total_seconds",
        "total_cpu_seconds", "machine"}`; the CPU times only where every
        lesson has one.

    Raises:
        ValueError: A notebook lacks its runtime.

    """
    lessons = []
    for path in executed:
        metadata = json.loads(Path(path).read_text(encoding="utf-8"))["metadata"]
        if RUNTIME_FIELD not in metadata:
            raise ValueError(
                f"{path} does not record its runtime ({RUNTIME_FIELD}); execute "
                "it again with `fmnist-course site build --force`."
            )
        lessons.append((Path(path).stem, metadata))
    # CPU times only when every lesson has one: a mixed table would mislead
    with_cpu = bool(lessons) and all(CPU_FIELD in meta for _, meta in lessons)
    rows = [
        {
            "lesson": stem,
            "seconds": meta[RUNTIME_FIELD],
            **({"cpu_seconds": meta[CPU_FIELD]} if with_cpu else {}),
        }
        for stem, meta in lessons
    ]
    entry = {
        "lessons": rows,
        "total_seconds": round(sum(row["seconds"] for row in rows), 1),
    }
    if with_cpu:
        entry["total_cpu_seconds"] = round(sum(row["cpu_seconds"] for row in rows), 1)
    return {**entry, "machine": describe_machine()}


def machine_speed_entry(
    before: Mapping[str, float], after: Mapping[str, float], executed: list[str]
) -> dict:
    """The `machine_speed` record of a build: readings around the lessons it ran.

    Args:
        before: `machine_speed()` just before the lessons.
        after: `machine_speed()` just after them.
        executed: The lessons the build executed (not reused).

    Examples:
        >>> machine_speed_entry(
        ...     {"images_per_second": 2468.24, "images_per_cpu_second": 1309.4},
        ...     {"images_per_second": 2303.0, "images_per_cpu_second": 1223.0},
        ...     ["04_regularization_and_the_challenge"],
        ... )  # doctest: +NORMALIZE_WHITESPACE
        {'model': 'challenge', 'method': 'plain model.fit, batch 128',
         'timed_seconds': 20.0,
         'before_images_per_second': 2468.2, 'before_images_per_cpu_second': 1309.4,
         'after_images_per_second': 2303.0, 'after_images_per_cpu_second': 1223.0,
         'lessons_executed': ['04_regularization_and_the_challenge']}

    """
    entry: dict[str, Any] = {
        "model": "challenge",
        "method": f"plain model.fit, batch {BATCH_SIZE}",
        "timed_seconds": SPEED_READING_SECONDS,
    }
    for when, reading in (("before", before), ("after", after)):
        for key in SPEED_KEYS:
            entry[f"{when}_{key}"] = round(reading[key], 1)
    entry["lessons_executed"] = list(executed)
    return entry


def _speed_text(reading: Mapping[str, float]) -> str:
    """A speed reading for the progress log.

    Examples:
        >>> _speed_text({"images_per_second": 2468.2, "images_per_cpu_second": 1309.4})
        '2468 images/s, 1309 images/CPU-s'

    """
    return (
        f"{reading['images_per_second']:.0f} images/s, "
        f"{reading['images_per_cpu_second']:.0f} images/CPU-s"
    )


def _previous_machine_speed(results: Path, entry: dict) -> dict:
    """Keep the recorded speed reading when a build reuses every execution."""
    device = entry["machine"]["device"]
    previous = load_results(results).get("course_runtime", {}).get(device, {})
    if "machine_speed" in previous and previous.get("lessons") == entry["lessons"]:
        return {"machine_speed": previous["machine_speed"]}
    return {}


def build_site(
    *,
    fast: bool = False,
    force: bool = False,
    site_dir: str | os.PathLike = SITE_DIR,
    config: str | os.PathLike = MKDOCS_CONFIG,
    results: str | os.PathLike | None = RESULTS_PATH,
    log: Callable[[str], None] = print,
    speed: Callable[[], Mapping[str, float]] | None = machine_speed,
    jobs: int | None = None,
) -> Path:
    """Execute the lessons and build the website with `mkdocs build --strict`.

    Args:
        fast: Execute the lessons in fast mode (for CI); the pages then say so.
        force: Re-execute lessons even when their cached execution is current.
        site_dir: Where the built site goes (its content is replaced).
        config: The MkDocs configuration file.
        results: In full mode, where the lessons' runtimes are recorded
            (`course_runtime`) before the site renders them; `None` records
            nothing. Fast-mode runtimes are never recorded, nor are those of
            a build with the retrain switch on (`FMNIST_RETRAIN=1`): one that
            executes every lesson records, as `retrain_build`, how each
            retrained recipe compares with the ladder (`retrain_entry`).
        log: Where progress lines go.
        speed: Reads the machine's speed in images per second of wall time
            and of CPU time (see `machine_speed`). A full-mode build that
            executes at least one lesson calls it just before and just after
            them and records both readings with the runtimes
            (`machine_speed`); `None` skips it.
        jobs: Lessons executed at once (see `execute_lessons`); defaults to
            the usable cores. A build that executes every lesson records its
            wall time too (`wall_seconds`, with `jobs`), since lessons that
            run side by side take less than the sum of their times.

    Returns:
        The site directory; open `index.html` or serve it.

    Raises:
        LessonError: A lesson cell raised; nothing is built.
        SiteBuildError: MkDocs reported a warning or an error (strict mode).

    Examples:
        >>> build_site(fast=True)  # doctest: +SKIP
        PosixPath('/.../site')

    """
    config = Path(config)
    if not config.is_file():
        raise FileNotFoundError(f"No MkDocs configuration at {config}.")
    lessons = _site_lessons()
    to_execute = [
        lesson.stem
        for lesson in lessons
        if needs_execution(lesson, fast=fast, force=force)
    ]
    recording = not fast and results is not None
    retraining = recording and retrain_requested()
    if retraining:
        # The runtime targets time the default build, which loads the shipped
        # models; a build that retrains them is another measurement.
        log(
            f"{RETRAIN_ENV}=1: the lessons train their full recipes, so this "
            "build's runtimes are not recorded in course_runtime; how its "
            "recipes compare with the ladder is (retrain_build)"
        )
        recording = False
    read_speed = recording and speed is not None and bool(to_execute)
    if read_speed:
        speed_before = speed()
        log(f"machine speed before the lessons: {_speed_text(speed_before)}")
    jobs = logical_cores() if jobs is None else jobs
    start = time.perf_counter()
    executed = execute_lessons(
        fast=fast, force=force, lessons=lessons, log=log, jobs=jobs
    )
    wall_seconds = round(time.perf_counter() - start, 1)
    retrained = None  # recorded once the site has built: the target says so
    if retraining and len(to_execute) < len(lessons):
        log("retrain_build not recorded: reused executions; use --force")
    elif retraining:
        retrained = retrain_entry(executed, wall_seconds=wall_seconds, jobs=jobs)
    if recording:
        entry = {**course_runtime(executed), "measured_at": measured_now()}
        log(f"all lessons in full mode: {entry['total_seconds'] / 60:.1f} minutes")
        if len(to_execute) == len(lessons) and lessons:
            entry.update(wall_seconds=wall_seconds, jobs=jobs)
            log(f"  in {wall_seconds / 60:.1f} minutes of wall time, {jobs} at once")
        if read_speed:
            speed_after = speed()
            log(f"machine speed after the lessons: {_speed_text(speed_after)}")
            entry["machine_speed"] = machine_speed_entry(
                speed_before, speed_after, to_execute
            )
        else:
            entry.update(_previous_machine_speed(Path(results), entry))
        record(
            Path(results),
            "course_runtime",
            per_device(Path(results), "course_runtime", entry),
            log=log,
        )
    site_dir = Path(site_dir).resolve()
    environment = dict(os.environ, **{FAST_ENV: "1" if fast else "0"})
    environment.setdefault("NO_MKDOCS_2_WARNING", "1")
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(config),
        "--site-dir",
        str(site_dir),
    ]
    start = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=config.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        problems = [
            line
            for line in completed.stderr.splitlines()
            if line.startswith(("WARNING", "ERROR")) or "Error" in line
        ]
        raise SiteBuildError(
            "mkdocs build --strict failed:\n"
            + "\n".join(problems or completed.stderr.splitlines()[-20:])
        )
    site_seconds = round(time.perf_counter() - start, 1)
    log(f"built the site in {site_seconds:.1f} s: {site_dir}")
    if retrained is not None:
        retrained["site_seconds"] = site_seconds
        section = per_device(Path(results), "retrain_build", retrained)
        record(Path(results), "retrain_build", section, log=log)
    return site_dir
