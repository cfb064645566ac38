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
MACHINE = RESULTS["speed_levers"]["cpu"]["machine"]


def _pair(channels: int = 8, **options):
    """Keras's layer and the fused one, built alike and holding equal weights."""
    import keras

    rng = np.random.default_rng(0)
    keras_layer = keras.layers.BatchNormalization(momentum=0.9, **options)
    fused = normalization.fused_batch_norm_class()(momentum=0.9, **options)
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


def _same_state(fused, keras_layer, **tolerance):
    for ours, theirs in zip(fused.weights, keras_layer.weights, strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), **tolerance)


def test_the_fused_layer_trains_as_keras_batch_norm_does():
    """Promise: the `fused` variant times the same computation, not another."""
    keras_layer, fused, x = _pair()
    expected = np.asarray(keras_layer(x, training=True))
    np.testing.assert_allclose(np.asarray(fused(x, training=True)), expected, atol=1e-4)
    _same_state(fused, keras_layer, rtol=1e-5)  # moving averages moved alike


def test_the_fused_layer_has_keras_batch_norm_gradients():
    import tensorflow as tf

    keras_layer, fused, x = _pair()
    x = tf.constant(x)
    upstream = tf.constant(np.random.default_rng(1).normal(size=x.shape), "float32")
    grads = []
    for layer in (keras_layer, fused):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) * upstream)
        grads.append(tape.gradient(loss, [x, *layer.trainable_weights]))
    for ours, theirs in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-4)


def test_the_fused_layer_infers_as_keras_batch_norm_does():
    keras_layer, fused, x = _pair()
    np.testing.assert_allclose(
        np.asarray(fused(x, training=False)),
        np.asarray(keras_layer(x, training=False)),
        atol=1e-4,
    )
    assert np.abs(np.asarray(fused(x, training=False)) - x).max() > 0.1  # it acts
    _same_state(fused, keras_layer, rtol=0)  # inference moves nothing


def test_a_frozen_fused_layer_infers_even_while_training():
    keras_layer, fused, x = _pair()
    keras_layer.trainable = fused.trainable = False
    np.testing.assert_allclose(
        np.asarray(fused(x, training=True)),
        np.asarray(keras_layer(x, training=True)),
        atol=1e-4,
    )
    _same_state(fused, keras_layer, rtol=0)


def test_the_fused_layer_refuses_what_its_kernel_cannot_do():
    layer = normalization.fused_batch_norm_class()()
    with pytest.raises(UserError, match="4-D inputs over their last axis"):
        layer.build((16, 8))
    bf16 = normalization.fused_batch_norm_class()(dtype="mixed_bfloat16")
    with pytest.raises(UserError, match="float32 only"):
        bf16.build((16, 5, 5, 8))


