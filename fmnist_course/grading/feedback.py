"""What grading writes for people: the grades CSV, feedback and the class summary.

Everything here renders the ledger's records (plain dicts, one per student, see
`fmnist_course.grading.grade`) as text. A spreadsheet cell never starts
with `=`, `+`, `-`, `@` (or a tab or carriage return), so nothing a student
named or wrote becomes a formula; the header holds only the assignment's
exercise ids and fixed column names.

Examples:
    >>> safe_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> safe_cell(3)
    '3'

"""

from __future__ import annotations

import csv
import io
import re

FIXED_COLUMNS = ("student", "total", "mode", "problem", "probe")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_cell(value) -> str:
    """A CSV cell that no spreadsheet reads as a formula.

    Examples:
        >>> safe_cell("-1")
        "'-1"
        >>> safe_cell("ada")
        'ada'

    """
    text = str(value).replace("\x00", "")
    return "'" + text if text.startswith(FORMULA_START) else text


_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


def md(text) -> str:
    r"""Text a student influenced, as plain Markdown: one line, nothing active.

    Control characters and line breaks become spaces, and every character
    that Markdown or HTML would act on is escaped, so a name, a check id or
    an answer echoed in a message can neither add a heading nor a tag.

    Examples:
        >>> md("ada\n# Score: 26 <img src=x>")
        'ada \\# Score: 26 \\<img src=x\\>'

    """
    flat = "".join(c if c.isprintable() else " " for c in str(text))
    return _MARKDOWN.sub(r"\\\1", flat)


def safe_file_name(student: str) -> str:
    """A file name for a student's feedback: letters, digits, `.`, `_`, `-`.

    Examples:
        >>> safe_file_name("=HYPERLINK(x)/../ada")
        '_HYPERLINK_x_.._ada'

    """
    name = SAFE_NAME.sub("_", student).strip(".") or "student"
    return name[:100]


def format_points(points: float) -> str:
    """`1` for whole numbers, `0.5` otherwise.

    Examples:
        >>> format_points(2.0), format_points(0.5)
        ('2', '0.5')

    """
    return str(int(points)) if float(points).is_integer() else f"{points:g}"


