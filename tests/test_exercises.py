"""The exercise registry, the student/instructor split, and every lesson's exercises."""

import ast
import json

import nbformat
import pytest
from exercise_fixtures import write_fake_lesson, write_graded_checks

from fmnist_course.authoring.execute import execute_lesson, execute_notebook
from fmnist_course.authoring.lesson_files import lesson_paths
from fmnist_course.authoring.lesson_files import read_lesson as read_lesson_script
from fmnist_course.authoring.solutions import (
    STUB_TEMPLATE,
    find_exercises,
    strip_solutions,
)
from fmnist_course.cli.main import main
from fmnist_course.exercises import EXERCISES, check
from fmnist_course.exercises.export import EXPORT_ENV
from fmnist_course.exercises.registry import exercise
from fmnist_course.grading.handouts import build_exercises

# --- the registry and `check` ------------------------------------------------


def test_a_check_cell_shows_the_verdict_and_nothing_else():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from fmnist_course.exercises import check\n"
            'check("04-dense-params", 102_528)'
        )
    ]
    outputs = execute_notebook(notebook, name="check cell").cells[0].outputs
    assert [output.output_type for output in outputs] == ["stream"]  # no Out[]
    assert "✅ 04-dense-params: passed" in outputs[0].text


def test_a_check_graded_on_hidden_inputs_says_so_when_it_passes(capsys):
    # Guards: a pass here is not a promise of a pass on the grader's inputs.
    def scale_pixels(images):
        return images.astype("float32") / 255

    assert check("00-scale-pixels", scale_pixels).passed is True
    assert capsys.readouterr().out.strip() == (
        "✅ 00-scale-pixels: passed here; graded on other inputs"
    )
    assert check("00-validation-size", 600).message == "passed"
    assert capsys.readouterr().out.strip() == "✅ 00-validation-size: passed"


def test_check_prints_pass_or_hint_and_never_the_answer(capsys):
    assert check("98-answer", 42).passed is True
    assert capsys.readouterr().out.strip() == "✅ 98-answer: passed"
    assert check("98-answer", 41).passed is False
    out = capsys.readouterr().out
    assert "❌ 98-answer: 41 is not the answer yet." in out
    assert "Hint: Multiply six by seven." in out
    assert "42" not in out


def test_check_reports_an_answer_that_breaks_the_checker(capsys):
    def broken(x):
        raise ZeroDivisionError("oops")

    assert check("98-double", broken).passed is False
    out = capsys.readouterr().out
    assert "raised ZeroDivisionError: oops" in out and "Hint:" in out


def test_check_exports_answers_while_grading(tmp_path, monkeypatch):
    monkeypatch.setenv(EXPORT_ENV, str(tmp_path / "answers"))
    check("98-answer", 42)
    check("98-answer", 7)
    records = [
        json.loads((folder / "answer.json").read_text())
        for folder in sorted((tmp_path / "answers").iterdir())
    ]
    assert [r["exercise"] for r in records] == ["98-answer", "98-answer"]
    assert [r["args"] for r in records] == [
        [{"t": "int", "v": "42"}],
        [{"t": "int", "v": "7"}],
    ]


def test_check_without_grading_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(EXPORT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    check("98-answer", 42)
    assert list(tmp_path.iterdir()) == []


def test_unknown_and_malformed_ids_are_refused():
    with pytest.raises(ValueError, match="Unknown exercise id: '98-nope'"):
        check("98-nope", 1)
    with pytest.raises(ValueError, match="Expected an exercise id like"):
        exercise("dropout", hint="")
    with pytest.raises(ValueError, match="registered twice"):
        exercise("98-answer", hint="")


# --- parsing and stripping ---------------------------------------------------


def notebook_of(*cells):
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(source[3:])
            if source.startswith("md:")
            else nbformat.v4.new_code_cell(source)
            for source in cells
        ]
    )


