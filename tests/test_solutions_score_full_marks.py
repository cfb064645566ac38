"""Every honest answer scores: the course's own solutions get full marks.

The handout is built as an instructor builds it (`exercises build`), and each
instructor notebook (the solutions) is graded as one student's submission,
in the sandbox and in fast mode, as `fmnist-course grade` does. Each must
score every point of its lesson's exercises, and every check the notebook
printed in the kernel must have passed too: what passes the self-check
passes the grader.
"""

import json

import nbformat
import pytest

from fmnist_course.grading.grade import grade_submissions
from fmnist_course.grading.handouts import build_exercises
from fmnist_course.grading.sandbox import sandbox_problem


@pytest.fixture(scope="module")
def graded_solutions(tmp_path_factory):
    problem = sandbox_problem()
    if problem:
        pytest.fail(f"This test needs bubblewrap; run `make setup`. {problem}")
    root = tmp_path_factory.mktemp("solutions")
    handout = root / "handout"
    build_exercises(handout)
    submissions = root / "submissions"
    submissions.mkdir()
    for notebook in sorted((handout / "instructor").glob("*.ipynb")):
        (submissions / notebook.name).write_bytes(notebook.read_bytes())
    out_csv = root / "grading" / "grades.csv"
    records = grade_submissions(
        [submissions], assignment=handout, out_csv=out_csv, workers=2
    )
    assignment = json.loads((handout / "assignment.json").read_text())
    return {
        "records": {r["student"]: r for r in records},
        "assignment": assignment,
        "executed": out_csv.parent / "executed",
    }


def test_every_instructor_notebook_scores_full_marks(graded_solutions):
    """The solution of every exercise passes its graded check in the sandbox."""
    by_lesson = {}
    for entry in graded_solutions["assignment"]["exercises"]:
        by_lesson.setdefault(entry["lesson"], []).append(entry["id"])
    assert len(graded_solutions["records"]) == len(by_lesson)
    for lesson, ids in by_lesson.items():
        record = graded_solutions["records"][lesson]
        failed = {
            i: record["exercises"][i]
            for i in ids
            if record["exercises"][i]["status"] != "passed"
        }
        assert not failed, (lesson, failed, record["problem"], record["details"])
        assert record["problem"] == "", (lesson, record["problem"])


def test_every_self_check_passed_in_the_graded_kernel(graded_solutions):
    """What the grader scored is what the student saw: ✅ for every check."""
    for path in sorted(graded_solutions["executed"].rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        printed = "".join(
            str(output.get("text", ""))
            for cell in notebook.cells
            for output in cell.get("outputs", [])
            if output.get("output_type") == "stream"
        )
        assert "❌" not in printed, (path.name, printed[-2000:])
