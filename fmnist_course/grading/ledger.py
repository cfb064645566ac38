"""What a grading writes, and how it never loses or overwrites a grade.

Next to the `--out` table: `grades.jsonl`, the ledger (one line per student,
appended and synced as soon as the student is graded, so a crash or Ctrl-C
keeps every finished student), `feedback/<student>.md`, and
`executed/<student>/<notebook>.ipynb`; then `grades.csv` and `summary.md`,
rendered from the ledger. Outputs that exist are refused before grading starts;
when resuming, outputs that differ from what the ledger renders (edited by
hand) are refused too. `fmnist_course.grading.grade` runs the batch.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from fmnist_course.grading.feedback import (
    feedback_markdown,
    render_csv,
    render_summary,
    safe_file_name,
)

LEDGER_SUFFIX = ".jsonl"


def read_ledger(path: Path) -> list[dict]:
    """The ledger's records, skipping a last line cut short by a crash."""
    records = []
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash
        if isinstance(record, dict) and isinstance(record.get("student"), str):
            records.append(record)
    return records


def latest_records(records: list[dict]) -> dict[str, dict]:
    """Each student's last record: a student graded again counts once."""
    return {record["student"]: record for record in records}


def write_new(path: Path, text: str, replaceable: str | None = None) -> None:
    """Write `text` to `path` atomically; never replace what someone else wrote.

    `path` may be replaced only if it holds exactly `replaceable` (what this
    grading rendered before).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    try:
        if path.exists():
            if replaceable is None or path.read_text(encoding="utf-8") != replaceable:
                raise FileExistsError(
                    f"{path} appeared or changed while grading; it was not "
                    "overwritten. The ledger keeps every grade: move it away and "
                    "rerun with --resume to render it again."
                )
            os.replace(partial, path)
        else:
            os.link(partial, path)  # fails if it appeared meanwhile
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def output_paths(out_csv: Path) -> dict[str, Path]:
    """Where a grading into `out_csv` writes: ledger, summary, feedback, notebooks.

    Examples:
        >>> sorted(output_paths(Path("grading/grades.csv")))
        ['csv', 'executed', 'feedback', 'ledger', 'summary']

    """
    root = out_csv.parent
    return {
        "csv": out_csv,
        "ledger": out_csv.with_suffix(LEDGER_SUFFIX),
        "summary": root / "summary.md",
        "feedback": root / "feedback",
        "executed": root / "executed",
    }


def check_outputs(outputs: dict[str, Path], resume: bool, assignment: dict) -> dict:
    """Refuse existing outputs (or, resuming, edited ones) before any grading."""
    if not resume:
        existing = [str(p) for p in outputs.values() if p.exists()]
        if existing:
            raise FileExistsError(
                f"Refusing to overwrite earlier grading output: {', '.join(existing)}. "
                "Choose another --out, or pass --resume to finish that grading."
            )
        return {}
    records = latest_records(read_ledger(outputs["ledger"]))
    rendered = {
        "csv": render_csv(assignment, list(records.values())),
        "summary": render_summary(assignment, list(records.values())),
    }
    for key, text in rendered.items():
        path = outputs[key]
        if path.exists() and path.read_text(encoding="utf-8") != text:
            raise FileExistsError(
                f"{path} differs from what the ledger {outputs['ledger']} renders "
                "(edited by hand?). Move it away before resuming: it is not "
                "overwritten."
            )
    return records


def write_student(outputs: dict[str, Path], assignment: dict, record: dict) -> dict:
    """Write a student's executed notebooks and feedback, then its ledger line."""
    folder = record.get("files_as") or safe_file_name(record["student"])
    for name, text in record.pop("executed", {}).items():
        target = outputs["executed"] / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    record["notebooks"] = [
        f"executed/{folder}/{name}" for name in record.get("notebooks", [])
    ]
    feedback = outputs["feedback"] / f"{folder}.md"
    feedback.parent.mkdir(parents=True, exist_ok=True)
    partial = feedback.with_name(f".{feedback.name}.partial")
    partial.write_text(feedback_markdown(assignment, record), encoding="utf-8")
    os.replace(partial, feedback)
    with open(outputs["ledger"], "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(record) + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())
    return record
