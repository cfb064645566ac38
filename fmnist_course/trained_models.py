"""Trained models that ship with the course: where they live, how they load.

A lesson shows a long training; it does not wait for one. `fmnist-course bench
ladder` trains each lesson's recipe in full and saves the model of its first
seed here, as package data (`fmnist_course/trained/NAME.keras`, so the wheel
and Colab have it), without optimizer state. Beside it, `NAME.json` keeps its
history per epoch, the seed, the recorded test and validation accuracy, when
it was measured, the SHA-256 of the `.keras` file and the fingerprint of what
trained it (`fmnist_course.fingerprints`: the recipe, the training code and the
data).

`load_shipped` refuses a model whose fingerprint differs from the current
recipe's, so a changed recipe cannot silently ship an old model; the ladder's
record (`benchmarks/results.json`) keeps the same fingerprint in each row, so
a shipped model's test accuracy can be matched to the record. A lesson that
would rather train the full recipe itself reads `settings.retrain_requested()`.

Examples:
    >>> [path.name for path in shipped_paths("best")]
    ['best.keras', 'best.json']
    >>> shipped = load_shipped("best")  # doctest: +SKIP
    >>> shipped.test_accuracy, len(shipped.history)  # doctest: +SKIP
    (0.9..., 40)

"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import keras
import pandas as pd

import fmnist_course.layers  # noqa: F401  (registers the course's layers)
import fmnist_course.losses  # noqa: F401  (registers the course's loss)
from fmnist_course.errors import UserError
from fmnist_course.fingerprints import (
    LIBRARY_DIR,
    fingerprint,
    fingerprint_changes,
    fingerprint_digest,
)
from fmnist_course.machine import FLOAT32_POLICY
from fmnist_course.recipes import RECIPES, Recipe, get_recipe
from fmnist_course.results import load_results
from fmnist_course.settings import RETRAIN_ENV
from fmnist_course.training import TrainingRun
from fmnist_course.view_averaging import with_test_time_augmentation

TRAINED_DIR = LIBRARY_DIR / "trained"
"""Where the shipped models live: package data, in the wheel too."""

MODEL_SUFFIX = ".keras"
METADATA_SUFFIX = ".json"

LIVE_EPOCHS = 3
"""Epochs a lesson trains a recipe live before it loads the full run shipped
here (lessons 02, 03, 04 and 07); `fmnist_course.fast_mode.epochs_for`
shortens them further in fast mode, and the retrain switch trains every epoch
of the recipe instead."""


def recorded_seeds(
    recipe: Recipe, results: Mapping[str, Any] | None = None, device: str = "cpu"
) -> list[int]:
    """The seeds of a recipe's recorded ladder row, or `[]` if it has none.

    Args:
        recipe: A recipe with a lesson.
        results: The parsed record (`None`: `fmnist_course.results.load_results()`).
        device: Whose row: `"cpu"` or `"gpu"`.

    Examples:
        >>> recorded_seeds(get_recipe("dense"), {"ladder": [
        ...     {"model": "dense", "device": "cpu", "seeds": [0, 1, 2]}]})
        [0, 1, 2]
        >>> recorded_seeds(get_recipe("dense"), {})
        []

    """
    if results is None:
        results = load_results()
    for row in results.get("ladder") or []:
        if row.get("model") == recipe.name and row.get("device", "cpu") == device:
            return list(row.get("seeds") or [row.get("seed", 0)])
    return []


def ladder_command(
    recipe: Recipe, results: Mapping[str, Any] | None = None, device: str = "cpu"
) -> str:
    """The command that trains a recipe's recorded row and shipped model again.

    It names the seeds of the recorded row (`recorded_seeds`): `bench ladder`
    alone trains one seed, and its row would replace the recorded row of
    several seeds. The shipped model is the first seed's.

    Args:
        recipe: A recipe with a lesson.
        results: The parsed record (`None`: `fmnist_course.results.load_results()`).
        device: Whose row: `"cpu"` or `"gpu"`.

    Examples:
        >>> ladder_command(get_recipe("best"), {"ladder": [
        ...     {"model": "best", "device": "cpu", "seeds": [0, 1, 2]}]})
        'fmnist-course bench ladder --lessons 07 --seeds 0 1 2'
        >>> ladder_command(get_recipe("best"), {})
        'fmnist-course bench ladder --lessons 07'

    """
    command = f"fmnist-course bench ladder --lessons {recipe.lesson}"
    seeds = recorded_seeds(recipe, results, device)
    if seeds:
        command += " --seeds " + " ".join(str(seed) for seed in seeds)
    return command


def shipped_paths(
    name: str, directory: str | os.PathLike | None = None
) -> tuple[Path, Path]:
    """The model file and its metadata file for a recipe's shipped model.

    Examples:
        >>> [path.name for path in shipped_paths("best")]
        ['best.keras', 'best.json']

    """
    folder = Path(directory or TRAINED_DIR)
    return folder / f"{name}{MODEL_SUFFIX}", folder / f"{name}{METADATA_SUFFIX}"


def shipped_names(directory: str | os.PathLike | None = None) -> list[str]:
    """The names of the models in a folder (`.keras` or `.json`), sorted.

    Examples:
        >>> shipped_names("no-such-folder")
        []

    """
    folder = Path(directory or TRAINED_DIR)
    if not folder.is_dir():
        return []
    return sorted(
        {
            path.stem
            for path in folder.iterdir()
            if path.suffix in (MODEL_SUFFIX, METADATA_SUFFIX)
            and not path.name.startswith(".")
        }
    )


def is_package_folder(directory: str | os.PathLike | None) -> bool:
    """Whether `directory` is the package's own folder of shipped models.

    Examples:
        >>> is_package_folder(None), is_package_folder("elsewhere")
        (True, False)

    """
    return directory is None or Path(directory).resolve() == TRAINED_DIR.resolve()


def check_can_save(names: Iterable[str], directory: str | os.PathLike | None) -> None:
    """Refuse, before any training, to overwrite a model outside the package.

    The package's own folder is the ladder's to rewrite; in any other folder
    an existing file is someone's work.

    Raises:
        UserError: A model file of one of `names` already exists there.

    Examples:
        >>> check_can_save(["dense"], "no-such-folder")

    """
    if is_package_folder(directory):
        return
    taken = [
        str(path)
        for name in names
        for path in shipped_paths(name, directory)
        if os.path.lexists(path)
    ]
    if taken:
        raise UserError(
            f"Refusing to overwrite {', '.join(taken)}. Expected a folder without "
            "these models: move them, or choose another folder."
        )


def _write_atomically(
    path: Path, write: Callable[[Path], None], *, replace: bool
) -> None:
    """Write `path` through a temporary file beside it, then rename it in place.

    A reader sees the old file or the new one, never half of one. With
    `replace=False` an existing file is never overwritten (a hard link is
    created, which fails when the name is taken).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix
    )
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would travel into the wheel
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise UserError(
                    f"Refusing to overwrite {path}. Expected a free file name: "
                    "move that file, or choose another folder."
                ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def model_precision(model: Any) -> str:
    """The dtype policy a model was built in: `"float32"` or the first other one.

    A model built under `mixed_bfloat16` (`fmnist_course.precision`) keeps
    that policy in its layers when saved, whatever the policy of the process
    that loads it; its last layer is float32 in every policy
    (`fmnist_course.models`), so every layer is looked at.

    Examples:
        >>> model_precision(keras.Sequential([keras.layers.Dense(2)]))
        'float32'

    """
    for layer in [model, *getattr(model, "layers", [])]:
        policy = getattr(getattr(layer, "dtype_policy", None), "name", None)
        if policy not in (None, FLOAT32_POLICY):
            return policy
    return FLOAT32_POLICY


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_trained_model(
    run: TrainingRun,
    *,
    seed: int,
    directory: str | os.PathLike | None = None,
    train_size: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> Path:
    """Save a trained recipe's model without optimizer state, with its metadata.

    The weights go into a fresh, uncompiled copy of the model, so the file
    holds the architecture and the weights only: 1.6 MB for the best model,
    where Adam's moments and the weights' moving average would make 6.3 MB.
    Both files are written atomically. In the package's folder an earlier
    model of the same recipe is replaced; in any other folder an existing
    file is never overwritten.

    Args:
        run: What `train_recipe` returned.
        seed: The seed it trained under.
        directory: Where to save (`None`: `TRAINED_DIR`).
        train_size: The training subset, if the run used one.
        details: More JSON-ready facts to record, e.g. `measured_at`.

    Returns:
        The path of the `.keras` file.

    Raises:
        UserError: A file outside the package's folder would be overwritten,
            or the model was not trained in float32 (`model_precision`): a
            shipped model is float32, and its fingerprint would not tell.

    Examples:
        >>> save_trained_model(run, seed=0, directory="models")  # doctest: +SKIP
        PosixPath('models/dense.keras')

    """
    recipe = run.recipe
    precision = model_precision(run.model)
    if precision != FLOAT32_POLICY:
        raise UserError(
            f"Refusing to save {recipe.name!r}: expected a model trained in "
            f"{FLOAT32_POLICY}. Received one built under {precision}. Train it "
            "with FMNIST_BF16=0 to save it."
        )
    model_path, metadata_path = shipped_paths(recipe.name, directory)
    replace = is_package_folder(directory)
    if not replace:
        check_can_save([recipe.name], directory)
    # `keras.models.clone_model` would copy the compiled state, optimizer
    # included; a model rebuilt from its config is not compiled.
    bare = type(run.model).from_config(run.model.get_config())
    bare.set_weights(run.model.get_weights())
    _write_atomically(model_path, bare.save, replace=replace)
    trained_by = fingerprint(recipe, epochs=len(run.history), train_size=train_size)
    metadata = {
        "name": recipe.name,
        "lesson": recipe.lesson,
        "seed": seed,
        **run.scores(),
        "params": run.params,
        **dict(details or {}),
        "history": json.loads(run.history.to_json(orient="records")),
        "keras_sha256": _file_sha256(model_path),
        "fingerprint_sha256": fingerprint_digest(trained_by),
        "fingerprint": trained_by,
        "made_by": ladder_command(recipe),
    }
    _write_atomically(
        metadata_path,
        lambda path: path.write_text(json.dumps(metadata, indent=1) + "\n"),
        replace=replace,
    )
    return model_path


def check_shipped(name: str, directory: str | os.PathLike | None = None) -> dict:
    """A shipped model's metadata, once its files and fingerprint check out.

    Args:
        name: A recipe with a lesson, e.g. `"best"`.
        directory: Where the models are (`None`: `TRAINED_DIR`).

    Returns:
        The metadata saved beside the model (see `save_trained_model`).

    Raises:
        UserError: The model or its metadata is missing, the model file is
            not the one its metadata describes, or the model was trained by a
            different recipe, code or data than the current ones.

    Examples:
        >>> check_shipped("fast")
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: The recipe 'fast' has no lesson, so the ladder neither trains nor ships its model. Expected one of: best, challenge, cnn, cnn_dropout, dense.

    """  # noqa: E501
    recipe = get_recipe(name)
    if not recipe.lesson:
        shipped = sorted(key for key, value in RECIPES.items() if value.lesson)
        raise UserError(
            f"The recipe {name!r} has no lesson, so the ladder neither trains nor "
            f"ships its model. Expected one of: {', '.join(shipped)}."
        )
    model_path, metadata_path = shipped_paths(name, directory)
    again = f"`{ladder_command(recipe)}`"
    for path in (model_path, metadata_path):
        if not path.is_file():
            raise UserError(
                f"No shipped model {name!r}: {path} is missing. Make it with "
                f"{again}, which trains the recipe and saves its first seed's "
                f"model there, or set {RETRAIN_ENV}=1 to train it in the lesson."
            )
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    if metadata.get("keras_sha256") != _file_sha256(model_path):
        raise UserError(
            f"{model_path} is not the model that {metadata_path.name} describes "
            f"(its SHA-256 differs). Re-run {again} to save both again."
        )
    changes = fingerprint_changes(metadata.get("fingerprint", {}), fingerprint(recipe))
    if changes:
        raise UserError(
            f"The shipped model {name!r} was trained by a different recipe: "
            f"{'; '.join(changes)}. Re-run {again} to train and ship it again, "
            f"or set {RETRAIN_ENV}=1 to train it in the lesson."
        )
    return metadata


@dataclasses.dataclass
class ShippedModel:
    """A shipped model and what the ladder recorded of its training."""

    name: str
    model: keras.Model
    """The trained model, compiled for `evaluate` (loss and accuracy)."""
    metadata: dict[str, Any]
    """Everything `save_trained_model` recorded (seed, scores, fingerprint...)."""

    @property
    def history(self) -> pd.DataFrame:
        """The recorded history, one row per epoch, as `train_model` returns it."""
        return pd.DataFrame(self.metadata["history"])

    @property
    def test_accuracy(self) -> float:
        """The test accuracy the ladder recorded for this model."""
        return self.metadata["test_accuracy"]

    @property
    def seed(self) -> int:
        """The seed it trained under (its validation split's seed too)."""
        return self.metadata["seed"]

    def scored_model(self) -> keras.Model:
        """The model as its recipe scores it: with test-time augmentation if set.

        Examples:
            >>> shipped = load_shipped("best")  # doctest: +SKIP
            >>> scored = shipped.scored_model()  # doctest: +SKIP
            >>> scored.evaluate(data.x_test, data.y_test)  # doctest: +SKIP

        """
        if not get_recipe(self.name).test_time_augmentation:
            return self.model
        scored = with_test_time_augmentation(self.model)
        scored.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return scored


def load_shipped(
    name: str, directory: str | os.PathLike | None = None, *, compile: bool = True
) -> ShippedModel:
    """Load a recipe's shipped model (safe mode) and its recorded history.

    Args:
        name: A recipe with a lesson, e.g. `"best"`.
        directory: Where the models are (`None`: `TRAINED_DIR`).
        compile: Compile the model for `evaluate`. `False` leaves it as
            saved, uncompiled: enough to predict, and a model saved again
            with `save_run` then holds no optimizer (a compiled one holds
            Keras's default optimizer, never built, which warns on loading).

    Returns:
        A `ShippedModel`: the model (compiled with the cross-entropy loss and
        accuracy unless `compile=False`, no optimizer state), its history and
        metadata.

    Raises:
        UserError: As `check_shipped` says: missing, mismatched or trained by
            a different recipe.

    Examples:
        >>> shipped = load_shipped("challenge")  # doctest: +SKIP
        >>> shipped.history["val_accuracy"].iloc[-1]  # doctest: +SKIP
        0.93...
        >>> load_shipped("best", compile=False).model.compiled  # doctest: +SKIP
        False

    """
    metadata = check_shipped(name, directory)
    model_path, _ = shipped_paths(name, directory)
    model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
    if compile:
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return ShippedModel(name=name, model=model, metadata=metadata)
