"""Grade a class's notebooks: sandboxed runs, scores from data, nothing lost.

For each student (a notebook, or a folder of notebooks), `grade_student` runs
every notebook in a bubblewrap sandbox (`fmnist_course.exercises.sandbox`)
with the assignment's limits, collects the answers its `check` calls exported
as data (`fmnist_course.exercises.export`), and scores them with the
instructor's graded checks in a fresh process of the grader
(`fmnist_course.exercises.scoring`). It takes bytes and plain data and returns
plain data, so it runs on any worker, local or on a cluster; only the client,
`grade_submissions`, writes files:

- `grades.jsonl`, the ledger: one line per student, appended as soon as the
  student is graded. A crash or Ctrl-C keeps every finished student;
  `resume=True` (`--resume`) skips them on the next run.
- `grades.csv` and `summary.md`, rendered from the ledger at the end.
- `feedback/<student>.md` and `executed/<student>/<notebook>.ipynb`, the
  notebook as it ran, for review.

Existing outputs are refused before grading starts, never after.

Examples:
    >>> records = grade_submissions(["submissions/"], assignment="handout",
    ...                             out_csv="grading/grades.csv")  # doctest: +SKIP
    >>> records[0]["total"]  # doctest: +SKIP
    2

"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import nbformat

from fmnist_course.errors import UserError
from fmnist_course.exercises import runner, scoring
from fmnist_course.exercises.assignment import load_assignment
from fmnist_course.exercises.authoring import CHECK_CALL
from fmnist_course.exercises.ledger import (
    check_outputs,
    latest_records,
    output_paths,
    read_ledger,
    write_new,
    write_student,
)
from fmnist_course.exercises.report import (
    render_csv,
    render_summary,
    safe_file_name,
)
from fmnist_course.exercises.sandbox import (
    Limits,
    SandboxUnavailable,
    run_limited,
    sandbox_problem,
)
from fmnist_course.exercises.submissions import find_submissions, submission_digest
from fmnist_course.notebooks import BACKEND_NOISE
from fmnist_course.parallel import (
    Progress,
    default_workers,
    open_executor,
    run_tasks,
    worker_count,
)

FAST_SECONDS = 900
"""Default seconds per notebook in fast mode (every cell together)."""
FULL_SECONDS = 6 * 3600
"""Default seconds per notebook with `fast=False`, where cells train for hours."""
SCORING_SECONDS = 600
"""Seconds the scoring of one student may take (some checks train a model)."""
MAX_NOTEBOOK_BYTES = 50 * 2**20
SANDBOX, NO_SANDBOX = "sandbox", "no-sandbox"


# --- on the worker --------------------------------------------------------------


def _first_line(error: BaseException) -> str:
    text = (str(error).strip().splitlines() or [""])[0][:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def read_notebook(data: bytes) -> nbformat.NotebookNode:
    """Parse and validate a submitted notebook's bytes.

    Raises:
        ValueError: Not JSON, not a notebook, or not a valid one (say, a cell
            whose `source` is a number); the message says which.

    Examples:
        >>> read_notebook(b"{ not json")
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: not a readable notebook (NotJSONError: Notebook does not appear to be JSON: '{ not json'); expected a Jupyter .ipynb file

    """  # noqa: E501
    try:
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise UserError(f"{len(data):,} bytes, over {MAX_NOTEBOOK_BYTES:,}")
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if not isinstance(cell.get("source"), str):
                raise UserError("a cell's source is not text")
    except Exception as error:  # anything that is not a valid notebook
        raise UserError(
            f"not a readable notebook ({_first_line(error)}); expected a Jupyter "
            ".ipynb file"
        ) from None
    return notebook


def _run_notebook(
    name: str, notebook: nbformat.NotebookNode, task: dict, probes: dict
) -> dict:
    """Run one notebook in the sandbox; return the runner's result (untrusted)."""
    limits = Limits(**task["limits"])
    with tempfile.TemporaryDirectory(prefix="fmnist-input-") as directory:
        input_dir = Path(directory)
        nbformat.write(notebook, input_dir / "notebook.ipynb")
        job = {"name": name, "seconds": limits.seconds, "fast": task["fast"]}
        (input_dir / "job.json").write_text(json.dumps(job), encoding="utf-8")
        from fmnist_course.exercises.export import write_probes

        write_probes(input_dir / "probes", probes)
        outcome = run_limited(
            [sys.executable, runner.__file__, "/input"],
            input_dir=input_dir,
            limits=limits,
            sandbox=task["sandbox"],
            env={"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"},
        )
    try:
        result = json.loads(outcome.stdout.decode("utf-8"))
        if not isinstance(result, dict):
            raise UserError("not an object")
    except ValueError:
        if outcome.timed_out:
            why = (
                f"the notebook ran past its {limits.seconds:g} s time limit and "
                "was killed"
            )
        elif len(outcome.stdout) >= limits.output_bytes:
            why = "its output was over the size limit"
        else:
            last = outcome.stderr.strip().splitlines()[-1:] or [""]
            why = (
                f"the run ended without a result (exit {outcome.returncode}: "
                f"{last[0][:200]})"
            )
        result = {"notebook": None, "answers": [], "problem": why}
    result["limits"] = outcome.enforced  # set here: the runner's word is not trusted
    return result


