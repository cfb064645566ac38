"""Lesson 08 says so when it trains its own model instead of reusing one.

It runs, in fast mode and in a folder without `runs/`, up to the cell that
looks for lesson 07's run; its output must say what it trains instead and
what that changes in the numbers its prose quotes. (Lessons 02 to 04 load
the models the course ships, so they never fall back.)
"""

import nbformat
import pytest

from fmnist_course.authoring.execute import execute_notebook
from fmnist_course.authoring.lesson_files import LESSONS_DIR, read_lesson


def run_until_fallback(stem, tmp_path):
    lesson = read_lesson(LESSONS_DIR / f"{stem}.py")
    code = [cell for cell in lesson.cells if cell.cell_type == "code"]
    last = next(i for i, cell in enumerate(code) if "No runs/" in cell.source)
    notebook = nbformat.v4.new_notebook(cells=code[: last + 1])
    execute_notebook(notebook, cwd=tmp_path, fast=True, name=stem)
    return "".join(
        output.get("text", "")
        for output in notebook.cells[-1].outputs
        if output.output_type == "stream"
    )


@pytest.mark.parametrize(
    "stem, expected",
    [
        (
            "08_using_the_model",
            [
                "No runs/lesson07-best-fast-* found (lesson 07 saves its model there)",
                "not lesson 07's ten-view model",
                "In the recorded full-mode runs the CNN reached",
                "more mistakes in 10,000 test images",
            ],
        ),
    ],
)
def test_a_lesson_says_when_it_trains_its_own_model(stem, expected, tmp_path):
    printed = run_until_fallback(stem, tmp_path)
    for text in expected:
        assert text in printed, printed
