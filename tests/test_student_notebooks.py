"""The committed student notebooks: in step with the lessons, solution-free, set up.

They are what "Open in Colab" opens, so they are generated from the lessons
(`fmnist-course notebooks build`) and a test fails as soon as they drift.
"""

import ast
import subprocess
import sys

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from fmnist_course._version import REPOSITORY_URL, __version__
from fmnist_course.authoring.lesson_files import REPO_ROOT, lesson_paths, read_lesson
from fmnist_course.authoring.setup_cell import (
    PIP_SPEC,
    PIP_SPEC_ENV,
    SETUP_CELL_TAG,
    add_setup_cell,
    is_setup_cell,
    setup_cell_source,
)
from fmnist_course.authoring.solutions import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    find_exercises,
)
from fmnist_course.authoring.student_notebooks import (
    GENERATED_FIELD,
    STUDENT_NOTEBOOKS_DIR,
    build_student_notebooks,
    colab_url,
    stale_student_notebooks,
)
from fmnist_course.settings import TF_LOG_ENV, TF_LOG_LEVEL

LESSONS = lesson_paths()
IDS = [path.stem for path in LESSONS]


def test_committed_student_notebooks_match_the_lessons():
    problems = stale_student_notebooks()
    assert not problems, (
        "The student notebooks in notebooks/ differ from the lessons:\n"
        + "\n".join(problems)
        + "\nRun: fmnist-course notebooks build (or make notebooks), and commit."
    )


