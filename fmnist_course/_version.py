"""The course's version and home: one definition each, importing nothing.

`pyproject.toml` reads `__version__` from here (setuptools parses this file,
it does not import the package), the setup cell of every student notebook
installs this version, and the command line's `--version` prints it.

Examples:
    >>> __version__.count(".")
    2
    >>> REPOSITORY_URL
    'https://github.com/fmnist-course/fmnist-course'

"""

__version__ = "0.1.0"
"""The one version number: the package, its tag (`v0.1.0`) and the changelog."""

REPOSITORY_URL = "https://github.com/fmnist-course/fmnist-course"
"""The course's repository, as `repo_url` in `mkdocs.yml` and `project.urls`."""
