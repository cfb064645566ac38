"""Grade a class's notebooks: sandboxed runs, scores from data, nothing lost.

For each student (a notebook, or a folder of notebooks), `grade_student` runs
every notebook in a bubblewrap sandbox (`fmnist_course.grading.sandbox`)
with the assignment's limits, collects the answers its `check` calls exported
as data (`fmnist_course.exercises.export`), and scores them with the
instructor's graded checks in a sandboxed, limited process of its own
(`fmnist_course.grading.scoring`). It takes bytes and plain data and returns
plain data, so it runs on any worker, local or on a cluster; only the client,
`grade_submissions`, reads submissions and writes files:

- `grades.jsonl`, the ledger: one line per student, appended as soon as the
  student is graded. A crash or Ctrl-C keeps every finished student;
  `resume=True` (`--resume`) skips them on the next run.
- `grades.csv` and `summary.md`, rendered from the ledger at the end.
- `feedback/<student>.md` (what a student may read: no raw error text, nothing
  computed on hidden inputs) and `executed/<student>/<notebook>.ipynb`, the
  notebook as it ran, for the instructor.

Limits hold per notebook and per student (notebooks, total time, total
output). Anything that goes wrong with one student, a crash, a memory kill
or a timeout, becomes that student's row, and the batch goes on. Before a
batch, `fmnist_course.grading.sandbox_probe` checks the sandbox as a
submission would meet it; grading refuses if it does not hold.

Existing outputs are refused before grading starts, never after.

Examples:
    >>> records = grade_submissions(["submissions/"], assignment="handout",
    ...                             out_csv="grading/grades.csv")  # doctest: +SKIP
    >>> records[0]["total"]  # doctest: +SKIP
    2

"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import nbformat

from fmnist_course.authoring.solutions import CHECK_CALL
from fmnist_course.errors import UserError
from fmnist_course.grading import scoring
from fmnist_course.grading.assignment import graded_checks, load_assignment, probes_of
from fmnist_course.grading.exported_answers import encode_probes
from fmnist_course.grading.feedback import (
    md,
    render_csv,
    render_summary,
    safe_file_name,
)
from fmnist_course.grading.ledger import (
    check_outputs,
    latest_records,
    output_paths,
    read_ledger,
    write_new,
    write_student,
)
from fmnist_course.grading.runs_in_sandbox import (
    executed_notebook,
    notebook_facts,
    printable,
    read_notebook,
    run_notebook,
    score_in_sandbox,
)
from fmnist_course.grading.sandbox import Limits
from fmnist_course.grading.sandbox_probe import probe_summary, require_sandbox
from fmnist_course.grading.submissions import (
    find_submissions,
    read_student,
    submission_digest,
)
from fmnist_course.parallel import Progress, default_workers, open_executor

FAST_SECONDS = 900
"""Default seconds per notebook in fast mode (every cell together)."""
FULL_SECONDS = 6 * 3600
"""Default seconds per notebook with `fast=False`, where cells train for hours."""
STUDENT_TIME_FACTOR = 3
"""A student's notebooks together get this many times one notebook's time."""
STUDENT_OUTPUT_FACTOR = 2
"""... and this many times one notebook's output."""
MAX_ATTEMPTS = 2
"""A student whose grading killed its worker this often gets a problem row."""
SANDBOX, NO_SANDBOX = "sandbox", "no-sandbox"


# --- on the worker --------------------------------------------------------------


def _empty_record(task: dict) -> dict:
    return {
        "student": task["student"],
        "digest": submission_digest(task["notebooks"]),
        "assignment": task["assignment"].get("digest", ""),
        "mode": SANDBOX if task["sandbox"] else NO_SANDBOX,
        "probe": task.get("probe", ""),
        "files_as": task.get("files_as", ""),
        "problem": "",
        "errors": [],
        "details": [],
        "order": [],
        "cells": {},
        "executed": {},
        "notebooks": [],
        "limits": "",
    }


def _finish(record: dict, assignment: dict, scored: dict, problems: list) -> dict:
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
    errors = [
        i for i, e in exercises.items() if e.get("status") == scoring.GRADING_ERROR
    ]
    if errors:
        problems.append(f"grading error on {', '.join(errors)} (see summary.md)")
    record["problem"] = "; ".join(problems)
    record["notebooks"] = sorted(record["executed"])
    return record


def refused_record(task: dict, problem: str) -> dict:
    """The row of a student who is not graded at all, saying why."""
    record = _empty_record(task)
    return _finish(record, task["assignment"], {"exercises": {}}, [problem])


