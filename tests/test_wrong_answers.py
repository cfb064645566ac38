"""Every exercise: its solution passes both checks, and wrong answers fail both.

One table (`exercise_fixtures.ANSWERS`) holds, for every exercise of the
course, the solution and at least one plausible wrong answer. The self-check
judges them as the student has them; the graded check, as the grader
receives them through the answer codec (functions replayed on its hidden
inputs). A new exercise cannot be registered without its row.
"""

import pytest
from exercise_fixtures import (
    ANSWERS,
    course_exercise_ids,
    course_graded_checks,
    graded_verdict,
    self_verdict,
)

CASES = [
    pytest.param(exercise_id, number, id=f"{exercise_id}-{kind}{number}")
    for exercise_id, factories in sorted(ANSWERS.items())
    for number, kind in [(0, "solution")]
    + [(n, "wrong") for n in range(1, len(factories))]
]


def test_the_table_covers_every_exercise_with_a_wrong_answer():
    # Guards: no exercise is added without a solution and a wrong answer here.
    assert set(ANSWERS) == course_exercise_ids()
    assert all(len(factories) >= 2 for factories in ANSWERS.values())


def test_every_exercise_has_a_graded_check_of_its_own():
    # Guards: a self-check never decides a grade (issue 32, item 2).
    checks = course_graded_checks()
    assert set(checks) == course_exercise_ids()
    assert all(
        check.__module__.startswith("fmnist_graded_") for check in checks.values()
    )


@pytest.mark.parametrize(("exercise_id", "number"), CASES)
def test_solution_passes_and_wrong_answers_fail_both_checks(
    exercise_id, number, tmp_path
):
    # Guards: a check that accepts a wrong answer, or refuses the solution.
    args = ANSWERS[exercise_id][number](tmp_path / "answer")
    expected = number == 0
    passed_here, message_here = self_verdict(exercise_id, args)
    passed_graded, message_graded = graded_verdict(exercise_id, args, tmp_path)
    assert passed_here is expected, f"self-check: {message_here}"
    assert passed_graded is expected, f"graded check: {message_graded}"
