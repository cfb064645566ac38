"""The trained models that ship with the course, each checked by its fingerprint.

Every model in the package's folder is checked against its recipe, the
library's code and the data, and against the ladder's record: a changed
recipe fails here until `fmnist-course bench ladder` has trained it again.
One test trains a tiny model through the ladder's own path (a few seconds).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from fmnist_course import recipes, trained_models
from fmnist_course.authoring.lesson_files import lesson_paths
from fmnist_course.bench import ladder
from fmnist_course.errors import UserError
from fmnist_course.fingerprints import fingerprint, fingerprint_digest
from fmnist_course.models import build_model
from fmnist_course.results import load_results
from fmnist_course.trained_models import (
    TRAINED_DIR,
    check_shipped,
    load_shipped,
    shipped_names,
    shipped_paths,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def weight_groups(path: Path) -> set[str]:
    """The top-level groups of a `.keras` file's weights ("optimizer" if saved)."""
    with zipfile.ZipFile(path) as archive:
        weights = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(weights), "r") as handle:
        return set(handle.keys())


def write_fake_shipped(directory: Path, name: str = "dense") -> Path:
    """An untrained model saved as the ladder saves one, with today's fingerprint."""
    model = build_model(recipes.RECIPES[name].model)
    model_path, metadata_path = shipped_paths(name, directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save(model_path)
    recorded = fingerprint(name)
    metadata_path.write_text(
        json.dumps(
            {
                "name": name,
                "seed": 0,
                "test_accuracy": 0.1,
                "history": [{"epoch": 1, "accuracy": 0.1}],
                "keras_sha256": trained_models._file_sha256(model_path),
                "fingerprint_sha256": fingerprint_digest(recorded),
                "fingerprint": recorded,
            }
        )
    )
    return model_path


# --------------------------------------------------------------------------- #
# The shipped models
# --------------------------------------------------------------------------- #


def test_every_shipped_model_matches_its_recipe_and_the_record():
    """Guards: no shipped model was trained by another recipe, code or data than
    today's, each has its metadata, no optimizer state, and its test accuracy is
    the ladder record's for its seed; a changed recipe fails here until the
    ladder has run again."""
    import tomllib

    assert TRAINED_DIR.is_dir(), f"{TRAINED_DIR} is missing"
    package_data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-data"]["fmnist_course"]
    assert {"trained/*.keras", "trained/*.json"} <= set(package_data)
    ladder_rows = load_results().get("ladder", [])
    # Every model a lesson loads, and every recipe of the ladder, ships: a
    # deleted model fails here, not only a stale one.
    loaded = {
        name
        for path in lesson_paths()
        for name in re.findall(r'load_shipped\("(\w+)"', path.read_text("utf-8"))
    }
    laddered = {row["model"] for row in ladder_rows if row.get("device") == "cpu"}
    assert loaded and loaded <= laddered
    missing = sorted(laddered - set(shipped_names()))
    assert not missing, (
        f"not shipped: {missing}; `fmnist-course bench ladder` saves them"
    )
    problems = []
    for name in shipped_names():
        try:
            metadata = check_shipped(name)
        except UserError as error:
            problems.append(str(error))
            continue
        model_path, _ = shipped_paths(name)
        if "optimizer" in weight_groups(model_path):
            problems.append(f"{model_path} holds optimizer state")
        digest = fingerprint_digest(fingerprint(name))
        recorded = [
            run["test_accuracy"]
            for row in ladder_rows
            if row["model"] == name and row.get("fingerprint") == digest
            for run in row["runs"]
            if run["seed"] == metadata["seed"]
        ]
        if metadata["test_accuracy"] not in recorded:
            problems.append(
                f"{name}: shipped test accuracy {metadata['test_accuracy']} is not "
                f"the record's for seed {metadata['seed']} and fingerprint "
                f"{digest[:12]} ({recorded or 'no such row'})"
            )
    assert not problems, "\n".join(problems)


def test_a_model_without_its_metadata_or_a_changed_file_is_refused(tmp_path):
    """Guards: a `.keras` without its sidecar json, or not the file the json
    describes, never loads (and the shipped-models check above fails on it)."""
    model_path = write_fake_shipped(tmp_path)
    assert check_shipped("dense", tmp_path)["seed"] == 0
    _, metadata_path = shipped_paths("dense", tmp_path)

    metadata_path.rename(tmp_path / "moved.txt")
    with pytest.raises(
        UserError, match=r"dense\.json is missing.*bench ladder --lessons 01"
    ):
        check_shipped("dense", tmp_path)
    (tmp_path / "moved.txt").rename(metadata_path)

    model_path.write_bytes(model_path.read_bytes() + b"\0")
    with pytest.raises(UserError, match="is not the model that dense.json describes"):
        check_shipped("dense", tmp_path)


def test_load_shipped_refuses_a_model_once_its_recipe_changed(tmp_path, monkeypatch):
    """Guards: after a recipe changes, its old shipped model cannot load: the
    error names the change and the command that ships a new one."""
    write_fake_shipped(tmp_path)
    shipped = load_shipped("dense", tmp_path)
    assert shipped.model.compiled and shipped.seed == 0
    assert list(shipped.history["epoch"]) == [1]

    epochs = recipes.RECIPES["dense"].epochs
    changed = dataclasses.replace(recipes.RECIPES["dense"], epochs=epochs + 1)
    monkeypatch.setitem(recipes.RECIPES, "dense", changed)
    with pytest.raises(UserError) as caught:
        load_shipped("dense", tmp_path)
    message = str(caught.value)
    assert "was trained by a different recipe" in message
    assert f"recipe field epochs: {epochs} then, {epochs + 1} now" in message
    assert "fmnist-course bench ladder --lessons 01" in message
    assert "FMNIST_RETRAIN=1" in message


def test_a_missing_model_says_which_command_makes_it(tmp_path):
    """Guards: a lesson without its shipped model says how to make it."""
    with pytest.raises(UserError, match=r"fmnist-course bench ladder --lessons 07"):
        load_shipped("best", tmp_path)
    with pytest.raises(UserError, match="has no lesson"):
        load_shipped("all_techniques", tmp_path)


# --------------------------------------------------------------------------- #
# Saving, through the ladder's own path
# --------------------------------------------------------------------------- #


def test_the_ladder_saves_a_model_that_loads_with_the_same_predictions(
    tmp_path, monkeypatch
):
    """Guards: the ladder's saved model (no optimizer state) predicts as the
    trained one, with its history, seed, accuracy and the row's fingerprint."""
    trained = {}
    real_save = ladder.save_trained_model

    def keep_model(run, **options):
        trained["model"] = run.model
        return real_save(run, **options)

    monkeypatch.setattr(ladder, "save_trained_model", keep_model)
    row = ladder.measure_recipe(
        "dense", epochs=1, train_size=2000, test_size=1000, save_dir=str(tmp_path)
    )
    model_path, metadata_path = shipped_paths("dense", tmp_path)
    assert "optimizer" not in weight_groups(model_path)
    assert model_path.stat().st_size < 1.2 * 235_146 * 4  # the weights, no more
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "dense.json",
        "dense.keras",
    ]  # no temporary file left behind
    assert model_path.stat().st_mode & 0o777 == 0o644  # readable where installed
    metadata = json.loads(metadata_path.read_text())
    assert metadata["fingerprint_sha256"] == row["fingerprint"]
    assert metadata["test_accuracy"] == row["test_accuracy"]
    assert metadata["seed"] == 0 and len(metadata["history"]) == 1
    assert metadata["train_images"] == row["train_images"]

    # Honest: a one-epoch run on a subset is not the recipe's model.
    with pytest.raises(UserError, match="subset of 2000 images"):
        load_shipped("dense", tmp_path)
    as_trained = functools.partial(fingerprint, epochs=1, train_size=2000)
    monkeypatch.setattr(trained_models, "fingerprint", as_trained)
    shipped = load_shipped("dense", tmp_path)
    images = np.random.default_rng(0).random((16, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(
        shipped.model.predict(images, verbose=0),
        trained["model"].predict(images, verbose=0),
        rtol=1e-6,
        atol=1e-7,
    )


def test_saving_outside_the_package_never_overwrites_a_file(tmp_path, monkeypatch):
    """Guards: the ladder refuses, before training, to overwrite a model in a
    folder of the user's; only the package's own folder is rewritten."""
    write_fake_shipped(tmp_path)
    before = shipped_paths("dense", tmp_path)[0].read_bytes()

    def no_training(*args, **kwargs):
        raise AssertionError("trained although saving would overwrite a file")

    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", no_training)
    with pytest.raises(UserError, match="Refusing to overwrite"):
        ladder.run_ladder(["01"], models_dir=tmp_path)
    with pytest.raises(UserError, match="Refusing to overwrite"):
        trained_models._write_atomically(
            shipped_paths("dense", tmp_path)[0], lambda path: None, replace=False
        )
    assert shipped_paths("dense", tmp_path)[0].read_bytes() == before
    assert trained_models.is_package_folder(TRAINED_DIR)
    assert not trained_models.is_package_folder(tmp_path)
    trained_models.check_can_save(["dense"], TRAINED_DIR)  # the ladder's to rewrite