def _executed(result: dict, submitted: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook from the runner's result, or the submitted one."""
    try:
        notebook = nbformat.from_dict(result["notebook"])
        nbformat.validate(notebook)
    except Exception:  # missing, or altered into something invalid
        return submitted
    for cell in notebook.cells:  # TensorFlow's start-up chatter
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = str(output.get("text", "")).splitlines(keepends=True)
                kept = "".join(line for line in lines if not BACKEND_NOISE.match(line))
                if not kept.strip():
                    continue
                output["text"] = kept
            outputs.append(output)
        if cell.cell_type == "code":
            cell["outputs"] = outputs
    return notebook


def _cell_label(cell, index: int) -> str:
    count = cell.get("execution_count")
    return f"In [{count}]" if isinstance(count, int) else f"cell {index + 1} (not run)"


def _notebook_facts(notebook: nbformat.NotebookNode) -> tuple[list, dict, list]:
    """Exercise order, the cell of each exercise's check, and the cells that raised."""
    order, cells, errors = [], {}, []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for exercise_id in CHECK_CALL.findall(str(cell.source)):
            if exercise_id not in cells:
                order.append(exercise_id)
                cells[exercise_id] = _cell_label(cell, index)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = str(output.get("evalue", "")).strip().splitlines()
                first = message[0][:200] if message else ""
                name = str(output.get("ename", "Error"))[:60]
                errors.append(f"{_cell_label(cell, index)}: {name}: {first}")
    return order, cells, errors[:50]


def _score(task: dict, answers: list[dict]) -> dict:
    """Score the answers in a process of the grader where no student code ran.

    Answers that are only data (JSON, arrays) are scored here, at once. When
    one is a Keras model, scoring loads and may train it: that runs in a fresh
    process under the time and memory limits, so a crafted model cannot take
    this worker down.
    """
    if not any(name.endswith(".keras") for a in answers for name in a["files"]):
        decoded = [
            {
                "record": a["record"],
                "files": {k: base64.b64decode(v) for k, v in a["files"].items()},
            }
            for a in answers
        ]
        return scoring.score_answers(task["assignment"], decoded)
    limits = Limits(**{**task["limits"], "seconds": SCORING_SECONDS})
    with tempfile.TemporaryDirectory(prefix="fmnist-score-") as directory:
        job = {"assignment": task["assignment"], "answers": answers}
        (Path(directory) / "scoring.json").write_text(json.dumps(job), encoding="utf-8")
        outcome = run_limited(
            [sys.executable, "-m", scoring.__name__, directory],
            input_dir=directory,
            limits=limits,
            sandbox=False,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "FMNIST_FAST": "1" if task["fast"] else "0",
            },
        )
    try:
        lines = outcome.stdout.decode("utf-8").strip().splitlines()
        return json.loads(lines[-1])
    except (ValueError, IndexError):
        last = outcome.stderr.strip().splitlines()[-1:] or [""]
        raise RuntimeError(
            f"scoring failed (exit {outcome.returncode}: {last[0][:200]})"
        ) from None


