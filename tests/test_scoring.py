"""Scoring exported answers: the last call counts, words go to the right reader.

These call `score_answers` directly, on the lesson-98 graded checks of
`exercise_fixtures`, so that each promise of the scoring step is pinned by a
fast test (the end-to-end grading tests run it inside the sandbox).
"""

from __future__ import annotations

import base64
import io
import json
import sys

import pytest
from exercise_fixtures import GRADED_98

from fmnist_course.grading import scoring
from fmnist_course.grading.scoring import (
    FAILED,
    GRADING_ERROR,
    HIDDEN_INPUT_MESSAGE,
    MAX_UNKNOWN,
    NOT_ATTEMPTED,
    PASSED,
    score_answers,
)

ASSIGNMENT = {
    "exercises": [
        {"id": "98-answer", "title": "The answer", "points": 1},
        {"id": "98-double", "title": "Double", "points": 1},
    ],
    "checks": {"lesson_98.py": GRADED_98},
}

RAISES = """
from fmnist_course.grading.assignment import graded

@graded("98-answer", hint="Multiply six by seven.")
def graded_answer(answer):
    return answer["key"]
"""


def value(exercise_id, descriptor):
    return {
        "record": json.dumps({"exercise": exercise_id, "args": [descriptor]}),
        "files": {},
    }


def integer(number: int) -> dict:
    return {"t": "int", "v": str(number)}


def function(exercise_id, outputs):
    record = {"exercise": exercise_id, "args": [{"t": "function", "key": "0"}]}
    return {
        "record": json.dumps(record),
        "functions": json.dumps({"0": [{"value": integer(o)} for o in outputs]}),
        "files": {},
    }


def test_every_exercise_gets_a_verdict_and_unanswered_ones_their_hint():
    """Promise: an exercise without an answer is 'not attempted', with its hint."""
    scored = score_answers(ASSIGNMENT, [])
    assert scored == {
        "exercises": {
            "98-answer": {
                "status": NOT_ATTEMPTED,
                "message": "",
                "hint": "Multiply six by seven.",
                "detail": "",
            },
            "98-double": {
                "status": NOT_ATTEMPTED,
                "message": "",
                "hint": "Return twice the number it receives.",
                "detail": "",
            },
        },
        "unknown": [],
    }


def test_a_right_answer_passes_and_a_wrong_one_says_the_checks_words():
    scored = score_answers(ASSIGNMENT, [value("98-answer", integer(42))])
    assert scored["exercises"]["98-answer"] == {
        "status": PASSED,
        "message": "passed",
        "hint": "",
        "detail": "",
    }
    wrong = score_answers(ASSIGNMENT, [value("98-answer", integer(41))])
    assert wrong["exercises"]["98-answer"] == {
        "status": FAILED,
        "message": "41 is not the answer yet.",
        "hint": "Multiply six by seven.",
        "detail": "41 is not the answer yet.",
    }


@pytest.mark.parametrize(
    ("answers", "status"),
    [((41, 42), PASSED), ((42, 41), FAILED)],
    ids=["wrong-then-right", "right-then-wrong"],
)
def test_the_last_check_call_counts(answers, status):
    """Promise: only a student's last check call of an exercise is scored."""
    calls = [value("98-answer", integer(number)) for number in answers]
    assert (
        score_answers(ASSIGNMENT, calls)["exercises"]["98-answer"]["status"] == status
    )


def test_a_function_is_scored_on_its_outputs_and_hidden_inputs_stay_hidden():
    """Promise: a function answer's failure never shows the grader's inputs."""
    right = score_answers(ASSIGNMENT, [function("98-double", [6, -10, 2000])])
    assert right["exercises"]["98-double"]["status"] == PASSED
    wrong = score_answers(ASSIGNMENT, [function("98-double", [6, -10, 1999])])
    verdict = wrong["exercises"]["98-double"]
    assert verdict["status"] == FAILED
    assert verdict["message"] == HIDDEN_INPUT_MESSAGE
    assert verdict["detail"] == "double(1000) is not right yet."
    assert verdict["hint"] == "Return twice the number it receives."


def test_a_check_that_raises_names_only_the_exception_type_to_the_student():
    assignment = {
        "exercises": [{"id": "98-answer", "title": "x", "points": 1}],
        "checks": {"lesson_98.py": RAISES},
    }
    scored = score_answers(assignment, [value("98-answer", integer(7))])
    verdict = scored["exercises"]["98-answer"]
    assert verdict["status"] == FAILED
    assert verdict["message"] == "checking your answer raised TypeError."
    assert verdict["detail"].startswith("TypeError: ")
    assert verdict["hint"] == "Multiply six by seven."


def test_an_export_that_cannot_be_read_is_a_grading_error_not_a_wrong_answer():
    """Promise: the grader's problem never costs the student a point silently."""
    broken = {
        "record": json.dumps({"exercise": "98-answer", "args": {"no": "list"}}),
        "files": {},
    }
    verdict = score_answers(ASSIGNMENT, [broken])["exercises"]["98-answer"]
    assert verdict["status"] == GRADING_ERROR
    assert "expected a list of args" in verdict["detail"]
    missing_file = value("98-answer", {"t": "ndarray", "file": "a.npy"})
    verdict = score_answers(ASSIGNMENT, [missing_file])["exercises"]["98-answer"]
    assert verdict["status"] == GRADING_ERROR
    assert verdict["detail"].startswith("unreadable answer")
    assert verdict["message"] == ""


