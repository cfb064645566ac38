"""What a site build with the retrain switch on measured: `retrain_build`.

`FMNIST_RETRAIN=1 fmnist-course site build --force` executes every lesson
with the switch on, so lessons 02, 03, 04 and 07 train their full recipes
instead of loading the shipped models, and each prints how its run compares
with the ladder's seeds (`fmnist_course.retrained`). Such a build is not the
course's runtime (`course_runtime` times the default build); `retrain_entry`
collects those lines from the executed notebooks instead, and the build
records them as `retrain_build`, beside the build's wall time, once MkDocs
has built the site (`site_seconds`): an entry means the course built. The targets
table reads them (`fmnist_course.bench.targets.retrain_target`): the course,
retrained, still builds, and scores what the ladder recorded.

Examples:
    >>> entry = retrain_entry([], wall_seconds=1.0, jobs=2)
    >>> entry["agreements"], entry["jobs"]
    ([], 2)

"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fmnist_course.bench.record import measured_now
from fmnist_course.machine import describe_machine
from fmnist_course.retrained import read_agreements


def notebook_text(path: str | Path) -> str:
    """Everything an executed notebook's cells printed, in order.

    Only the printed text (stream outputs) counts: what a cell prints is
    what the reader of the page sees.

    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    parts = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                parts.append("".join(text) if isinstance(text, list) else text)
    return "".join(parts)


def retrain_entry(
    executed: Sequence[str | Path], *, wall_seconds: float, jobs: int
) -> dict[str, Any]:
    """The `retrain_build` entry of a build that executed every lesson.

    Args:
        executed: The executed notebooks, in lesson order.
        wall_seconds: How long executing them took.
        jobs: How many lessons ran at once.

    Returns:
        `{"lessons", "agreements", "wall_seconds", "jobs", "measured_at",
        "machine"}`; each agreement is `Agreement.as_record()` with the
        lesson that printed it.

    """
    agreements = [
        {"lesson": Path(path).stem, **agreement}
        for path in executed
        for agreement in read_agreements(notebook_text(path))
    ]
    return {
        "lessons": [Path(path).stem for path in executed],
        "agreements": agreements,
        "wall_seconds": float(wall_seconds),
        "jobs": jobs,
        "measured_at": measured_now(),
        "machine": describe_machine(),
    }
