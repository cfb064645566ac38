"""An assignment: which exercises count, their points, titles, and graded checks.

`fmnist-course exercises build --out DIR` writes `DIR/assignment.json` and
`DIR/graded/*.py`. The JSON lists the exercises in course order with their
title, lesson, notebook and points (1 each; edit them to weigh exercises).
The `graded/` files are the instructor's checks: plain expected values and
hidden inputs, which are not part of the `fmnist_course` package students
install. A graded check is a function decorated with `graded`. Every exercise
an assignment scores needs one: a self-check helps a student, it never decides
a grade, so an exercise without a graded check is refused, never scored by
its self-check. A graded check may call shared check code (the self-check's
own functions, say, for a model judged on the grader's images), but it says
so, in `graded/`.

An answer that is a function is called inside the sandbox on the inputs the
graded check lists as `probes`, and the check receives a stand-in that
replays those outputs.

Examples:
    >>> @graded("99-demo", probes={"double": [(3,), (4,)]})
    ... def check_demo(double):
    ...     expect(double(3) == 6, "double(3) is not 6.")
    >>> check_demo.graded_exercise
    '99-demo'

"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fmnist_course.exercises.registry import expect

ASSIGNMENT_FILE = "assignment.json"
GRADED_DIR = "graded"
FORMAT_VERSION = 1

__all__ = [
    "ASSIGNMENT_FILE",
    "GRADED_DIR",
    "graded",
    "expect",
    "write_assignment",
    "load_assignment",
    "graded_checks",
]


def graded(
    exercise_id: str,
    *,
    probes: dict[str, list[tuple]] | None = None,
    hint: str | None = None,
) -> Callable:
    """Mark a function in an instructor's `graded/*.py` as an exercise's graded check.

    Args:
        exercise_id: The exercise it grades.
        probes: For answers that are functions: the argument's name (as in the
            check's signature) mapped to the calls to make, each a tuple of
            positional arguments.
        hint: Shown when the answer fails; defaults to the self-check's hint.

    Returns:
        The decorator; the function is returned unchanged but tagged.

    Examples:
        >>> @graded("99-answer")
        ... def check_answer(answer):
        ...     expect(answer == 42, f"{answer!r} is not the answer yet.")
        >>> check_answer.graded_probes
        {}

    """

    def tag(function: Callable) -> Callable:
        names = list(inspect.signature(function).parameters)
        unknown = set(probes or {}) - set(names)
        if unknown:
            raise ValueError(
                f"Graded check of {exercise_id!r}: probes name {sorted(unknown)}, "
                f"which are not among its arguments {names}."
            )
        function.graded_exercise = exercise_id
        function.graded_hint = hint
        function.graded_probes = {
            name: {"position": names.index(name), "calls": [tuple(c) for c in calls]}
            for name, calls in (probes or {}).items()
        }
        return function

    return tag


def graded_checks(assignment: dict) -> dict[str, Callable]:
    """The instructor's graded check of each exercise of the assignment.

    Executes the assignment's `graded/*.py` sources (instructor code) in fresh
    namespaces.

    Args:
        assignment: As returned by `load_assignment`.

    Returns:
        One function per exercise id of the assignment.

    Raises:
        ValueError: Exercises have no graded check (the message names every
            one, and how to add it), or two graded checks name the same
            exercise.

    """
    found: dict[str, Callable] = {}
    for name, source in sorted(assignment.get("checks", {}).items()):
        namespace: dict[str, Any] = {"__name__": f"fmnist_graded_{Path(name).stem}"}
        exec(compile(source, f"{GRADED_DIR}/{name}", "exec"), namespace)  # noqa: S102
        for value in namespace.values():
            exercise_id = getattr(value, "graded_exercise", None)
            if exercise_id is None:
                continue
            if exercise_id in found and found[exercise_id] is not value:
                raise ValueError(f"Two graded checks for {exercise_id!r} ({name}).")
            found[exercise_id] = value
    ids = [entry["id"] for entry in assignment["exercises"]]
    missing = [exercise_id for exercise_id in ids if exercise_id not in found]
    if missing:
        names = ", ".join(repr(exercise_id) for exercise_id in missing)
        raise ValueError(
            f"{len(missing)} exercise(s) have no graded check: {names}. A self-check "
            "never decides a grade. Add to graded/lesson_NN.py of each lesson a "
            "function decorated with @graded('NN-name') that reaches its verdict "
            "from what the grader controls (its own inputs, the student's model "
            "or function), or take the exercise out of the assignment."
        )
    return {exercise_id: found[exercise_id] for exercise_id in ids}


def probes_of(checks: dict[str, Callable]) -> dict[str, dict[str, list]]:
    """The inputs for function answers: `{id: {position or name: [args, ...]}}`."""
    probes: dict[str, dict[str, list]] = {}
    for exercise_id, check in checks.items():
        for name, spec in getattr(check, "graded_probes", {}).items():
            entry = probes.setdefault(exercise_id, {})
            entry[name] = spec["calls"]
            entry[str(spec["position"])] = spec["calls"]
    return probes


def validate_assignment(
    exercises: list[dict], graded_sources: Iterable[str | os.PathLike]
) -> None:
    """Check that every exercise has a graded check, before anything is written.

    Raises:
        ValueError: Exercises have no graded check (the message names every
            one), or a graded check file is broken.

    """
    sources = [Path(source) for source in graded_sources]
    graded_checks(
        {
            "exercises": [{"id": e["id"]} for e in exercises],
            "checks": {s.name: s.read_text(encoding="utf-8") for s in sources},
        }
    )


def write_assignment(
    out_dir: str | os.PathLike,
    exercises: Iterable[dict],
    graded_sources: Iterable[str | os.PathLike],
) -> Path:
    """Write `assignment.json` and copy the graded checks into `out_dir/graded/`.

    Args:
        out_dir: The instructor build's directory.
        exercises: One mapping per exercise, in course order, with keys `id`,
            `title`, `lesson` and `notebook`.
        graded_sources: The instructor's graded check files to copy.

    Returns:
        The path of `assignment.json`.

    Examples:
        >>> write_assignment("handout", [{"id": "02-conv-params", "title": "Count",
        ...     "lesson": "02_convolutions", "notebook": "02_convolutions.ipynb"}], [])  # doctest: +SKIP

    """  # noqa: E501
    out_dir = Path(out_dir)
    graded_sources = [Path(source) for source in graded_sources]
    entries = [
        {
            "id": e["id"],
            "title": e["title"],
            "lesson": e["lesson"],
            "notebook": e["notebook"],
            "points": 1,
        }
        for e in exercises
    ]
    validate_assignment(entries, graded_sources)  # before writing anything
    graded_dir = out_dir / GRADED_DIR
    graded_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in graded_sources:
        shutil.copyfile(source, graded_dir / source.name)
        copied.append(source.name)
    document = {
        "format": FORMAT_VERSION,
        "exercises": entries,
        "graded_checks": sorted(copied),
    }
    path = out_dir / ASSIGNMENT_FILE
    with open(path, "x", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    return path


def load_assignment(directory: str | os.PathLike) -> dict:
    """Read an assignment as plain data: exercises, points and check sources.

    Args:
        directory: What `fmnist-course exercises build --out DIR` wrote (or
            its `assignment.json`).

    Returns:
        `{"exercises": [...], "checks": {file name: source}, "digest": ...}`,
        picklable, for grading on any worker.

    Raises:
        FileNotFoundError: No `assignment.json` there.
        ValueError: The file is not a valid assignment (the message says what).

    Examples:
        >>> assignment = load_assignment("handout")  # doctest: +SKIP
        >>> [e["id"] for e in assignment["exercises"]][:1]  # doctest: +SKIP
        ['00-scale-pixels']

    """
    directory = Path(directory)
    if directory.is_file():
        directory = directory.parent
    path = directory / ASSIGNMENT_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"No {ASSIGNMENT_FILE} in {directory}. Expected the directory written "
            "by `fmnist-course exercises build --out DIR`; build it, then pass "
            "--assignment DIR."
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(document, dict) or not isinstance(
        document.get("exercises"), list
    ):
        raise ValueError(f"{path}: expected an object with a list of 'exercises'.")
    exercises, seen = [], set()
    for number, entry in enumerate(document["exercises"]):
        where = f"{path}: exercise {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ValueError(f"{where}: expected an object with an 'id'.")
        points = entry.get("points", 1)
        if (
            not isinstance(points, int | float)
            or isinstance(points, bool)
            or not math.isfinite(points)
            or points < 0
        ):
            raise ValueError(f"{where}: expected points >= 0. Received: {points!r}")
        if entry["id"] in seen:
            raise ValueError(f"{where}: {entry['id']!r} is listed twice.")
        seen.add(entry["id"])
        exercises.append(
            {
                "id": entry["id"],
                "title": str(entry.get("title", "")),
                "lesson": str(entry.get("lesson", "")),
                "notebook": str(entry.get("notebook", "")),
                "points": points,
            }
        )
    checks = {}
    for name in document.get("graded_checks", []):
        source = directory / GRADED_DIR / Path(str(name)).name
        if not source.is_file():
            raise FileNotFoundError(f"{path} lists {source}, which is missing.")
        checks[source.name] = source.read_text(encoding="utf-8")
    digest = hashlib.sha256(
        json.dumps([exercises, checks], sort_keys=True).encode()
    ).hexdigest()
    return {"exercises": exercises, "checks": checks, "digest": digest}