def grade_student(task: dict) -> dict:
    """Grade one student: run each notebook sandboxed, score its answers.

    A top-level function of plain data, for any executor (a local process pool
    or a Dask cluster): no file of the client is read or written.

    Args:
        task: `student` (name), `notebooks` (a list of `[file name, bytes]`),
            `assignment` (from `load_assignment`), `sandbox` (bool), `limits`
            (keyword arguments of `Limits`, per notebook), `fast` (bool),
            `note` (a problem to report with the grades), `probe` (the
            sandbox probe's summary, or "worker" to probe here first).

    Returns:
        The student's record: `scores` and `exercises` per exercise id,
        `total`, `mode`, `problem`, `errors`, `details` (instructor only),
        `order`, `cells`, `unknown`, `digest` (of the submitted bytes),
        `limits` ("cgroup", or "rlimit" where no cgroup could be made) and
        `executed` (file name to the executed notebook's JSON text).

    """
    started = time.monotonic()
    assignment = task["assignment"]
    record = _empty_record(task)
    problems = [task["note"]] if task.get("note") else []
    answers: list[dict] = []
    try:
        if task.get("probe") == "worker" and task["sandbox"]:
            record["probe"] = worker_probe(Limits(**task["limits"]))
        probes = probes_of(graded_checks(assignment))
        with tempfile.TemporaryDirectory(prefix="fmnist-probes-") as directory:
            encoded = encode_probes(probes, Path(directory))
        per_notebook = float(task["limits"].get("seconds", FAST_SECONDS))
        time_left = per_notebook * STUDENT_TIME_FACTOR
        output_left = Limits(**task["limits"]).output_bytes * STUDENT_OUTPUT_FACTOR
        names: set[str] = set()
        for name, data in task["notebooks"]:
            prefix = f"{md(name)}: " if len(task["notebooks"]) > 1 else ""
            if time_left < 1 or output_left <= 0:
                problems.append(
                    f"{prefix}not run: the student's notebooks together reached the "
                    "per-student time or output limit"
                )
                continue
            try:
                notebook = read_notebook(bytes(data))
            except ValueError as error:
                problems.append(f"{prefix}{error}")
                continue
            seconds = min(per_notebook, time_left)
            run_started = time.monotonic()
            sources = "\n".join(cell.source for cell in notebook.cells)
            checked = set(CHECK_CALL.findall(sources))
            probe_bytes = json.dumps(
                {i: encoded[i] for i in sorted(checked) if i in encoded}
            ).encode()
            result, size = run_notebook(name, notebook, task, probe_bytes, seconds)
            time_left -= time.monotonic() - run_started
            output_left -= size
            record["limits"] = result["limits"]
            if result.get("problem"):
                problems.append(prefix + printable(result["problem"]))
            if result.get("detail"):
                record["details"].append(prefix + printable(result["detail"], 2000))
            executed = executed_notebook(result, notebook)
            stem = safe_file_name(Path(name).stem)
            file_name = stem + ".ipynb"
            while file_name in names:
                file_name = f"{stem}-{len(names)}.ipynb"
            names.add(file_name)
            record["executed"][file_name] = nbformat.writes(executed)
            order, cells, errors, details = notebook_facts(executed)
            record["order"] += [i for i in order if i not in record["order"]]
            record["cells"].update({i: prefix + c for i, c in cells.items()})
            record["errors"] += [prefix + e for e in errors]
            record["details"] += [prefix + d for d in details]
            for answer in result.get("answers", [])[:1000]:
                if isinstance(answer, dict) and isinstance(answer.get("files"), dict):
                    answers.append(answer)
        answers = [
            {
                "record": base64.b64decode(a["record"]).decode("utf-8"),
                "functions": base64.b64decode(a.get("functions") or b"").decode(
                    "utf-8"
                ),
                "files": a["files"],
            }
            for a in answers
            if isinstance(a.get("record"), str)
        ]
        scoring_started = time.monotonic()
        scored = score_in_sandbox(task, answers)
        record["scoring_seconds"] = round(time.monotonic() - scoring_started, 1)
    except Exception as error:  # a broken run must not stop the class
        problems.append(f"could not be graded ({type(error).__name__})")
        record["details"].append(f"{type(error).__name__}: {error}"[:2000])
        scored = {"exercises": {}, "unknown": []}
    record = _finish(record, assignment, scored, problems)
    record["seconds"] = round(time.monotonic() - started, 1)
    return record


_WORKER_PROBE: dict[str, str] = {}


def worker_probe(limits: Limits) -> str:
    """Probe this worker's sandbox once per process (on a cluster's workers).

    Raises:
        RuntimeError: The sandbox does not hold here (the student is not run).

    """
    if "summary" not in _WORKER_PROBE:
        result = require_sandbox(limits)
        _WORKER_PROBE["summary"] = probe_summary(result)
    return _WORKER_PROBE["summary"]


# --- on the client --------------------------------------------------------------


