"""Compile, train and evaluate models the way every lesson does.

`train_model` is the course's training path: Adam (AdamW with weight decay),
sparse categorical cross-entropy, accuracy, optional cosine learning-rate
decay, validation data when given, and a history returned as a pandas
DataFrame with the wall time of each epoch. `RECIPES` holds the settings each
named course model is trained with in full mode, so the CLI, the lessons and
the benchmarks agree.

Examples:
    >>> from fmnist_course import build_model, load_fashion_mnist
    >>> data = load_fashion_mnist(scale=True, validation_split=0.1, train_size=6000)
    >>> model = build_model("dense")
    >>> history = train_model(model, data.x_train, data.y_train,
    ...                       validation_data=data.validation_data, epochs=2,
    ...                       verbose=0)
    >>> list(history.columns)
    ['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss', 'seconds']

"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import keras
import numpy as np
import pandas as pd

from fmnist_course.errors import UserError
from fmnist_course.models import build_model, with_test_time_augmentation

BATCH_SIZE = 128
"""Images per gradient step, unless a recipe or a caller says otherwise."""
LEARNING_RATE = 1e-3
"""Adam's (initial) learning rate, unless a recipe or a caller says otherwise."""
SCHEDULE = "constant"
"""The learning-rate schedule, unless a recipe or a caller says otherwise."""
SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class Recipe:
    """How a named course model is trained in full mode.

    Attributes:
        name: The recipe's name, a key of `RECIPES`.
        model: A key of `MODEL_BUILDERS`.
        epochs: Number of passes over the training set.
        batch_size: Images per gradient step.
        learning_rate: Adam's initial learning rate.
        schedule: `"constant"` or `"cosine"` (decay to zero over all steps).
        weight_decay: Decoupled weight decay of AdamW (0 trains with Adam).
            See `compile_model`.
        weight_averaging: Momentum of an exponential moving average of the
            weights that is evaluated and kept instead of the raw weights
            (an exponential moving average; `None` disables). See `train_model`.
        label_smoothing: Share of each target spread evenly over the ten
            classes (0 trains on one-hot targets). See `compile_model`.
        test_time_augmentation: Evaluate the average of the model's
            predictions on each test image, its mirror image and both moved
            by a pixel in each direction (`models.with_test_time_augmentation`
            with its defaults). Training is unchanged.
        model_kwargs: Keyword arguments for the model builder.

    """

    name: str
    model: str
    epochs: int
    batch_size: int = BATCH_SIZE
    learning_rate: float = LEARNING_RATE
    schedule: str = SCHEDULE
    weight_decay: float = 0.0
    weight_averaging: float | None = None
    label_smoothing: float = 0.0
    test_time_augmentation: bool = False
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    lesson: str = ""


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe("dense", "dense", epochs=12, lesson="01"),
        Recipe("cnn", "cnn", epochs=8, weight_averaging=0.999, lesson="02"),
        Recipe(
            "cnn_dropout",
            "cnn",
            epochs=8,
            weight_averaging=0.999,
            model_kwargs={"dropout": 0.3},
            lesson="03",
        ),
        Recipe("challenge", "challenge", epochs=40, weight_averaging=0.99, lesson="04"),
        Recipe(
            "best",
            "best",
            epochs=40,
            learning_rate=2e-3,
            schedule="cosine",
            weight_decay=0.05,
            weight_averaging=0.99,
            test_time_augmentation=True,
            model_kwargs={"cutout": 0, "dropout": 0.0},
            lesson="07",
        ),
        Recipe(
            "all_techniques",
            "best",
            epochs=40,
            learning_rate=2e-3,
            schedule="cosine",
            weight_decay=0.05,
            weight_averaging=0.99,
            label_smoothing=0.1,
            test_time_augmentation=True,
            model_kwargs={"cutout": 8},
        ),
        Recipe(
            "fast",
            "best",
            epochs=2,
            learning_rate=3e-3,
            schedule="cosine",
            model_kwargs={"augment": False, "dropout": 0.0},
        ),
    )
}
"""Full-mode training settings, by recipe name. A recipe's name is usually its
model's name; variants (say, `"cnn_dropout"`) name their model in `model`.

Recipes with a `lesson` are the ladder's rows. Two have none:
`"all_techniques"` stacks every technique of lessons 06 and 07 on the best
model (dropout, cutout, label smoothing, ...); `fmnist-course bench ablation`
removes them one at a time, and `"best"` keeps those whose removal lowered
validation accuracy. `"fast"` is the recipe that `bench time-to-accuracy`
races against the original one."""


