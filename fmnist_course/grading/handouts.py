"""Build the student and instructor notebooks of every lesson, and an index.

`build_exercises` reads each lesson script, writes the instructor notebook
(solutions included, each exercise cell tagged with nbgrader's solution
metadata) and the student notebook (solutions replaced by stubs, see
`fmnist_course.authoring.solutions.strip_solutions`), an index of the
exercises as Markdown and CSV, and the assignment that `fmnist-course grade`
scores against: `assignment.json` (exercises, titles, points) and the
instructor's graded checks, copied from the repository's `graded/` folder into
`graded/` (see `fmnist_course.grading.assignment`). It writes only into a
new (or empty) directory, so an instructor's edited notebooks are never
overwritten.

Examples:
    >>> paths = build_exercises("handout")  # doctest: +SKIP
    >>> sorted(p.name for p in paths["student"])[:1]  # doctest: +SKIP
    ['01_dense_baseline.ipynb']

"""

from __future__ import annotations

import ast
import copy
import csv
import os
from collections.abc import Iterable
from pathlib import Path

import nbformat

from fmnist_course.authoring.lesson_files import REPO_ROOT, lesson_paths, read_lesson
from fmnist_course.authoring.solutions import find_exercises, strip_solutions
from fmnist_course.grading.assignment import validate_assignment, write_assignment

GRADED_CHECKS_DIR = REPO_ROOT / "graded"
"""The instructor's graded checks, `lesson_NN.py`: not part of the package."""

INDEX_FIELDS = ("lesson", "exercise_id", "title", "student", "instructor")


def _nbgrader_metadata(exercise_id: str) -> dict:
    """Cell metadata that makes a cell an nbgrader "autograded answer" cell."""
    return {
        "grade": False,
        "grade_id": exercise_id,
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }


def instructor_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a lesson notebook with nbgrader metadata on its exercise cells.

    nbgrader's `generate_assignment` only strips regions from cells marked as
    solution cells; the metadata lets the notebook serve as an nbgrader source
    notebook as is, and is ignored by Jupyter otherwise.
    """
    result = copy.deepcopy(notebook)
    for exercise in find_exercises(result):
        cell = result.cells[exercise.cell_index]
        cell.metadata["nbgrader"] = _nbgrader_metadata(exercise.exercise_id)
    return result


NBGRADER_CONFIG = """\
# nbgrader's configuration for the course's lessons (written by
# `fmnist-course exercises build`). Run nbgrader from this folder.
c = get_config()
# Seconds per cell: enough for the lessons' fast mode (FMNIST_FAST=1, set it
# in nbgrader's environment); raise it for full-length training.
c.Execute.timeout = 900
"""


def _check_call(source: str, exercise_id: str) -> str:
    """The source of the cell's `check("ID", ...)` call."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "check"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == exercise_id
        ):
            return ast.get_source_segment(source, node)
    raise ValueError(f"No check({exercise_id!r}, ...) call in its cell.")


