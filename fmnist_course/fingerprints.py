"""A fingerprint of what trains a recipe's model: the recipe, the code, the data.

A trained model stays valid while three things stay as they were: the
recipe's fields (`fmnist_course.recipes.Recipe`, all but `lesson`, which names
where a recipe is taught, not how it trains), with the epochs it really
trained for and the training subset, if any; the code of each library file
that training depends on (`TRAINING_SOURCES`), read without its comments and
docstrings, so that a wording fix does not call for hours of retraining while
any change of code does (files are hashed by content, never by date); and the
SHA-256 of the four data files (`fmnist_course.data.IDX_FILES`).

The versions of Keras and TensorFlow are left out: an upgrade would otherwise
void every shipped model. The ladder's record names them in its `machine`.
`fmnist_course.trained_models` keeps the fingerprint beside each shipped model
and compares it with today's. This module imports no TensorFlow.

Examples:
    >>> sorted(fingerprint("dense"))
    ['data_sha256', 'recipe', 'sources_sha256', 'train_size']
    >>> fingerprint_digest(fingerprint("dense")) == fingerprint_digest(
    ...     fingerprint("dense"))
    True
    >>> fingerprint_changes(fingerprint("dense"), fingerprint("dense", epochs=3))
    ['recipe field epochs: 8 then, 3 now']

"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tokenize
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fmnist_course.data import IDX_FILES
from fmnist_course.recipes import LATER_FIELDS, Recipe, get_recipe

LIBRARY_DIR = Path(__file__).resolve().parent
"""The `fmnist_course` package, whose files `TRAINING_SOURCES` names."""

TRAINING_SOURCES = (
    "training.py",
    "precision.py",
    "models.py",
    "layers.py",
    "losses.py",
    "callbacks.py",
    "view_averaging.py",
    "data.py",
    "fast_mode.py",
    "settings.py",
)
"""The library files whose code decides what a recipe trains into.

