"""What a class handed in: one student per notebook, or per folder of notebooks.

`find_submissions` names the students of the paths given to `grade`, and
`submission_digest` fingerprints what a student handed in, so a resumed
grading regrades a student whose files changed and nobody else.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path


def submission_digest(notebooks: list) -> str:
    """SHA-256 of a student's files (names and bytes), to tell a changed one.

    Examples:
        >>> submission_digest([["a.ipynb", b"{}"]])[:12]
        '1b45a4c54548'

    """
    digest = hashlib.sha256()
    for name, data in sorted(notebooks, key=lambda item: item[0]):
        digest.update(name.encode() + b"\0" + bytes(data) + b"\0")
    return digest.hexdigest()


# --- on the client ------------------------------------------------------------


def find_submissions(paths: Iterable[str | os.PathLike]) -> dict[str, list[Path]]:
    """Students and their notebooks, from files and folders.

    A `.ipynb` (or any file) given is one student, named by its stem. A folder
    given holds submissions: each file in it is one student (named by its
    stem), each sub-folder is one student (named by the folder) whose
    notebooks are all its `*.ipynb`.

    Raises:
        FileNotFoundError: A path does not exist, or there is nothing to grade.
        ValueError: Two submissions would have the same student name.

    Examples:
        >>> find_submissions(["submissions/"])  # doctest: +SKIP
        {'ada': [PosixPath('submissions/ada.ipynb')], 'bob': [...]}

    """
    students: dict[str, list[Path]] = {}

    def add(name: str, files: list[Path]) -> None:
        if name in students:
            raise ValueError(
                f"Two submissions would both be graded as student {name!r}: "
                f"{students[name][0]} and {files[0] if files else name}. Rename one "
                "(a file's or folder's name is the student's name)."
            )
        students[name] = files

    for item in map(Path, paths):
        if item.is_dir():
            for child in sorted(item.iterdir()):
                if child.is_dir():
                    add(
                        child.name,
                        sorted(p for p in child.glob("*.ipynb") if p.is_file()),
                    )
                elif child.is_file() and not child.name.startswith("."):
                    add(child.stem, [child])
        elif item.is_file():
            add(item.stem, [item])
        else:
            raise FileNotFoundError(f"No submission at {item}.")
    if not students:
        raise FileNotFoundError(
            "No submissions to grade. Expected .ipynb files, or folders of them."
        )
    return students
