"""The instructor guide's nbgrader path, with the real nbgrader, on the fake lesson."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from exercise_fixtures import write_fake_lesson, write_graded_checks

from fmnist_course.grading.handouts import build_exercises
from fmnist_course.settings import FAST_ENV

pytest.importorskip(
    "nbgrader", reason="nbgrader is an optional extra: pip install -e '.[nbgrader]'"
)


def nbgrader(course, *args, env=None):
    bin_dir = str(Path(sys.executable).parent)
    environment = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    result = subprocess.run(
        [shutil.which("nbgrader", path=bin_dir) or "nbgrader", *args],
        cwd=course,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def solve(source, replacements):
    notebook = json.loads(source.read_text())
    for cell in notebook["cells"]:
        text = (
            "".join(cell["source"])
            if isinstance(cell["source"], list)
            else cell["source"]
        )
        for stub, solution in replacements.items():
            text = text.replace(stub, solution)
        cell["source"] = text
    return json.dumps(notebook)


def test_generate_assignment_then_autograde_scores_each_exercise(tmp_path):
    build_exercises(
        tmp_path / "handout",
        [write_fake_lesson(tmp_path / "lessons")],
        graded_dir=write_graded_checks(tmp_path / "graded"),
    )
    course = tmp_path / "handout" / "nbgrader"
    nbgrader(course, "generate_assignment", "98_fake")
    released = course / "release" / "98_fake" / "98_fake.ipynb"
    assert (
        "2 * x" not in released.read_text() and "YOUR CODE HERE" in released.read_text()
    )
    solved = solve(
        released,
        {
            "# YOUR CODE HERE\nraise NotImplementedError()": "answer = 6 * 7",
            "    # YOUR CODE HERE\n    raise NotImplementedError()": "    return 2 * x",
        },
    )
    for student, text in (("ada", solved), ("bob", released.read_text())):
        target = course / "submitted" / student / "98_fake" / "98_fake.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(text)
    nbgrader(course, "autograde", "98_fake", env={FAST_ENV: "1"})
    nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as handle:
        scores = {row["student_id"]: row["score"] for row in csv.DictReader(handle)}
    assert scores == {"ada": "2.0", "bob": "0.0"}
