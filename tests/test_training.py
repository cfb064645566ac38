import dataclasses
import os

import keras
import numpy as np
import pytest

from fmnist_course.data import FashionMNIST
from fmnist_course.models import build_dense_baseline
from fmnist_course.recipes import RECIPES, get_recipe
from fmnist_course.training import (
    averaging_momentum,
    compile_model,
    evaluate_model,
    fit_recipe,
    train_model,
    train_recipe,
)


def separable_problem(num=400, seed=0):
    """Images whose class is written in the brightness of one pixel row."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, num).astype(np.uint8)
    x = rng.uniform(0, 0.1, (num, 28, 28)).astype(np.float32)
    x[np.arange(num), y * 2, :] = 1.0
    return x, y


def test_training_learns_a_separable_problem():
    x, y = separable_problem()
    model = build_dense_baseline(hidden_units=(32,), dropout=0.0)
    history = train_model(
        model,
        x[:300],
        y[:300],
        validation_data=(x[300:], y[300:]),
        epochs=8,
        batch_size=32,
        learning_rate=3e-3,
        verbose=0,
    )
    assert list(history.columns) == [
        "epoch",
        "accuracy",
        "loss",
        "val_accuracy",
        "val_loss",
        "seconds",
    ]
    assert history["epoch"].tolist() == list(range(1, 9))
    assert (history["seconds"] > 0).all()
    assert history["val_accuracy"].iloc[-1] > 0.9
    assert evaluate_model(model, x[300:], y[300:])["accuracy"] > 0.9


def separable_data():
    """`separable_problem` as a `FashionMNIST`: 300 training, 50 validation, 50 test."""
    x, y = separable_problem()
    return FashionMNIST(x[:300], y[:300], x[350:], y[350:], x[300:350], y[300:350])


def small_recipe(name):
    """A course recipe's training settings on a small dense model (a second to fit)."""
    return dataclasses.replace(
        RECIPES[name], model="dense", model_kwargs={"hidden_units": (16,)}
    )


def test_seeded_training_is_repeatable():
    """train_model seeds itself: a seed trains the same run whatever ran before."""
    x, y = separable_problem()

    def run(seed, earlier):
        keras.utils.set_random_seed(0)  # the same initial weights in every run
        model = build_dense_baseline(hidden_units=(16,), dropout=0.5)
        keras.utils.set_random_seed(earlier)  # the random state other code left
        return train_model(model, x, y, epochs=2, batch_size=64, seed=seed, verbose=0)[
            "loss"
        ].tolist()

    np.testing.assert_allclose(
        run(7, earlier=1),
        run(7, earlier=2),
        rtol=1e-6,
        err_msg="seed=7 trained differently after other random draws",
    )
    assert not np.allclose(run(7, earlier=1), run(8, earlier=1))


def test_train_recipe_trains_the_seed_it_is_given():
    """train_recipe passes its seed on: seed 1 trains seed 1's run, not seed 0's."""
    recipe, data = small_recipe("dense"), separable_data()
    run = train_recipe(recipe, data, epochs=1, seed=1, verbose=0)
    seed_0, seed_1 = (
        fit_recipe(recipe, data, epochs=1, seed=seed, verbose=0)[0].get_weights()[0]
        for seed in (0, 1)
    )
    trained = run.model.get_weights()[0]
    assert not np.allclose(seed_0, seed_1)  # so the seed tells runs apart
    assert np.allclose(trained, seed_1), (
        "train_recipe(seed=1) did not train seed 1's run"
        + (" (it trained seed 0's)" if np.allclose(trained, seed_0) else "")
    )


class _LearningRates(keras.callbacks.Callback):
    """Records the optimizer's learning rate at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))


@pytest.mark.parametrize("name", ["best", "dense"])
def test_fit_recipe_trains_at_the_rate_its_recipe_schedules(name):
    """fit_recipe follows the recipe's schedule: cosine decays to 0, constant stays."""
    recipe = small_recipe(name)
    rates = _LearningRates()
    fit_recipe(recipe, separable_data(), epochs=2, verbose=0, callbacks=[rates])
    peak = recipe.learning_rate
    # 3 steps per epoch: a cosine schedule is halfway down after the first.
    expected = {"cosine": [peak / 2, 0.0], "constant": [peak, peak]}[recipe.schedule]
    np.testing.assert_allclose(
        rates.rates,
        expected,
        atol=1e-7,
        err_msg=f"{name!r} ({recipe.schedule}) trained at these rates per epoch",
    )


def test_cosine_schedule_decays_to_zero():
    model = compile_model(
        build_dense_baseline(hidden_units=(8,)),
        learning_rate=0.01,
        schedule="cosine",
        decay_steps=100,
    )
    optimizer = model.optimizer
    rates = {}
    for step in (0, 50, 100):
        optimizer.iterations.assign(step)
        rates[step] = float(optimizer.learning_rate)  # the schedule at this step
    assert rates[0] == pytest.approx(0.01)
    assert rates[50] == pytest.approx(0.005)
    assert rates[100] == pytest.approx(0.0, abs=1e-8)


def test_weight_decay_trains_with_adamw_and_shrinks_the_weights():
    x, y = separable_problem(200)

    def kernel_norm(weight_decay):
        model = build_dense_baseline(hidden_units=(16,), dropout=0.0)
        train_model(
            model,
            x,
            y,
            epochs=3,
            learning_rate=0.01,
            weight_decay=weight_decay,
            verbose=0,
        )
        optimizer = type(model.optimizer).__name__
        kernel = model.get_layer("dense_1").kernel.numpy()
        return optimizer, float(np.linalg.norm(kernel))

    plain, decayed = kernel_norm(0.0), kernel_norm(5.0)
    assert (plain[0], decayed[0]) == ("Adam", "AdamW")
    # Same seed and data: only the decay tells the two runs apart.
    assert decayed[1] < 0.95 * plain[1]
    with pytest.raises(ValueError, match="weight_decay=-0.1"):
        compile_model(build_dense_baseline(), weight_decay=-0.1)


