"""The normalization bench: the fused layer computes what Keras's does; ratios."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fmnist_course.bench import normalization
from fmnist_course.bench.schema_measures import validate_normalization
from fmnist_course.bench.sections.speed_tables import normalization_markdown
from fmnist_course.errors import UserError
from fmnist_course.results import load_results

RESULTS = load_results()


def _pair(channels: int = 8):
    """Keras's layer and the fused one, built alike and holding equal weights."""
    import keras

    rng = np.random.default_rng(0)
    keras_layer = keras.layers.BatchNormalization(momentum=0.9)
    fused = normalization.fused_batch_norm_class()(momentum=0.9)
    shape = (16, 5, 5, channels)
    keras_layer.build(shape)
    fused.build(shape)
    weights = [
        rng.uniform(0.5, 1.5, channels).astype("float32"),  # gamma
        rng.normal(0, 0.5, channels).astype("float32"),  # beta
        rng.normal(0, 1, channels).astype("float32"),  # moving mean
        rng.uniform(0.5, 2.0, channels).astype("float32"),  # moving variance
    ]
    keras_layer.set_weights(weights)
    fused.set_weights(weights)
    x = rng.normal(1.0, 3.0, shape).astype("float32")
    return keras_layer, fused, x


def test_the_fused_layer_trains_as_keras_batch_norm_does():
    """Promise: the `fused` variant times the same computation, not another."""
    keras_layer, fused, x = _pair()
    expected = np.asarray(keras_layer(x, training=True))
    got = np.asarray(fused(x, training=True))
    np.testing.assert_allclose(got, expected, atol=1e-4)
    n = x.shape[0] * x.shape[1] * x.shape[2]
    np.testing.assert_allclose(
        np.asarray(fused.moving_mean), np.asarray(keras_layer.moving_mean), rtol=1e-5
    )
    # The fused kernel hands back the variance with Bessel's correction.
    batch_variance = x.reshape(-1, x.shape[-1]).var(axis=0)
    keras_variance = np.asarray(keras_layer.moving_variance)
    np.testing.assert_allclose(
        np.asarray(fused.moving_variance),
        keras_variance + 0.1 * batch_variance * (n / (n - 1) - 1),
        rtol=1e-5,
    )


def test_the_fused_layer_infers_as_keras_batch_norm_does():
    keras_layer, fused, x = _pair()
    np.testing.assert_allclose(
        np.asarray(fused(x, training=False)),
        np.asarray(keras_layer(x, training=False)),
        atol=1e-4,
    )
    assert np.abs(np.asarray(fused(x, training=False)) - x).max() > 0.1  # it acts


def test_the_fused_layer_refuses_what_its_kernel_cannot_do():
    layer = normalization.fused_batch_norm_class()()
    with pytest.raises(UserError, match="4-D inputs over their last axis"):
        layer.build((16, 8))


def test_each_variant_swaps_every_batch_norm_and_nothing_else():
    from fmnist_course.models import build_best_model

    model = build_best_model()
    by_variant = {
        variant: normalization.swap_normalization(model, variant)
        for variant in normalization.VARIANTS
    }
    kinds = {
        variant: {type(layer).__name__ for layer in copy.layers if "_bn" in layer.name}
        for variant, copy in by_variant.items()
    }
    assert kinds == {
        "keras": {"BatchNormalization"},
        "fused": {"FusedBatchNorm"},
        "none": {"Unnormalized"},
    }
    assert by_variant["fused"].count_params() == model.count_params()
    bn_params = sum(
        layer.count_params() for layer in model.layers if "_bn" in layer.name
    )
    assert by_variant["none"].count_params() == model.count_params() - bn_params
    names = [layer.name for layer in model.layers]
    assert all([layer.name for layer in c.layers] == names for c in by_variant.values())


def test_an_unknown_variant_is_refused_with_the_known_ones():
    with pytest.raises(UserError, match="Expected one of: keras, fused, none"):
        normalization.check_variant("group")


def test_ratios_are_over_the_mean_of_the_baselines_before_and_after(monkeypatch):
    calls = []
    speeds = {"keras": [1000.0, 1200.0], "fused": [1320.0], "none": [1430.0]}

    def fake(name, **options):
        calls.append(name)
        speed = speeds[name].pop(0)
        return {
            "name": name,
            "images_per_second": speed,
            "images_per_cpu_second": speed / 2,
        }

    monkeypatch.setattr(normalization, "run_variant_in_subprocess", fake)
    result = normalization.measure_normalization()
    assert calls == ["keras", "fused", "none", "keras"]
    assert result["baseline_runs"] == [1000.0, 1200.0]
    assert result["baseline_images_per_cpu_second"] == 550.0
    fused, none = result["variants"]
    assert fused["ratio"] == pytest.approx(1.2)
    assert none["cpu_ratio"] == pytest.approx(1.3)


def test_a_nonsense_setting_is_refused_before_any_run():
    with pytest.raises(UserError, match="threads=0"):
        normalization.measure_normalization(threads=0)


def test_the_fused_variant_trains_in_a_fresh_process():
    """The fused kernel's gradient runs on this CPU, through the real child."""
    result = normalization.run_variant_in_subprocess(
        "fused", train_size=1000, seconds=0.5, warmup_steps=2
    )
    assert result["normalization_layers"] == ["FusedBatchNorm"]
    assert result["timed_steps"] >= 1
    assert result["images_per_cpu_second"] > 0


def _entry(**variant_changes):
    fused = {
        "name": "fused",
        "description": normalization.VARIANTS["fused"],
        "images_per_second": 1100.0,
        "images_per_cpu_second": 1210.0,
        "ratio": 1.1,
        "cpu_ratio": 1.1,
        **variant_changes,
    }
    machine = copy.deepcopy(RESULTS["speed_levers"]["cpu"]["machine"])
    return {
        "recipe": "best",
        "batch_size": 128,
        "threads": 1,
        "seed": 0,
        "timed_seconds": 40.0,
        "baseline_images_per_second": 1000.0,
        "baseline_images_per_cpu_second": 1100.0,
        "baseline_runs": [900.0, 1100.0],
        "baseline_cpu_runs": [1100.0, 1100.0],
        "variants": [fused],
        "machine": machine,
        "measured_at": "2026-12-05T00:00:00Z",
    }


def test_a_recorded_entry_passes_and_renders_with_its_ceiling():
    entry = _entry()
    validate_normalization(entry)
    text = "\n".join(normalization_markdown({"cpu": entry}))
    assert "| `fused` | " in text and "| 1.10x |" in text
    assert "the most that any normalization path" in text
    assert "differ by 20% in wall time and 0% in CPU time" in text


def test_a_ratio_edited_by_hand_is_refused():
    """Promise: a recorded ratio follows from the speeds recorded beside it."""
    with pytest.raises(ValueError, match=r"variants\[0\].cpu_ratio is 1.3"):
        validate_normalization(_entry(cpu_ratio=1.3))
