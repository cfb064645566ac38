"""Grading hand-made submissions of the fake lesson 98 (see exercise_fixtures)."""

import csv
import hashlib

import nbformat
import pytest
from exercise_fixtures import write_fake_lesson

from fmnist_course.cli.main import main
from fmnist_course.exercises.build import build_exercises
from fmnist_course.exercises.grading import grade_submissions

TIMEOUT = 40  # per cell: enough to import TensorFlow on a busy machine


def with_cell(notebook, index, source):
    notebook = nbformat.from_dict(notebook)  # a copy
    notebook.cells.insert(index, nbformat.v4.new_code_cell(source))
    return notebook


def replace_in_cell(notebook, index, old, new):
    notebook = nbformat.from_dict(notebook)
    assert old in notebook.cells[index].source
    notebook.cells[index].source = notebook.cells[index].source.replace(old, new)
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    handout = root / "handout"
    build_exercises(handout, [write_fake_lesson(root / "lessons")])
    student = nbformat.read(handout / "student" / "98_fake.ipynb", as_version=4)
    solved = nbformat.read(handout / "instructor" / "98_fake.ipynb", as_version=4)
    stub_line = next(
        line for line in student.cells[3].source.splitlines() if "raise" in line
    )
    submissions = root / "submissions"
    submissions.mkdir()
    notebooks = {
        "bob": replace_in_cell(student, 3, stub_line, "answer = 41"),  # wrong + stub
        "carol": with_cell(solved, 4, "1 / 0"),  # right, but a cell raises
        "dave": with_cell(solved, 4, "import time\ntime.sleep(600)"),  # times out
        "erin": with_cell(solved, 4, "import os\nos._exit(1)"),  # the kernel dies
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, submissions / f"{name}.ipynb")
    (submissions / "frank.ipynb").write_text("{ this is not json")
    (submissions / "notes.txt").write_text("I did the exercises on paper.")
    paths = sorted(submissions.iterdir())
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    out_csv = root / "grades" / "grades.csv"
    grades = grade_submissions(paths, out_csv=out_csv, timeout_per_cell=TIMEOUT)
    with open(out_csv, newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return {
        "grades": {g.student: g for g in grades},
        "rows": rows,
        "feedback": {
            p.stem: p.read_text() for p in (out_csv.parent / "feedback").glob("*.md")
        },
        "paths": paths,
        "digests": digests,
        "out_csv": out_csv,
    }


def test_table_has_one_row_per_student_and_one_column_per_exercise(graded):
    rows = graded["rows"]
    assert list(next(iter(rows.values()))) == [
        "student",
        "98-answer",
        "98-double",
        "total",
        "problem",
    ]
    assert sorted(rows) == ["bob", "carol", "dave", "erin", "frank", "notes"]
    scores = {
        name: (r["98-answer"], r["98-double"], r["total"]) for name, r in rows.items()
    }
    assert scores == {
        "bob": ("0", "0", "0"),
        "carol": ("1", "1", "2"),  # graded past the raising cell
        "dave": ("1", "0", "1"),  # graded up to the cell that timed out
        "erin": ("1", "0", "1"),  # graded up to the kernel's death
        "frank": ("", "", "0"),
        "notes": ("", "", "0"),
    }


def test_problems_are_recorded(graded):
    rows = graded["rows"]
    assert rows["bob"]["problem"] == rows["carol"]["problem"] == ""  # ran to the end
    assert f"cell 4 ran past the {TIMEOUT} s timeout" in rows["dave"]["problem"]
    assert "stopped at cell 4: DeadKernelError" in rows["erin"]["problem"]
    assert "DeadKernelError" in rows["erin"]["problem"]
    for name in ("frank", "notes"):
        assert "not a readable notebook" in rows[name]["problem"]


def test_feedback_says_what_failed_with_the_hint_and_no_solution(graded):
    bob = graded["feedback"]["bob"]
    assert "Score: 0 / 2" in bob
    assert "❌ `98-answer`: 41 is not the answer yet." in bob
    assert "Hint: Multiply six by seven." in bob
    assert "❌ `98-double`: checking your answer raised NotImplementedError" in bob
    assert "Hint: Return twice the number it receives." in bob
    assert "42" not in bob and "2 * x" not in bob
    carol = graded["feedback"]["carol"]
    assert "cell 4: ZeroDivisionError: division by zero" in carol
    assert "✅ `98-double`: passed." in carol
    dave = graded["feedback"]["dave"]
    assert "timeout" in dave and "⚪ `98-double`: not attempted" in dave
    assert "not a readable notebook" in graded["feedback"]["notes"]
    assert graded["grades"]["carol"].total == 2


def test_submissions_are_never_modified(graded):
    for path in graded["paths"]:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == graded["digests"][path]
    assert sorted(p.name for p in graded["paths"][0].parent.iterdir()) == sorted(
        p.name for p in graded["paths"]
    )


def test_grading_refuses_to_overwrite_earlier_results(graded):
    before = graded["out_csv"].read_bytes()
    with pytest.raises(FileExistsError, match="Refusing to overwrite"):
        grade_submissions(graded["paths"], out_csv=graded["out_csv"])
    assert graded["out_csv"].read_bytes() == before


def test_grade_command_writes_table_and_reports(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a notebook")
    out = tmp_path / "grades.csv"
    assert main(["grade", str(notes), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "notes: 0/0" in printed and "not a readable notebook" in printed
    assert (tmp_path / "feedback" / "notes.md").is_file()
    assert out.read_text().splitlines()[0] == "student,total,problem"
    assert main(["grade", str(notes), "--out", str(out)]) == 2
    assert "Refusing to overwrite" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "missing.ipynb"), "--out", "x.csv"]) == 2
    assert "No submission at" in capsys.readouterr().err