SWITCH_OFF: dict[str, dict[str, Any]] = {
    "cutout": {"model_kwargs": {"cutout": 0}},
    "label smoothing": {"label_smoothing": 0.0},
    "flips and shifts": {"model_kwargs": {"augment": False}},
    "dropout": {"model_kwargs": {"dropout": 0.0}},
    "weight decay": {"weight_decay": 0.0},
    "weight averaging": {"weight_averaging": None},
    "cosine schedule": {"schedule": "constant", "learning_rate": LEARNING_RATE},
}
"""How to switch each technique of a recipe off, by technique: the `Recipe`
fields to change (a `model_kwargs` mapping is merged into the recipe's). The
ablation benchmark and lesson 07's exercise both read it; see `switch_off`."""


def switch_off(recipe: Recipe, technique: str) -> Recipe:
    """A copy of `recipe` with one technique switched off, the rest unchanged.

    Args:
        recipe: The recipe to copy (it is left as it is).
        technique: A key of `SWITCH_OFF`, say `"dropout"`.

    Returns:
        A new `Recipe` with the same name.

    Raises:
        UserError: `technique` is not a key of `SWITCH_OFF`.

    Examples:
        >>> stacked = RECIPES["all_techniques"]
        >>> switch_off(stacked, "dropout").model_kwargs
        {'cutout': 8, 'dropout': 0.0}
        >>> switch_off(stacked, "weight decay").weight_decay, stacked.weight_decay
        (0.0, 0.05)

    """
    if technique not in SWITCH_OFF:
        raise UserError(
            f"Unknown technique: {technique!r}. Expected one of: "
            f"{', '.join(map(repr, SWITCH_OFF))}."
        )
    changes = dict(SWITCH_OFF[technique])
    if "model_kwargs" in changes:
        changes["model_kwargs"] = {**recipe.model_kwargs, **changes["model_kwargs"]}
    return replace(recipe, **changes)


def get_recipe(name: str) -> Recipe:
    """Return the full-mode recipe of a named course model.

    Raises:
        ValueError: `name` is not a course model.

    """
    if name not in RECIPES:
        raise UserError(
            f"Unknown model name: {name!r}. Expected one of: "
            f"{', '.join(sorted(RECIPES))}."
        )
    return RECIPES[name]


def _check_averaging(momentum: float) -> None:
    if not 0.0 <= momentum < 1.0:
        raise UserError(
            "Expected a weight-averaging momentum in [0, 1). "
            f"Received: weight_averaging={momentum}"
        )


def averaging_momentum(momentum: float, total_steps: int) -> float:
    """The weight-averaging momentum `train_model` uses for a run of `total_steps`.

    A moving average with momentum `m` blends roughly the last `1 / (1 - m)`
    steps. In a run shorter than three times that, the average would still be
    dominated by the random initial weights, so the momentum is lowered until
    the average spans a third of the run. Full-length course runs keep their
    momentum; a fast-mode run of a few dozen steps gets a short average.

    Args:
        momentum: The requested momentum, in [0, 1).
        total_steps: Gradient steps in the whole run.

    Returns:
        `min(momentum, 1 - 3 / total_steps)`, and never below 0.

    Raises:
        ValueError: `momentum` is outside [0, 1).

    Examples:
        >>> averaging_momentum(0.999, total_steps=8 * 422)  # lesson 02, full mode
        0.999
        >>> round(averaging_momentum(0.999, total_steps=22), 3)  # fast mode
        0.864

    """
    _check_averaging(momentum)
    return max(0.0, min(momentum, 1.0 - 3.0 / max(total_steps, 1)))


