"""Score exported answers with the graded checks, in a process of the grader.

No student code ever ran in the process that scores: the answers arrive as
bytes (JSON, `.npy`, `.keras`), are rebuilt by `fmnist_course.exercises.export`
and handed to the assignment's graded checks. Only the exercises the
assignment lists are scored; for each, the last `check` call counts. Other ids
are reported, never scored.

`python -m fmnist_course.exercises.scoring DIR` scores `DIR/scoring.json` and
prints the result as JSON; the grader runs it as a fresh process under time
and memory limits, so a crafted model cannot take the grader down.

Examples:
    >>> score_answers({"exercises": [{"id": "98-x", "points": 1}], "checks": {}}, [])  # doctest: +SKIP
    {'exercises': {'98-x': {'status': 'not attempted', ...}}, 'unknown': []}

"""  # noqa: E501

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from fmnist_course.exercises.assignment import graded_checks, probes_of
from fmnist_course.exercises.export import load_answers
from fmnist_course.exercises.registry import EXERCISES, CheckFailed

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
MAX_UNKNOWN = 20


def _result(status: str, message: str = "", hint: str = "") -> dict:
    return {"status": status, "message": message[:500], "hint": hint}


def score_answers(assignment: dict, answers: list[dict]) -> dict:
    """Run the graded check of each exercise on its last exported answer.

    Args:
        assignment: As returned by `load_assignment`.
        answers: The exported `check` calls in order, each
            `{"record": answer.json text, "files": {name: bytes}}`.

    Returns:
        `{"exercises": {id: {"status", "message", "hint"}}, "unknown": [...]}`:
        every exercise of the assignment, passed, failed or not attempted.

    """
    checks = graded_checks(assignment)
    probes = probes_of(checks)
    last: dict[str, tuple[dict, dict]] = {}
    unknown: list[str] = []
    for answer in answers:
        try:
            record = json.loads(answer["record"])
            exercise_id = record["exercise"]
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(exercise_id, str):
            continue
        if exercise_id not in checks:
            if exercise_id not in unknown and len(unknown) < MAX_UNKNOWN:
                unknown.append(exercise_id[:60])
            continue
        last[exercise_id] = (record, answer["files"])
    results = {}
    for exercise_id, check in checks.items():
        hint = getattr(check, "graded_hint", None) or (
            EXERCISES[exercise_id].hint if exercise_id in EXERCISES else ""
        )
        if exercise_id not in last:
            results[exercise_id] = _result(NOT_ATTEMPTED, hint=hint)
            continue
        record, files = last[exercise_id]
        try:
            args, kwargs = load_answers(record, files, probes.get(exercise_id, {}))
            check(*args, **kwargs)
        except CheckFailed as failure:
            results[exercise_id] = _result(FAILED, str(failure), hint)
        except Exception as error:  # a wrong answer that breaks the check
            message = f"checking your answer raised {type(error).__name__}: {error}"
            results[exercise_id] = _result(FAILED, message, hint)
        else:
            results[exercise_id] = _result(PASSED, "passed")
    return {"exercises": results, "unknown": unknown}


def main() -> int:
    """Score `sys.argv[1]/scoring.json`; print the result as JSON."""
    job = json.loads((Path(sys.argv[1]) / "scoring.json").read_text(encoding="utf-8"))
    answers = [
        {
            "record": answer["record"],
            "files": {k: base64.b64decode(v) for k, v in answer["files"].items()},
        }
        for answer in job["answers"]
    ]
    result = score_answers(job["assignment"], answers)
    sys.stdout.write("\n" + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
