r"""Find the exercises of a lesson notebook and make its student version.

An exercise is a code cell holding a solution region between nbgrader's
markers, `### BEGIN SOLUTION` and `### END SOLUTION`, and a
`check("NN-name", ...)` call that names it; the markdown cell before it is its
statement. `strip_solutions` replaces each region by a line that raises
`NotImplementedError`, keeping the indentation and the `check` call, so a
student sees where to write and how the answer is checked.

Both functions are pure: they read a notebook and return data or a new
notebook, and never touch files.

Examples:
    >>> import nbformat
    >>> notebook = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("### Exercise 1: Count\n\nCheck id: `02-conv-params`."),
    ...     nbformat.v4.new_code_cell(
    ...         "### BEGIN SOLUTION\nnum_params = 320\n### END SOLUTION\n"
    ...         'check("02-conv-params", num_params)'
    ...     ),
    ... ])
    >>> [e.exercise_id for e in find_exercises(notebook)]
    ['02-conv-params']
    >>> print(strip_solutions(notebook).cells[1].source)
    raise NotImplementedError("Exercise 02-conv-params: replace this line with your solution; the statement is just above.")
    check("02-conv-params", num_params)

"""  # noqa: E501

from __future__ import annotations

import copy
import re
import textwrap
from dataclasses import dataclass

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB_TEMPLATE = (
    'raise NotImplementedError("Exercise {exercise_id}: replace this line with '
    'your solution; the statement is just above.")'
)
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\d\d-[A-Za-z0-9_.-]+)["']""")


@dataclass(frozen=True)
class NotebookExercise:
    """An exercise as it appears in a lesson notebook.

    Attributes:
        exercise_id: The id passed to `check`, `NN-short-name`.
        title: The statement's first heading (or first line), without `#`.
        statement: The markdown cell before the exercise cell, from its last
            heading on ("" if none).
        solution: The code between the solution markers (all regions joined).
        cell_index: Index of the exercise's code cell in the notebook.

    """

    exercise_id: str
    title: str
    statement: str
    solution: str
    cell_index: int


def _solution_regions(source: str, where: str) -> list[tuple[int, int]]:
    """(begin, end) line indices of each solution region, markers included."""
    regions, begin = [], None
    for number, line in enumerate(source.splitlines()):
        if line.strip() == BEGIN_SOLUTION:
            if begin is not None:
                raise ValueError(
                    f"{where}: '{BEGIN_SOLUTION}' on line {number + 1} opens a "
                    f"region while the one from line {begin + 1} is still open. "
                    f"Close it with '{END_SOLUTION}'."
                )
            begin = number
        elif line.strip() == END_SOLUTION:
            if begin is None:
                raise ValueError(
                    f"{where}: '{END_SOLUTION}' on line {number + 1} has no "
                    f"'{BEGIN_SOLUTION}' before it."
                )
            regions.append((begin, number))
            begin = None
    if begin is not None:
        raise ValueError(
            f"{where}: '{BEGIN_SOLUTION}' on line {begin + 1} is never closed. "
            f"Add '{END_SOLUTION}' after the solution."
        )
    return regions


def _exercise_id(source: str, where: str) -> str:
    ids = list(dict.fromkeys(CHECK_CALL.findall(source)))
    if len(ids) != 1:
        found = f"found {ids}" if ids else "found none"
        raise ValueError(
            f'{where}: expected exactly one check("NN-name", ...) call next to '
            f"the solution region, naming the exercise; {found}. Add the call "
            "after '### END SOLUTION' (one exercise per cell)."
        )
    return ids[0]


def _own_statement(markdown: str) -> str:
    """The markdown from its last heading on: a cell may also hold the Summary."""
    lines = markdown.splitlines()
    headings = [i for i, line in enumerate(lines) if line.lstrip().startswith("#")]
    return "\n".join(lines[headings[-1] :] if headings else lines).strip()


def _title(statement: str) -> str:
    for line in statement.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()
    return ""


def find_exercises(notebook: nbformat.NotebookNode) -> list[NotebookExercise]:
    """The exercises of a notebook, in order.

    Args:
        notebook: A lesson notebook (e.g. from `fmnist_course.authoring.lesson_files.read_lesson`).

    Returns:
        One `NotebookExercise` per code cell holding a solution region.

    Raises:
        ValueError: Unbalanced markers, a solution cell without exactly one
            `check("NN-name", ...)` call, or an id used by two cells.

    Examples:
        >>> from fmnist_course.authoring.execute import read_lesson
        >>> exercises = find_exercises(read_lesson("lessons/01_dense_baseline.py"))  # doctest: +SKIP
        >>> exercises[0].exercise_id  # doctest: +SKIP
        '01-count-dense-params'

    """  # noqa: E501
    exercises: list[NotebookExercise] = []
    statement = ""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            statement = _own_statement(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        where = f"cell {index}"
        regions = _solution_regions(cell.source, where)
        if not regions:
            continue
        exercise_id = _exercise_id(cell.source, where)
        if any(e.exercise_id == exercise_id for e in exercises):
            raise ValueError(
                f"{where}: exercise {exercise_id!r} already has a solution cell; "
                "give each exercise its own id."
            )
        lines = cell.source.splitlines()
        solution = "\n".join(
            textwrap.dedent("\n".join(lines[begin + 1 : end])) for begin, end in regions
        )
        exercises.append(
            NotebookExercise(exercise_id, _title(statement), statement, solution, index)
        )
    return exercises


def strip_cell(source: str, exercise_id: str) -> str:
    r"""Replace each solution region of a cell's source by the stub line.

    Examples:
        >>> print(strip_cell(
        ...     "def f():\n    ### BEGIN SOLUTION\n    return 1\n"
        ...     "    ### END SOLUTION\ncheck('99-f', f)", "99-f"))
        def f():
            raise NotImplementedError("Exercise 99-f: replace this line with your solution; the statement is just above.")
        check('99-f', f)

    """  # noqa: E501
    lines = source.splitlines()
    stub = STUB_TEMPLATE.format(exercise_id=exercise_id)
    for begin, end in reversed(_solution_regions(source, exercise_id)):
        marker = lines[begin]
        indent = marker[: len(marker) - len(marker.lstrip())]
        lines[begin : end + 1] = [indent + stub]
    return "\n".join(lines)


def strip_solutions(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the student version of a notebook: every solution replaced by a stub.

    Each region between `### BEGIN SOLUTION` and `### END SOLUTION` becomes
    `raise NotImplementedError("Exercise ID: replace this line with your
    solution; the statement is just above.")` at the marker's indentation. The
    `check(...)` call and the rest of the cell stay; the cell's outputs and
    execution count are cleared, since they could give the answer away. The
    input notebook is not modified.

    Args:
        notebook: A notebook with solutions (the instructor version).

    Returns:
        A new notebook, the student version.

    Raises:
        ValueError: See `find_exercises`.

    Examples:
        >>> from fmnist_course.authoring.execute import read_lesson
        >>> student = strip_solutions(read_lesson("lessons/02_first_cnn.py"))  # doctest: +SKIP

    """  # noqa: E501
    exercises = find_exercises(notebook)
    student = copy.deepcopy(notebook)
    for exercise in exercises:
        cell = student.cells[exercise.cell_index]
        cell.source = strip_cell(cell.source, exercise.exercise_id)
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("nbgrader", None)
    return student
