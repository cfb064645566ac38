"""One version number: the package, the changelog, the setup cell, --version."""

import re
import subprocess
import sys

import pytest

from fmnist_course import __version__
from fmnist_course._version import __version__ as defined
from fmnist_course.authoring.lesson_files import REPO_ROOT
from fmnist_course.authoring.setup_cell import PIP_SPEC, setup_cell_source


def test_the_version_is_defined_once_and_read_everywhere():
    assert __version__ == defined
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "fmnist_course._version.__version__"
    }
    assert PIP_SPEC.endswith(f"@v{__version__}")
    assert f'COURSE_VERSION = "{__version__}"' in setup_cell_source()
    result = subprocess.run(
        [sys.executable, "-m", "fmnist_course", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == __version__


def test_the_changelog_has_a_section_for_this_version():
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert __version__ in headings, headings