def grade_student(task: dict) -> dict:
    """Grade one student: run each notebook sandboxed, score its answers.

    A top-level function of plain data, for any executor (a local process pool
    or a Dask cluster): no file of the client is read or written.

    Args:
        task: `student` (name), `notebooks` (a list of `[file name, bytes]`),
            `assignment` (from `load_assignment`), `sandbox` (bool), `limits`
            (keyword arguments of `Limits`), `fast` (bool).

    Returns:
        The student's record: `scores` and `exercises` per exercise id,
        `total`, `mode`, `problem`, `errors`, `order`, `cells`, `unknown`,
        `digest` (of the submitted bytes), `limits` (how memory and processes
        were capped: "cgroup", or "rlimit" where no cgroup could be made) and
        `executed` (file name to the executed notebook's JSON text).

    Examples:
        >>> record = grade_student({"student": "ada", "notebooks": [["a.ipynb", b"{"]],
        ...     "assignment": {"exercises": [], "checks": {}, "digest": ""},
        ...     "sandbox": True, "limits": {}, "fast": True})  # doctest: +SKIP

    """  # noqa: E501
    started = time.monotonic()
    assignment = task["assignment"]
    record = {
        "student": task["student"],
        "digest": submission_digest(task["notebooks"]),
        "assignment": assignment.get("digest", ""),
        "mode": SANDBOX if task["sandbox"] else NO_SANDBOX,
        "problem": "",
        "errors": [],
        "order": [],
        "cells": {},
        "executed": {},
        "notebooks": [],
        "limits": "",
    }
    problems, answers = [], []
    try:
        from fmnist_course.exercises.assignment import graded_checks, probes_of

        probes = probes_of(graded_checks(assignment))
        for name, data in task["notebooks"]:
            prefix = f"{name}: " if len(task["notebooks"]) > 1 else ""
            try:
                notebook = read_notebook(bytes(data))
            except ValueError as error:
                problems.append(f"{prefix}{error}")
                continue
            result = _run_notebook(name, notebook, task, probes)
            record["limits"] = result["limits"]
            if result.get("problem"):
                problems.append(prefix + str(result["problem"])[:300])
            executed = _executed(result, notebook)
            record["executed"][safe_file_name(Path(name).stem) + ".ipynb"] = (
                nbformat.writes(executed)
            )
            order, cells, errors = _notebook_facts(executed)
            record["order"] += [i for i in order if i not in record["order"]]
            record["cells"].update({i: prefix + c for i, c in cells.items()})
            record["errors"] += [prefix + e for e in errors]
            for answer in result.get("answers", [])[:1000]:
                if isinstance(answer, dict) and isinstance(answer.get("files"), dict):
                    answers.append(answer)
        answers = [
            {
                "record": base64.b64decode(a["record"]).decode("utf-8"),
                "files": a["files"],
            }
            for a in answers
            if isinstance(a.get("record"), str)
        ]
        scoring_started = time.monotonic()
        scored = _score(task, answers)
        record["scoring_seconds"] = round(time.monotonic() - scoring_started, 1)
    except Exception as error:  # a broken run must not stop the class
        problems.append(f"could not be graded: {_first_line(error)}")
        scored = {"exercises": {}, "unknown": []}
    points = {e["id"]: e["points"] for e in assignment["exercises"]}
    exercises = {
        exercise_id: scored["exercises"].get(exercise_id, {"status": "not attempted"})
        for exercise_id in points
    }
    record["exercises"] = exercises
    record["scores"] = {
        i: points[i] if exercises[i].get("status") == "passed" else 0 for i in points
    }
    record["total"] = sum(record["scores"].values())
    record["unknown"] = scored.get("unknown", [])
    if record["unknown"]:
        problems.append(
            "check ids that are not in the assignment were ignored (see the feedback)"
        )
    record["problem"] = "; ".join(problems)
    record["notebooks"] = sorted(record["executed"])
    record["seconds"] = round(time.monotonic() - started, 1)
    return record


def _cancel(executor) -> None:
    """Drop the students not started yet (running ones end with their sandbox)."""
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # an executor without cancel_futures (Dask's)
        executor.shutdown(wait=False)


