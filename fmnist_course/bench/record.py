"""Record a measurement: results.json section, targets, schema check, README.

Every benchmark command (and the full-mode site build, for the course runtime)
ends the same way: merge its figures into `benchmarks/results.json` under the
device they were measured on, recompute the `targets` section, check the file
against the schema and re-render the README between its results markers.

Examples:
    >>> entry = {"total_seconds": 2400.0, "machine": {"device": "cpu"}}
    >>> section = per_device(None, "course_runtime", entry)
    >>> list(section)
    ['cpu']

"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fmnist_course.bench.readme import update_readme
from fmnist_course.bench.schema import validate_results
from fmnist_course.bench.targets import evaluate_targets
from fmnist_course.results import RESULTS_PATH, load_results, update_results

README_PATH = RESULTS_PATH.parent.parent / "README.md"


def measured_now() -> str:
    """The current UTC time, as every recorded row's `measured_at` writes it.

    Examples:
        >>> stamp = measured_now()
        >>> len(stamp), stamp[10], stamp[-1]
        (20, 'T', 'Z')

    """
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def per_device(path: Path | None, section: str, entry: dict[str, Any]) -> dict:
    """The section with this device's entry replaced and the others kept."""
    existing = dict(load_results(path).get(section, {})) if path else {}
    existing[entry["machine"]["device"]] = entry
    return existing


def record(
    path: Path | None,
    section: str,
    value: Any,
    *,
    readme: Path | None = None,
    log: Callable[[str], None] = print,
) -> None:
    """Write a section, recompute targets, validate, re-render the README.

    Args:
        path: The results file; `None` records nothing (a shortened run).
        section: The top-level key to replace.
        value: Its new value.
        readme: The README to re-render (default: the repository's).
        log: Where progress lines go.

    """
    if path is None:
        return
    validate_results({**load_results(path), section: value})  # before writing
    update_results(section, value, path)
    results = update_results("targets", evaluate_targets(load_results(path)), path)
    validate_results(results)
    log(f"recorded: {path} ({section})")
    readme = readme or README_PATH
    if not readme.is_file():
        log(f"README not updated: no file at {readme}")
        return
    try:
        changed = update_readme(readme, results)
    except ValueError as error:
        log(f"README not updated: {error}")
        return
    log(f"README {'updated' if changed else 'unchanged'}: {readme}")


class RunRecorder:
    """Records the runs of a search as each finishes, one device's entry each.

    A search that trains many runs (the ablation, the candidates) must not
    lose the finished ones when a later run fails, so each finished run is
    merged into its device's entry (`merge`, then `entry_of`) and the
    section is recorded at once. The entries start from what the record
    already holds.

    Args:
        path: The results file; `None` keeps the entries in memory only.
        section: The record's section, say `"candidates"`.
        merge: Merges earlier rows with new ones, the new replacing the same run.
        entry_of: Builds a device's entry from its rows.
        readme: The README to re-render (default: the repository's).

    Examples:
        >>> def merge(old, new):
        ...     return [*old, *new]
        >>> def entry_of(rows):
        ...     return {"rows": list(rows), "machine": rows[-1]["machine"]}
        >>> recorder = RunRecorder(None, "search", merge, entry_of)
        >>> recorder.add({"seed": 0, "machine": {"device": "cpu"}})
        >>> len(recorder.entries["cpu"]["rows"])
        1

    """

    def __init__(
        self,
        path: Path | None,
        section: str,
        merge: Callable[[list, list], list],
        entry_of: Callable[[list], dict[str, Any]],
        *,
        readme: Path | None = None,
    ) -> None:
        self.path = path
        self.section = section
        self.merge = merge
        self.entry_of = entry_of
        self.readme = readme
        self.entries: dict[str, dict[str, Any]] = {}

    def add(self, row: dict[str, Any]) -> None:
        """Merge one finished run into its device's entry and record it."""
        device = row["machine"]["device"]
        saved = load_results(self.path).get(self.section, {}) if self.path else {}
        earlier = self.entries.get(device) or saved.get(device) or {"rows": []}
        self.entries[device] = self.entry_of(self.merge(earlier["rows"], [row]))
        if self.path is not None:
            section = per_device(self.path, self.section, self.entries[device])
            record(self.path, self.section, section, readme=self.readme)
