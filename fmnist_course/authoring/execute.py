"""Execute lessons in a real Jupyter kernel, and keep what they printed.

Lessons are jupytext percent-format `.py` files
(`fmnist_course.authoring.lesson_files`). `execute_lesson` runs one in a
fresh kernel (with `FMNIST_FAST=1` in fast mode) and caches the executed
notebook under `build/executed/{fast,full}/`, keyed by the lesson's code and
the library's files (`fmnist_course.authoring.lesson_cache`), so an unchanged
lesson is not run again. A cell that raises
stops the run with `LessonError`, which shows the cell's source and the error.

Examples:
    >>> path = execute_lesson("lessons/01_dense_baseline.py")  # doctest: +SKIP
    >>> path.name  # doctest: +SKIP
    '01_dense_baseline.ipynb'

"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from fmnist_course import figure_text
from fmnist_course.authoring.cell_watch import (
    SILENCE_LIMIT,
    CellCancelledError,
    LessonProgress,
    WatchedNotebookClient,
    report_to_stderr,
)
from fmnist_course.authoring.lesson_cache import CACHE_KEY_FIELD, cache_key
from fmnist_course.authoring.lesson_files import REPO_ROOT, read_lesson
from fmnist_course.authoring.setup_cell import SETUP_CELL_MARKER, add_setup_cell
from fmnist_course.machine import logical_cores, read_cpuinfo
from fmnist_course.settings import FAST_ENV, QUIET_TF_LOGS

EXECUTED_DIR = REPO_ROOT / "build" / "executed"
RUNTIME_FIELD = "fmnist_course_runtime_seconds"
CPU_FIELD = "fmnist_course_cpu_seconds"
MACHINE_FIELD = "fmnist_course_machine"
LESSON_KERNEL_EXTENSION = figure_text.__name__
"""Loaded into each lesson's kernel: it records what every figure says.

Code the lessons' kernels run, so it is part of the cache key (`cache_key`).
"""


BACKEND_NOISE = re.compile(
    r"absl::InitializeLog|^[IWE]\d{4} \d\d:\d\d:\d\d|cuda|oneDNN|TF-TRT|"
    r"This TensorFlow binary is optimized|To enable the following instructions|"
    r"rebuild TensorFlow with the appropriate compiler flags",
    flags=re.IGNORECASE,
)
"""Start-up chatter of TensorFlow's C++ runtime, printed whatever the log level.

A stderr line that matches anywhere is dropped from executed notebooks and
from the site's pages: nothing a reader needs.
"""


class LessonError(RuntimeError):
    """A lesson cell raised or timed out while executing."""


class LessonCancelled(LessonError):
    """A lesson was stopped before its end because its run was cancelled."""


def kernel_environment(
    *, fast: bool, environment: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a lesson's kernel starts with.

    This process's environment, with `FMNIST_FAST=1` in fast mode (and
    without it otherwise), figures drawn inline, TensorFlow's start-up logging
    silenced, and `environment` on top. Built per kernel, never by changing
    this process's environment, so kernels started side by side by different
    threads each get their own.

    Examples:
        >>> env = kernel_environment(fast=True, environment={"OMP_NUM_THREADS": "1"})
        >>> env[FAST_ENV], env["OMP_NUM_THREADS"]
        ('1', '1')
        >>> FAST_ENV in kernel_environment(fast=False)
        False

    """
    env = dict(os.environ)
    env.pop(FAST_ENV, None)
    if fast:
        env[FAST_ENV] = "1"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.update(QUIET_TF_LOGS)
    env.update(environment or {})
    return env


