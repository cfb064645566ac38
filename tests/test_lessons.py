"""Every lesson runs in fast mode, matches its notebook and follows the format."""

from __future__ import annotations

import ast
import re

import jupytext
import nbformat
import pytest

from fmnist_course.authoring.execute import execute_lesson
from fmnist_course.authoring.lesson_files import lesson_paths
from fmnist_course.authoring.solutions import BEGIN_SOLUTION as BEGIN
from fmnist_course.authoring.solutions import END_SOLUTION as END
from fmnist_course.exercises import EXERCISES

LESSONS = lesson_paths()
IDS = [path.stem for path in LESSONS]


def test_there_are_lessons():
    assert len(LESSONS) >= 4, [path.name for path in LESSONS]


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_lesson_runs_in_fast_mode(path):
    # A failing cell raises LessonError, whose message shows the cell and error.
    executed = execute_lesson(path, fast=True)
    notebook = nbformat.read(executed, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells and all(cell.get("execution_count") for cell in code_cells)
    errors = [
        output
        for cell in code_cells
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    printed = "".join(
        output.get("text", "")
        for cell in code_cells
        for output in cell.outputs
        if output.output_type == "stream"
    )
    # Every exercise's reference solution passes its own check.
    assert "❌" not in printed, printed[printed.index("❌") :][:500]


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_paired_notebook_is_in_sync_and_has_no_outputs(path):
    paired = path.with_suffix(".ipynb")
    assert paired.is_file(), f"Run: jupytext --to ipynb {path}"
    script, notebook = jupytext.read(path), jupytext.read(paired)
    assert _cells(script) == _cells(notebook), (
        f"{paired.name} is out of date. Run: jupytext --to ipynb {path}"
    )
    raw = nbformat.read(paired, as_version=4)
    for cell in raw.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_lesson_follows_the_format(path):
    notebook = jupytext.read(path)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert markdown and re.match(r"# \S", markdown[0]), "first cell must hold # Title"
    for part in ("**What you will learn**", "**Prerequisites**", "**Runtime**"):
        assert part in markdown[0], f"header lacks {part}"
    headings = [
        line
        for cell in markdown
        for line in cell.splitlines()
        if line.startswith("## ")
    ]
    assert "## Summary" in headings and "## Exercises" in headings
    assert headings.index("## Summary") < headings.index("## Exercises")
    # The site's table of contents drops inline code from a heading, and its
    # link then misses the heading's anchor: headings hold plain text only.
    code_headings = [
        line
        for cell in markdown
        for line in cell.splitlines()
        if line.startswith("#") and "`" in line
    ]
    assert not code_headings, f"inline code in headings: {code_headings}"

    check_ids = []
    for source in code:
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "check"
            ):
                assert node.args and isinstance(node.args[0], ast.Constant), source
                check_ids.append(node.args[0].value)
    assert len(check_ids) >= 2, f"only {len(check_ids)} check( calls"
    unknown = [item for item in check_ids if item not in EXERCISES]
    assert not unknown, f"ids not registered in EXERCISES: {unknown}"
    lesson_number = path.name[:2]
    assert all(item.startswith(f"{lesson_number}-") for item in check_ids)

    for source in code:
        lines = [line.strip() for line in source.splitlines()]
        markers = [line for line in lines if line in (BEGIN, END)]
        assert markers == [BEGIN, END] * (len(markers) // 2), (
            f"unbalanced solution markers in:\n{source}"
        )
        if "check(" in source and any(item in source for item in check_ids):
            assert BEGIN in lines, f"exercise cell without a solution region:\n{source}"