def compile_model(
    model: keras.Model,
    *,
    learning_rate: float = LEARNING_RATE,
    schedule: str = SCHEDULE,
    decay_steps: int | None = None,
    weight_decay: float = 0.0,
    weight_averaging: float | None = None,
    label_smoothing: float = 0.0,
) -> keras.Model:
    """Compile with Adam, sparse categorical cross-entropy and accuracy.

    Args:
        model: The model to compile (in place).
        learning_rate: Adam's (initial) learning rate.
        schedule: `"constant"`, or `"cosine"` to decay the learning rate to 0
            over `decay_steps` gradient steps.
        decay_steps: Total gradient steps; required for `"cosine"`.
        weight_decay: With a value above 0, train with AdamW: after every
            step each weight `w` also shrinks by `learning_rate * weight_decay
            * w`. Unlike an L2 penalty in the loss, this shrinking bypasses
            Adam's per-weight scaling of the gradient, so every weight decays
            at the same relative rate (Loshchilov and Hutter, "Decoupled
            Weight Decay Regularization"). 0 trains with plain Adam.
        weight_averaging: Momentum of the moving average of the weights that
            Adam keeps (`use_ema=True`), in [0, 1); `None` keeps none.
        label_smoothing: In [0, 1). Above 0, the loss compares the prediction
            with a softened target: `1 - label_smoothing` on the true class
            plus `label_smoothing / 10` on every class
            (`SmoothedSparseCrossentropy`). The model is no longer pushed to
            ever more confident outputs on images it already gets right.

    Returns:
        The same model, compiled.

    Raises:
        ValueError: Unknown schedule, a cosine schedule without steps, or a
            negative weight decay.

    Examples:
        >>> from fmnist_course import build_model
        >>> model = compile_model(build_model("dense"), weight_decay=0.05)
        >>> type(model.optimizer).__name__, model.optimizer.weight_decay
        ('AdamW', 0.05)

    """
    if schedule not in SCHEDULES:
        raise UserError(
            f"Unknown schedule: {schedule!r}. Expected one of: {', '.join(SCHEDULES)}."
        )
    if learning_rate <= 0:
        raise UserError(
            "Expected a positive learning rate. "
            f"Received: learning_rate={learning_rate}"
        )
    if weight_decay < 0:
        raise UserError(
            f"Expected a weight decay >= 0. Received: weight_decay={weight_decay}"
        )
    if weight_averaging is not None:
        _check_averaging(weight_averaging)
    if not 0.0 <= label_smoothing < 1.0:
        raise UserError(
            "Expected a label smoothing in [0, 1). "
            f"Received: label_smoothing={label_smoothing}"
        )
    rate: float | keras.optimizers.schedules.LearningRateSchedule = learning_rate
    if schedule == "cosine":
        if not decay_steps:
            raise UserError("A cosine schedule needs decay_steps > 0.")
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
    averaging = {
        "use_ema": weight_averaging is not None,
        "ema_momentum": 0.99 if weight_averaging is None else weight_averaging,
    }
    if weight_decay:
        optimizer = keras.optimizers.AdamW(rate, weight_decay=weight_decay, **averaging)
    else:
        optimizer = keras.optimizers.Adam(rate, **averaging)
    loss: str | keras.losses.Loss = "sparse_categorical_crossentropy"
    if label_smoothing:
        loss = SmoothedSparseCrossentropy(label_smoothing)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


