"""The student notebooks in `notebooks/`: what "Open in Colab" opens.

Each lesson `lessons/NN_name.py` (the instructor version, with solutions)
becomes `notebooks/NN_name.ipynb`: solutions replaced by stubs
(`strip_solutions`), the setup cell first (`add_setup_cell`), no outputs,
stable cell ids. They are committed, so Colab can open them from the
repository; `build_student_notebooks` writes them (`fmnist-course notebooks
build`, `make notebooks`) and `stale_student_notebooks` says which differ from
what the lessons give (a test fails on any). They are generated: never edit
them by hand.

Examples:
    >>> colab_url("01_dense_baseline")
    'https://colab.research.google.com/github/fmnist-course/fmnist-course/blob/main/notebooks/01_dense_baseline.ipynb'
    >>> download_url("01_dense_baseline", branch="v0.1.0")
    'https://raw.githubusercontent.com/fmnist-course/fmnist-course/v0.1.0/notebooks/01_dense_baseline.ipynb'

"""  # noqa: E501

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from fmnist_course._version import REPOSITORY_URL
from fmnist_course.authoring.lesson_files import (
    LESSONS_DIR,
    REPO_ROOT,
    lesson_paths,
    read_lesson,
)
from fmnist_course.authoring.setup_cell import add_setup_cell, is_setup_cell
from fmnist_course.authoring.solutions import strip_solutions
from fmnist_course.errors import UserError

NOTEBOOKS_FOLDER = "notebooks"
"""Where the student notebooks live, relative to the repository root."""

STUDENT_NOTEBOOKS_DIR = REPO_ROOT / NOTEBOOKS_FOLDER
"""The committed student notebooks of this checkout."""

GENERATED_FIELD = "fmnist_course_student_notebook"
"""Notebook metadata that marks a file written by `build_student_notebooks`."""

DEFAULT_BRANCH = "main"


def student_notebook(lesson: str | os.PathLike) -> nbformat.NotebookNode:
    """The student version of a lesson: no solutions, the setup cell, no outputs.

    Args:
        lesson: The lesson's percent-format `.py` file.

    Returns:
        A new notebook, with cell ids numbered from the lesson's number so that
        building it twice gives the same file.

    Raises:
        FileNotFoundError: There is no such lesson.
        ValueError: The lesson's solution markers are malformed.

    Examples:
        >>> notebook = student_notebook("lessons/03_dropout.py")  # doctest: +SKIP
        >>> "### BEGIN SOLUTION" in str(notebook)  # doctest: +SKIP
        False

    """
    lesson = Path(lesson)
    notebook = add_setup_cell(strip_solutions(read_lesson(lesson)))
    for number, cell in enumerate(notebook.cells):
        cell.id = f"{lesson.stem[:2]}-{number:03d}"
        cell.metadata = cell.metadata if is_setup_cell(cell) else {}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        },
        "language_info": {"name": "python"},
        GENERATED_FIELD: lesson.name,
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