def grade_submissions(
    paths: Iterable[str | os.PathLike],
    *,
    assignment: str | os.PathLike | dict,
    out_csv: str | os.PathLike,
    workers: int | None = None,
    scheduler: str | None = None,
    sandbox: bool = True,
    resume: bool = False,
    limits: Limits | None = None,
    fast: bool = True,
    stream: TextIO | None = None,
) -> list[dict]:
    """Grade every student; write the ledger as it goes, then the CSV and summary.

    Args:
        paths: Notebooks, or folders of submissions (see `find_submissions`).
        assignment: The directory from `exercises build` (or its loaded data).
        out_csv: The grades table; the ledger, `summary.md`, `feedback/` and
            `executed/` go next to it.
        workers: Students graded at once; defaults to the number of cores.
            Ignored on a cluster, whose workers are its own.
        scheduler: A Dask scheduler address (`tcp://HOST:8786`): each student
            is one task on the cluster, sandboxed on its worker as here, and
            the results come back here to be written as they arrive. `None`
            uses `DASK_SCHEDULER_ADDRESS` when set, else local processes.
        sandbox: Run notebooks in bubblewrap; `False` runs them unisolated
            (recorded as `no-sandbox` in the table).
        resume: Continue an interrupted grading into the same `out_csv`:
            students already in the ledger with the same files are kept.
        limits: Per notebook; defaults to `Limits(seconds=FAST_SECONDS)` (or
            `FULL_SECONDS` when not `fast`).
        fast: Run notebooks with `FMNIST_FAST=1`.
        stream: Where the progress line goes (standard error by default).

    Returns:
        The records of every student of this run (graded now or resumed).

    Raises:
        FileExistsError: Outputs exist already (without `resume`), or were
            edited since (with it). Nothing is graded then.
        SandboxUnavailable: `sandbox` and no bubblewrap sandbox can be made.
        FileNotFoundError, ValueError: Bad submissions or assignment.

    Examples:
        >>> grade_submissions(["submissions/"], assignment="handout",
        ...                   out_csv="grading/grades.csv", workers=2)  # doctest: +SKIP

    """
    if not isinstance(assignment, dict):
        assignment = load_assignment(assignment)
    students = find_submissions(paths)
    files: dict[str, str] = {}
    for student in students:
        other = files.setdefault(safe_file_name(student), student)
        if other != student:
            raise UserError(
                f"Students {other!r} and {student!r} would share the feedback file "
                f"{safe_file_name(student)}.md. Rename one of the submissions."
            )
    out_csv = Path(out_csv)
    outputs = output_paths(out_csv)
    given = [Path(p).resolve() for p in paths]
    for path in given:
        if path.is_dir() and (
            out_csv.resolve().parent == path or path in out_csv.resolve().parents
        ):
            raise UserError(
                f"--out {out_csv} is inside the submissions folder {path}; its "
                "feedback would be graded next time. Choose a folder outside it."
            )
    done = check_outputs(outputs, resume, assignment)
    if sandbox:
        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(problem)
    limits = limits or Limits(seconds=FAST_SECONDS if fast else FULL_SECONDS)
    tasks, kept = [], []
    for student, files in students.items():
        notebooks = [[f.name, f.read_bytes()] for f in files]
        previous = done.get(student)
        if (
            previous
            and previous.get("digest") == submission_digest(notebooks)
            and previous.get("assignment") == assignment["digest"]
        ):
            kept.append(previous)
            continue
        tasks.append(
            {
                "student": student,
                "notebooks": notebooks,
                "assignment": assignment,
                "sandbox": sandbox,
                "limits": asdict(limits),
                "fast": fast,
            }
        )
    outputs["ledger"].parent.mkdir(parents=True, exist_ok=True)
    outputs["ledger"].touch()
    records = list(kept)
    if tasks:
        workers = min(workers or default_workers(), len(tasks))
        with open_executor(workers=workers, scheduler=scheduler) as executor:
            progress = Progress(
                len(tasks),
                "students",
                workers=lambda: worker_count(executor),
                stream=stream,
            )
            try:
                for _, record in run_tasks(
                    executor, grade_student, tasks, progress=progress
                ):
                    records.append(write_student(outputs, assignment, record))
            except KeyboardInterrupt:
                _cancel(executor)  # the ledger keeps every finished student
                raise
    everyone = list(latest_records(read_ledger(outputs["ledger"])).values())
    previous_csv = render_csv(assignment, list(done.values())) if resume else None
    previous_summary = (
        render_summary(assignment, list(done.values())) if resume else None
    )
    write_new(outputs["csv"], render_csv(assignment, everyone), previous_csv)
    write_new(
        outputs["summary"], render_summary(assignment, everyone), previous_summary
    )
    return records


__all__ = [
    "FAST_SECONDS",
    "FULL_SECONDS",
    "Limits",
    "SandboxUnavailable",
    "find_submissions",
    "grade_student",
    "grade_submissions",
    "read_notebook",
    "submission_digest",
]