def execute_notebook(
    notebook: nbformat.NotebookNode,
    *,
    cwd: str | os.PathLike = REPO_ROOT,
    fast: bool = True,
    timeout: int | None = None,
    allow_errors: bool = False,
    name: str = "notebook",
    silence_limit: float | None = SILENCE_LIMIT,
    progress: LessonProgress | None = None,
    kernel_name: str = "python3",
    extensions: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh Python kernel and return it with outputs.

    A cell may run as long as it keeps printing (a training cell prints a
    line per epoch); one silent for more than `silence_limit` seconds is
    stopped, as a stuck kernel. The CPU seconds the kernel used go into the
    notebook's metadata (`fmnist_course_cpu_seconds`) when it reports them.

    Args:
        notebook: The notebook to run (modified in place).
        cwd: Working directory of the kernel.
        fast: Set `FMNIST_FAST=1` for the kernel (unset it otherwise).
        timeout: A hard limit in seconds per cell, however busy (`None`: none).
        allow_errors: Keep going after a failing cell instead of raising.
        name: Shown in error messages.
        silence_limit: Seconds a cell may go without output (`None`: no limit).
        progress: Reports the running cell and epoch (`None`: no report).
        kernel_name: The Jupyter kernel to run it in.
        extensions: IPython extensions the kernel loads before the first cell
            (`--ext`), e.g. `fmnist_course.figure_text`.
        environment: Variables set in the kernel's environment on top of
            `kernel_environment`'s, e.g. `settings.thread_environment(1)`.
        cancel: Once set (by another thread), the running cell is stopped,
            the kernel shut down, and `LessonCancelled` raised.

    Raises:
        LessonCancelled: `cancel` was set before the last cell ended.
        LessonError: A cell raised, timed out or went silent for too long
            (a cell that raised stops the run unless `allow_errors`).

    Examples:
        >>> notebook = read_lesson("lessons/00_the_data.py")  # doctest: +SKIP
        >>> execute_notebook(notebook, silence_limit=600)  # doctest: +SKIP

    """
    client = WatchedNotebookClient(
        notebook,
        silence_limit=silence_limit,
        progress=progress,
        timeout=timeout,
        kernel_name=kernel_name,
        extra_arguments=[f"--ext={extension}" for extension in extensions],
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}},
        cancel=cancel,
    )
    try:
        client.execute(env=kernel_environment(fast=fast, environment=environment))
    except CellCancelledError as error:
        raise LessonCancelled(f"{name} was stopped before its end:\n{error}") from None
    except (CellExecutionError, CellTimeoutError) as error:  # silence too
        raise LessonError(f"{name} failed:\n{error}") from None
    finally:
        drop_backend_noise(notebook)
    if client.kernel_cpu_seconds is not None:
        notebook.metadata[CPU_FIELD] = round(client.kernel_cpu_seconds, 1)
    return notebook


def drop_backend_noise(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove TensorFlow's start-up chatter from stderr outputs (in place)."""
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                kept = [line for line in lines if not BACKEND_NOISE.search(line)]
                if not "".join(kept).strip():
                    continue
                output["text"] = "".join(kept)
            outputs.append(output)
        if "outputs" in cell:
            cell["outputs"] = outputs
    return notebook


def machine_summary() -> str:
    """A one-line description of this machine: CPU model and usable cores."""
    cpu_model = read_cpuinfo().get("model name", "unknown CPU")
    return f"{cpu_model}, {logical_cores()} cores"


def _refresh_markdown(target: Path, lesson: nbformat.NotebookNode) -> None:
    """Copy the lesson's current prose into its cached execution.

    Only called when the cache key matches, so both have the same cells in the
    same order and the same code; the outputs stay.
    """
    executed = nbformat.read(target, as_version=4)
    changed = False
    for cached_cell, cell in zip(executed.cells, lesson.cells, strict=True):
        if cell.cell_type == "markdown" and cached_cell.source != cell.source:
            cached_cell.source = cell.source
            changed = True
    if changed:
        partial = target.with_suffix(".ipynb.partial")
        nbformat.write(executed, partial)
        os.replace(partial, target)


def executed_path(
    path: str | os.PathLike,
    *,
    fast: bool,
    output_dir: str | os.PathLike | None = None,
) -> Path:
    """Where `execute_lesson` keeps a lesson's executed notebook.

    Examples:
        >>> executed_path("lessons/01_dense_baseline.py", fast=True).parts[-3:]
        ('executed', 'fast', '01_dense_baseline.ipynb')

    """
    output_dir = Path(output_dir or EXECUTED_DIR / ("fast" if fast else "full"))
    return output_dir / f"{Path(path).stem}.ipynb"


def cached_execution(
    path: str | os.PathLike,
    *,
    fast: bool,
    output_dir: str | os.PathLike | None = None,
) -> Path | None:
    """The executed notebook of a lesson if it is current, else `None`.

    Current means its cache key (`cache_key`) matches the lesson as it is now:
    `execute_lesson` then reuses it instead of running the lesson again.

    Examples:
        >>> cached_execution("lessons/01_dense_baseline.py", fast=True)  # doctest: +SKIP
        PosixPath('build/executed/fast/01_dense_baseline.ipynb')

    """  # noqa: E501
    target = executed_path(path, fast=fast, output_dir=output_dir)
    if not target.is_file():
        return None
    try:
        metadata = json.loads(target.read_text(encoding="utf-8")).get("metadata", {})
    except json.JSONDecodeError:
        return None
    return target if metadata.get(CACHE_KEY_FIELD) == cache_key(path, fast) else None


def execute_lesson(
    path: str | os.PathLike,
    *,
    fast: bool = True,
    output_dir: str | os.PathLike | None = None,
    force: bool = False,
    timeout: int | None = None,
    silence_limit: float | None = SILENCE_LIMIT,
    report: Callable[[str], None] | None = report_to_stderr,
    environment: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Execute a lesson script and return the path of the executed notebook.

    The notebook is the lesson with the setup cell first (`add_setup_cell`),
    as students get it; in this checkout's kernel the cell does nothing.
    The kernel records the words of each figure it displays in the output's
    metadata (`fmnist_course.figure_text`), for the site's alt text.
    An executed notebook whose cache key matches is reused unless `force`;
    its markdown cells are refreshed from the lesson, so a fix to the prose
    shows without running the lesson again. A lesson is written only once it
    has run to the end, so after a failure a rerun resumes with the first
    lesson not yet executed.

    Args:
        path: The lesson `.py` file.
        fast: Run with `FMNIST_FAST=1` (small subset, one or two epochs).
        output_dir: Where executed notebooks go; defaults to
            `build/executed/fast` or `build/executed/full`.
        force: Execute even when a cached result matches.
        timeout: A hard limit in seconds per cell (`None`, the default: none).
        silence_limit: Seconds a cell may run without printing anything before
            it is stopped as stuck (`None`: no limit).
        report: Called with progress lines while the lesson runs: the cell,
            the epoch and the time left in a training (`None`: silent).
        environment: Extra variables for the kernel, e.g. its share of the
            cores (`fmnist_course.settings.thread_environment`).
        cancel: Stops the lesson, and its kernel, once set from another thread.

    Returns:
        The executed `.ipynb`, named after the lesson. Its metadata records the
        execution's wall time in seconds (`fmnist_course_runtime_seconds`),
        the CPU seconds its kernel used (`fmnist_course_cpu_seconds`, where
        the kernel reports them) and the machine it ran on
        (`fmnist_course_machine`).

    Raises:
        LessonCancelled: `cancel` was set before the lesson ended; no notebook
            is written.
        LessonError: A cell raised, timed out or went silent for too long; no
            notebook is written.

    Examples:
        >>> execute_lesson("lessons/00_the_data.py", report=None)  # doctest: +SKIP
        PosixPath('build/executed/fast/00_the_data.ipynb')

    """
    path = Path(path)
    target = executed_path(path, fast=fast, output_dir=output_dir)
    if not force and cached_execution(path, fast=fast, output_dir=output_dir):
        lesson = read_lesson(path)
        cached = json.loads(target.read_text(encoding="utf-8"))
        if any(  # executed with the setup cell, as this library runs lessons
            "".join(cell.get("source", "")).startswith(SETUP_CELL_MARKER)
            for cell in cached.get("cells", [])
        ):
            lesson = add_setup_cell(lesson)
        _refresh_markdown(target, lesson)
        return target
    key = cache_key(path, fast)
    output_dir = target.parent
    notebook = add_setup_cell(read_lesson(path))
    progress = None if report is None else LessonProgress(path.stem, report=report)
    mode = "fast" if fast else "full"
    if report is not None:
        report(f"{path.stem}: executing in {mode} mode")
    start = time.perf_counter()
    execute_notebook(
        notebook,
        fast=fast,
        timeout=timeout,
        name=str(path),
        silence_limit=silence_limit,
        progress=progress,
        extensions=(LESSON_KERNEL_EXTENSION,),
        environment=environment,
        cancel=cancel,
    )
    notebook.metadata[RUNTIME_FIELD] = round(time.perf_counter() - start, 1)
    notebook.metadata[MACHINE_FIELD] = machine_summary()
    notebook.metadata[CACHE_KEY_FIELD] = key
    output_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".ipynb.partial")
    nbformat.write(notebook, partial)
    os.replace(partial, target)
    if report is not None:
        minutes = notebook.metadata[RUNTIME_FIELD] / 60
        report(f"{path.stem}: done in {minutes:.1f} min ({mode} mode)")
    return target