def test_unknown_and_malformed_answers_are_never_scored():
    """Promise: ids outside the assignment are listed (printable, capped), not
    scored; records that are not answers are skipped."""
    answers = [
        {"record": "not json", "files": {}},
        {"record": json.dumps({"no": "exercise"}), "files": {}},
        {"record": json.dumps({"exercise": 98, "args": []}), "files": {}},
        value("98-extra\n<b>", integer(1)),
        value("98-extra\n<b>", integer(2)),
        value("\n\n", integer(3)),
        *[value(f"97-{n}", integer(n)) for n in range(MAX_UNKNOWN + 5)],
        value("98-answer", integer(42)),
    ]
    scored = score_answers(ASSIGNMENT, answers)
    assert scored["exercises"]["98-answer"]["status"] == PASSED
    assert scored["unknown"][:2] == ["98-extrab", "?"]
    assert len(scored["unknown"]) == MAX_UNKNOWN
    assert scored["unknown"][-1] == f"97-{MAX_UNKNOWN - 3}"


def test_long_words_are_cut_for_the_report():
    result = scoring._result(FAILED, "m" * 600, "h", "d" * 1200)
    assert (len(result["message"]), len(result["detail"])) == (500, 1000)


def test_the_scoring_process_reads_its_job_and_prints_json(tmp_path, monkeypatch):
    """Promise: `python -m ...scoring DIR` scores DIR/scoring.json, files included."""
    answer = value("98-answer", integer(42))
    job = {
        "assignment": ASSIGNMENT,
        "answers": [{**answer, "files": {"x.npy": base64.b64encode(b"abc").decode()}}],
    }
    (tmp_path / "scoring.json").write_text(json.dumps(job), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["scoring", str(tmp_path)])
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert scoring.main() == 0
    printed = out.getvalue()
    assert printed.startswith("\n")
    result = json.loads(printed)
    assert result["exercises"]["98-answer"]["status"] == PASSED
    assert result["exercises"]["98-double"]["status"] == NOT_ATTEMPTED


NO_HINT = """
from fmnist_course.grading.assignment import expect, graded

@graded("98-answer")
def graded_answer(answer):
    expect(answer == 42, f"{answer!r} is not the answer yet.")
"""


def test_a_check_without_its_own_hint_gives_the_exercises_hint():
    assignment = {
        "exercises": [{"id": "98-answer", "title": "x", "points": 1}],
        "checks": {"lesson_98.py": NO_HINT},
    }
    verdict = score_answers(assignment, [])["exercises"]["98-answer"]
    assert verdict["hint"] == "Multiply six by seven."


def test_one_unreadable_answer_does_not_stop_the_others_being_scored():
    """Promise: a grading error on one exercise costs that exercise only."""
    broken = {
        "record": json.dumps({"exercise": "98-answer", "args": {"no": "list"}}),
        "files": {},
    }
    unreadable = value("98-answer", {"t": "ndarray", "file": "f1.npy"})
    for first in (broken, unreadable):
        scored = score_answers(
            ASSIGNMENT, [first, function("98-double", [6, -10, 2000])]
        )
        assert scored["exercises"]["98-answer"]["status"] == GRADING_ERROR
        assert scored["exercises"]["98-double"]["status"] == PASSED


def test_named_answers_reach_the_check():
    record = {"exercise": "98-answer", "kwargs": {"answer": integer(42)}}
    answer = {"record": json.dumps(record), "files": {}}
    assert score_answers(ASSIGNMENT, [answer])["exercises"]["98-answer"]["status"] == (
        PASSED
    )


def test_a_function_that_raised_on_hidden_inputs_says_nothing_of_them():
    record = {"exercise": "98-double", "args": [{"t": "function", "key": "0"}]}
    outcomes = [{"error": "ZeroDivisionError: 1000"}] * 3
    answer = {
        "record": json.dumps(record),
        "functions": json.dumps({"0": outcomes}),
        "files": {},
    }
    verdict = score_answers(ASSIGNMENT, [answer])["exercises"]["98-double"]
    assert verdict["status"] == FAILED
    assert verdict["message"] == HIDDEN_INPUT_MESSAGE
    assert "1000" not in verdict["message"]


def test_unknown_ids_are_cut_to_60_characters():
    scored = score_answers(ASSIGNMENT, [value("9" * 70, integer(1))])
    assert scored["unknown"] == ["9" * 60]


def test_the_scoring_process_reads_function_answers(tmp_path, monkeypatch):
    job = {"assignment": ASSIGNMENT, "answers": [function("98-double", [6, -10, 2000])]}
    (tmp_path / "scoring.json").write_text(json.dumps(job), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["scoring", str(tmp_path)])
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    scoring.main()
    assert json.loads(out.getvalue())["exercises"]["98-double"]["status"] == PASSED
