r"""What a class handed in, read as hostile files.

`find_submissions` names the students of the paths given to `grade`: a file
is one student, named by its stem; in a folder, each file and each
sub-folder (all its `*.ipynb`) is one student. Nothing in a folder is
followed: a symbolic link, a hard link (a file with more than one name), a
FIFO or a device is refused, for that student only, with a problem row.
`read_notebook_bytes` checks a file's type and size on the open descriptor
before it reads a byte (`O_NOFOLLOW`, `fstat`). Students whose names would
collide (the same name, or the same feedback file name) get a problem row
each, and the rest of the class is graded.

`submission_digest` fingerprints what a student handed in, so a resumed
grading regrades a student whose files changed and nobody else.

Examples:
    >>> display_name("ada\nlovelace")
    'ada lovelace'

"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fmnist_course.errors import UserError
from fmnist_course.exercises.bounded_files import read_bounded
from fmnist_course.grading.feedback import safe_file_name

MAX_NOTEBOOK_BYTES = 20 * 2**20
"""The largest notebook read (a lesson with all its figures is a few MB)."""
MAX_STUDENT_BYTES = 64 * 2**20
MAX_NOTEBOOKS = 12
"""Notebooks graded per student (a course has nine lessons)."""
MAX_NAME = 100
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e]")


@dataclass
class Submission:
    """One student's files, or why none will be graded.

    Attributes:
        files: The notebooks to grade, in name order.
        problem: Why the student is not graded (empty when graded).
        note: Something graded only in part (extra notebooks left out), or
            graded under a feedback file name of its own.
        files_as: The feedback file's and executed folder's name when it
            differs from the plain one (see `files_as`).

    """

    files: list[Path] = field(default_factory=list)
    problem: str = ""
    note: str = ""
    files_as: str = ""


def display_name(name: str) -> str:
    r"""A student's name as tables and summaries show it: printable, bounded.

    Examples:
        >>> display_name("  bob\u202e  ")
        'bob'

    """
    name = os.fsencode(name).decode("utf-8", "replace")  # a name not in UTF-8
    text = " ".join(_UNPRINTABLE.sub(" ", unicodedata.normalize("NFC", name)).split())
    return text[:MAX_NAME] or "student"


def submission_digest(notebooks: list) -> str:
    """SHA-256 of a student's files (names and bytes), to tell a changed one.

    Examples:
        >>> submission_digest([["a.ipynb", b"{}"]])[:12]
        '1b45a4c54548'

    """
    digest = hashlib.sha256()
    for name, data in sorted(notebooks, key=lambda item: item[0]):
        digest.update(os.fsencode(name) + b"\0" + bytes(data) + b"\0")
    return digest.hexdigest()


def _kind(path: Path) -> str:
    """'' for a regular file with one name, else why it is refused."""
    try:
        status = os.lstat(path)
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if stat.S_ISLNK(status.st_mode):
        return "is a symbolic link"
    if not stat.S_ISREG(status.st_mode):
        return "is not a regular file"
    if status.st_nlink > 1:
        return "is a hard link (a file with more than one name)"
    return ""


def read_notebook_bytes(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """A submitted file's bytes, refused unless a plain, small regular file.

    Raises:
        UserError: A link, not a regular file, or over `limit` bytes (checked
            on the open descriptor, before reading).

    """
    try:
        return read_bounded(path, limit, single_link=True)
    except (OSError, ValueError) as error:
        raise UserError(str(error)) from None


def _folder(directory: Path) -> Submission:
    """A student's folder: its notebooks, or why it is refused."""
    refused, files = [], []
    with os.scandir(directory) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if not entry.name.endswith(".ipynb"):
                continue
            why = _kind(Path(entry.path))
            if why:
                refused.append(f"{display_name(entry.name)} {why}")
            else:
                files.append(Path(entry.path))
    if refused:
        return Submission(problem="refused: " + "; ".join(refused[:5]))
    if len(files) > MAX_NOTEBOOKS:
        left = ", ".join(display_name(f.name) for f in files[MAX_NOTEBOOKS:][:5])
        return Submission(
            files=files[:MAX_NOTEBOOKS],
            note=f"{len(files)} notebooks, over the limit of {MAX_NOTEBOOKS}: "
            f"not graded: {left}",
        )
    return Submission(files=files)


