"""Where the lessons are, and how a lesson script reads as a notebook.

Lessons are jupytext percent-format scripts `lessons/NN_*.py`, the single
source of each lesson: the site's pages, the student notebooks and the
graders' handouts are all made from them. `LESSON_DEPENDENCIES` says which
lesson loads what another one saved, so that one runs after the other.

Examples:
    >>> [path.name for path in lesson_paths()][:2]
    ['00_the_data.py', '01_dense_baseline.py']
    >>> read_lesson(lesson_paths()[0]).cells[0].cell_type
    'markdown'

"""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout's root: lessons run with it as their working directory."""
LESSONS_DIR = REPO_ROOT / "lessons"

LESSON_DEPENDENCIES: dict[str, tuple[str, ...]] = {}
"""For each lesson, the lessons whose saved runs it loads, so must follow.

None today: a lesson that needs another lesson's trained model loads the
model the course ships instead (`fmnist_course.trained_models`), as lessons
02 to 04 and 07 do and as lesson 08 does with the best model, so every
lesson runs on its own. `fmnist-course site build` runs lessons side by
side and keeps any entry here in order: a lesson that loads what another
one saved under `runs/` must be listed, or, run beside that lesson, it would
load an older run or train again.
"""


def lesson_paths(lessons_dir: str | os.PathLike = LESSONS_DIR) -> list[Path]:
    """The lesson scripts `NN_*.py` in `lessons_dir`, in course order."""
    return sorted(Path(lessons_dir).glob("[0-9][0-9]_*.py"))


def read_lesson(path: str | os.PathLike) -> nbformat.NotebookNode:
    """Read a percent-format lesson script as a notebook (no outputs)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No lesson at {path}.")
    notebook = jupytext.read(path, fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook
