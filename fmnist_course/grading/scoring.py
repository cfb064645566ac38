"""Score exported answers with the graded checks, in a process of the grader.

No student code ever ran in the process that scores: the answers arrive as
bytes (JSON, `.npy`, `.keras`), are rebuilt by `fmnist_course.exercises.export`
and handed to the assignment's graded checks. Only the exercises the
assignment lists are scored; for each, the last `check` call counts. Other ids
are reported, never scored.

`python -m fmnist_course.grading.scoring DIR` scores `DIR/scoring.json` and
prints the result as JSON; the grader runs it as a fresh process in the same
sandbox and under the same limits as a notebook, so a crafted model can
neither reach the host nor take the grader down.

Examples:
    >>> score_answers({"exercises": [{"id": "98-x", "points": 1}], "checks": {}}, [])  # doctest: +SKIP
    {'exercises': {'98-x': {'status': 'not attempted', ...}}, 'unknown': []}

"""  # noqa: E501

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

from fmnist_course.exercises.answer_codec import Unsupported
from fmnist_course.exercises.registry import CheckFailed, find_exercise
from fmnist_course.grading.assignment import graded_checks, probes_of
from fmnist_course.grading.exported_answers import load_answers

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
GRADING_ERROR = "grading error"
MAX_UNKNOWN = 20
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]")
HIDDEN_INPUT_MESSAGE = "on the grader's own inputs, the result is not right yet."


def _result(status: str, message: str = "", hint: str = "", detail: str = "") -> dict:
    """One exercise's verdict.

    `message` and `hint` are for the student; `detail` (the check's own
    words, error text) is for the instructor only.
    """
    return {
        "status": status,
        "message": message[:500],
        "hint": hint,
        "detail": detail[:1000],
    }


def _unreadable(args: list, kwargs: dict) -> str:
    for value in [*args, *kwargs.values()]:
        if isinstance(value, Unsupported) and value.unreadable:
            return value.type_name
    return ""


def score_answers(assignment: dict, answers: list[dict]) -> dict:
    """Run the graded check of each exercise on its last exported answer.

    A student's message never carries error text or anything computed on the
    hidden inputs: where the check ran the student's function on them, a
    failure says only that the result is not right on the grader's inputs,
    and a check that raised names the exception's type. The full words go to
    `detail`, for the instructor. An answer whose export cannot be read back
    is a `grading error`, the grader's problem to report, not a wrong answer.

    Args:
        assignment: As returned by `load_assignment`.
        answers: The exported `check` calls in order, each
            `{"record": answer.json text, "functions": functions.json text
            (or ""), "files": {name: bytes}}`.

    Returns:
        `{"exercises": {id: {"status", "message", "hint", "detail"}},
        "unknown": [...]}`: every exercise of the assignment, passed, failed,
        not attempted, or a grading error.

    """
    checks = graded_checks(assignment)
    probes = probes_of(checks)
    last: dict[str, tuple[dict, dict]] = {}
    unknown: list[str] = []
    for answer in answers:
        try:
            record = json.loads(answer["record"])
            exercise_id = record["exercise"]
            if answer.get("functions"):
                record["functions"] = json.loads(answer["functions"])
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(exercise_id, str):
            continue
        if exercise_id not in checks:
            shown = _SAFE_ID.sub("", exercise_id)[:60] or "?"
            if shown not in unknown and len(unknown) < MAX_UNKNOWN:
                unknown.append(shown)
            continue
        last[exercise_id] = (record, answer["files"])
    results = {}
    for exercise_id, check in checks.items():
        registered = find_exercise(exercise_id)
        hint = getattr(check, "graded_hint", None) or (
            registered.hint if registered else ""
        )
        hidden = bool(probes.get(exercise_id))
        if exercise_id not in last:
            results[exercise_id] = _result(NOT_ATTEMPTED, hint=hint)
            continue
        record, files = last[exercise_id]
        try:
            args, kwargs = load_answers(record, files, probes.get(exercise_id, {}))
        except ValueError as error:
            results[exercise_id] = _result(GRADING_ERROR, detail=str(error))
            continue
        unreadable = _unreadable(args, kwargs)
        if unreadable:
            results[exercise_id] = _result(GRADING_ERROR, detail=unreadable)
            continue
        try:
            check(*args, **kwargs)
        except CheckFailed as failure:
            message = HIDDEN_INPUT_MESSAGE if hidden else str(failure)
            results[exercise_id] = _result(FAILED, message, hint, str(failure))
        except Exception as error:  # a wrong answer that breaks the check
            name = type(error).__name__
            message = (
                HIDDEN_INPUT_MESSAGE
                if hidden
                else f"checking your answer raised {name}."
            )
            results[exercise_id] = _result(FAILED, message, hint, f"{name}: {error}")
        else:
            results[exercise_id] = _result(PASSED, "passed")
    return {"exercises": results, "unknown": unknown}


def main() -> int:
    """Score `sys.argv[1]/scoring.json`; print the result as JSON."""
    job = json.loads((Path(sys.argv[1]) / "scoring.json").read_text(encoding="utf-8"))
    answers = [
        {
            "record": answer["record"],
            "functions": answer.get("functions", ""),
            "files": {k: base64.b64decode(v) for k, v in answer["files"].items()},
        }
        for answer in job["answers"]
    ]
    result = score_answers(job["assignment"], answers)
    sys.stdout.write("\n" + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