NESTED = """\
def double(x):
    y = x
    ### BEGIN SOLUTION
    y = 2 * x
    ### END SOLUTION
    return y


check("98-double", double)"""


def test_find_exercises_reads_id_statement_and_solution():
    notebook = notebook_of(
        "import numpy as np",
        "md:## Summary\n\nText.\n\n### Exercise 1: Double (`98-double`)\n\nDo it.",
        NESTED,
    )
    [found] = find_exercises(notebook)
    assert found.exercise_id == "98-double"
    assert found.title == "Exercise 1: Double (`98-double`)"
    assert (
        found.statement.startswith("### Exercise 1")
        and "Summary" not in found.statement
    )
    assert found.solution == "y = 2 * x"
    assert found.cell_index == 2


def test_strip_solutions_keeps_indentation_and_check_and_is_pure():
    notebook = notebook_of("md:### Exercise", NESTED)
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="✅ passed")]
    notebook.cells[1].execution_count = 3
    before = json.dumps(notebook, sort_keys=True)
    student = strip_solutions(notebook)
    assert json.dumps(notebook, sort_keys=True) == before  # input untouched
    stub = STUB_TEMPLATE.format(exercise_id="98-double")
    assert student.cells[1].source == NESTED.replace(
        "    ### BEGIN SOLUTION\n    y = 2 * x\n    ### END SOLUTION", "    " + stub
    )
    assert "2 * x" not in student.cells[1].source
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    ast.parse(student.cells[1].source)  # still valid Python
    assert student.cells[0] == notebook.cells[0]


def test_strip_solutions_replaces_every_region_of_a_cell():
    source = (
        "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\n"
        "### BEGIN SOLUTION\nc = 3\n### END SOLUTION\ncheck('98-answer', a + c)"
    )
    student = strip_solutions(notebook_of(source)).cells[0].source
    stub = STUB_TEMPLATE.format(exercise_id="98-answer")
    assert student == f"{stub}\nb = 2\n{stub}\ncheck('98-answer', a + c)"


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1\ncheck('98-answer', x)", "never closed"),
        ("x = 1\n### END SOLUTION\ncheck('98-answer', x)", "has no '### BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "still open"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\nprint(x)", "found none"),
        (
            "### BEGIN SOLUTION\n### END SOLUTION\ncheck('98-a', 1)\ncheck('98-b', 2)",
            "found ['98-a', '98-b']",
        ),
    ],
)
def test_broken_markup_is_reported_with_the_cell(source, message):
    with pytest.raises(ValueError, match="cell 1") as error:
        strip_solutions(notebook_of("md:# T", source))
    assert message in str(error.value)


def test_an_id_used_by_two_cells_is_refused():
    cell = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\ncheck('98-answer', x)"
    with pytest.raises(ValueError, match="already has a solution cell"):
        find_exercises(notebook_of(cell, cell))


# --- building the handout ----------------------------------------------------


def test_build_writes_student_instructor_and_index(tmp_path):
    lesson = write_fake_lesson(tmp_path / "lessons")
    out = tmp_path / "handout"
    written = build_exercises(
        out, [lesson], graded_dir=write_graded_checks(tmp_path / "g")
    )
    student = nbformat.read(out / "student" / "98_fake.ipynb", as_version=4)
    instructor = nbformat.read(out / "instructor" / "98_fake.ipynb", as_version=4)
    assert [p.name for p in written["index"]] == ["index.md", "index.csv"]
    assert "return 2 * x" in instructor.cells[5].source
    assert "return 2 * x" not in student.cells[5].source
    assert "NotImplementedError" in student.cells[5].source
    assert instructor.cells[5].metadata["nbgrader"]["grade_id"] == "98-double"
    assert instructor.cells[5].metadata["nbgrader"]["solution"] is True
    assert "nbgrader" not in student.cells[5].metadata
    assert all(not c.get("outputs") for c in student.cells + instructor.cells)
    csv_lines = (out / "index.csv").read_text().splitlines()
    assert csv_lines[0] == "lesson,exercise_id,title,student,instructor"
    assert csv_lines[1].startswith("98_fake,98-answer,")
    assert (
        "| `98-double` | Exercise 2: Double it (`98-double`) |"
        in (out / "index.md").read_text()
    )


