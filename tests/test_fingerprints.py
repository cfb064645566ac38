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
    assert set(fingerprint("cnn")["sources_sha256"]) == set(TRAINING_SOURCES)
    assert set(fingerprint("best")["sources_sha256"]) == {
        *TRAINING_SOURCES,
        "final_fit.py",
    }


def test_a_field_added_later_leaves_older_models_valid_at_its_old_default():
    """Guards: adding `final_fit` did not void the models trained before it
    existed, and switching it on changes the fingerprint and hashes the code
    that moves the validation images (a change there voids that model only)."""
    cnn = recipes.RECIPES["cnn"]
    assert not cnn.final_fit and "final_fit" not in fingerprint(cnn)["recipe"]
    final = fingerprint(dataclasses.replace(cnn, final_fit=True))
    assert final["recipe"]["final_fit"] is True
    assert "final_fit.py" in final["sources_sha256"]
    assert fingerprint_changes(fingerprint(cnn), final) == [
        "recipe field final_fit: None then, True now",
        "the code of final_fit.py changed",
    ]
    assert set(recipes.LATER_FIELDS) <= {
        field.name for field in dataclasses.fields(recipes.Recipe)
    }
    assert set(fingerprints.FIELD_SOURCES) <= set(recipes.LATER_FIELDS)


def test_a_final_fit_recipe_is_voided_by_a_code_change_in_final_fit(tmp_path):
    """Guards: the code that puts the validation images into training is part
    of a final fit's fingerprint, as the other training sources are."""
    library = tmp_path / "fmnist_course"
    library.mkdir()
    for name in (*TRAINING_SOURCES, "final_fit.py"):
        shutil.copy(fingerprints.LIBRARY_DIR / name, library / name)
    original = fingerprint("best", library_dir=library)
    source = (library / "final_fit.py").read_text()
    changed = source.replace("[data.x_train, data.x_val]", "[data.x_val, data.x_train]")
    assert changed != source
    (library / "final_fit.py").write_text(changed)
    assert fingerprint_changes(original, fingerprint("best", library_dir=library)) == [
        "the code of final_fit.py changed"
    ]
    assert fingerprint("cnn", library_dir=library) == fingerprint("cnn")


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
        {"final_fit": False},
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