def outside_solutions(notebook):
    """The lines of a notebook outside its solution regions, stripped."""
    lines, inside = set(), False
    for cell in notebook.cells:
        for line in cell.source.splitlines():
            if line.strip() in (BEGIN_SOLUTION, END_SOLUTION):
                inside = line.strip() == BEGIN_SOLUTION
            elif not inside:
                lines.add(line.strip())
    return lines


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_student_notebook_has_no_solution_and_opens_with_the_setup_cell(path):
    student = nbformat.read(STUDENT_NOTEBOOKS_DIR / f"{path.stem}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in student.cells)
    assert BEGIN_SOLUTION not in text and END_SOLUTION not in text
    lesson = read_lesson(path)
    exercises = find_exercises(lesson)
    assert exercises
    outside = outside_solutions(lesson)
    for exercise in exercises:
        solution_lines = [
            line.strip()
            for line in exercise.solution.splitlines()
            if len(line.strip()) > 20  # a distinctive line of the answer ...
            and line.strip() not in outside  # ... that the lesson does not show
        ]
        leaked = [line for line in solution_lines if line in text]
        assert not leaked, f"{exercise.exercise_id}: {leaked}"
        assert f"Exercise {exercise.exercise_id}: replace this line" in text
    assert student.cells[0].cell_type == "markdown"
    assert student.cells[0].source.startswith("# ")
    assert is_setup_cell(student.cells[1])
    assert student.cells[1].source == setup_cell_source()
    assert sum(is_setup_cell(cell) for cell in student.cells) == 1
    assert all(cell.outputs == [] for cell in student.cells if cell.cell_type == "code")


def test_the_generator_rewrites_its_own_folder_and_keeps_other_files(tmp_path):
    out = tmp_path / "notebooks"
    written = build_student_notebooks(out)
    assert [path.name for path in written] == [f"{p.stem}.ipynb" for p in LESSONS]
    assert stale_student_notebooks(out) == []
    orphan = out / "99_removed_lesson.ipynb"
    orphan.write_text(written[0].read_text())  # generated, for no lesson
    mine = out / "my_notes.ipynb"
    mine.write_text("{}")
    written[1].write_text(written[1].read_text().replace("Exercise", "Exorcise"))
    assert len(stale_student_notebooks(out)) == 2
    build_student_notebooks(out)
    assert stale_student_notebooks(out) == []
    assert not orphan.exists() and mine.read_text() == "{}"


def test_the_generator_does_not_overwrite_a_notebook_it_did_not_write(tmp_path):
    from fmnist_course.errors import UserError

    out = tmp_path / "notebooks"
    out.mkdir()
    theirs = out / f"{LESSONS[0].stem}.ipynb"
    theirs.write_text(nbformat.writes(nbformat.v4.new_notebook()))
    with pytest.raises(UserError, match="not overwritten"):
        build_student_notebooks(out)
    notebook = nbformat.read(theirs, as_version=4)
    assert GENERATED_FIELD not in notebook.metadata


def test_colab_links_open_the_student_notebooks_of_the_course_repository():
    mkdocs_yml = (REPO_ROOT / "mkdocs.yml").read_text()
    assert f"repo_url: {REPOSITORY_URL}" in mkdocs_yml
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    urls = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Repository"] == REPOSITORY_URL
    url = colab_url("03_dropout")
    assert url == (
        "https://colab.research.google.com/github/fmnist-course/fmnist-course"
        "/blob/main/notebooks/03_dropout.ipynb"
    )
    with pytest.raises(ValueError, match="Received: repo_url='https://gitlab.com/a/b'"):
        colab_url("03_dropout", "https://gitlab.com/a/b")


# --------------------------------------------------------------------------- #
# The setup cell, run as IPython runs it (the %pip magic recorded, not run)
# --------------------------------------------------------------------------- #

RUN_CELL = """
import os, sys
calls = []
class Shell:
    def run_line_magic(self, name, line):  # IPython expands {names} as here
        calls.append(f"%{name} " + line.format(**globals()))
get_ipython = lambda: Shell()
try:
    exec(sys.stdin.read())
except RuntimeError as error:
    print("RuntimeError:", error)
print("calls:", calls)
print("TF log level:", os.environ.get(sys.argv[1]))
"""


def run_setup_cell(source, env=None):
    code = TransformerManager().transform_cell(source)
    result = subprocess.run(
        [sys.executable, "-c", RUN_CELL, TF_LOG_ENV],
        input=code,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_setup_cell_does_nothing_where_the_course_imports(monkeypatch):
    monkeypatch.delenv(TF_LOG_ENV, raising=False)
    import os

    out = run_setup_cell(setup_cell_source(), env=dict(os.environ))
    assert out.splitlines() == ["calls: []", f"TF log level: {TF_LOG_LEVEL}"]


def test_setup_cell_installs_the_course_where_its_version_is_missing(monkeypatch):
    import os

    monkeypatch.delenv(PIP_SPEC_ENV, raising=False)
    source = setup_cell_source(version="9.9.9")
    out = run_setup_cell(source, env=dict(os.environ))
    assert f"fmnist-course 9.9.9 is not installed here (found: {__version__})" in out
    assert f"calls: ['%pip install --quiet \"{PIP_SPEC}\"']" in out
    # Still the wrong version after the (recorded, not run) install: it says so.
    assert "RuntimeError: Expected fmnist-course 9.9.9 after installing" in out
    assert "Restart the kernel" in out
    env = dict(os.environ, **{PIP_SPEC_ENV: "/wheels/fmnist_course.whl"})
    out = run_setup_cell(source, env=env)
    assert "calls: ['%pip install --quiet \"/wheels/fmnist_course.whl\"']" in out


def test_setup_cell_is_folded_and_displays_no_value():
    # Guards: a 40-line cell on every lesson page, and an Out[1] showing the
    # path of the machine's keras module (issue 36, item 7).
    notebook = add_setup_cell(nbformat.v4.new_notebook())
    cell = notebook.cells[0]
    assert cell.metadata["jupyter"]["source_hidden"] is True
    assert SETUP_CELL_TAG in cell.metadata["tags"]
    code = TransformerManager().transform_cell(cell.source)
    assert not isinstance(ast.parse(code).body[-1], ast.Expr)
    mkdocs = (REPO_ROOT / "mkdocs.yml").read_text()
    assert f"remove_input_tags: [{SETUP_CELL_TAG}]" in mkdocs
