"""What a grader's worker runs in the sandbox for one student: notebooks, scoring.

`run_notebook` runs one submitted notebook through the runner
(`fmnist_course.grading.runner`) in the sandbox, handing it the hidden
inputs on its standard input, and reads back what it printed as untrusted
data; `executed_notebook` and `notebook_facts` turn that into the notebook
for the instructor and the facts for the feedback; `score_in_sandbox` scores
the exported answers in a sandboxed process of its own
(`fmnist_course.grading.scoring`). `fmnist_course.grading.grade`
puts them together per student.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import nbformat

from fmnist_course.authoring.execute import BACKEND_NOISE
from fmnist_course.authoring.solutions import CHECK_CALL
from fmnist_course.errors import UserError
from fmnist_course.grading import runner, scoring
from fmnist_course.grading.sandbox import Limits, run_limited
from fmnist_course.grading.submissions import MAX_NOTEBOOK_BYTES
from fmnist_course.settings import FAST_ENV, QUIET_TF_LOGS

SCORING_SECONDS = 600
"""Seconds the scoring of one student may take (some checks train a model)."""
_ERROR_NAME = re.compile(r"[^A-Za-z0-9_.]")


def read_notebook(data: bytes) -> nbformat.NotebookNode:
    """Parse and validate a submitted notebook's bytes.

    Raises:
        UserError: Not JSON, not a notebook, or not a valid one (say, a cell
            whose `source` is a number); the message says which, without
            echoing the file.

    Examples:
        >>> read_notebook(b"{ not json")
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: not a readable notebook (NotJSONError); expected a Jupyter .ipynb file

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
            f"not a readable notebook ({type(error).__name__}); expected a Jupyter "
            ".ipynb file"
        ) from None
    return notebook


def run_notebook(
    name: str, notebook: nbformat.NotebookNode, task: dict, probes: bytes, seconds
) -> tuple[dict, int]:
    """Run one notebook in the sandbox; the runner's result (untrusted), its size."""
    limits = replace(Limits(**task["limits"]), seconds=seconds)
    with tempfile.TemporaryDirectory(prefix="fmnist-input-") as directory:
        input_dir = Path(directory)
        nbformat.write(notebook, input_dir / "notebook.ipynb")
        job = {"name": name, "seconds": limits.seconds, "fast": task["fast"]}
        (input_dir / "job.json").write_text(json.dumps(job), encoding="utf-8")
        outcome = run_limited(
            [sys.executable, runner.__file__, "/input"],
            input_dir=input_dir,
            limits=limits,
            sandbox=task["sandbox"],
            env={"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"},
            stdin=probes,
        )
    try:
        if outcome.output_over:
            raise ValueError("over the limit")
        result = json.loads(outcome.stdout.decode("utf-8"))
        if not isinstance(result, dict):
            raise ValueError("not an object")
    except ValueError:
        if outcome.timed_out:
            why = f"the notebook ran past its {limits.seconds:g} s time limit"
        elif outcome.output_over:
            why = "its output was over the size limit"
        else:
            why = f"the run ended without a result (exit {outcome.returncode})"
        result = {"notebook": None, "answers": [], "problem": why}
        result["detail"] = outcome.stderr[-2000:]
    result["limits"] = outcome.enforced  # set here: the runner's word is not trusted
    return result, len(outcome.stdout)


def executed_notebook(
    result: dict, submitted: nbformat.NotebookNode
) -> nbformat.NotebookNode:
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


def cell_label(cell, index: int) -> str:
    """`In [N]` as Jupyter numbers a cell that ran, else its position."""
    count = cell.get("execution_count")
    return f"In [{count}]" if isinstance(count, int) else f"cell {index + 1} (not run)"


def notebook_facts(notebook: nbformat.NotebookNode) -> tuple[list, dict, list, list]:
    """Exercise order, each exercise's cell, and the cells that raised.

    The cells that raised come twice: by exception type only, for the
    student's feedback, and with the message's first line, for the instructor.
    """
    order, cells, errors, details = [], {}, [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for exercise_id in CHECK_CALL.findall(str(cell.source)):
            if exercise_id not in cells:
                order.append(exercise_id)
                cells[exercise_id] = cell_label(cell, index)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                name = _ERROR_NAME.sub("", str(output.get("ename", "Error")))[:60]
                errors.append(f"{cell_label(cell, index)}: {name or 'Error'}")
                message = str(output.get("evalue", "")).strip().splitlines()
                first = message[0][:200] if message else ""
                details.append(f"{errors[-1]}: {first}")
    return order, cells, errors[:50], details[:50]


def printable(text: str, size: int = 300) -> str:
    """`text` with every unprintable character a space, cut to `size`."""
    return "".join(c if c.isprintable() else " " for c in str(text))[:size]


def score_in_sandbox(task: dict, answers: list[dict]) -> dict:
    """Score the answers in a sandboxed, limited process where no student code ran.

    Scoring loads models and may train them, so it runs under the same rules
    as a notebook: a crafted model cannot reach the grader or this worker.
    """
    limits = replace(Limits(**task["limits"]), seconds=SCORING_SECONDS)
    with tempfile.TemporaryDirectory(prefix="fmnist-score-") as directory:
        job = {"assignment": task["assignment"], "answers": answers}
        (Path(directory) / "scoring.json").write_text(json.dumps(job), encoding="utf-8")
        outcome = run_limited(
            [sys.executable, "-m", scoring.__name__, "/input"],
            input_dir=directory,
            limits=limits,
            sandbox=task["sandbox"],
            env={
                "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
                "HOME": "/home/student",
                "MPLCONFIGDIR": "/home/student",
                **QUIET_TF_LOGS,
                FAST_ENV: "1" if task["fast"] else "0",
            },
        )
    try:
        lines = outcome.stdout.decode("utf-8").strip().splitlines()
        return json.loads(lines[-1])
    except (ValueError, IndexError):
        if outcome.timed_out:
            why = f"scoring ran past its {SCORING_SECONDS} s limit"
        else:
            why = f"scoring ended without a result (exit {outcome.returncode})"
        raise RuntimeError(why) from None
