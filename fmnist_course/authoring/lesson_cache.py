"""The key of a lesson's cached execution, computed from the package's layout.

An executed lesson is reused while its key is unchanged. The key covers what
decides a lesson's outputs: its code cells (and the order of its cells), the
mode, the retrain switch (`FMNIST_RETRAIN`: lessons 02 to 04 and 07 then
train what they otherwise load), the version, and every file of the library, the part
of `fmnist_course` lessons may import (everything but the tooling packages in
`TOOLING`; `tests/test_layout.py` checks that lessons import nothing else).
The library's files include the recorded results
(`fmnist_course/results.json`, which `benchmarks/results.json` links to) that
lessons print from, and the code each lesson's kernel loads
(`fmnist_course.figure_text`). No list is kept by hand: a new module or data
file of the library is in the key as soon as it exists.

Left out, on purpose: the data (checked against its SHA-256 when loaded),
the runs saved under `runs/` (no lesson loads another lesson's run; the models
lessons load are the shipped ones, package data in the key), and the sections
of the record that measure the build itself (`BUILD_SECTIONS`). A full build
records its runtimes before MkDocs renders the pages; were they in the key,
MkDocs would find every lesson's execution stale and run them all again.

Examples:
    >>> "cli" in TOOLING
    True
    >>> any(path.name == "results.json" for path in library_files())
    True
    >>> any("authoring" in path.parts for path in library_files())
    False

"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from fmnist_course import __version__
from fmnist_course.authoring.lesson_files import read_lesson
from fmnist_course.machine import training_dtype_policy
from fmnist_course.settings import retrain_requested

LIBRARY_DIR = Path(__file__).resolve().parents[1]
"""The `fmnist_course` package."""
TOOLING = ("__main__.py", "authoring", "bench", "cli", "grading", "website")
"""The parts of `fmnist_course` that build, grade and measure the course.

The subpackages, and `python -m fmnist_course`'s entry point. The library
(every other module and file of the package) never imports them, and lessons
import only the library.
"""
BUILD_SECTIONS = ("course_runtime", "fresh_clone", "retrain_build", "targets")
"""Sections of `results.json` that measure the build, which no lesson prints."""
RESULTS_NAME = "results.json"
CACHE_KEY_FIELD = "fmnist_course_cache_key"
"""The executed notebook's metadata field that holds its cache key."""


def library_files(library_dir: str | os.PathLike | None = None) -> list[Path]:
    """Every file of the library (code and data), in a stable order.

    Args:
        library_dir: The package directory (`None`: `LIBRARY_DIR`).

    Returns:
        The files under `library_dir` outside the tooling packages and
        outside `__pycache__` folders, sorted.

    """
    library_dir = Path(library_dir or LIBRARY_DIR)
    files = []
    for path in sorted(library_dir.rglob("*")):
        parts = path.relative_to(library_dir).parts
        if parts[0] in TOOLING or "__pycache__" in parts:
            continue
        if path.is_file():
            files.append(path)
    return files


def cache_key(
    path: str | os.PathLike, fast: bool, library_dir: str | os.PathLike | None = None
) -> str:
    """Hash of what decides a lesson's outputs.

    A changed recipe, model builder or recorded result re-executes the
    lessons, while an edit of the prose alone does not (`execute_lesson` then
    refreshes the cached notebook's markdown). So does turning the retrain
    switch on in this process's environment, which the lessons' kernels
    inherit: `FMNIST_RETRAIN=1 fmnist-course site build` trains the full
    recipes instead of showing a cached page that loaded them. So does the
    precision the lessons' live runs train in (`FMNIST_BF16`, or this CPU's
    default, `fmnist_course.machine.training_dtype_policy`), so a page run in
    float32 is not shown for a bfloat16 build, nor the reverse.

    Args:
        path: The lesson script.
        fast: Whether it runs in fast mode.
        library_dir: The package directory (`None`: `LIBRARY_DIR`).

    Returns:
        A SHA-256 hex digest.

    """
    library_dir = Path(library_dir or LIBRARY_DIR)
    digest = hashlib.sha256()
    for cell in read_lesson(path).cells:
        source = cell.source if cell.cell_type == "code" else ""
        digest.update(f"{cell.cell_type}\0{source}\0".encode())
    digest.update(f"fast={fast};version={__version__}".encode())
    if retrain_requested():  # off leaves the keys of earlier builds as they were
        digest.update(b";retrain")
    policy = training_dtype_policy()  # FMNIST_BF16, or this CPU's default
    if policy != "float32":  # float32 leaves the keys of earlier builds alone
        digest.update(f";{policy}".encode())
    for source in library_files(library_dir):
        relative = source.relative_to(library_dir).as_posix()
        digest.update(f"\0{relative}\0".encode())
        if relative == RESULTS_NAME:
            digest.update(_lesson_results(source))
        else:
            digest.update(source.read_bytes())
    return digest.hexdigest()


def _lesson_results(path: Path) -> bytes:
    """The record as lessons read it: without the build's own sections."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return path.read_bytes()  # not a record the build writes: all of it
    if not isinstance(record, dict):
        return path.read_bytes()
    kept = {key: value for key, value in record.items() if key not in BUILD_SECTIONS}
    return json.dumps(kept, sort_keys=True).encode()
