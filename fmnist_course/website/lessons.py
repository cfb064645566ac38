r"""Lesson pages: executed notebooks prepared for the site, with their header.

For each lesson the site shows its executed notebook as a page, prepared by
`prepare_notebook`: solutions replaced by stubs, exercise outputs dropped,
progress bars and long logs trimmed, TensorFlow's start-up messages removed,
and every figure given an alt text (`fmnist_course.website.figure_alt`).
Under the title, `lesson_header` adds the student downloads, an "Open in
Colab" badge and the measured runtime.

The lessons come from `lessons/`, or from `FMNIST_SITE_LESSONS_DIR` when set
(for tests); `site_lessons` is the one place that reads it.

Examples:
    >>> trim_stream("a\rb\n" * 3, max_lines=10)
    'b\nb\nb\n'

"""

from __future__ import annotations

import copy
import html
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from fmnist_course.authoring.execute import (
    MACHINE_FIELD,
    RUNTIME_FIELD,
    drop_backend_noise,
)
from fmnist_course.authoring.lesson_files import LESSONS_DIR, lesson_paths
from fmnist_course.authoring.solutions import BEGIN_SOLUTION, strip_solutions
from fmnist_course.authoring.student_notebooks import student_notebook
from fmnist_course.settings import is_fast_mode
from fmnist_course.website.figure_alt import add_alt_texts

LESSONS_DIR_VARIABLE = "FMNIST_SITE_LESSONS_DIR"
"""When set, the site publishes the lessons of this folder instead of `lessons/`."""

MAX_STREAM_LINES = 30


@dataclass(frozen=True)
class Lesson:
    """One lesson as the site sees it."""

    path: Path
    title: str

    @property
    def stem(self) -> str:
        """The file name without suffix, e.g. `01_dense_baseline`."""
        return self.path.stem


def site_mode() -> str:
    """The mode the lessons run in: `fast` under `FMNIST_FAST=1`, else `full`.

    The site reads the course's one fast-mode switch
    (`fmnist_course.settings.FAST_ENV`), so `FMNIST_FAST=1 mkdocs build`
    executes the lessons in fast mode, as `fmnist-course site build --fast` does.

    Examples:
        >>> os.environ.pop("FMNIST_FAST", None) and None
        >>> site_mode()
        'full'

    """
    return "fast" if is_fast_mode() else "full"


def site_lessons(lessons_dir: str | os.PathLike | None = None) -> list[Lesson]:
    """The lessons to publish, in course order, with their `# Title`.

    Args:
        lessons_dir: Where the `NN_*.py` lessons are; defaults to
            `FMNIST_SITE_LESSONS_DIR` or the repository's `lessons/`.

    Examples:
        >>> [lesson.stem for lesson in site_lessons()]  # doctest: +SKIP
        ['01_dense_baseline', '02_first_cnn']

    """
    lessons_dir = lessons_dir or os.environ.get(LESSONS_DIR_VARIABLE) or LESSONS_DIR
    return [
        Lesson(path, lesson_title(path.read_text(encoding="utf-8"), path.stem))
        for path in lesson_paths(lessons_dir)
    ]


def lesson_title(text: str, default: str) -> str:
    r"""The first `# Title` of a percent-format lesson's markdown, else `default`.

    Examples:
        >>> lesson_title("# %% [markdown]\n# # Dense baseline\n", "01_x")
        'Dense baseline'

    """
    match = re.search(r"^#\s+#\s+(.+?)\s*$", text, flags=re.MULTILINE)
    return match.group(1) if match else default


def trim_stream(text: str, max_lines: int = MAX_STREAM_LINES) -> str:
    r"""Keep what a reader needs from a stream output.

    Progress-bar redraws (`\r`, backspaces) keep their final state only, and a
    log longer than `max_lines` keeps its first and last lines around a note
    saying how many were left out.

    Examples:
        >>> trim_stream("".join(f"{i}\n" for i in range(6)), max_lines=4)
        '0\n1\n... (2 lines left out) ...\n4\n5\n'

    """
    while "\x08" in text:  # a backspace erases the character before it
        erased = re.sub("[^\x08\n]\x08", "", text).replace("\n\x08", "\n")
        erased = erased.lstrip("\x08")
        if erased == text:
            break
        text = erased
    lines = [
        line.rsplit("\r", 1)[-1] if "\r" in line else line for line in text.split("\n")
    ]
    ends_with_newline = text.endswith("\n")
    if ends_with_newline:
        lines = lines[:-1]
    if len(lines) > max_lines:
        head = max_lines // 2
        tail = max_lines - head
        lines = (
            lines[:head]
            + [f"... ({len(lines) - max_lines} lines left out) ..."]
            + lines[-tail:]
        )
    return "\n".join(lines) + ("\n" if ends_with_newline else "")


