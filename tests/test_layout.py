"""The library apart from the tooling: two import rules, read from the source.

The imports are read with `ast`, never by importing, so a rule holds for code
that only runs in a function or a lesson cell too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from fmnist_course.authoring.lesson_cache import LIBRARY_DIR, TOOLING
from fmnist_course.authoring.lesson_files import LESSONS_DIR, lesson_paths

PACKAGE = LIBRARY_DIR.name


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a Python file imports, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            # `from fmnist_course import bench` imports the subpackage
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_tooling(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == PACKAGE and len(parts) > 1 and parts[1] in TOOLING


def library_modules() -> list[Path]:
    return [
        path
        for path in sorted(LIBRARY_DIR.rglob("*.py"))
        if path.relative_to(LIBRARY_DIR).parts[0] not in TOOLING
    ]


def test_library_never_imports_the_tooling():
    """Guards: the library (what lessons and students import) stands without the
    tooling (authoring, grading, bench, website, cli) on top of it."""
    found = [
        f"{path.relative_to(LIBRARY_DIR.parent)} imports {module}"
        for path in library_modules()
        for module in sorted(imported_modules(path))
        if is_tooling(module)
    ]
    assert library_modules(), "no library modules found"
    assert not found, "\n".join(found)


def test_lessons_import_only_the_library():
    """Guards: lessons import only the library, so its files are all a lesson's
    cache key needs (fmnist_course.authoring.lesson_cache)."""
    found = [
        f"{path.relative_to(LESSONS_DIR.parent)} imports {module}"
        for path in lesson_paths()
        for module in sorted(imported_modules(path))
        if is_tooling(module)
    ]
    assert lesson_paths(), "no lessons found"
    assert not found, "\n".join(found)


def test_the_rules_see_every_form_of_import(tmp_path):
    source = tmp_path / "example.py"
    source.write_text(
        "import fmnist_course.bench.report\n"
        "from fmnist_course import grading\n"
        "def later():\n"
        "    from fmnist_course.cli.main import main\n"
        "from fmnist_course.data import load_fashion_mnist\n"
    )
    modules = imported_modules(source)
    assert {
        "fmnist_course.bench.report",
        "fmnist_course.cli.main",
        "fmnist_course.grading",
    } <= {module for module in modules if is_tooling(module)}
    assert not is_tooling("fmnist_course.data")


def test_building_a_student_notebook_imports_no_keras():
    """Guards: building notebooks is text work; exercises/ loads checks lazily."""
    program = (
        "import sys\n"
        "from fmnist_course.authoring.student_notebooks import student_notebook\n"
        "from fmnist_course.authoring.lesson_files import lesson_paths\n"
        "import fmnist_course.exercises\n"
        "for lesson in lesson_paths():\n"
        "    student_notebook(lesson)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'keras', 'tensorflow'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
        cwd=LIBRARY_DIR.parent,
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


MAX_MODULE_LINES = 500
"""The house's size for one concept (STYLE.md): read in one sitting."""


def test_every_module_is_one_concept_of_at_most_500_lines_with_a_docstring():
    """Guards: no module of the package grows past one sitting's read, and
    each says in its docstring which concept it holds."""
    found = []
    for path in sorted(LIBRARY_DIR.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.count("\n")
        name = path.relative_to(LIBRARY_DIR.parent)
        if lines > MAX_MODULE_LINES:
            found.append(f"{name}: {lines} lines")
        if path.name != "__main__.py" and not ast.get_docstring(ast.parse(source)):
            found.append(f"{name}: no module docstring")
    assert not found, "\n".join(found)