@keras.saving.register_keras_serializable(package="fmnist_course")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy against integer labels turned into smoothed targets.

    The target of an image of class `c` is `1 - smoothing + smoothing / k` for
    class `c` and `smoothing / k` for each of the other classes, where `k` is
    the number of classes (Szegedy et al., "Rethinking the Inception
    Architecture", 2016). Keras's `CategoricalCrossentropy` smooths one-hot
    labels; this loss takes the integer labels the course uses everywhere.

    Args:
        smoothing: Share of the target spread over all classes, in [0, 1).
        **kwargs: Passed to `keras.losses.Loss` (say, `name`).

    Examples:
        >>> import numpy as np
        >>> loss = SmoothedSparseCrossentropy(0.1)
        >>> sure = np.array([[0.98] + [0.02 / 9] * 9])
        >>> float(loss(np.array([0]), sure)) > float(
        ...     keras.losses.sparse_categorical_crossentropy(np.array([0]), sure)[0])
        True

    """

    def __init__(self, smoothing: float = 0.1, **kwargs) -> None:
        kwargs.setdefault("name", "smoothed_sparse_crossentropy")
        super().__init__(**kwargs)
        self.smoothing = float(smoothing)

    def call(self, y_true, y_pred):
        """Per-image cross-entropy against the smoothed one-hot target."""
        classes = keras.ops.shape(y_pred)[-1]
        labels = keras.ops.reshape(keras.ops.cast(y_true, "int32"), (-1,))
        target = keras.ops.one_hot(labels, classes)
        return keras.losses.categorical_crossentropy(
            target, y_pred, label_smoothing=self.smoothing
        )

    def get_config(self) -> dict[str, Any]:
        """Serializable settings, so that saved models load."""
        return {**super().get_config(), "smoothing": self.smoothing}


class _EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


class _EpochLines(keras.callbacks.Callback):
    """Prints one line per epoch: the epoch, its metrics and its wall time."""

    def __init__(self, epochs: int, timer: _EpochTimer) -> None:
        super().__init__()
        self.epochs = epochs
        self.timer = timer

    def on_epoch_end(self, epoch, logs=None):
        metrics = "  ".join(
            f"{name} {value:.4f}" for name, value in (logs or {}).items()
        )
        seconds = self.timer.seconds[-1] if self.timer.seconds else 0.0
        print(
            f"epoch {epoch + 1}/{self.epochs}  {metrics}  ({seconds:.1f} s)", flush=True
        )


class _AveragedWeights(keras.callbacks.Callback):
    """Puts the optimizer's moving average of the weights in the model.

    The optimizer keeps the average (`use_ema=True`); this callback decides
    when the model holds it, with public API only: the optimizer's
    `finalize_variable_values` writes the average into the model's trainable
    variables, and a copy of the raw values puts them back. Validation runs on
    the average; after every epoch the average stays in, so the callbacks
    listed after this one, a run stopped early and the finished model all see
    it; at the start of the next epoch the raw weights come back and training
    goes on from those.
    """

    def __init__(self) -> None:
        super().__init__()
        self._raw: list[np.ndarray] | None = None

    def _put_average_in(self) -> None:
        if self._raw is None:
            variables = self.model.trainable_variables
            self._raw = [keras.ops.convert_to_numpy(v) for v in variables]
            self.model.optimizer.finalize_variable_values(variables)

    def _put_raw_back(self) -> None:
        if self._raw is not None:
            for variable, value in zip(
                self.model.trainable_variables, self._raw, strict=True
            ):
                variable.assign(value)
            self._raw = None

    def on_epoch_begin(self, epoch, logs=None):
        self._put_raw_back()

    def on_test_begin(self, logs=None):
        self._put_average_in()

    def on_test_end(self, logs=None):
        self._put_raw_back()

    def on_epoch_end(self, epoch, logs=None):
        self._put_average_in()


def train_model(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    epochs: int = 10,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    schedule: str = SCHEDULE,
    weight_decay: float = 0.0,
    weight_averaging: float | None = None,
    label_smoothing: float = 0.0,
    seed: int | None = 0,
    verbose: int | str = "auto",
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> pd.DataFrame:
    """Compile and fit a model; return its history as a DataFrame.

    Args:
        model: An uncompiled (or to-be-recompiled) Keras model.
        x_train: Training images.
        y_train: Integer training labels.
        validation_data: `(x_val, y_val)` evaluated after every epoch.
        epochs: Passes over the training set.
        batch_size: Images per gradient step.
        learning_rate: Adam's (initial) learning rate.
        schedule: `"constant"` or `"cosine"`.
        weight_decay: AdamW's decoupled weight decay (0: plain Adam); see
            `compile_model`.
        weight_averaging: Keep an exponential moving average of the weights
            with this momentum (say 0.99: roughly the last 100 steps) and use
            it instead of the raw weights for validation, for `callbacks` and
            in the returned model. The average smooths out the noise of the
            last steps, so it scores higher than the raw weights, most of all
            early in training while the learning rate is still high. `None`
            (the default) trains without it. In a run too short for the
            momentum, `averaging_momentum` lowers it so that the average
            spans a third of the run.
        label_smoothing: Soften the targets; see `compile_model`.
        seed: Seeds Python, numpy and the backend before fitting (`None`
            leaves the random state alone).
        verbose: Passed to `model.fit` (`"auto"`, 0, 1 or 2), or `"lines"`:
            one line per epoch with its metrics and wall time, for logs and
            pipes where a progress bar would write thousands of redraws.
        callbacks: Extra Keras callbacks.

    Returns:
        One row per epoch: `epoch` (from 1), the logged metrics and `seconds`.

    Raises:
        ValueError: Shapes do not match, or an option is out of range.

    Examples:
        >>> history = train_model(model, x, y, epochs=3)  # doctest: +SKIP
        >>> history["accuracy"].iloc[-1]  # doctest: +SKIP
        0.87...

    """
    if len(x_train) != len(y_train):
        raise UserError(
            "Expected as many labels as images. "
            f"Received: len(x_train)={len(x_train)}, len(y_train)={len(y_train)}"
        )
    if epochs < 1 or batch_size < 1:
        raise UserError(
            "Expected epochs >= 1 and batch_size >= 1. "
            f"Received: epochs={epochs}, batch_size={batch_size}"
        )
    if seed is not None:
        keras.utils.set_random_seed(seed)
    total_steps = math.ceil(len(x_train) / batch_size) * epochs
    if weight_averaging is not None:
        weight_averaging = averaging_momentum(weight_averaging, total_steps)
    compile_model(
        model,
        learning_rate=learning_rate,
        schedule=schedule,
        decay_steps=total_steps,
        weight_decay=weight_decay,
        weight_averaging=weight_averaging,
        label_smoothing=label_smoothing,
    )
    timer = _EpochTimer()
    extra_callbacks = list(callbacks or [])
    if weight_averaging is not None:
        extra_callbacks = [_AveragedWeights(), *extra_callbacks]
    if verbose == "lines":
        extra_callbacks.append(_EpochLines(epochs, timer))
    fitted = model.fit(
        x_train,
        y_train,
        validation_data=validation_data,
        epochs=epochs,
        batch_size=batch_size,
        verbose=0 if verbose == "lines" else verbose,
        callbacks=[timer, *extra_callbacks],
    )
    history = pd.DataFrame(fitted.history)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    history["seconds"] = timer.seconds[: len(history)]
    return history


def evaluate_model(
    model: keras.Model, x_test: np.ndarray, y_test: np.ndarray, *, batch_size: int = 512
) -> dict[str, float]:
    """Return the test loss and accuracy of a compiled model.

    Examples:
        >>> evaluate_model(model, data.x_test, data.y_test)  # doctest: +SKIP
        {'loss': 0.33, 'accuracy': 0.885}

    """
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    return {"loss": float(loss), "accuracy": float(accuracy)}


@dataclass
class TrainingRun:
    """The outcome of `train_recipe`."""

    model: keras.Model
    recipe: Recipe
    history: pd.DataFrame
    train_seconds: float
    test_accuracy: float
    test_loss: float
    validation_accuracy: float | None = None
    """Accuracy on the validation set, scored as the test set is (`None`
    without a validation set)."""
    train_cpu_seconds: float | None = None
    """CPU time this process used while training, all its threads together.
    It moves far less than `train_seconds` with the host's load; divided by
    `train_seconds` it says how many cores the training kept busy."""

    @property
    def params(self) -> int:
        """Number of parameters of the trained model."""
        return int(self.model.count_params())

    def scores(self) -> dict[str, float | None]:
        """The run's accuracies, loss and time, rounded as the records keep them.

        Examples:
            >>> run = TrainingRun(None, None, None, train_seconds=61.234,
            ...                   test_accuracy=0.912345, test_loss=0.25,
            ...                   validation_accuracy=None, train_cpu_seconds=119.96)
            >>> scores = run.scores()
            >>> scores["test_accuracy"], scores["train_seconds"]
            (0.9123, 61.2)
            >>> scores["train_cpu_seconds"], scores["validation_accuracy"] is None
            (120.0, True)

        """
        validation, cpu = self.validation_accuracy, self.train_cpu_seconds
        return {
            "test_accuracy": round(self.test_accuracy, 4),
            "test_loss": round(self.test_loss, 4),
            "validation_accuracy": None if validation is None else round(validation, 4),
            "train_seconds": round(self.train_seconds, 1),
            "train_cpu_seconds": None if cpu is None else round(cpu, 1),
        }


def fit_recipe(
    recipe: Recipe | str,
    data,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    verbose: int | str = "auto",
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> tuple[keras.Model, pd.DataFrame]:
    """Build a named course model and fit it as its recipe says; no evaluation.

    This is the one place a `Recipe` becomes a `train_model` call, shared by
    `train_recipe` and the benchmarks.

    Args:
        recipe: A `Recipe` or the name of one in `RECIPES`.
        data: A `FashionMNIST` with scaled images; its validation set is used
            when present.
        epochs: Override the recipe's epochs.
        batch_size: Override the recipe's batch size.
        seed: Seed for weights, shuffling and dropout.
        verbose: Passed to `model.fit`.
        callbacks: Extra Keras callbacks.

    Returns:
        The trained model and its history.

    """
    if isinstance(recipe, str):
        recipe = get_recipe(recipe)
    keras.utils.set_random_seed(seed)
    model = build_model(recipe.model, **recipe.model_kwargs)
    history = train_model(
        model,
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=epochs or recipe.epochs,
        batch_size=batch_size or recipe.batch_size,
        learning_rate=recipe.learning_rate,
        schedule=recipe.schedule,
        weight_decay=recipe.weight_decay,
        weight_averaging=recipe.weight_averaging,
        label_smoothing=recipe.label_smoothing,
        seed=seed,
        verbose=verbose,
        callbacks=callbacks,
    )
    return model, history


def train_recipe(
    recipe: Recipe | str,
    data,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    verbose: int | str = "auto",
) -> TrainingRun:
    """Build, train and evaluate a named course model as its recipe says.

    Args:
        recipe: A `Recipe` or the name of a course model.
        data: A `FashionMNIST` with scaled images; its validation set is used
            when present.
        epochs: Override the recipe's epochs.
        batch_size: Override the recipe's batch size.
        seed: Seed for weights, shuffling and dropout.
        verbose: Passed to `model.fit`.

    Returns:
        A `TrainingRun` with the model, its history and its test and
        validation accuracy (of the test-time-augmented model when the
        recipe says `test_time_augmentation`; `TrainingRun.model` is the
        trained model itself).

    """
    if isinstance(recipe, str):
        recipe = get_recipe(recipe)
    start, cpu_start = time.perf_counter(), time.process_time()
    model, history = fit_recipe(
        recipe, data, epochs=epochs, batch_size=batch_size, seed=seed, verbose=verbose
    )
    train_seconds = time.perf_counter() - start
    train_cpu_seconds = time.process_time() - cpu_start
    scored = model
    if recipe.test_time_augmentation:
        scored = with_test_time_augmentation(model)
        scored.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    scores = evaluate_model(scored, data.x_test, data.y_test)
    validation_accuracy = None
    if data.validation_data is not None:
        validation_accuracy = evaluate_model(scored, *data.validation_data)["accuracy"]
    return TrainingRun(
        model=model,
        recipe=recipe,
        history=history,
        train_seconds=train_seconds,
        test_accuracy=scores["accuracy"],
        test_loss=scores["loss"],
        validation_accuracy=validation_accuracy,
        train_cpu_seconds=train_cpu_seconds,
    )