def strip_exercise_solutions(
    notebook: nbformat.NotebookNode,
) -> nbformat.NotebookNode:
    """The student version: solutions replaced by stubs, exercise outputs dropped.

    Uses `fmnist_course.authoring.solutions.strip_solutions` for the stubs;
    the outputs of the exercise cells are removed too, since they show the
    checks passing with the solution.

    Raises:
        ValueError: `strip_solutions` changed the number of cells.

    """
    exercise_cells = {
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and BEGIN_SOLUTION in cell.source
    }
    if not exercise_cells:
        return copy.deepcopy(notebook)
    student = strip_solutions(copy.deepcopy(notebook))
    if len(student.cells) != len(notebook.cells):
        raise ValueError(
            "Expected strip_solutions to keep the number of cells. "
            f"Received: {len(notebook.cells)} cells in, {len(student.cells)} out."
        )
    for index in exercise_cells:
        student.cells[index].outputs = []
        student.cells[index].execution_count = None
    return student


def prepare_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook as the site shows it (a new notebook).

    Student version of the exercises, trimmed logs, TensorFlow's start-up
    messages removed, no error output, an alt text for every figure.

    Raises:
        ValueError: A cell has an error output (the site never shows one), or
            a figure says nothing (see `figure_alt.add_alt_texts`).

    """
    prepared = drop_backend_noise(strip_exercise_solutions(notebook))
    for index, cell in enumerate(prepared.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.output_type == "error":
                raise ValueError(
                    f"Cell {index} has an error output ({output.ename}: "
                    f"{output.evalue}); the site never shows errors. Fix the "
                    "lesson and rebuild."
                )
        outputs = []
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = trim_stream(output.text)
                if not output.text.strip():
                    continue
            outputs.append(output)
        cell.outputs = outputs
    return add_alt_texts(prepared)


def student_sources(lesson: str | os.PathLike) -> tuple[str, str]:
    """The downloadable student `.ipynb` and `.py` of a lesson.

    The notebook is the committed student notebook's content
    (`fmnist_course.authoring.student_notebooks.student_notebook`: no solutions, no
    outputs, the setup cell first), so a download, the file in `notebooks/`
    and what "Open in Colab" opens are the same notebook.
    """
    student = student_notebook(lesson)
    return (
        nbformat.writes(student) + "\n",
        jupytext.writes(student, fmt="py:percent"),
    )


def format_seconds(seconds: float) -> str:
    """A runtime for people: `42 s`, `3 min 05 s`, `1 h 02 min`.

    Examples:
        >>> format_seconds(185.2)
        '3 min 05 s'

    """
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def runtime_text(metadata: dict[str, Any], mode: str) -> str:
    """The sentence about a lesson's measured runtime shown on its page.

    Examples:
        >>> runtime_text({"fmnist_course_runtime_seconds": 95,
        ...               "fmnist_course_machine": "AMD EPYC, 2 cores"}, "full")
        'Measured runtime: 1 min 35 s in full mode on AMD EPYC, 2 cores.'

    """
    seconds = metadata.get(RUNTIME_FIELD)
    if seconds is None:
        return "Runtime not measured yet (rebuild with --force to measure it)."
    machine = metadata.get(MACHINE_FIELD, "an unrecorded machine")
    text = f"Measured runtime: {format_seconds(seconds)} in {mode} mode on {machine}."
    if mode == "fast":
        text += (
            " This site was built in fast mode (a small subset, one or two "
            "epochs): its outputs and runtime are not the full lesson's."
        )
    return text


def lesson_header(
    *, ipynb_url: str, py_url: str, colab: str, runtime: str, stem: str
) -> str:
    """HTML inserted under a lesson's title: downloads, Colab badge, runtime."""
    return (
        '<div class="fmnist-lesson-header admonition info">\n'
        '<p class="admonition-title">Run this lesson yourself</p>\n<p>'
        f'<a class="md-button" href="{html.escape(ipynb_url)}" '
        f'download="{stem}.ipynb">Download notebook (.ipynb)</a> '
        f'<a class="md-button" href="{html.escape(py_url)}" '
        f'download="{stem}.py">Download script (.py)</a> '
        f'<a class="md-button fmnist-colab" href="{html.escape(colab)}">'
        "Open in Colab</a></p>\n"
        f"<p>{html.escape(runtime)}</p>\n</div>\n"
    )