def test_build_never_overwrites(tmp_path):
    lesson = write_fake_lesson(tmp_path / "lessons")
    out = tmp_path / "handout"
    graded = write_graded_checks(tmp_path / "g")
    build_exercises(out, [lesson], graded_dir=graded)
    edited = out / "instructor" / "98_fake.ipynb"
    edited.write_text(edited.read_text() + " ")
    before = edited.read_bytes()
    with pytest.raises(FileExistsError, match="already holds files"):
        build_exercises(out, [lesson], graded_dir=graded)
    assert edited.read_bytes() == before


def test_build_checks_every_lesson_before_writing(tmp_path):
    good = write_fake_lesson(tmp_path / "lessons")
    bad = tmp_path / "lessons" / "99_bad.py"
    bad.write_text("# %%\n### BEGIN SOLUTION\nx = 1\ncheck('99-x', x)\n")
    with pytest.raises(ValueError, match="99_bad.py: cell 0"):
        build_exercises(tmp_path / "out", [good, bad])
    assert not (tmp_path / "out").exists()


def test_exercises_build_command(tmp_path, capsys):
    write_fake_lesson(tmp_path / "lessons")
    out = tmp_path / "handout"
    graded = write_graded_checks(tmp_path / "g")
    args = ["exercises", "build", "--out", str(out), "--graded-dir", str(graded)]
    assert main([*args, "--lessons-dir", str(tmp_path / "lessons")]) == 0
    assert "wrote 1 student and 1 instructor notebooks" in capsys.readouterr().out
    assert main([*args, "--lessons-dir", str(tmp_path / "lessons")]) == 2
    assert "already holds files" in capsys.readouterr().err
    # As from a pip install, where the lesson sources are not on disk.
    assert main([*args, "--lessons-dir", str(tmp_path / "nowhere")]) == 2
    error = capsys.readouterr().err
    assert "No lesson scripts" in error and "checkout" in error
    assert not (tmp_path / "nowhere").exists()


# --- every exercise of the real lessons --------------------------------------

LESSONS_WITH_EXERCISES = [
    path for path in lesson_paths() if find_exercises(read_lesson_script(path))
]


def cell_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


@pytest.mark.parametrize("lesson", LESSONS_WITH_EXERCISES, ids=lambda p: p.stem)
def test_every_solution_passes_its_check(lesson):
    # The executed lesson is cached by `execute_lesson` (shared with the lesson
    # tests); its exercise cells ran the instructor's solutions.
    executed = nbformat.read(execute_lesson(lesson, fast=True), as_version=4)
    exercises = find_exercises(executed)
    assert exercises, f"{lesson.name} has no exercises"
    for found in exercises:
        text = cell_text(executed.cells[found.cell_index])
        assert f"✅ {found.exercise_id}: passed" in text, (
            f"{lesson.name}: the solution of {found.exercise_id} does not pass:\n{text}"
        )
        assert found.exercise_id in EXERCISES


