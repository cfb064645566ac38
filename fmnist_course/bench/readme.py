r"""The README writer: the headline results, written between two markers.

`update_readme` rewrites what lies between `START_MARKER` and `END_MARKER` of
the README with `render_headline_markdown`; everything else in the file is
prose and stays as it is. `fmnist-course bench readme` and every benchmark
that records a figure call it.

Examples:
    >>> replace_between_markers(f"{START_MARKER}{END_MARKER}", "new")
    '<!-- results:start -->\nnew\n<!-- results:end -->'

"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmnist_course.bench.results_markdown import render_headline_markdown

START_MARKER = "<!-- results:start -->"
"""Where the generated results of the README begin."""


END_MARKER = "<!-- results:end -->"
"""Where they end."""


def replace_between_markers(text: str, content: str) -> str:
    r"""Replace what lies between the results markers of `text` with `content`.

    Raises:
        ValueError: The markers are missing or out of order.

    Examples:
        >>> replace_between_markers(
        ...     "a\n<!-- results:start -->\nold\n<!-- results:end -->\nb", "new\n")
        'a\n<!-- results:start -->\nnew\n<!-- results:end -->\nb'

    """
    start = text.find(START_MARKER)
    end = text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(
            f"Expected the markers {START_MARKER} and {END_MARKER}, in that order, "
            "around the generated results. Add them where the tables should go."
        )
    head = text[: start + len(START_MARKER)]
    return f"{head}\n{content.rstrip()}\n{text[end:]}"


def update_readme(readme: str | os.PathLike, results: Mapping[str, Any]) -> bool:
    """Rewrite the headline results of a README from `results`.

    Returns:
        Whether the file changed.

    Raises:
        FileNotFoundError: No such README.
        ValueError: The README lacks the results markers.

    Examples:
        >>> update_readme("README.md", load_results())  # doctest: +SKIP
        True

    """
    path = Path(readme)
    if not path.is_file():
        raise FileNotFoundError(f"No README at {path}.")
    text = path.read_text(encoding="utf-8")
    updated = replace_between_markers(text, render_headline_markdown(results))
    if updated == text:
        return False
    partial = path.with_name(path.name + ".partial")
    partial.write_text(updated, encoding="utf-8")
    os.replace(partial, path)
    return True