`training.py` runs the recipe with the optimizer, schedule and weight
averaging it sets up, in the precision `precision.py` chooses, with the
callbacks of `callbacks.py` and the loss of `losses.py`; `models.py` and
`layers.py` build the network; `view_averaging.py`
scores it with test-time augmentation; `data.py` and `fast_mode.py` load,
scale and split the data (the seeded validation split); `settings.py` holds
the defaults all of them read (batch size, learning rate, validation split).
Left out: `recipes.py`, whose every field of the recipe is in the fingerprint
already (so retuning one recipe does not void the others' models);
`errors.py` (messages only); and the modules that only report a run
(`machine.py`, `plots.py`, ...). `machine.py` decides bfloat16, but that
decision is applied, and so fingerprinted, in `precision.py`.
"""

FINGERPRINT_SKIPPED_FIELDS = ("lesson",)
"""Recipe fields that say where a recipe is taught, not how it trains."""

FIELD_SOURCES = {"final_fit": ("final_fit.py",)}
"""Library files that only a recipe with the field switched on trains
through: their code is in that recipe's fingerprint alone. A field of
`recipes.LATER_FIELDS` at its old value is left out of the fingerprint, so
adding it voided none of the models trained before it."""


def code_text(source: str) -> str:
    r"""A Python file's code without its comments, docstrings and blank lines.

    A string that stands alone as a statement (a module's, a class's or a
    function's docstring, or the docstring of a setting below it) does
    nothing when the code runs, so it is left out with the comments. The
    text is read with `tokenize`, whose positions do not depend on the
    Python version.

    Examples:
        >>> code_text("'Doc.'\n\n\ndef f():  # a comment\n    '''Doc.'''\n"
        ...           "    return 1\nX = 2\n'What X is.'\n")
        'def f():\n    return 1\nX = 2'

    """
    source = source.replace("\r\n", "\n")
    lines = source.split("\n")
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    skipped = (tokenize.COMMENT, tokenize.NL)
    starts_statement = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    spans = []
    at_statement_start = True
    for index, token in enumerate(tokens):
        if token.type == tokenize.COMMENT:
            spans.append((token.start, token.end))
        elif token.type == tokenize.STRING and at_statement_start:
            after = next(
                (t for t in tokens[index + 1 :] if t.type not in skipped), None
            )
            if after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                spans.append((token.start, token.end))
        if token.type not in skipped:
            at_statement_start = token.type in starts_statement
    for (first_row, first_column), (last_row, last_column) in reversed(spans):
        if first_row == last_row:
            line = lines[first_row - 1]
            lines[first_row - 1] = line[:first_column] + line[last_column:]
            continue
        lines[first_row - 1] = lines[first_row - 1][:first_column]
        lines[last_row - 1] = lines[last_row - 1][last_column:]
        for index in range(first_row, last_row - 1):
            lines[index] = ""
    return "\n".join(line.rstrip() for line in lines if line.strip())


def sources_sha256(
    sources: Iterable[str] = TRAINING_SOURCES,
    library_dir: str | os.PathLike | None = None,
) -> dict[str, str]:
    """The SHA-256 of each training source's code (`code_text`), by file name.

    Args:
        sources: File names inside `library_dir`.
        library_dir: The package folder (`None`: this package).

    Examples:
        >>> sorted(sources_sha256(["training.py", "settings.py"]))
        ['settings.py', 'training.py']

    """
    folder = Path(library_dir or LIBRARY_DIR)
    return {
        name: hashlib.sha256(
            code_text((folder / name).read_text(encoding="utf-8")).encode()
        ).hexdigest()
        for name in sorted(sources)
    }


def fingerprint(
    recipe: Recipe | str,
    *,
    epochs: int | None = None,
    train_size: int | None = None,
    library_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """What trains a recipe's model: its fields, the library's code and the data.

    Args:
        recipe: A `Recipe` or the name of one.
        epochs: The epochs really trained, when not the recipe's.
        train_size: The training subset, when not the whole training set.
        library_dir: Where the library's files are (`None`: this package).

    Returns:
        A JSON-ready mapping: `recipe`, `train_size`, `sources_sha256` (by file)
        and `data_sha256` (by data file).

    Examples:
        >>> fingerprint("dense")["recipe"]["epochs"]
        8
        >>> fingerprint("dense", epochs=1)["recipe"]["epochs"]
        1
        >>> "final_fit" in fingerprint("dense")["recipe"]  # at its old default
        False
        >>> "final_fit.py" in fingerprint("best")["sources_sha256"]
        True

    """
    if isinstance(recipe, str):
        recipe = get_recipe(recipe)
    if epochs is not None:
        recipe = dataclasses.replace(recipe, epochs=epochs)
    fields = {
        key: value
        for key, value in dataclasses.asdict(recipe).items()
        if key not in FINGERPRINT_SKIPPED_FIELDS
        and not (key in LATER_FIELDS and value == LATER_FIELDS[key])
    }
    sources = list(TRAINING_SOURCES)
    for key, names in FIELD_SOURCES.items():
        if getattr(recipe, key) != LATER_FIELDS[key]:
            sources.extend(names)
    return {
        "recipe": json.loads(json.dumps(fields, sort_keys=True)),
        "train_size": train_size,
        "sources_sha256": sources_sha256(sources, library_dir=library_dir),
        "data_sha256": {spec.name: spec.sha256 for spec in IDX_FILES.values()},
    }


def fingerprint_digest(trained_by: Mapping[str, Any]) -> str:
    """One SHA-256 for a whole fingerprint: what the ladder's record keeps.

    Examples:
        >>> len(fingerprint_digest({"recipe": {}}))
        64

    """
    text = json.dumps(trained_by, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint_changes(
    recorded: Mapping[str, Any], current: Mapping[str, Any]
) -> list[str]:
    """What differs between two fingerprints, in words; empty when they match.

    Examples:
        >>> old = fingerprint("dense")
        >>> fingerprint_changes(old, fingerprint("dense", epochs=3))
        ['recipe field epochs: 8 then, 3 now']

    """
    changes = []
    old_recipe, new_recipe = recorded.get("recipe", {}), current.get("recipe", {})
    for key in sorted(set(old_recipe) | set(new_recipe)):
        if old_recipe.get(key) != new_recipe.get(key):
            changes.append(
                f"recipe field {key}: {old_recipe.get(key)!r} then, "
                f"{new_recipe.get(key)!r} now"
            )
    if recorded.get("train_size") != current.get("train_size"):
        changes.append(
            f"trained on a subset of {recorded.get('train_size')} images, "
            "not the whole training set"
        )
    old_sources = recorded.get("sources_sha256", {})
    new_sources = current.get("sources_sha256", {})
    for name in sorted(set(old_sources) | set(new_sources)):
        if old_sources.get(name) != new_sources.get(name):
            changes.append(f"the code of {name} changed")
    if recorded.get("data_sha256") != current.get("data_sha256"):
        changes.append("the data checksums changed")
    return changes