def test_each_variant_swaps_every_batch_norm_and_nothing_else():
    import keras

    from fmnist_course.models import build_best_model

    model = build_best_model(cutout=8, dropout=0.0)
    norms = [
        layer.name
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(norms) == 3
    for variant, layer_class in (
        ("keras", "BatchNormalization"),
        ("fused", "FusedBatchNorm"),
        ("none", "Unnormalized"),
    ):
        swapped = normalization.swap_normalization(model, variant)
        assert [layer.name for layer in swapped.layers] == [
            layer.name for layer in model.layers
        ]
        for ours, theirs in zip(swapped.layers, model.layers, strict=True):
            if ours.name in norms:
                assert type(ours).__name__ == layer_class
                if variant == "none":
                    continue
            else:
                assert type(ours) is type(theirs)
            assert ours.get_config() == theirs.get_config(), ours.name


def test_an_unknown_variant_is_refused_with_the_known_ones():
    with pytest.raises(UserError, match="Expected one of: keras, fused, none"):
        normalization.check_variant("group")


def _fake_runs(monkeypatch, speeds: list[float]):
    calls = []
    layers = {"keras": "BatchNormalization", "fused": "FusedBatchNorm"}

    def fake(name, **options):
        calls.append(name)
        speed = speeds[len(calls) - 1]
        return {
            "name": name,
            "description": normalization.VARIANTS[name],
            "compute_dtype": "float32",
            "normalization_layers": [layers.get(name, "Unnormalized")],
            "images_per_second": speed,
            "images_per_cpu_second": speed / 2,
            "timed_steps": 100,
        }

    monkeypatch.setattr(normalization, "run_variant_in_subprocess", fake)
    monkeypatch.setattr(normalization, "describe_machine", lambda: dict(MACHINE))
    return calls


def test_each_run_is_set_against_the_baseline_runs_beside_it(monkeypatch):
    """Promise: a drifting machine moves a variant and its baselines alike."""
    # The machine speeds up by 100 images/s per run; fused is 1.1x, none 1.2x.
    baselines = [1000.0, 1200.0, 1400.0, 1600.0, 1800.0]
    speeds = [1000.0, 1.1 * 1100, 1200.0, 1.2 * 1300, 1400.0]
    speeds += [1.1 * 1500, 1600.0, 1.2 * 1700, 1800.0]
    calls = _fake_runs(monkeypatch, speeds)
    result = normalization.measure_normalization(rounds=2)
    assert calls == normalization.run_order(2)
    assert result["baseline_runs"] == baselines
    fused, none = result["variants"]
    assert fused["ratios"] == [1.1, 1.1] and none["ratios"] == [1.2, 1.2]
    assert fused["cpu_ratio"] == 1.1 and none["ratio"] == 1.2
    assert result["machine"]["dtype_policy"] == "float32"
    validate_normalization(result)


def test_a_nonsense_setting_is_refused_before_any_run():
    with pytest.raises(UserError, match="rounds=0"):
        normalization.measure_normalization(rounds=0)


def _entry(monkeypatch):
    speeds = [1000.0, 1050.0, 1000.0, 1300.0, 1000.0, 990.0, 1000.0, 1250.0, 1000.0]
    _fake_runs(monkeypatch, speeds)
    return normalization.measure_normalization(rounds=2)


def test_a_recorded_entry_renders_with_its_verdicts(monkeypatch):
    entry = _entry(monkeypatch)
    text = "\n".join(normalization_markdown({"cpu": entry}))
    assert "| `fused` | " in text and "not resolved: rounds on both sides" in text
    assert "| 0.990 to 1.050 |" in text
    assert "| `none` | " in text and "faster in every round" in text
    assert "the most that any normalization path" in text
    assert "only the noise" not in text
    assert "took 21.6% of a training step" in text


@pytest.mark.parametrize(
    ("edit", "refusal"),
    [
        (lambda e: e["variants"][0]["cpu_ratios"].__setitem__(0, 1.2), "cpu_ratios"),
        (lambda e: e["variants"][1].__setitem__("ratio", 1.4), "median of its rounds"),
        (lambda e: e["variants"].pop(), "should hold fused, none once each"),
        (lambda e: e["baseline_runs"].pop(), "should hold 5 runs"),
        (lambda e: e.__setitem__("baseline_images_per_second", 2.0), "mean of its"),
        (
            lambda e: e["variants"][0].__setitem__("normalization_layers", ["X"]),
            "should have put FusedBatchNorm in place",
        ),
    ],
)
def test_a_number_edited_by_hand_is_refused(monkeypatch, edit, refusal):
    """Promise: every recorded ratio follows from the speeds recorded beside it."""
    entry = copy.deepcopy(_entry(monkeypatch))
    validate_normalization(entry)
    edit(entry)
    with pytest.raises(ValueError, match=refusal):
        validate_normalization(entry)


def test_the_fused_variant_trains_in_a_fresh_process():
    """The fused kernel's gradient runs on this CPU, through the real child."""
    result = normalization.run_variant_in_subprocess(
        "fused", train_size=1000, seconds=0.5, warmup_steps=2
    )
    assert result["normalization_layers"] == ["FusedBatchNorm"]
    assert result["compute_dtype"] == "float32"
    assert result["timed_steps"] >= 1
