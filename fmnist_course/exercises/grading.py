"""Grade students' notebooks by running them and recording every `check` call.

Each submission is copied into a temporary directory (the original is never
modified) and executed in a fresh kernel, in fast mode by default, with
`FMNIST_CHECK_LOG` pointing at a temporary file: every `check` the notebook
runs appends its verdict there. A cell that raises does not stop the run; a
cell that runs past the timeout stops it, and what was checked before counts.
A file that is not a notebook becomes a row with an error. The results go to a
CSV table (one row per student, one column per exercise, 1 or 0, and a total)
and to one Markdown feedback file per student, next to the table.

Self-checks run inside the student's own kernel, so this grading suits
practice and formative feedback; it is not tamper-proof (see the instructor
guide for using nbgrader with hidden tests).

Examples:
    >>> grades = grade_submissions(["alice.ipynb", "bob.ipynb"], out_csv="grades.csv")  # doctest: +SKIP
    >>> grades[0].total  # doctest: +SKIP
    2

"""  # noqa: E501

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError

from fmnist_course.exercises.authoring import CHECK_CALL
from fmnist_course.exercises.registry import CHECK_LOG_ENV, EXERCISES
from fmnist_course.notebooks import LessonError, _environment, execute_notebook

FAST_TIMEOUT = 600
"""Default seconds per cell in fast mode: enough for a short training cell."""
FULL_TIMEOUT = 4 * 3600
"""Default seconds per cell with `fast=False`, where a cell may train for hours."""

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"


@dataclass
class ExerciseResult:
    """The outcome of one exercise for one student."""

    exercise_id: str
    status: str = NOT_ATTEMPTED
    message: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        """Whether the last `check` of this exercise passed."""
        return self.status == PASSED


