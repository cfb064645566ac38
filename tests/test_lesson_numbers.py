"""Lesson prose types no measured number: measurements come from the record.

Every accuracy and runtime in a lesson's text is printed by a cell or rendered
from `benchmarks/results.json`, because a number typed by hand goes stale the
moment a recipe or a machine changes. This test reads the markdown cells of
every lesson and fails on a percentage or a duration that is not on the short
list of numbers that are settings or quotations, not measurements.
"""

import re

import jupytext
import pytest

from fmnist_course.authoring.lesson_files import lesson_paths
from fmnist_course.recipes import RECIPES

MEASURED = re.compile(
    r"\d[\d,]*(?:\.\d+)?\s?%"
    r"|\d[\d,]*(?:\.\d+)?\s?(?:seconds?|minutes?|hours?|min|s)\b"
)
"""A percentage, or a number of seconds, minutes or hours."""

NOT_MEASURED = {
    "87.46%": "the challenge notebook's own figure, quoted (anchors.py)",
    "10%": "the validation split, a setting (settings.VALIDATION_SPLIT)",
    "90%": "lesson 08: an example of a confident answer, not a measurement",
    "40%": "lesson 08: an example of an unsure answer, not a measurement",
}


def typed_numbers(text: str) -> list[str]:
    """The percentages and durations in `text` that are not settings or quotes.

    Examples:
        >>> typed_numbers("It scored 91.44% in 9.8 minutes, against 87.46%.")
        ['91.44%', '9.8 minutes']
    """
    return [
        match.group()
        for match in MEASURED.finditer(text)
        if match.group() not in NOT_MEASURED
    ]


def test_the_pattern_finds_typed_measurements():
    assert typed_numbers("reached 94.10% after 40 epochs, 398.7 s") == [
        "94.10%",
        "398.7 s",
    ]
    assert typed_numbers("took 10 to 22 seconds, 1.5 minutes, 2 hours") == [
        "22 seconds",
        "1.5 minutes",
        "2 hours",
    ]
    assert typed_numbers("holds out 10% of the images; 87.46% was reported") == []
    assert typed_numbers("40 epochs of 28x28 images, batch size 128") == []


@pytest.mark.parametrize("lesson", lesson_paths(), ids=lambda path: path.stem)
def test_lesson_prose_types_no_measured_number(lesson):
    notebook = jupytext.read(lesson)
    found = [
        (index, number)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown"
        for number in typed_numbers(cell.source)
    ]
    assert not found, (
        f"{lesson.name} types measured numbers in its prose (cell, number): "
        f"{found}. Print them from a cell or read them from "
        "fmnist_course.results.load_results() instead; a setting or a quotation "
        "goes on NOT_MEASURED with its reason."
    )


LADDER_LESSONS = {recipe.lesson: recipe for recipe in RECIPES.values() if recipe.lesson}
"""The recipe of each lesson on the ladder, by its two-digit number."""


@pytest.mark.parametrize(
    "lesson",
    [path for path in lesson_paths() if path.name[:2] in LADDER_LESSONS],
    ids=lambda path: path.stem,
)
def test_a_runtime_line_that_counts_epochs_counts_its_recipes(lesson):
    """Guards: a header's "N epochs" follows its recipe when the recipe changes."""
    header = jupytext.read(lesson).cells[0].source
    runtime = header[header.index("**Runtime**") :]
    counted = re.search(r"(\d+) epochs", runtime)
    recipe = LADDER_LESSONS[lesson.name[:2]]
    if counted is not None:
        assert int(counted.group(1)) == recipe.epochs, (
            f"{lesson.name}'s runtime line says {counted.group()}, but its recipe "
            f"{recipe.name!r} trains for {recipe.epochs} epochs. Change the line."
        )