def _run_batch(tasks, workers, scheduler, write, stream, allow_insecure) -> None:
    """Grade every task; one whose worker died twice becomes a problem row."""
    attempts = {task["student"]: 0 for task in tasks}
    pending = list(tasks)
    progress = Progress(len(tasks), "students", workers=lambda: workers, stream=stream)
    while pending:
        count = min(workers, len(pending))
        broken = []
        with open_executor(
            workers=count, scheduler=scheduler, allow_insecure=allow_insecure
        ) as executor:
            futures = {executor.submit(grade_student, t): t for t in pending}
            try:
                for future in concurrent.futures.as_completed(futures):
                    task = futures[future]
                    try:
                        record = future.result()
                    except KeyboardInterrupt:
                        raise
                    except Exception as error:  # the worker died with the student
                        attempts[task["student"]] += 1
                        if attempts[task["student"]] < MAX_ATTEMPTS:
                            broken.append(task)
                            continue
                        record = refused_record(
                            task,
                            "could not be graded: its grading stopped the grading "
                            f"process ({type(error).__name__}) {MAX_ATTEMPTS} times",
                        )
                    write(record)
                    progress.update()
            except KeyboardInterrupt:
                for future in futures:
                    future.cancel()
                raise
        pending = broken


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
    allow_insecure_cluster: bool = False,
) -> list[dict]:
    """Grade every student; write the ledger as it goes, then the CSV and summary.

    Args:
        paths: Notebooks, or folders of submissions (see `find_submissions`).
        assignment: The directory from `exercises build` (or its loaded data).
        out_csv: The grades table; the ledger, `summary.md`, `feedback/` and
            `executed/` go next to it.
        workers: Students graded at once; defaults to the number of cores.
            Ignored on a cluster, whose workers are its own.
        scheduler: A Dask scheduler address (`tls://HOST:8786`): each student
            is one task on the cluster, sandboxed on its worker as here (each
            worker probes its sandbox first), and the results come back here
            to be written as they arrive. `None` uses `DASK_SCHEDULER_ADDRESS`
            when set, else local processes. See `open_executor` for TLS.
        sandbox: Run notebooks in bubblewrap; `False` runs them unisolated
            (recorded as `no-sandbox` in the table).
        resume: Continue an interrupted grading into the same `out_csv`:
            students already in the ledger with the same files are kept.
        limits: Per notebook; defaults to `Limits(seconds=FAST_SECONDS)` (or
            `FULL_SECONDS` when not `fast`).
        fast: Run notebooks with `FMNIST_FAST=1`.
        stream: Where the progress line goes (standard error by default).
        allow_insecure_cluster: Accept a plain `tcp://` scheduler (see
            `fmnist_course.parallel.cluster_security`).

    Returns:
        The records of every student of this run (graded now or resumed).

    Raises:
        FileExistsError: Outputs exist already (without `resume`), or were
            edited since (with it). Nothing is graded then.
        SandboxUnavailable: `sandbox` and the sandbox probe failed: the
            message lists what does not hold. Nothing is graded then.
        FileNotFoundError, ValueError: Bad paths or assignment.

    """
    from fmnist_course.parallel import cluster_security, scheduler_address

    if not isinstance(assignment, dict):
        assignment = load_assignment(assignment)
    students = find_submissions(paths)
    out_csv = Path(out_csv)
    outputs = output_paths(out_csv)
    for path in [Path(p).resolve() for p in paths]:
        if path.is_dir() and (
            out_csv.resolve().parent == path or path in out_csv.resolve().parents
        ):
            raise UserError(
                f"--out {out_csv} is inside the submissions folder {path}; its "
                "feedback would be graded next time. Choose a folder outside it."
            )
    done = check_outputs(outputs, resume, assignment)
    limits = limits or Limits(seconds=FAST_SECONDS if fast else FULL_SECONDS)
    address = scheduler_address(scheduler)
    on_cluster = address is not None
    if on_cluster:
        cluster_security(address, allow_insecure=allow_insecure_cluster)
    probe = NO_SANDBOX
    if sandbox:
        probe = (
            "worker"
            if on_cluster
            else probe_summary(
                require_sandbox(limits, hidden=[Path(p) for p in paths] + [out_csv])
            )
        )
    tasks, kept, refused = [], [], []
    for student, submission in students.items():
        notebooks, problem = (
            ([], submission.problem) if submission.problem else read_student(submission)
        )
        task = {
            "student": student,
            "notebooks": notebooks,
            "assignment": assignment,
            "sandbox": sandbox,
            "limits": asdict(limits),
            "fast": fast,
            "note": submission.note,
            "files_as": submission.files_as,
            "probe": probe,
        }
        previous = done.get(student)
        if (
            previous
            and previous.get("digest") == submission_digest(notebooks)
            and previous.get("assignment") == assignment["digest"]
            and not problem
        ):
            kept.append(previous)
        elif problem:
            refused.append(refused_record(task, problem))
        else:
            tasks.append(task)
    outputs["ledger"].parent.mkdir(parents=True, exist_ok=True)
    outputs["ledger"].touch()
    records = list(kept)

    def write(record: dict) -> None:
        records.append(write_student(outputs, assignment, record))

    for record in refused:
        write(record)
    if tasks:
        _run_batch(
            tasks,
            min(workers or default_workers(), len(tasks)),
            scheduler,
            write,
            stream,
            allow_insecure_cluster,
        )
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
    "find_submissions",
    "grade_student",
    "grade_submissions",
    "read_notebook",
    "submission_digest",
]
