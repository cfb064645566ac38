"""Read and update `benchmarks/results.json`, the course's measured numbers.

Every figure the README and the website show comes from this file, which the
benchmarks write. Each top-level key is one section (`ladder`, `speed`,
`time_to_accuracy`, `tuning`, ...); updating one section keeps the others.

The file is package data: it lives at `fmnist_course/results.json`, inside the
package, so an editable install and an installed wheel find it at the same
place beside this module, and lessons (lesson 05 shows the recorded tuning
numbers) read it wherever the course is installed. `benchmarks/results.json`
in the repository is a symbolic link to it: one file, two names.

Examples:
    >>> update_results("tuning", {"grid": {"best_val_accuracy": 0.9}})  # doctest: +SKIP
    >>> load_results()["tuning"]["grid"]["best_val_accuracy"]  # doctest: +SKIP
    0.9

"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fmnist_course.errors import UserError

DEVICES = ("cpu", "gpu")
"""The kinds of device a result is recorded for, each a section of its own."""

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"
"""The recorded results, shipped in the package (`benchmarks/results.json` links here).

Writers replace this real file, never the link: `update_results` writes a new
file beside it and renames it over this path.
"""


def load_results(path: str | os.PathLike = RESULTS_PATH) -> dict[str, Any]:
    """Return the recorded results, or `{}` when the file does not exist yet.

    Raises:
        ValueError: The file exists but is not a JSON object.

    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UserError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(results, dict):
        raise UserError(f"{path} must hold a JSON object. Received: {type(results)}")
    return results


def update_results(
    section: str, value: Any, path: str | os.PathLike = RESULTS_PATH
) -> dict[str, Any]:
    """Replace one section of the results file, keeping the others; atomic write.

    Returns:
        The whole updated results mapping.

    """
    path = Path(path).resolve()  # through a link, to the real file
    results = load_results(path)
    results[section] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)
    return results
