"""The setup cell that opens every lesson notebook a student runs.

A student opens a lesson in Colab or in a Jupyter whose kernel may not have the
course installed. The first code cell of each student notebook (and of each
notebook the site executes) is generated here, from one template:

- where `fmnist_course` of the lesson's version imports, it does nothing;
- otherwise it installs the course with `%pip` and says what it installed:
  `PIP_SPEC`, the repository at this version's tag, or the requirement in
  `FMNIST_COURSE_PIP_SPEC` when that is set (any pip requirement, such as the
  path of a local wheel: this is how the tests run the cell offline);
- pip keeps a TensorFlow and Keras that satisfy the course's requirements
  (Colab's, for instance) instead of installing them again;
- it imports TensorFlow and Keras with `fmnist_course.quiet`, so their
  start-up lines (which `TF_CPP_MIN_LOG_LEVEL` does not silence) appear in no
  lesson output, and it shows no value (no module path of the machine);
- its metadata folds it: JupyterLab and Notebook 7 hide its source
  (`jupyter.source_hidden`), Colab shows it as a folded form (`cellView` and
  the `#@title` of its first line), and the website hides its input by its
  tag (`SETUP_CELL_TAG`, named in `mkdocs.yml`'s `remove_input_tags`). A
  student sees one folded cell, not its lines.

The cell is plain code for a fresh kernel: it cannot import the course to find
out what to do, so the version and requirement are written into its source.

Examples:
    >>> import nbformat
    >>> notebook = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("# Title"),
    ...     nbformat.v4.new_code_cell("import fmnist_course"),
    ... ])
    >>> notebook = add_setup_cell(notebook)
    >>> [cell.cell_type for cell in notebook.cells]
    ['markdown', 'code', 'code']
    >>> is_setup_cell(notebook.cells[1])
    True
    >>> PIP_SPEC
    'fmnist-course @ git+https://github.com/fmnist-course/fmnist-course@v0.1.0'

"""

from __future__ import annotations

import copy
from string import Template

import nbformat

from fmnist_course._version import REPOSITORY_URL, __version__
from fmnist_course.settings import TF_LOG_ENV, TF_LOG_LEVEL

PIP_SPEC_ENV = "FMNIST_COURSE_PIP_SPEC"
"""Environment variable that, when set, replaces `PIP_SPEC` (any pip requirement)."""

PIP_SPEC = f"fmnist-course @ git+{REPOSITORY_URL}@v{__version__}"
"""What the setup cell installs: the one place that says where the course comes from.

The repository at this version's tag (`v0.1.0`), so every student gets the
library their lesson was written for. Once the course is on the package
index, this becomes `f"fmnist-course=={__version__}"`.
"""

SETUP_CELL_MARKER = "#@title fmnist-course setup cell"
"""The first line of the setup cell, by which it is recognised.

`#@title` makes it the title of a Colab form, which Colab shows folded.
"""

SETUP_CELL_TAG = "fmnist-course-setup"
"""The setup cell's tag; the website hides the input of cells so tagged."""

SETUP_CELL_METADATA = {
    "tags": [SETUP_CELL_TAG],
    "jupyter": {"source_hidden": True},
    "cellView": "form",
}
"""The setup cell's metadata: folded in Jupyter and Colab, tagged for the site."""

SETUP_CELL_TEMPLATE = Template('''\
$marker: installs the course where this kernel lacks it (Colab, a fresh kernel).
import importlib, os, sys

os.environ.setdefault("$tf_log_env", "$tf_log_level")  # before Keras is first imported
COURSE_VERSION = "$version"


def course_version():
    """The version of fmnist_course this kernel imports, or None."""
    importlib.invalidate_caches()
    try:
        from fmnist_course._version import __version__
    except ImportError:
        return None
    return __version__


found = course_version()
if found != COURSE_VERSION:
    spec = os.environ.get("$env") or "$spec"
    print(f"fmnist-course {COURSE_VERSION} is not installed here (found: {found}).")
    print(f"Installing {spec} (TensorFlow and Keras are kept if they fit) ...")
    %pip install --quiet "{spec}"
    found = course_version()
    if found != COURSE_VERSION:
        raise RuntimeError(
            f"Expected fmnist-course {COURSE_VERSION} after installing {spec}. "
            f"Received: {found}. Restart the kernel (Runtime > Restart session "
            "in Colab) and run this cell again."
        )
    import fmnist_course

    print(f"Installed fmnist-course {found}: {fmnist_course.__file__}")

from fmnist_course.quiet import import_keras_quietly

keras = import_keras_quietly()  # TensorFlow's start-up lines would fill the next cell
''')
"""The setup cell's source; `setup_cell_source` fills it in."""


def setup_cell_source(version: str = __version__, pip_spec: str = PIP_SPEC) -> str:
    """The source of the setup cell for a version of the course.

    Args:
        version: The version the lessons were written for.
        pip_spec: The pip requirement installed when that version is missing.

    Examples:
        >>> source = setup_cell_source("9.9.9", "fmnist-course==9.9.9")
        >>> source.splitlines()[0].startswith(SETUP_CELL_MARKER)
        True
        >>> 'COURSE_VERSION = "9.9.9"' in source
        True

    """
    return SETUP_CELL_TEMPLATE.substitute(
        marker=SETUP_CELL_MARKER,
        version=version,
        env=PIP_SPEC_ENV,
        spec=pip_spec,
        tf_log_env=TF_LOG_ENV,
        tf_log_level=TF_LOG_LEVEL,
    )


def is_setup_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell is a setup cell made by this module (any version).

    Examples:
        >>> is_setup_cell(nbformat.v4.new_code_cell("print(1)"))
        False

    """
    return cell.cell_type == "code" and cell.source.startswith(SETUP_CELL_MARKER)


def add_setup_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a lesson notebook with the setup cell as its first code cell.

    The cell goes right after the lesson's leading markdown (its title and
    header), so the notebook still opens with its title. A setup cell already
    there is replaced, so adding it twice gives one cell.

    Args:
        notebook: A lesson notebook; it is not modified.

    Returns:
        The new notebook.

    Examples:
        >>> notebook = nbformat.v4.new_notebook(
        ...     cells=[nbformat.v4.new_code_cell("x = 1")]
        ... )
        >>> twice = add_setup_cell(add_setup_cell(notebook))
        >>> [is_setup_cell(cell) for cell in twice.cells]
        [True, False]

    """
    notebook = copy.deepcopy(notebook)
    cells = [cell for cell in notebook.cells if not is_setup_cell(cell)]
    position = 0
    while position < len(cells) and cells[position].cell_type == "markdown":
        position += 1
    cells.insert(
        position,
        nbformat.v4.new_code_cell(
            setup_cell_source(), metadata=copy.deepcopy(SETUP_CELL_METADATA)
        ),
    )
    notebook.cells = cells
    return notebook