@dataclass
class SubmissionGrade:
    """What grading one submission found.

    Attributes:
        student: The file's stem, used as the student's name.
        path: The submission as given.
        exercises: Results by exercise id (the exercises the notebook holds).
        errors: One line per cell that raised, `cell N: Name: message`.
        problem: Why the notebook could not be graded in full ("" if it ran
            to the end): not a notebook, a cell timed out, the kernel died.

    """

    student: str
    path: Path
    exercises: dict[str, ExerciseResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def total(self) -> int:
        """The number of exercises passed."""
        return sum(result.passed for result in self.exercises.values())


def _expected_ids(notebook: nbformat.NotebookNode) -> list[str]:
    """The exercises a notebook holds: its `check` calls, and its lessons' others."""
    ids = {
        match
        for cell in notebook.cells
        if cell.cell_type == "code"
        for match in CHECK_CALL.findall(cell.source)
    }
    lessons = {exercise_id.split("-", 1)[0] for exercise_id in ids}
    ids |= {key for key, entry in EXERCISES.items() if entry.lesson in lessons}
    return sorted(ids)


def _read_log(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a half-written line from a killed kernel
        if isinstance(record, dict) and "exercise" in record:
            records.append(record)
    return records


def _cell_errors(notebook: nbformat.NotebookNode) -> list[str]:
    errors = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = str(output.get("evalue", "")).strip().splitlines()
                first = message[0] if message else ""
                errors.append(f"cell {index}: {output.get('ename', 'Error')}: {first}")
    return errors


def _unfinished_cell(notebook: nbformat.NotebookNode) -> int | None:
    """Index of the first non-empty code cell whose execution did not finish.

    nbclient records when the kernel replied to each cell in
    `metadata.execution["shell.execute_reply"]`; the running cell has none.
    """
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if "shell.execute_reply" not in cell.metadata.get("execution", {}):
            return index
    return None


def grade_notebook(
    path: str | os.PathLike,
    *,
    timeout_per_cell: int | None = None,
    fast: bool = True,
) -> SubmissionGrade:
    """Run one submission on a copy and collect its check results.

    Never raises for a broken submission: problems are recorded in the result.

    Args:
        path: The student's `.ipynb`.
        timeout_per_cell: Seconds allowed per cell; defaults to `FAST_TIMEOUT`
            or `FULL_TIMEOUT`.
        fast: Run with `FMNIST_FAST=1` (small data subset, few epochs).

    Returns:
        The student's grade.

    Examples:
        >>> grade_notebook("submissions/alice.ipynb").total  # doctest: +SKIP
        2

    """
    path = Path(path)
    if timeout_per_cell is None:
        timeout_per_cell = FAST_TIMEOUT if fast else FULL_TIMEOUT
    grade = SubmissionGrade(student=path.stem, path=path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # unreadable, not JSON, not a notebook
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        grade.problem = (
            f"not a readable notebook ({type(error).__name__}: {reason}); "
            "expected a Jupyter .ipynb file"
        )
        return grade
    grade.exercises = {
        exercise_id: ExerciseResult(exercise_id)
        for exercise_id in _expected_ids(notebook)
    }
    with tempfile.TemporaryDirectory(prefix="fmnist-grade-") as workdir:
        workdir = Path(workdir)
        shutil.copy2(path, workdir / path.name)  # the kernel's files stay here
        log = workdir / ".fmnist-check-log.jsonl"
        try:
            with _environment(**{CHECK_LOG_ENV: str(log)}):
                execute_notebook(
                    notebook,
                    cwd=workdir,
                    fast=fast,
                    timeout=timeout_per_cell,
                    allow_errors=True,
                    name=path.name,
                )
        except LessonError as error:
            if isinstance(error.__context__, CellTimeoutError):
                cell = _unfinished_cell(notebook)
                grade.problem = (
                    f"cell {cell} ran past the {timeout_per_cell} s timeout; "
                    "graded up to that cell"
                )
            else:
                grade.problem = f"stopped: {str(error).splitlines()[0]}"
        except Exception as error:  # a dead kernel, a kernel that never started
            cell = _unfinished_cell(notebook)
            first = (str(error).strip().splitlines() or [""])[0][:200]
            grade.problem = (
                f"stopped at cell {cell}: {type(error).__name__}: {first}; "
                "graded up to that cell"
            )
        records = _read_log(log)
    grade.errors = _cell_errors(notebook)
    for record in records:  # the last check of an exercise counts
        exercise_id = str(record["exercise"])
        grade.exercises[exercise_id] = ExerciseResult(
            exercise_id,
            PASSED if record.get("passed") else FAILED,
            str(record.get("message", "")),
            str(record.get("hint", "")),
        )
    return grade


def _submission_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    result = []
    for item in paths:
        item = Path(item)
        if item.is_dir():
            result.extend(sorted(item.glob("*.ipynb")))
        elif item.exists():
            result.append(item)
        else:
            raise FileNotFoundError(f"No submission at {item}.")
    if not result:
        raise FileNotFoundError(
            "No submissions to grade. Expected .ipynb files or directories of them."
        )
    students: dict[str, Path] = {}
    for item in result:
        if item.stem in students:
            raise ValueError(
                f"Two submissions would both be graded as student {item.stem!r}: "
                f"{students[item.stem]} and {item}. Rename one (the file name is "
                "the student's name) or grade them separately."
            )
        students[item.stem] = item
    return result


def grade_submissions(
    paths: Iterable[str | os.PathLike],
    *,
    out_csv: str | os.PathLike,
    timeout_per_cell: int | None = None,
    fast: bool = True,
    progress: Callable[[SubmissionGrade], None] | None = None,
) -> list[SubmissionGrade]:
    """Grade notebooks; write a score table and one feedback file per student.

    Writes `out_csv` (columns: `student`, one per exercise with 1 or 0 (empty
    when the exercise is not in that student's notebook), `total`, `problem`)
    and `feedback/<student>.md` in the same directory. Submissions are run on
    copies and are never modified.

    Args:
        paths: `.ipynb` files, or directories whose `*.ipynb` are graded.
        out_csv: The table to write; must not exist yet.
        timeout_per_cell: Seconds allowed per cell; defaults to `FAST_TIMEOUT`
            (fast) or `FULL_TIMEOUT`.
        fast: Run notebooks with `FMNIST_FAST=1`, as students usually do while
            working; `False` runs full-length training (slow).
        progress: Called with each grade as soon as it is known.

    Returns:
        One grade per submission, in the order given.

    Raises:
        FileExistsError: `out_csv` or a feedback file exists already.
        FileNotFoundError: A submission path does not exist.
        ValueError: Two submissions have the same file name (student name).

    Examples:
        >>> grades = grade_submissions(["submissions/"], out_csv="grades.csv")  # doctest: +SKIP

    """  # noqa: E501
    submissions = _submission_paths(paths)
    out_csv = Path(out_csv)
    feedback_dir = out_csv.parent / "feedback"
    targets = [out_csv] + [feedback_dir / f"{p.stem}.md" for p in submissions]
    existing = [str(target) for target in targets if target.exists()]
    if existing:
        raise FileExistsError(
            f"Refusing to overwrite earlier grading output: {', '.join(existing)}. "
            "Choose another --out (its directory also gets feedback/)."
        )
    resolved = {p.resolve() for p in submissions}
    if out_csv.resolve() in resolved:
        raise ValueError(f"--out {out_csv} is one of the submissions.")
    grades = []
    for path in submissions:
        grade = grade_notebook(path, timeout_per_cell=timeout_per_cell, fast=fast)
        grades.append(grade)
        if progress is not None:
            progress(grade)
    write_table(grades, out_csv)
    feedback_dir.mkdir(parents=True, exist_ok=True)
    for grade in grades:
        with open(feedback_dir / f"{grade.student}.md", "x", encoding="utf-8") as f:
            f.write(feedback_markdown(grade))
    return grades


def write_table(grades: list[SubmissionGrade], out_csv: str | os.PathLike) -> Path:
    """Write the score table; refuse to overwrite an existing file."""
    ids = sorted({key for grade in grades for key in grade.exercises})
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "x", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *ids, "total", "problem"])
        for grade in grades:
            cells = [
                int(grade.exercises[key].passed) if key in grade.exercises else ""
                for key in ids
            ]
            writer.writerow([grade.student, *cells, grade.total, grade.problem])
    return out_csv


def feedback_markdown(grade: SubmissionGrade) -> str:
    """The feedback for one student: each exercise's verdict, hints and errors.

    Failed exercises show the check's message and hint, never the solution.
    """
    lines = [
        f"# Feedback for {grade.student}",
        "",
        f"Submission: `{grade.path.name}`. "
        f"Score: {grade.total} / {len(grade.exercises)} exercises passed.",
        "",
    ]
    if grade.problem:
        lines += [f"**Problem:** {grade.problem}.", ""]
    if grade.exercises:
        lines += ["## Exercises", ""]
    for exercise_id, result in sorted(grade.exercises.items()):
        if result.status == PASSED:
            lines.append(f"- ✅ `{exercise_id}`: passed.")
        elif result.status == FAILED:
            lines.append(f"- ❌ `{exercise_id}`: {result.message}")
            if result.hint:
                lines.append(f"  Hint: {result.hint}")
        else:
            stub = any(
                "NotImplementedError" in error and exercise_id in error
                for error in grade.errors
            )
            reason = (
                "the solution is still the stub"
                if stub
                else "its check never ran (the cell raised before it, did not "
                "run, or was removed)"
            )
            lines.append(f"- ⚪ `{exercise_id}`: not attempted: {reason}.")
    if grade.errors:
        lines += ["", "## Cells that raised an error", ""]
        lines += [f"- {error}" for error in grade.errors]
    return "\n".join(lines) + "\n"