def test_bad_inputs_are_explained():
    x, y = separable_problem(20)
    with pytest.raises(ValueError, match="len\\(y_train\\)=19"):
        train_model(build_dense_baseline(), x, y[:19], epochs=1)
    with pytest.raises(ValueError, match="Unknown schedule"):
        compile_model(build_dense_baseline(), schedule="warm")
    with pytest.raises(ValueError, match="Unknown model name"):
        get_recipe("vgg")


class _WeightsAtEpochEnd(keras.callbacks.Callback):
    """Copies the model's weights at the end of every epoch; may stop training."""

    def __init__(self, stop_after=None):
        super().__init__()
        self.stop_after = stop_after
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])
        if self.stop_after is not None and epoch + 1 >= self.stop_after:
            self.model.stop_training = True


def _train_averaged(callback, epochs=3, weight_averaging=0.9):
    x, y = separable_problem()
    model = build_dense_baseline(hidden_units=(16,), dropout=0.0)
    train_model(
        model,
        x,
        y,
        validation_data=(x[:50], y[:50]),
        epochs=epochs,
        batch_size=32,
        weight_averaging=weight_averaging,
        callbacks=[callback],
        verbose=0,
    )
    return model


@pytest.mark.parametrize("stop_after", [None, 2])
def test_weight_averaging_keeps_the_averaged_weights(stop_after):
    """Callbacks see the average, and the model ends on it, even when stopped."""
    raw = _WeightsAtEpochEnd(stop_after=stop_after)
    _train_averaged(raw, weight_averaging=None)
    averaged = _WeightsAtEpochEnd(stop_after=stop_after)
    model = _train_averaged(averaged)
    epochs = len(averaged.weights)
    assert epochs == (stop_after or 3)
    # Same seed, same raw training: the average differs from the raw weights.
    assert not np.allclose(averaged.weights[-1][0], raw.weights[-1][0])
    for final, seen in zip(model.get_weights(), averaged.weights[-1], strict=True):
        np.testing.assert_allclose(final, seen)


def test_weight_averaging_momentum_is_checked():
    with pytest.raises(ValueError, match="weight_averaging=1.0"):
        compile_model(build_dense_baseline(), weight_averaging=1.0)


def test_a_short_run_averages_over_a_third_of_its_steps():
    """0.999 spans ~1,000 steps; 13 steps get momentum 1 - 3/13 instead."""
    x, y = separable_problem()  # 400 images: 13 steps of 32
    model = build_dense_baseline(hidden_units=(16,), dropout=0.0)
    train_model(model, x, y, epochs=1, batch_size=32, weight_averaging=0.999, verbose=0)
    assert float(model.optimizer.ema_momentum) == pytest.approx(1 - 3 / 13)


def test_full_length_recipes_keep_their_averaging_momentum():
    steps_per_epoch = -(-54_000 // 128)
    for recipe in RECIPES.values():
        if recipe.weight_averaging is not None:
            steps = steps_per_epoch * recipe.epochs
            momentum = averaging_momentum(recipe.weight_averaging, steps)
            assert momentum == recipe.weight_averaging, recipe.name
    assert averaging_momentum(0.9, total_steps=1) == 0.0
    with pytest.raises(ValueError, match="weight_averaging=1.5"):
        averaging_momentum(1.5, total_steps=10_000)


def test_every_recipe_names_a_model():
    from fmnist_course.models import MODEL_BUILDERS

    assert set(MODEL_BUILDERS) <= set(RECIPES)
    assert all(recipe.model in MODEL_BUILDERS for recipe in RECIPES.values())


def test_train_recipe_on_real_subset(small_data):
    run = train_recipe("dense", small_data, epochs=2, verbose=0)
    assert len(run.history) == 2
    assert run.params == 235146
    assert 0.5 < run.test_accuracy <= 1.0  # 2 epochs on 1,200 real images
    assert 0.5 < run.validation_accuracy <= 1.0  # the 300 held-out images
    # CPU time of the training alone: positive, and at most every core busy
    # for the whole wall time (this process's CPU time since it started, with
    # TensorFlow's import and the data, would break that bound).
    assert 0 < run.train_cpu_seconds <= run.train_seconds * os.cpu_count() + 0.05
    assert run.scores()["train_cpu_seconds"] == round(run.train_cpu_seconds, 1)


def test_train_recipe_scores_the_augmented_model_when_its_recipe_says(
    small_data,
):
    import dataclasses

    from fmnist_course.view_averaging import with_test_time_augmentation

    recipe = dataclasses.replace(RECIPES["dense"], test_time_augmentation=True)
    run = train_recipe(recipe, small_data, epochs=1, verbose=0)
    assert run.model.name == "dense"  # the trained model itself is returned
    averaged = with_test_time_augmentation(run.model)
    probabilities = averaged.predict(small_data.x_test, verbose=0)
    accuracy = float((probabilities.argmax(axis=1) == small_data.y_test).mean())
    plain = run.model.predict(small_data.x_test, verbose=0).argmax(axis=1)
    assert accuracy != float((plain == small_data.y_test).mean())
    assert run.test_accuracy == pytest.approx(accuracy, abs=1e-6)
    # The validation images are scored the same way, with the same views.
    validation = averaged.predict(small_data.x_val, verbose=0).argmax(axis=1)
    expected = float((validation == small_data.y_val).mean())
    assert run.validation_accuracy == pytest.approx(expected, abs=1e-6)
