"""The results tables in full, and their headline, from `results.json` only.

`render_results_markdown` puts every section of `fmnist_course.bench.sections`
together, machines and timings included, for the website's results page.
`render_headline_markdown` is what a newcomer reads first, on the README and
the home page: the ladder's accuracies beside their targets, and the targets.
Both are pure, so no figure is ever typed by hand.

Examples:
    >>> print(render_results_markdown({}))  # doctest: +ELLIPSIS
    No benchmark results yet. ...
    >>> print(render_headline_markdown({}))  # doctest: +ELLIPSIS
    No benchmark results yet. ...

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.sections.bf16_table import bf16_markdown
from fmnist_course.bench.sections.calibration_table import calibration_markdown
from fmnist_course.bench.sections.ladder_table import (
    ladder_headline_markdown,
    ladder_markdown,
)
from fmnist_course.bench.sections.process_split_table import process_split_markdown
from fmnist_course.bench.sections.runtime_table import course_runtime_markdown
from fmnist_course.bench.sections.speed_tables import (
    cpu_time_markdown,
    levers_markdown,
    normalization_markdown,
    speed_markdown,
)
from fmnist_course.bench.sections.targets_table import targets_markdown
from fmnist_course.bench.sections.time_to_accuracy_table import (
    time_to_accuracy_markdown,
)
from fmnist_course.bench.targets import evaluate_targets

NO_RESULTS = (
    "No benchmark results yet. Run `fmnist-course bench ladder`, "
    "`bench speed` and `bench time-to-accuracy`.\n"
)
"""What either rendering says when nothing is recorded."""


def render_results_markdown(results: Mapping[str, Any]) -> str:
    """Every results table, from the ladder (and its bfloat16 twin) to the targets.

    The website's results page shows it. Pure: reads only its argument.
    Sections without figures are left out; CPU and GPU figures are shown side
    by side, never merged.

    Args:
        results: The parsed `benchmarks/results.json`.

    Returns:
        Markdown text ending with a newline.

    Examples:
        >>> text = render_results_markdown({"speed": {}})
        >>> text.startswith("### Training speed")
        True

    """
    sections: list[str] = []
    if results.get("ladder"):
        sections += ladder_markdown(results["ladder"])
    sections += bf16_markdown(results)
    if "speed" in results:
        sections += speed_markdown(results["speed"])
    if results.get("speed_levers"):
        sections += levers_markdown(results["speed_levers"])
    sections += normalization_markdown(results.get("normalization") or {})
    if "speed" in results or results.get("speed_levers"):
        sections += cpu_time_markdown(results.get("speed"), results.get("speed_levers"))
    sections += process_split_markdown(results.get("process_split") or {})
    if results.get("time_to_accuracy"):
        sections += time_to_accuracy_markdown(results["time_to_accuracy"])
    if results.get("course_runtime"):
        sections += course_runtime_markdown(results["course_runtime"])
    sections += calibration_markdown(results)
    return _with_targets(sections, results)


def render_headline_markdown(results: Mapping[str, Any]) -> str:
    """The headline results: each lesson's accuracy with its target, then the targets.

    What the README and the home page show. Machines, timings and speeds are
    left to `render_results_markdown` (the website's results page), so a
    newcomer meets the course's results, not the host's. Pure: reads only
    its argument.

    Args:
        results: The parsed `benchmarks/results.json`.

    Returns:
        Markdown text ending with a newline.

    Examples:
        >>> row = {"lesson": "01", "model": "dense", "params": 235146,
        ...        "epochs": 12, "test_accuracy": 0.878, "train_seconds": 21.2,
        ...        "runs": [{"seed": 0, "test_accuracy": 0.878}]}
        >>> text = render_headline_markdown({"ladder": [row]})
        >>> "| 01 | `dense` | 235,146 | 12 | 87.80% | 87.46% |" in text
        True

    """
    sections: list[str] = []
    if results.get("ladder"):
        sections += ladder_headline_markdown(results["ladder"])
    return _with_targets(sections, results)


def _with_targets(sections: list[str], results: Mapping[str, Any]) -> str:
    """`sections`, then the targets table, as Markdown ending with a newline."""
    targets = results.get("targets") or evaluate_targets(results)
    if targets:
        sections = [*sections, *targets_markdown(targets)]
    if not sections:
        return NO_RESULTS
    return "\n".join(sections).rstrip("\n") + "\n"
