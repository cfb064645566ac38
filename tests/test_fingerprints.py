"""The fingerprint of what trains a model: the recipe, the training code, the data.

No training here: the fingerprint is read from the recipes and the files.
"""

from __future__ import annotations

import dataclasses
import shutil

from fmnist_course import fingerprints, recipes
from fmnist_course.fingerprints import (
    TRAINING_SOURCES,
    code_text,
    fingerprint,
    fingerprint_changes,
    fingerprint_digest,
)


def test_fingerprint_is_the_same_on_every_call():
    """Guards: an unchanged recipe, code and data give the same fingerprint."""
    assert fingerprint("best") == fingerprint("best")
    assert fingerprint_digest(fingerprint("best")) == fingerprint_digest(
        fingerprint(recipes.RECIPES["best"])
    )
    assert set(fingerprint("best")["sources_sha256"]) == set(TRAINING_SOURCES)


def test_fingerprint_changes_with_any_recipe_field_but_the_lesson():
    """Guards: a recipe changed in any field that trains has a new fingerprint."""
    best = recipes.RECIPES["best"]
    before = fingerprint_digest(fingerprint(best))
    for changes in (
        {"learning_rate": 1e-3},
        {"epochs": 39},
        {"weight_averaging": None},
        {"model_kwargs": {"cutout": 0, "dropout": 0.1}},
        {"test_time_augmentation": False},
    ):
        changed = fingerprint(dataclasses.replace(best, **changes))
        assert fingerprint_digest(changed) != before, changes
        (field,) = changes
        assert any(
            field in line for line in fingerprint_changes(fingerprint(best), changed)
        )
    renumbered = dataclasses.replace(best, lesson="09")
    assert fingerprint_digest(fingerprint(renumbered)) == before
    assert fingerprint(best, train_size=2000) != fingerprint(best)


def test_fingerprint_changes_with_the_code_of_a_training_source_not_its_words(tmp_path):
    """Guards: a code change in a file training depends on voids the models; a
    reworded docstring or comment does not."""
    library = tmp_path / "fmnist_course"
    library.mkdir()
    for name in TRAINING_SOURCES:
        shutil.copy(fingerprints.LIBRARY_DIR / name, library / name)
    original = fingerprint("cnn", library_dir=library)
    assert original == fingerprint("cnn")

    training = library / "training.py"
    source = training.read_text()
    reworded = source.replace(
        '"""Compile, train and evaluate models the way every lesson does.',
        '"""Compile, train and evaluate the models as every lesson does.',
    ).replace("# noqa", "# noqa (reworded)")
    assert reworded != source
    training.write_text(reworded)
    assert fingerprint("cnn", library_dir=library) == original

    changed = source.replace(
        "def evaluate_model(", "EXTRA = 1\n\n\ndef evaluate_model("
    )
    training.write_text(changed)
    after = fingerprint("cnn", library_dir=library)
    assert fingerprint_digest(after) != fingerprint_digest(original)
    assert fingerprint_changes(original, after) == ["the code of training.py changed"]


def test_code_text_keeps_code_that_looks_like_a_comment_or_a_docstring():
    """Guards: only comments and lone strings are dropped, never code."""
    source = 'X = "# not a comment"\nY = """not a docstring"""\nprint("a")  # gone\n'
    assert (
        code_text(source)
        == 'X = "# not a comment"\nY = """not a docstring"""\nprint("a")'
    )