def _text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def build_student_notebooks(
    out_dir: str | os.PathLike = STUDENT_NOTEBOOKS_DIR,
    lessons_dir: str | os.PathLike = LESSONS_DIR,
) -> list[Path]:
    """Write the student notebook of every lesson into `out_dir`.

    `out_dir` is the generator's own folder: each `NN_name.ipynb` in it is
    overwritten with the student version of `lessons_dir/NN_name.py`, and a
    notebook this function wrote for a lesson that no longer exists is
    removed. Any other file there (one without the generator's metadata mark)
    is left alone; a file of a lesson's name without the mark is not
    overwritten.

    Args:
        out_dir: Where the notebooks go; created if needed.
        lessons_dir: Where the `NN_name.py` lessons are.

    Returns:
        The notebooks written, in course order.

    Raises:
        UserError: `lessons_dir` holds no lesson (the lessons are in a checkout
            of the repository, not in an installed course), or a notebook of a
            lesson's name there was not written by this function.

    Examples:
        >>> build_student_notebooks("notebooks")  # doctest: +SKIP
        [PosixPath('notebooks/00_the_data.ipynb'), ...]

    """
    lessons = _lessons(lessons_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in lessons:
        target = out_dir / f"{lesson.stem}.ipynb"
        if target.exists() and _generated_from(target) is None:
            raise UserError(
                f"{target} was not written by `fmnist-course notebooks build` "
                "(it lacks the generator's mark), so it is not overwritten. "
                "Move it elsewhere and build again."
            )
        partial = target.with_suffix(".ipynb.partial")
        partial.write_text(_text(student_notebook(lesson)), encoding="utf-8")
        os.replace(partial, target)
        written.append(target)
    for orphan in _orphans(out_dir, lessons):
        orphan.unlink()
    return written


def stale_student_notebooks(
    out_dir: str | os.PathLike = STUDENT_NOTEBOOKS_DIR,
    lessons_dir: str | os.PathLike = LESSONS_DIR,
) -> list[str]:
    """What differs between `out_dir` and the student notebooks the lessons give.

    Returns:
        One line per problem (a missing, outdated or orphaned notebook); empty
        when `out_dir` is up to date.

    Raises:
        UserError: `lessons_dir` holds no lesson.

    Examples:
        >>> stale_student_notebooks()  # doctest: +SKIP
        []

    """
    lessons = _lessons(lessons_dir)
    out_dir = Path(out_dir)
    problems = []
    for lesson in lessons:
        target = out_dir / f"{lesson.stem}.ipynb"
        if not target.is_file():
            problems.append(f"{target} is missing")
        elif target.read_text(encoding="utf-8") != _text(student_notebook(lesson)):
            problems.append(f"{target} is out of date with {lesson}")
    problems += [f"{orphan} has no lesson" for orphan in _orphans(out_dir, lessons)]
    return problems


def _lessons(lessons_dir: str | os.PathLike) -> list[Path]:
    lessons = lesson_paths(lessons_dir)
    if not lessons:
        raise UserError(
            f"No lessons (NN_name.py) in {lessons_dir}. The lessons are in a "
            f"checkout of the repository ({REPOSITORY_URL}), not in an "
            "installed course: run this in the checkout."
        )
    return lessons


def _generated_from(path: Path) -> str | None:
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # unreadable: not ours
        return None
    return notebook.metadata.get(GENERATED_FIELD)


def _orphans(out_dir: Path, lessons: list[Path]) -> list[Path]:
    names = {f"{lesson.stem}.ipynb" for lesson in lessons}
    return [
        path
        for path in sorted(out_dir.glob("[0-9][0-9]_*.ipynb"))
        if path.name not in names and _generated_from(path) is not None
    ]


def _github_repository(repo_url: str) -> str:
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)/?", repo_url or "")
    if not match:
        raise ValueError(
            "Expected a repository address https://github.com/OWNER/NAME. "
            f"Received: repo_url={repo_url!r}"
        )
    return match.group(1)


def colab_url(
    stem: str, repo_url: str = REPOSITORY_URL, branch: str = DEFAULT_BRANCH
) -> str:
    """The "Open in Colab" address of a lesson's student notebook.

    Instructor versions (`lessons/*.ipynb`, with solutions) get no such link.

    Args:
        stem: The lesson's name without suffix, e.g. `"03_dropout"`.
        repo_url: The GitHub repository (`repo_url` of `mkdocs.yml`).
        branch: The branch or tag to open.

    Raises:
        ValueError: `repo_url` is not a `https://github.com/OWNER/NAME` address.

    Examples:
        >>> colab_url("03_dropout", "https://github.com/owner/name/", branch="dev")
        'https://colab.research.google.com/github/owner/name/blob/dev/notebooks/03_dropout.ipynb'

    """  # noqa: E501
    return (
        f"https://colab.research.google.com/github/{_github_repository(repo_url)}"
        f"/blob/{branch}/{NOTEBOOKS_FOLDER}/{stem}.ipynb"
    )


def download_url(
    stem: str, repo_url: str = REPOSITORY_URL, branch: str = DEFAULT_BRANCH
) -> str:
    """The address of a lesson's student notebook file, to download it.

    Args:
        stem: The lesson's name without suffix, e.g. `"03_dropout"`.
        repo_url: The GitHub repository (`repo_url` of `mkdocs.yml`).
        branch: The branch or tag to download from.

    Raises:
        ValueError: `repo_url` is not a `https://github.com/OWNER/NAME` address.

    Examples:
        >>> download_url("03_dropout", "https://github.com/owner/name")
        'https://raw.githubusercontent.com/owner/name/main/notebooks/03_dropout.ipynb'

    """
    return (
        f"https://raw.githubusercontent.com/{_github_repository(repo_url)}"
        f"/{branch}/{NOTEBOOKS_FOLDER}/{stem}.ipynb"
    )
