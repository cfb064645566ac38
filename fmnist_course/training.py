"""Compile, train and evaluate models the way every lesson does.

`train_model` is the course's training path: Adam (AdamW with weight decay),
sparse categorical cross-entropy, accuracy, optional cosine learning-rate
decay, validation data when given, and a history returned as a pandas
DataFrame with the wall time of each epoch. `fit_recipe` and `train_recipe`
train a named course model as its recipe (`fmnist_course.recipes`) says, so
the CLI, the lessons and the benchmarks agree. The callbacks it adds are in
`fmnist_course.callbacks`, the smoothed loss in `fmnist_course.losses`.

Examples:
    >>> from fmnist_course import build_model, load_course_split
    >>> data = load_course_split(train_size=6000)
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
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from fmnist_course.callbacks import AveragedWeights, EpochLines, EpochTimer
from fmnist_course.errors import UserError
from fmnist_course.losses import SmoothedSparseCrossentropy
from fmnist_course.models import build_model
from fmnist_course.precision import training_precision
from fmnist_course.recipes import Recipe, get_recipe
from fmnist_course.settings import BATCH_SIZE, LEARNING_RATE, SCHEDULE, SCHEDULES
from fmnist_course.view_averaging import with_test_time_augmentation


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
        >>> averaging_momentum(0.999, total_steps=8 * 422)  # 8 full epochs
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
            last steps, but it starts from the initial weights, which fade
            slowly (at 0.999 and 422 steps an epoch they still weigh about
            two thirds after the first epoch), so early in training it can
            score below the raw weights. `None`
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
    timer = EpochTimer()
    extra_callbacks = list(callbacks or [])
    if weight_averaging is not None:
        extra_callbacks = [AveragedWeights(), *extra_callbacks]
    if verbose == "lines":
        extra_callbacks.append(EpochLines(epochs, timer))
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
    `train_recipe` and the benchmarks, and the one place the course's
    training takes its dtype policy (`fmnist_course.precision`): float32,
    or `mixed_bfloat16` where `machine.use_bfloat16` says so (a CPU with
    bfloat16 instructions, unless `FMNIST_BF16=0`). The policy holds while
    the model is built and fitted, and the one before is restored after;
    unless `verbose` is 0, a line says which policy trained.

    It trains on the data it is given: `recipe.final_fit` is not read here.
    For a final fit, pass `fmnist_course.final_fit.data_for_recipe(recipe,
    data)`, as the ladder and `fmnist-course train` do.

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
    with training_precision() as policy:  # bfloat16 where this CPU suits it
        if verbose and policy != "float32":
            print(
                f"training in {policy}: this CPU computes bfloat16 natively "
                "(FMNIST_BF16=0 trains in float32)"
            )
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

    Like `fit_recipe`, it trains on the data it is given (`recipe.final_fit`
    is not read here; pass `fmnist_course.final_fit.data_for_recipe(recipe,
    data)` for a final fit).

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
