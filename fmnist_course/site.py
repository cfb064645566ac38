"""Build the course website: execute the lessons, then run `mkdocs build`.

The published site runs every lesson in full mode on the real data; the fast
build (`fast=True`) runs them with `FMNIST_FAST=1`, for CI. Executions are
cached under `build/executed/{fast,full}/` by `execute_lesson`, so an unchanged
lesson is not run again; a lesson whose cell raises stops the build with
`LessonError` before anything is published. The MkDocs hooks in
`fmnist_course/mkdocs_hooks.py` then turn the executed notebooks into pages.

Examples:
    >>> site_dir = build_site(fast=True)  # doctest: +SKIP
    >>> (site_dir / "index.html").is_file()  # doctest: +SKIP
    True

"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fmnist_course.notebooks import (
    CACHE_KEY_FIELD,
    EXECUTED_DIR,
    LESSONS_DIR,
    REPO_ROOT,
    RUNTIME_FIELD,
    cache_key,
    execute_lesson,
    lesson_paths,
)
from fmnist_course.results import RESULTS_PATH

MKDOCS_CONFIG = REPO_ROOT / "mkdocs.yml"
SITE_DIR = REPO_ROOT / "site"


class SiteBuildError(RuntimeError):
    """`mkdocs build` failed (a broken link, reference or missing page)."""


def execute_lessons(
    *,
    fast: bool = False,
    force: bool = False,
    lessons: list[Path] | None = None,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Execute every lesson (or the given ones), reusing cached executions.

    Args:
        fast: Run the lessons in fast mode (`FMNIST_FAST=1`).
        force: Execute even the lessons whose cached execution is current.
        lessons: The lesson scripts; defaults to every `NN_*.py` in `lessons/`
            (or in `FMNIST_SITE_LESSONS_DIR` when set, as the MkDocs hooks do).
        log: Where progress lines go.

    Returns:
        The executed notebooks, in course order.

    Raises:
        LessonError: A cell of a lesson raised or timed out.

    Examples:
        >>> paths = execute_lessons(fast=True)  # doctest: +SKIP
        01_dense_baseline: executed in fast mode in 21.3 s

    """
    if lessons is None:
        lessons = lesson_paths(os.environ.get("FMNIST_SITE_LESSONS_DIR") or LESSONS_DIR)
    lessons = [Path(path) for path in lessons]
    mode = "fast" if fast else "full"
    executed = []
    for lesson in lessons:
        if not force and is_cached(lesson, fast=fast):
            executed.append(execute_lesson(lesson, fast=fast))
            log(f"{lesson.stem}: unchanged, reusing its {mode}-mode execution")
            continue
        start = time.perf_counter()
        executed.append(execute_lesson(lesson, fast=fast, force=force))
        log(
            f"{lesson.stem}: executed in {mode} mode in "
            f"{time.perf_counter() - start:.1f} s"
        )
    return executed


def is_cached(lesson: str | os.PathLike, *, fast: bool) -> bool:
    """Whether `execute_lesson` would reuse a cached execution of this lesson.

    Examples:
        >>> is_cached("lessons/01_dense_baseline.py", fast=True)  # doctest: +SKIP
        True

    """
    lesson = Path(lesson)
    target = EXECUTED_DIR / ("fast" if fast else "full") / f"{lesson.stem}.ipynb"
    if not target.is_file():
        return False
    try:
        metadata = json.loads(target.read_text(encoding="utf-8")).get("metadata", {})
    except json.JSONDecodeError:
        return False
    return metadata.get(CACHE_KEY_FIELD) == cache_key(lesson, fast)


def course_runtime(executed: list[Path]) -> dict:
    """The `course_runtime` entry: each lesson's full-mode runtime and the total.

    Args:
        executed: Executed notebooks, each carrying the wall time of its
            execution in its metadata (`fmnist_course_runtime_seconds`).

    Returns:
        `{"lessons": [{"lesson", "seconds"}], "total_seconds", "machine"}`.

    Raises:
        ValueError: A notebook lacks its runtime.

    """
    from fmnist_course.bench.machine import describe_machine

    lessons = []
    for path in executed:
        metadata = json.loads(Path(path).read_text(encoding="utf-8"))["metadata"]
        if RUNTIME_FIELD not in metadata:
            raise ValueError(
                f"{path} does not record its runtime ({RUNTIME_FIELD}); execute "
                "it again with `fmnist-course site build --force`."
            )
        lessons.append({"lesson": Path(path).stem, "seconds": metadata[RUNTIME_FIELD]})
    return {
        "lessons": lessons,
        "total_seconds": round(sum(lesson["seconds"] for lesson in lessons), 1),
        "machine": describe_machine(),
    }


def build_site(
    *,
    fast: bool = False,
    force: bool = False,
    site_dir: str | os.PathLike = SITE_DIR,
    config: str | os.PathLike = MKDOCS_CONFIG,
    results: str | os.PathLike | None = RESULTS_PATH,
    log: Callable[[str], None] = print,
) -> Path:
    """Execute the lessons and build the website with `mkdocs build --strict`.

    Args:
        fast: Execute the lessons in fast mode (for CI); the pages then say so.
        force: Re-execute lessons even when their cached execution is current.
        site_dir: Where the built site goes (its content is replaced).
        config: The MkDocs configuration file.
        results: In full mode, where the lessons' runtimes are recorded
            (`course_runtime`) before the site renders them; `None` records
            nothing. Fast-mode runtimes are never recorded.
        log: Where progress lines go.

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
    executed = execute_lessons(fast=fast, force=force, log=log)
    if not fast and results is not None:
        from fmnist_course.bench.record import per_device, record

        entry = course_runtime(executed)
        log(f"all lessons in full mode: {entry['total_seconds'] / 60:.1f} minutes")
        record(
            Path(results),
            "course_runtime",
            per_device(Path(results), "course_runtime", entry),
            log=log,
        )
    site_dir = Path(site_dir).resolve()
    environment = dict(os.environ, FMNIST_SITE_MODE="fast" if fast else "full")
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
    log(f"built the site in {time.perf_counter() - start:.1f} s: {site_dir}")
    return site_dir
