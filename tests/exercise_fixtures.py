"""Exercises for the tests: a fake lesson 98, and every course exercise's answers.

Importing this module registers the self-checks `98-answer` and `98-double`
(once per process). `FAKE_LESSON` is a lesson script that uses them: its first
cell registers the same self-checks (so it runs in a sandbox, which sees no
test file), and `GRADED_98` is the instructor's graded checks of lesson 98.

`ANSWERS` holds, for every exercise of lessons 00-08, factories of its
solution and of plausible wrong answers; `self_verdict` and `graded_verdict` run the
self-check and the graded check on them (tests/test_wrong_answers.py,
tests/test_answer_forms.py).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import fmnist_course as fmc
from fmnist_course.exercises.answer_codec import Unsupported, decode, encode, is_keras
from fmnist_course.exercises.answer_files import Writer
from fmnist_course.exercises.export import is_function_answer
from fmnist_course.exercises.registry import EXERCISES, CheckFailed
from fmnist_course.grading.assignment import graded_checks
from fmnist_course.grading.exported_answers import RecordedFunction
from fmnist_course.runs import new_run_dir

TESTS_DIR = Path(__file__).resolve().parent

SELF_CHECKS = """\
from fmnist_course.exercises import EXERCISES, check, exercise, expect

if "98-answer" not in EXERCISES:

    @exercise("98-answer", hint="Multiply six by seven.")
    def check_answer(answer):
        expect(answer == 42, f"{answer!r} is not the answer yet.")

    @exercise("98-double", hint="Return twice the number it receives.")
    def check_double(double):
        expect(callable(double), f"Expected a function. Received: {double!r}")
        expect(double(3) == 6, f"double(3) returned {double(3)!r}.")
"""

if "98-answer" not in EXERCISES:
    exec(SELF_CHECKS)

GRADED_98 = """\
from fmnist_course.grading.assignment import expect, graded


@graded("98-answer", hint="Multiply six by seven.")
def graded_answer(answer):
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"Expected an integer. Received: {answer!r}",
    )
    expect(answer == 42, f"{answer!r} is not the answer yet.")


@graded(
    "98-double",
    probes={"double": [(3,), (-5,), (1000,)]},
    hint="Return twice the number it receives.",
)
def graded_double(double):
    for value in (3, -5, 1000):
        expect(double(value) == 2 * value, f"double({value}) is not right yet.")
"""


def write_graded_checks(directory: Path) -> Path:
    """Write the graded checks of lesson 98 into `directory`; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "lesson_98.py").write_text(GRADED_98, encoding="utf-8")
    return directory


FAKE_LESSON = (
    """# %% [markdown]
# # A fake lesson
#
# Two quick exercises, for the tests.

# %%
"""
    + SELF_CHECKS
    + """

# %% [markdown]
# ## Summary
#
# Nothing to summarise.
#
# ## Exercises
#
# ### Exercise 1: The answer (`98-answer`)
#
# Compute six times seven.

# %%
### BEGIN SOLUTION
answer = 6 * 7
### END SOLUTION
check("98-answer", answer)

# %% [markdown]
# ### Exercise 2: Double it (`98-double`)
#
# Write `double(x)`.


# %%
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


check("98-double", double)
"""
)