def nbgrader_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """An nbgrader source notebook: the instructor notebook plus test cells.

    After each exercise cell comes an "Autograder tests" cell (1 point) that
    asserts the exercise's own `check` call, so `nbgrader autograde` scores
    each exercise; without them nbgrader finds nothing to grade and gives 0.

    Examples:
        >>> from fmnist_course.authoring.execute import read_lesson
        >>> source = nbgrader_notebook(read_lesson("lessons/02_convolutions.py"))  # doctest: +SKIP

    """  # noqa: E501
    result = instructor_notebook(notebook)
    for exercise in reversed(find_exercises(result)):
        cell = result.cells[exercise.cell_index]
        call = _check_call(cell.source, exercise.exercise_id)
        test = nbformat.v4.new_code_cell(
            f'assert {call}, "{exercise.exercise_id} did not pass its check"'
        )
        test.metadata["nbgrader"] = {
            "grade": True,
            "grade_id": f"{exercise.exercise_id}-test",
            "locked": True,
            "points": 1,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
        result.cells.insert(exercise.cell_index + 1, test)
    return result


def _write_nbgrader(out_dir: Path, notebooks: list[tuple[Path, nbformat.NotebookNode]]):
    """An nbgrader course folder: `nbgrader_config.py` and `source/NN_name/`."""
    root = out_dir / "nbgrader"
    written = []
    for path, notebook in notebooks:
        target = root / "source" / path.stem / f"{path.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_notebook(notebook), target)
        written.append(target)
    config = root / "nbgrader_config.py"
    config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    return [config, *written]


def _new_output_dir(out_dir: Path) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(
                f"Expected a new directory for the exercises. Received a file: "
                f"{out_dir}. Choose another --out."
            )
        if any(out_dir.iterdir()):
            raise FileExistsError(
                f"{out_dir} already holds files; building there could overwrite "
                "edited notebooks. Choose a new --out directory (or move it away)."
            )
    out_dir.mkdir(parents=True, exist_ok=True)


def build_exercises(
    out_dir: str | os.PathLike,
    lessons: Iterable[str | os.PathLike] | None = None,
    graded_dir: str | os.PathLike | None = None,
) -> dict[str, list[Path]]:
    """Write student notebooks, instructor notebooks and an exercise index.

    Layout: `out_dir/student/NN_x.ipynb`, `out_dir/instructor/NN_x.ipynb`,
    `out_dir/index.md` and `out_dir/index.csv` (one row per exercise:
    lesson, exercise_id, title, student, instructor), `out_dir/assignment.json`
    and `out_dir/graded/lesson_NN.py`. Notebooks have no outputs.

    Args:
        out_dir: A directory that does not exist yet, or is empty.
        lessons: Lesson scripts; defaults to `fmnist_course.authoring.lesson_files.lesson_paths()`.
        graded_dir: Where the graded checks `lesson_NN.py` of the lessons are;
            defaults to the repository's `graded/`.

    Returns:
        The written paths, under the keys "student", "instructor", "index"
        and "assignment".

    Raises:
        FileExistsError: `out_dir` holds files already.
        FileNotFoundError: A lesson script is missing, or there are no lessons.
        ValueError: A lesson's exercise markup is broken (the message names the
            lesson and cell).

    Examples:
        >>> written = build_exercises("handout", ["lessons/02_first_cnn.py"])  # doctest: +SKIP
        >>> [p.name for p in written["index"]]  # doctest: +SKIP
        ['index.md', 'index.csv']

    """  # noqa: E501
    lessons = [Path(p) for p in (lesson_paths() if lessons is None else lessons)]
    if not lessons:
        raise FileNotFoundError(
            "No lesson scripts to build from. Expected lessons/NN_name.py files."
        )
    # Read and check every lesson before writing anything.
    prepared, originals = [], []
    for path in lessons:
        notebook = read_lesson(path)
        try:
            exercises = find_exercises(notebook)
            student = strip_solutions(notebook)
            if exercises:
                nbgrader_notebook(notebook)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        prepared.append((path, exercises, instructor_notebook(notebook), student))
        if exercises:
            originals.append((path, notebook))

    graded_dir = Path(graded_dir) if graded_dir is not None else GRADED_CHECKS_DIR
    sources = [
        graded_dir / f"lesson_{path.stem[:2]}.py"
        for path in lessons
        if (graded_dir / f"lesson_{path.stem[:2]}.py").is_file()
    ]
    every = [{"id": e.exercise_id} for _, found, _, _ in prepared for e in found]
    validate_assignment(every, sources)
    out_dir = Path(out_dir)
    _new_output_dir(out_dir)
    written: dict[str, list[Path]] = {"student": [], "instructor": [], "index": []}
    rows = []
    for path, exercises, instructor, student in prepared:
        name = f"{path.stem}.ipynb"
        for kind, notebook in (("student", student), ("instructor", instructor)):
            target = out_dir / kind / name
            target.parent.mkdir(exist_ok=True)
            nbformat.write(notebook, target)
            written[kind].append(target)
        rows.extend(
            {
                "lesson": path.stem,
                "exercise_id": exercise.exercise_id,
                "title": exercise.title,
                "student": f"student/{name}",
                "instructor": f"instructor/{name}",
            }
            for exercise in exercises
        )
    written["index"] = [
        _write_index_md(out_dir / "index.md", lessons, rows),
        _write_index_csv(out_dir / "index.csv", rows),
    ]
    exercises = [
        {
            "id": row["exercise_id"],
            "title": row["title"],
            "lesson": row["lesson"],
            "notebook": f"{row['lesson']}.ipynb",
        }
        for row in rows
    ]
    written["assignment"] = [write_assignment(out_dir, exercises, sources)]
    written["nbgrader"] = _write_nbgrader(out_dir, originals)
    return written


def _write_index_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "x", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_index_md(path: Path, lessons: list[Path], rows: list[dict]) -> Path:
    lines = [
        "# Exercises",
        "",
        f"{len(rows)} exercises in {len(lessons)} lessons. Hand out `student/`; "
        "keep `instructor/` (solutions) to yourself. Grade returned notebooks "
        "with `fmnist-course grade`.",
        "",
    ]
    for lesson in lessons:
        own = [row for row in rows if row["lesson"] == lesson.stem]
        lines += [
            f"## {lesson.stem}",
            "",
            f"Student notebook: `student/{lesson.stem}.ipynb`; "
            f"solutions: `instructor/{lesson.stem}.ipynb`.",
            "",
        ]
        if not own:
            lines += ["No exercises.", ""]
            continue
        lines += ["| exercise id | title |", "|---|---|"]
        lines += [
            f"| `{row['exercise_id']}` | {row['title'].replace('|', '/')} |"
            for row in own
        ]
        lines.append("")
    with open(path, "x", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return path