def render_csv(assignment: dict, records: list[dict]) -> str:
    """The grades table: one row per student, one column per exercise (points).

    Columns: `student`, each exercise id of the assignment (points scored, 0
    when failed or not attempted), `total`, `mode` (sandbox or no-sandbox),
    `problem`, and `probe` (what the sandbox probe checked before the batch).

    Examples:
        >>> assignment = {"exercises": [{"id": "98-answer", "points": 2}]}
        >>> record = {"student": "=bob", "scores": {"98-answer": 2}, "total": 2,
        ...           "mode": "sandbox", "problem": ""}
        >>> print(render_csv(assignment, [record]).strip())
        student,98-answer,total,mode,problem,probe
        '=bob,2,2,sandbox,,

    """
    ids = [entry["id"] for entry in assignment["exercises"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [safe_cell(c) for c in ("student", *ids, "total", "mode", "problem", "probe")]
    )
    for record in sorted(records, key=lambda r: r["student"]):
        scores = record.get("scores", {})
        writer.writerow(
            [safe_cell(record["student"])]
            + [safe_cell(format_points(scores.get(i, 0))) for i in ids]
            + [
                safe_cell(format_points(record.get("total", 0))),
                safe_cell(record.get("mode", "")),
                safe_cell(record.get("problem", "")),
                safe_cell(record.get("probe", "")),
            ]
        )
    return buffer.getvalue()


def render_summary(assignment: dict, records: list[dict]) -> str:
    """The class summary in Markdown: pass rate per exercise, mean total.

    Examples:
        >>> assignment = {"exercises": [{"id": "98-a", "title": "A", "points": 1}]}
        >>> records = [{"student": "x", "exercises": {"98-a": {"status": "passed"}},
        ...             "total": 1}]
        >>> "| `98-a` | A | 1 / 1 | 100% |" in render_summary(assignment, records)
        True

    """
    count = len(records)
    possible = sum(entry["points"] for entry in assignment["exercises"])
    mean = sum(r.get("total", 0) for r in records) / count if count else 0
    lines = [
        "# Class summary",
        "",
        f"{count} students graded; mean total {mean:.2f} of {format_points(possible)}.",
        "",
        "| exercise | title | passed | pass rate |",
        "|---|---|---|---|",
    ]
    for entry in assignment["exercises"]:
        passed = sum(
            r.get("exercises", {}).get(entry["id"], {}).get("status") == "passed"
            for r in records
        )
        rate = f"{passed / count:.0%}" if count else "-"
        title = entry.get("title", "").replace("|", "/")
        lines.append(f"| `{entry['id']}` | {title} | {passed} / {count} | {rate} |")
    probes = sorted({r.get("probe", "") for r in records if r.get("probe")})
    if probes:
        lines += ["", "## Sandbox", ""] + [f"- {md(probe)}" for probe in probes]
    grading_errors = [
        (r["student"], exercise_id, result.get("detail", ""))
        for r in records
        for exercise_id, result in sorted(r.get("exercises", {}).items())
        if result.get("status") == "grading error"
    ]
    if grading_errors:
        lines += [
            "",
            "## Grading errors",
            "",
            "Answers the grader could not read back: the grader's problem, not a "
            "wrong answer. Review these by hand (0 points until then).",
            "",
        ]
        lines += [
            f"- {md(student)}, {md(exercise_id)}: {md(detail)}"
            for student, exercise_id, detail in sorted(grading_errors)
        ]
    problems = [r for r in records if r.get("problem")]
    if problems:
        lines += ["", "## Problems", ""]
        lines += [
            f"- {md(r['student'])}: {md(r['problem'])}"
            for r in sorted(problems, key=lambda r: r["student"])
        ]
    return "\n".join(lines) + "\n"


def feedback_markdown(assignment: dict, record: dict) -> str:
    """One student's feedback: exercises in notebook order, with cell numbers.

    Each exercise shows its title, the cell it was checked in as Jupyter
    numbers it (`In [N]`), and passed, failed (with the check's message and
    hint, never the solution) or not attempted (0 points).

    Examples:
        >>> assignment = {"exercises": [{"id": "98-a", "title": "A", "points": 1}]}
        >>> record = {"student": "ada", "exercises": {"98-a": {"status": "passed"}},
        ...           "scores": {"98-a": 1}, "total": 1, "order": ["98-a"],
        ...           "cells": {"98-a": "In [3]"}, "mode": "sandbox"}
        >>> "✅ **A** (`98-a`, In [3]): passed, 1 / 1 points." in feedback_markdown(assignment, record)
        True

    """  # noqa: E501
    entries = {entry["id"]: entry for entry in assignment["exercises"]}
    order = [i for i in record.get("order", []) if i in entries]
    order += [i for i in entries if i not in order]
    possible = sum(entry["points"] for entry in entries.values())
    lines = [
        f"# Feedback for {md(record['student'])}",
        "",
        f"Score: {format_points(record.get('total', 0))} / {format_points(possible)} "
        f"points (graded in {record.get('mode', 'sandbox')} mode).",
        "",
    ]
    if record.get("problem"):
        lines += [f"**Problem:** {md(record['problem'])}.", ""]
    lines += ["## Exercises", ""]
    for exercise_id in order:
        entry = entries[exercise_id]
        result = record.get("exercises", {}).get(exercise_id, {})
        status = result.get("status", "not attempted")
        cell = record.get("cells", {}).get(exercise_id)
        where = f"`{exercise_id}`" + (f", {cell}" if cell else "")
        points = f"{format_points(record.get('scores', {}).get(exercise_id, 0))} / {format_points(entry['points'])} points"  # noqa: E501
        title = entry.get("title") or exercise_id
        if status == "passed":
            lines.append(f"- ✅ **{title}** ({where}): passed, {points}.")
        elif status == "grading error":
            lines.append(
                f"- ⚠️ **{title}** ({where}): could not be graded: the grader could "
                f"not read this answer back. That is not a wrong answer; your "
                f"instructor has been told ({points} until reviewed)."
            )
        elif status == "failed":
            message = md(result.get("message", ""))
            lines.append(f"- ❌ **{title}** ({where}): {message} ({points})")
            if result.get("hint"):
                lines.append(f"  Hint: {result['hint']}")
        else:
            lines.append(
                f"- ⚪ **{title}** ({where}): not attempted, {points}: its check never "
                "ran (still the stub, a cell raised before it, or it was removed)."
            )
    if record.get("unknown"):
        lines += [
            "",
            "Ignored `check` ids that are not part of this assignment: "
            + ", ".join(md(i) for i in record["unknown"])
            + ".",
        ]
    if record.get("errors"):
        lines += ["", "## Cells that raised an error", ""]
        lines += [f"- {error}" for error in record["errors"]]
    if record.get("notebooks"):
        lines += [
            "",
            "Executed notebooks, for review: "
            + ", ".join(f"`{name}`" for name in record["notebooks"])
            + ".",
        ]
    return "\n".join(lines) + "\n"
