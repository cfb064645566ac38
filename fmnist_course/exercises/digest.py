"""Self-check expectations as salted SHA-256 digests, so the source hides them.

The package students install gives feedback on their answers, but a student
reading `fmnist_course/exercises/lesson_NN.py` should not read off an answer.
So a self-check compares a digest of the answer's canonical form (rounded,
sorted, typed) with a stored digest. This hides an answer; it does not make
it secret: a small integer or a short list of choices can be brute-forced
from its digest in seconds. What counts for grades is the instructor's graded
check (`graded/lesson_NN.py`, not in the package), which runs in the grader.

Examples:
    >>> digest = answer_digest("99-demo", 42)
    >>> matches("99-demo", 42, digest), matches("99-demo", 41, digest)
    (True, False)
    >>> matches("99-demo", 42.0, digest)  # an integer answer must be an integer
    False

"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from fmnist_course.exercises.answers import rounded

SALT = "fmnist-course self-check v1"


def canonical(value: Any, decimals: int = 6) -> str:
    """A text form of `value` that equal answers share.

    Integers (Python or NumPy, not bools) as `int:N`; real numbers rounded to
    `decimals` as `float:...`; tuples and lists element by element; sets
    sorted; arrays by shape and rounded values. A self-check first reads the
    answer into one of these forms (`fmnist_course.exercises.answers`), so a
    0-d array or a list is digested as the int or tuple it stands for.

    Examples:
        >>> canonical((128, np.int64(256)))
        'tuple(int:128,int:256)'
        >>> canonical({"b", "a"})
        'set(str:a,str:b)'
        >>> canonical(1 / 0.7, decimals=3)
        'float:1.429'

    """
    if isinstance(value, bool | np.bool_):
        return f"bool:{bool(value)}"
    if isinstance(value, int | np.integer):
        return f"int:{int(value)}"
    if isinstance(value, float | np.floating):
        return f"float:{rounded(value, decimals):.{decimals}f}"
    if isinstance(value, str):
        return f"str:{value}"
    if isinstance(value, tuple | list):
        inner = ",".join(canonical(item, decimals) for item in value)
        return f"{type(value).__name__}({inner})"
    if isinstance(value, set | frozenset):
        inner = ",".join(sorted(canonical(item, decimals) for item in value))
        return f"set({inner})"
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        rounded_values = np.round(value.astype(np.float64), decimals) + 0.0
        data = hashlib.sha256(np.ascontiguousarray(rounded_values).tobytes())
        return f"array{value.shape}:{data.hexdigest()}"
    return f"other:{type(value).__name__}"


def answer_digest(exercise_id: str, value: Any, decimals: int = 6) -> str:
    """The salted SHA-256 of `value`'s canonical form, for `exercise_id`.

    Examples:
        >>> len(answer_digest("02-conv-params", 320))
        64

    """
    text = f"{SALT}|{exercise_id}|{canonical(value, decimals)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def matches(exercise_id: str, value: Any, digest: str, decimals: int = 6) -> bool:
    """Whether `value`'s digest is `digest`."""
    return answer_digest(exercise_id, value, decimals) == digest