def find_submissions(paths: Iterable[str | os.PathLike]) -> dict[str, Submission]:
    """Students and their notebooks (or their problem), from files and folders.

    Raises:
        FileNotFoundError: A path given does not exist, or there is nothing
            to grade.

    Examples:
        >>> find_submissions(["submissions/"])  # doctest: +SKIP
        {'ada': Submission(files=[PosixPath('submissions/ada.ipynb')]), ...}

    """
    found: dict[str, list[tuple[str, Submission]]] = {}

    def add(name: str, where: str, submission: Submission) -> None:
        found.setdefault(display_name(name), []).append((where, submission))

    for item in map(Path, paths):
        if item.is_dir():
            with os.scandir(item) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    child = Path(entry.path)
                    if entry.name.startswith("."):
                        if entry.name.endswith(".ipynb") or (
                            entry.is_dir(follow_symlinks=False)
                            and entry.name != ".ipynb_checkpoints"
                        ):
                            add(
                                Path(entry.name.lstrip(".")).stem or entry.name,
                                entry.name,
                                Submission(
                                    problem=f"refused: {display_name(entry.name)} "
                                    "is a hidden name (it starts with a dot); "
                                    "rename it"
                                ),
                            )
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        add(entry.name, entry.name + "/", _folder(child))
                        continue
                    why = _kind(child)
                    name = child.stem if child.suffix else child.name
                    label = display_name(entry.name)
                    problem = f"refused: {label} {why}" if why else ""
                    add(name, entry.name, Submission([] if why else [child], problem))
        elif item.is_file() or item.is_symlink():
            why = _kind(item)
            problem = f"refused: {display_name(item.name)} {why}" if why else ""
            add(item.stem, item.name, Submission([] if why else [item], problem))
        else:
            raise FileNotFoundError(f"No submission at {item}.")
    if not found:
        raise FileNotFoundError(
            "No submissions to grade. Expected .ipynb files, or folders of them."
        )
    students: dict[str, Submission] = {}
    for name, entries in found.items():
        if len(entries) > 1:
            wheres = " and ".join(display_name(w) for w, _ in entries[:3])
            students[name] = Submission(
                problem=f"not graded: {wheres} would both be student {name!r}; "
                "rename one (a file's or folder's name is the student's name)"
            )
        else:
            students[name] = entries[0][1]
    by_file: dict[str, list[str]] = {}
    for name in students:  # case folded: Ada.md and ada.md are one file on a Mac
        by_file.setdefault(safe_file_name(name).casefold(), []).append(name)
    for names in by_file.values():
        if len(names) > 1:  # graded all the same, each under a file of its own
            for name in names:
                others = ", ".join(repr(n) for n in names if n != name)
                submission = students[name]
                submission.files_as = files_as(name, unique=False)
                submission.note = "; ".join(
                    n
                    for n in (
                        submission.note,
                        f"files written as {submission.files_as}: the name "
                        f"{safe_file_name(name)} is also {others}'s on a "
                        "case-blind disk",
                    )
                    if n
                )
    return students


def files_as(student: str, *, unique: bool = True) -> str:
    """The name of a student's feedback file and executed folder.

    The plain `safe_file_name` when no other student's name gives the same
    one; otherwise with a short digest of the full name, so that two names
    that differ only in case or in signs outside A-Z never share a file.

    Examples:
        >>> files_as("ada lovelace"), files_as("Ada", unique=False)
        ('ada_lovelace', 'Ada-99a563')

    """
    plain = safe_file_name(student)
    if unique:
        return plain
    mark = hashlib.sha256(student.encode("utf-8", "replace")).hexdigest()[:6]
    return f"{plain}-{mark}"


def read_student(submission: Submission) -> tuple[list[list], str]:
    """A student's `[file name, bytes]` pairs, or the reason they are refused."""
    notebooks, total = [], 0
    for path in submission.files:
        try:
            data = read_notebook_bytes(path)
        except UserError as error:
            return [], f"refused: {display_name(str(error))}"
        total += len(data)
        if total > MAX_STUDENT_BYTES:
            return [], (
                f"refused: the notebooks together are over {MAX_STUDENT_BYTES:,} bytes"
            )
        notebooks.append([display_name(path.name), data])
    return notebooks, ""