def write_fake_lesson(directory: Path, name: str = "98_fake.py") -> Path:
    """Write the fake lesson script into `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(FAKE_LESSON, encoding="utf-8")
    return path


# --- every course exercise: its solution, wrong answers, and both checks ------
#
# `ANSWERS` maps each exercise id of lessons 00-08 to factories of the
# arguments passed to `check`: the solution first, then plausible wrong
# answers. `self_verdict` runs the self-check on them as given, and
# `graded_verdict` runs the instructor's graded check (`graded/`) on what the
# answer codec brings back, a function being replayed on the graded check's
# hidden inputs, as in the grader.

GRADED_DIR = TESTS_DIR.parent / "graded"


def course_exercise_ids() -> set[str]:
    """The ids the package registers (not this file's test-only lesson 98)."""
    return {
        exercise_id
        for exercise_id, entry in EXERCISES.items()
        if entry.checker.__module__.startswith("fmnist_course.exercises.")
    }


@functools.cache
def course_graded_checks() -> dict[str, Callable]:
    """The graded checks of `graded/lesson_NN.py`, for every course exercise."""
    sources = {p.name: p.read_text() for p in sorted(GRADED_DIR.glob("lesson_*.py"))}
    exercises = [{"id": exercise_id} for exercise_id in sorted(course_exercise_ids())]
    return graded_checks({"exercises": exercises, "checks": sources})


def _verdict(check: Callable, args: tuple) -> tuple[bool, str]:
    try:
        check(*args)
    except CheckFailed as failure:
        return False, str(failure)
    except Exception as error:  # as `check` and the grader count it: a failure
        return False, f"raised {type(error).__name__}: {error}"
    return True, "passed"


def self_verdict(exercise_id: str, args: tuple) -> tuple[bool, str]:
    """The self-check's verdict and message on the answers as the student has them."""
    return _verdict(EXERCISES[exercise_id].checker, args)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def _through_json(descriptor: Any) -> Any:
    return json.loads(json.dumps(descriptor))


def _replay(function: Callable, calls: list[tuple], directory: Path):
    """`function` as the grader sees it: its outputs on the hidden inputs."""
    outputs = directory / "outputs"
    outputs.mkdir(parents=True)
    writer = Writer(outputs)
    recorded = []
    for number, call in enumerate(calls):
        inputs = directory / f"inputs{number}"  # the kernel gets them as data too
        inputs.mkdir()
        received = decode(
            _through_json(encode(list(call), Writer(inputs))), _files(inputs)
        )
        try:
            outcome = {"value": encode(function(*received), writer)}
        except Exception as error:  # the student's function raised
            outcome = {"error": type(error).__name__}
        recorded.append((tuple(call), _through_json(outcome)))
    return RecordedFunction(recorded, _files(outputs))


def graded_answers(exercise_id: str, args: tuple, directory: Path) -> list:
    """`args` after the trip through the answer codec, into `directory`."""
    check = course_graded_checks()[exercise_id]
    probes = {
        spec["position"]: spec["calls"]
        for spec in getattr(check, "graded_probes", {}).values()
    }
    values_dir = directory / "values"
    values_dir.mkdir(parents=True)
    writer = Writer(values_dir)
    descriptors = []
    for index, value in enumerate(args):
        if is_function_answer(value):
            descriptors.append(("function", value))
        else:
            descriptors.append(("value", _through_json(encode(value, writer))))
        if is_keras(value, "Model"):
            writer.models.append((value, index))
    files, decoded = _files(values_dir), []
    for index, (kind, item) in enumerate(descriptors):
        if kind == "function" and index in probes:
            decoded.append(_replay(item, probes[index], directory / f"f{index}"))
        elif kind == "function":
            decoded.append(Unsupported("function that was not called on the inputs"))
        else:
            decoded.append(decode(item, files, decoded))
    return decoded


def graded_verdict(exercise_id: str, args: tuple, directory: Path) -> tuple[bool, str]:
    """The graded check's verdict on `args` as the grader receives them."""
    decoded = graded_answers(exercise_id, args, directory)
    return _verdict(course_graded_checks()[exercise_id], tuple(decoded))


# Solutions and wrong answers. Each factory returns the tuple passed to `check`.


def scale_pixels(images):
    return images.astype("float32") / 255.0


def mean_images_per_class(images, labels):
    images = np.asarray(images, dtype="float64")
    return np.stack([images[labels == k].mean(axis=0) for k in range(10)])


def train_val_gap(train_probabilities, y_train, val_probabilities, y_val):
    train = np.mean(np.argmax(train_probabilities, axis=1) == y_train)
    val = np.mean(np.argmax(val_probabilities, axis=1) == y_val)
    return float(train - val)


def mean_true_class_probability(probabilities, labels):
    return float(np.mean(np.asarray(probabilities)[np.arange(len(labels)), labels]))


def pick_by_validation(results):
    from fmnist_course.tuning.table import RESULT_COLUMNS

    finished = results[results["epochs"] == results["epochs"].max()]
    row = finished.loc[finished["best_val_accuracy"].idxmax()]
    return row.drop([c for c in RESULT_COLUMNS if c in row.index]).to_dict()


def moving_average(values, momentum):
    averages = np.empty(len(values))
    averages[0] = values[0]
    for index in range(1, len(values)):
        averages[index] = (
            momentum * averages[index - 1] + (1 - momentum) * values[index]
        )
    return averages


def shift_image(image, down, right):
    shifted = np.zeros_like(image)
    height, width = image.shape
    shifted[
        max(down, 0) : height + min(down, 0), max(right, 0) : width + min(right, 0)
    ] = image[
        max(-down, 0) : height + min(-down, 0), max(-right, 0) : width + min(-right, 0)
    ]
    return shifted


def most_confused_pair(matrix):
    from fmnist_course.data import CLASS_NAMES

    off_diagonal = np.array(matrix, copy=True)
    np.fill_diagonal(off_diagonal, -1)
    row, column = np.unravel_index(off_diagonal.argmax(), off_diagonal.shape)
    return (CLASS_NAMES[row], CLASS_NAMES[column])


ABLATED_PARTS = {
    "label smoothing": {"label_smoothing": 0.0},
    "weight decay": {"weight_decay": 0.0},
    "cutout": {"model_kwargs": {"cutout": 0}},
    "dropout": {"model_kwargs": {"dropout": 0.0}},
    "flips and shifts": {"model_kwargs": {"augment": False}},
}


def ablation(leaky: bool = False) -> dict:
    """The answer of 07-ablation; `leaky` changes `model_kwargs` in place."""
    from fmnist_course.recipes import RECIPES

    stacked = RECIPES["all_techniques"]
    shared = dict(stacked.model_kwargs)
    answer = {}
    for part, changes in ABLATED_PARTS.items():
        if "model_kwargs" in changes:
            if leaky:
                shared.update(changes["model_kwargs"])
                changes = {"model_kwargs": dict(shared)}
            else:
                changes = {
                    "model_kwargs": {**stacked.model_kwargs, **changes["model_kwargs"]}
                }
        answer[part] = dataclasses.asdict(dataclasses.replace(stacked, **changes))
    return answer


def extractor_models(
    *,
    freeze: bool = True,
    reuse: bool = True,
    outputs: int = 3,
    activation: str = "softmax",
):
    """`(coarse_model, extractor)` as in lesson 01, on a small dense network."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28), name="image")
    x = layers.Flatten(name="flatten")(inputs)
    x = layers.Dense(16, activation="relu", name="dense_1")(x)
    x = layers.Dense(8, activation="relu", name="dense_2")(x)
    extractor = keras.Model(inputs, x, name="features")
    extractor.trainable = not freeze
    image = keras.Input(shape=(28, 28), name="image")
    features = extractor(image) if reuse else layers.Dense(8)(layers.Flatten()(image))
    head = layers.Dense(outputs, activation=activation, name="groups")(features)
    return keras.Model(image, head, name="coarse"), extractor


def small_dense(units: int = 64, sequential: bool = False):
    import keras
    from keras import layers

    if sequential:
        return keras.Sequential(
            [
                keras.Input((28, 28)),
                layers.Flatten(),
                layers.Dense(units, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )
    image = keras.Input(shape=(28, 28), name="image")
    h = layers.Dense(units, activation="relu")(layers.Flatten()(image))
    return keras.Model(image, layers.Dense(10, activation="softmax")(h))


def small_cnn(filters: tuple = (16, 32), dense_units: int = 24):
    import keras
    from keras import layers

    image = keras.Input(shape=(28, 28), name="image")
    h = layers.Reshape((28, 28, 1))(image)
    for number in filters:
        h = layers.Conv2D(number, 3, activation="relu")(h)
        h = layers.MaxPooling2D(2)(h)
    h = layers.Dense(dense_units, activation="relu")(layers.Flatten()(h))
    return keras.Model(image, layers.Dense(10, activation="softmax")(h))


@functools.cache
def trained_strong_challenge():
    """The lesson 04 solution of 04-stronger-penalty, trained as in fast mode."""
    import keras

    import fmnist_course as fmc

    subset = fmc.load_fashion_mnist(
        scale=True, validation_split=0.1, train_size=5000, test_size=1000
    )
    keras.utils.set_random_seed(0)
    model = fmc.build_model("challenge", l1=1e-3, l2=1e-3)
    fmc.train_model(
        model,
        subset.x_train[:2000],
        subset.y_train[:2000],
        validation_data=subset.validation_data,
        epochs=1,
        verbose=0,
    )
    return model


def challenge(**penalties):
    import fmnist_course as fmc

    return fmc.build_model("challenge", **penalties)


def saved_run(directory: Path, *, outputs: int = 10, with_history: bool = True):
    """A run directory holding a small model, written as lesson 08 does."""
    from fmnist_course.runs import MODEL_FILE, new_run_dir, save_run
    from fmnist_course.training import compile_model

    model = small_dense(units=8)
    if outputs != 10:
        model = extractor_models(outputs=outputs)[0]
    run_dir = new_run_dir(directory, "exercise")
    if with_history:
        save_run(run_dir, compile_model(model), pd.DataFrame({"epoch": [1]}), {})
    else:
        model.save(run_dir / MODEL_FILE)
    return run_dir


def _fixed(*args):
    return lambda directory: args


ANSWERS: dict[str, list[Callable[[Path], tuple]]] = {
    "00-scale-pixels": [
        _fixed(scale_pixels),
        _fixed(lambda images: images / 255.0),  # float64
        _fixed(lambda images: images.astype("float32") / 256),
    ],
    "00-validation-size": [_fixed(600), _fixed(6000), _fixed(60), _fixed(True)],
    "00-mean-images": [
        _fixed(mean_images_per_class),
        _fixed(
            lambda images, labels: np.stack(
                [images[labels == k].sum(axis=0) for k in range(10)]
            )
        ),
        _fixed(
            lambda images, labels: np.stack(
                [images[labels != k].mean(axis=0) for k in range(10)]
            )
        ),
    ],
    "01-count-dense-params": [
        _fixed(28 * 28 * 128 + 128),
        _fixed(28 * 28 * 128),  # forgets the biases
        _fixed(128),
        _fixed(100_480.0),
    ],
    "01-reuse-extractor": [
        lambda directory: extractor_models(),
        lambda directory: extractor_models(freeze=False),
        lambda directory: extractor_models(reuse=False),
        lambda directory: extractor_models(outputs=10),
        lambda directory: extractor_models(activation=None),  # no softmax
        lambda directory: (extractor_models()[0], "features"),
    ],
    "01-small-dense": [
        lambda directory: (small_dense(),),
        lambda directory: (small_dense(units=128),),  # over budget
        lambda directory: (small_dense(sequential=True),),
        lambda directory: (small_cnn(),),
    ],
    "02-conv-params": [_fixed((3 * 3 * 32 + 1) * 64), _fixed(3 * 3 * 32 * 64)],
    "02-flatten-size": [_fixed(5 * 5 * 64), _fixed(7 * 7 * 64), _fixed(5 * 5 * 32)],
    "02-small-cnn": [
        lambda directory: (small_cnn(),),
        lambda directory: (small_dense(units=32),),  # no convolution
        lambda directory: (small_cnn(filters=(32, 64), dense_units=64),),  # over budget
    ],
    "03-dropout-scale": [
        _fixed(0.0, 1 / 0.7),
        _fixed(0.3, 1 / 0.7),
        _fixed(0.0, 0.7),
        _fixed(0.0, 1.3),
    ],
    "03-train-val-gap": [
        _fixed(train_val_gap),
        _fixed(lambda tp, yt, vp, yv: -train_val_gap(tp, yt, vp, yv)),
        _fixed(lambda tp, yt, vp, yv: abs(train_val_gap(tp, yt, vp, yv))),
        _fixed(
            lambda tp, yt, vp, yv: (
                mean_true_class_probability(tp, yt)
                - mean_true_class_probability(vp, yv)
            )
        ),
        _fixed(
            lambda tp, yt, vp, yv: float(
                np.mean(np.max(tp, axis=1) > 0.5) - np.mean(np.max(vp, axis=1) > 0.5)
            )
        ),
    ],
    "03-dropout-after-dense": [
        lambda directory: (fmc.build_model("cnn", dropout=0.5),),
        lambda directory: (fmc.build_model("cnn", dropout=0.25),),
        lambda directory: (fmc.build_model("cnn"),),
        lambda directory: (fmc.build_model("dense", dropout=0.5),),
    ],
    "04-l1l2-penalty": [_fixed(0.56), _fixed(0.035), _fixed(0.525), _fixed(0.6)],
    "04-dense-params": [_fixed(800 * 128 + 128), _fixed(800 * 128)],
    "04-stronger-penalty": [
        lambda directory: (trained_strong_challenge(),),
        lambda directory: (challenge(l1=1e-3, l2=1e-3),),  # untrained
        lambda directory: (challenge(),),  # the default penalties
        lambda directory: (small_dense(),),
    ],
    "05-halving-budget": [_fixed(27 + 9 * 3 + 3 * 9), _fixed(27 * 9), _fixed(39)],
    "05-cnn-space": [
        _fixed({"model": "cnn", "l2": [0.0, 1e-4], "dropout": [0.0, 0.25]}),
        _fixed({"model": "cnn", "l2": [0.0, 1e-4]}),
        _fixed({"model": "cnn", "l2": [0.0, 1e-4, 1e-3], "dropout": [0.0, 0.2, 0.4]}),
        _fixed(
            {"model": "dense", "dropout": [0.0, 0.25], "learning_rate": [1e-3, 3e-3]}
        ),
        _fixed({"model": "cnn", "l2": [0.0, 1e-4], "dense_units": [64, 400_000]}),
    ],
    "05-pick-by-validation": [
        _fixed(pick_by_validation),
        _fixed(  # ignores how long each trial trained
            lambda r: pick_by_validation(r.assign(epochs=1))
        ),
        _fixed(  # the hyperparameters of lesson 05's own table
            lambda r: {
                k: r.loc[r["best_val_accuracy"].idxmax(), k]
                for k in ("dropout", "hidden_units", "learning_rate")
            }
        ),
    ],
    "06-bn-params": [
        _fixed((2 * 64, 4 * 64)),
        _fixed((4 * 64, 4 * 64)),
        _fixed((128,)),
    ],
    "06-early-stopping": [
        lambda directory: (early_stopping(),),
        lambda directory: (early_stopping(monitor="val_loss"),),
        lambda directory: (early_stopping(restore_best_weights=True),),
        lambda directory: (early_stopping(patience=2),),
        lambda directory: (early_stopping(mode="min"),),
    ],
    "06-moving-average": [
        _fixed(moving_average),
        _fixed(lambda values, momentum: moving_average(values, 1 - momentum)),
        _fixed(lambda values, momentum: [0.0, *moving_average(values, momentum)[1:]]),
        _fixed(lambda values, momentum: moving_average(values, momentum)[:-1]),
    ],
    "07-label-preserving": [
        _fixed({"horizontal flip", "shift 2 pixels"}),
        _fixed({"horizontal flip", "shift 2 pixels", "vertical flip"}),
        _fixed({"horizontal flip"}),
        _fixed({"shift 2 pixels", "rotate 180"}),
        _fixed({"shift 2 pixels"}),
    ],
    "07-shift-image": [
        _fixed(shift_image),
        _fixed(lambda image, down, r: np.roll(image, (down, r), axis=(0, 1))),
        _fixed(lambda image, down, r: shift_image(image, r, down)),
    ],
    "07-ablation": [
        lambda directory: (ablation(),),
        lambda directory: (ablation(leaky=True),),
        lambda directory: ({k: v for k, v in ablation().items() if k != "dropout"},),
    ],
    "08-most-confused-pair": [
        _fixed(most_confused_pair),
        _fixed(lambda m: most_confused_pair(np.asarray(m).T)),  # (predicted, true)
        _fixed(  # the diagonal left in
            lambda m: tuple(
                fmc.CLASS_NAMES[int(i)]
                for i in np.unravel_index(np.argmax(m), np.shape(m))
            )
        ),
    ],
    "08-reload": [
        lambda directory: (saved_run(directory),),
        lambda directory: (small_dense(units=8),),  # the model in memory, never saved
        lambda directory: (str(saved_run(directory)),),
        lambda directory: (
            saved_run(directory, with_history=False),
        ),  # model.save only
        lambda directory: (saved_run(directory, outputs=3),),
        lambda directory: (new_run_dir(directory, "exercise"),),
    ],
}
"""Per course exercise: the solution's arguments, then wrong answers'.

Each factory takes a scratch directory (where 08-reload's runs are written)."""


def early_stopping(**changes):
    import keras

    settings = {"monitor": "val_accuracy", "patience": 3, "restore_best_weights": False}
    return keras.callbacks.EarlyStopping(**{**settings, **changes})
