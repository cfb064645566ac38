"""Training takes its dtype policy in one place, and restores the one before."""

from __future__ import annotations

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from fmnist_course.precision import dtype_policy, training_precision
from fmnist_course.settings import BF16_ENV
from fmnist_course.training import fit_recipe


def tiny_data(num_images=64):
    rng = np.random.default_rng(0)
    images = rng.random((num_images, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, num_images)
    return SimpleNamespace(x_train=images, y_train=labels, validation_data=None)


@pytest.mark.parametrize(("switch", "compute"), [("1", "bfloat16"), ("0", "float32")])
def test_training_with_the_switch_computes_as_it_says(monkeypatch, switch, compute):
    monkeypatch.setenv(BF16_ENV, switch)
    assert keras.mixed_precision.global_policy().name == "float32"
    model, history = fit_recipe(
        "dense", tiny_data(), epochs=1, batch_size=32, verbose=0
    )
    hidden = model.get_layer("dense_1")
    assert hidden.compute_dtype == compute
    assert hidden.kernel.dtype == "float32"  # the weights stay float32
    assert model.get_layer("classes").compute_dtype == "float32"
    assert model.predict(tiny_data(4).x_train, verbose=0).dtype == np.float32
    assert np.isfinite(history["loss"]).all()
    assert keras.mixed_precision.global_policy().name == "float32"  # restored


def test_the_policy_is_restored_after_an_error():
    with pytest.raises(RuntimeError), dtype_policy("mixed_bfloat16"):
        raise RuntimeError("training failed")
    assert keras.mixed_precision.global_policy().name == "float32"


def test_the_default_training_precision_is_the_machines_decision(monkeypatch):
    """Guards: unset, the switch leaves the choice to `machine.use_bfloat16`
    (bfloat16 only where this CPU has the instructions); 0 forces float32."""
    from fmnist_course.machine import use_bfloat16

    monkeypatch.delenv(BF16_ENV, raising=False)
    expected = "mixed_bfloat16" if use_bfloat16() else "float32"
    with training_precision() as name:
        assert name == expected
    monkeypatch.setenv(BF16_ENV, "0")
    with training_precision() as name:
        assert name == "float32"