def top_level_imports(notebook):
    """The import statements of a notebook's cells, to give stubs a context."""
    lines = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics
            continue
        lines += [
            ast.unparse(node)
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
    return "\n".join(dict.fromkeys(lines))


def test_every_student_stub_fails_its_check():
    """Run each stub right after its own solution cell, in one kernel.

    The solution cell runs first (out of its lesson, it may stop early), so
    whatever it defined is there: a stub that let the check run with those
    leftovers would pass, and fail this test. Each stub must stop with its own
    NotImplementedError (directly, or raised inside `check`) and never pass.
    """
    if not LESSONS_WITH_EXERCISES:
        pytest.skip("no lesson with exercises yet")
    cells, expected = [], []
    for lesson in LESSONS_WITH_EXERCISES:
        notebook = read_lesson_script(lesson)
        student = strip_solutions(notebook)
        cells.append(nbformat.v4.new_code_cell(top_level_imports(notebook)))
        for found in find_exercises(notebook):
            cells.append(
                nbformat.v4.new_code_cell(notebook.cells[found.cell_index].source)
            )
            cells.append(
                nbformat.v4.new_code_cell(student.cells[found.cell_index].source)
            )
            expected.append((lesson.stem, found.exercise_id, len(cells) - 1))
    executed = execute_notebook(
        nbformat.v4.new_notebook(cells=cells),
        fast=True,
        timeout=300,
        allow_errors=True,
        name="stubs",
    )
    for lesson_name, exercise_id, index in expected:
        text = cell_text(executed.cells[index])
        stub_message = STUB_TEMPLATE.split('"')[1].format(exercise_id=exercise_id)
        assert f"✅ {exercise_id}" not in text, f"{lesson_name}: stub passed:\n{text}"
        assert f"NotImplementedError: {stub_message}" in text, (
            f"{lesson_name}: the stub of {exercise_id} did not stop with its "
            f"NotImplementedError:\n{text}"
        )


def test_build_refuses_an_exercise_without_any_check_before_writing(tmp_path):
    lesson = tmp_path / "lessons" / "99_unchecked.py"
    lesson.parent.mkdir()
    lesson.write_text(
        "# %%\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\ncheck('99-unchecked', x)\n"
    )
    with pytest.raises(ValueError, match="no graded check: '99-unchecked'"):
        build_exercises(tmp_path / "out", [lesson], graded_dir=tmp_path / "graded")
    assert not (tmp_path / "out").exists()


def test_build_refuses_exercises_that_have_only_a_self_check(tmp_path):
    # Guards: a self-check never decides a grade; the message names every id.
    lesson = write_fake_lesson(tmp_path / "lessons")
    with pytest.raises(ValueError) as error:
        build_exercises(tmp_path / "out", [lesson], graded_dir=tmp_path / "none")
    message = str(error.value)
    assert "2 exercise(s) have no graded check: '98-answer', '98-double'" in message
    assert "@graded('NN-name')" in message and "A self-check never decides" in message
    assert not (tmp_path / "out").exists()


def test_every_course_exercise_has_a_graded_check_and_the_build_validates():
    from fmnist_course.grading.assignment import validate_assignment
    from fmnist_course.grading.handouts import GRADED_CHECKS_DIR

    exercises = [
        {"id": exercise_id} for exercise_id in EXERCISES if exercise_id[:2] != "98"
    ]
    validate_assignment(exercises, sorted(GRADED_CHECKS_DIR.glob("lesson_*.py")))


def test_build_writes_the_assignment_and_an_nbgrader_course(tmp_path):
    from exercise_fixtures import write_graded_checks

    from fmnist_course.grading.assignment import load_assignment

    lesson = write_fake_lesson(tmp_path / "lessons")
    out = tmp_path / "handout"
    build_exercises(out, [lesson], graded_dir=write_graded_checks(tmp_path / "g"))
    assignment = load_assignment(out)
    assert [(e["id"], e["points"]) for e in assignment["exercises"]] == [
        ("98-answer", 1),
        ("98-double", 1),
    ]
    assert list(assignment["checks"]) == ["lesson_98.py"]
    source = nbformat.read(
        out / "nbgrader" / "source" / "98_fake" / "98_fake.ipynb", as_version=4
    )
    tests = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.source for c in tests] == [
        'assert check("98-answer", answer), "98-answer did not pass its check"',
        'assert check("98-double", double), "98-double did not pass its check"',
    ]
    assert all(c.metadata["nbgrader"]["points"] == 1 for c in tests)
