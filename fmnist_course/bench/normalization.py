"""Does a fused batch norm pay? The best model's training speed by normalization.

Keras 3's `BatchNormalization` computes a batch's mean and variance
(`ops.moments`) and then normalizes (`tf.nn.batch_normalization`) in
separate operations, each a pass over the feature map, and so does its
gradient. TensorFlow also has one kernel that does both in one pass,
`tf.nn.fused_batch_norm`, which the Keras 2 layer used on 4-D inputs. This
bench trains `RECIPES["best"]`'s model through the course's own training
path (`training.train_model`: its optimizer, schedule, loss, weight
averaging and callbacks) three ways, each in a fresh process:

- `keras`: the course's model as it is, the baseline.
- `fused`: every `BatchNormalization` swapped for `FusedBatchNorm`, the same
  computation (same weights, same moving averages) on the fused kernel.
- `none`: every `BatchNormalization` swapped for an identity, the ceiling:
  per training step, no normalization path, fused or of another kind, can
  save more time than removing normalization does. A model without it
  trains differently, so only its speed is read, never its accuracy, and it
  says nothing of the time to reach an accuracy.

Every run trains in float32, as the recorded candidates do, on a number of
images that batches evenly (no smaller last batch to trace again). The runs
alternate, `run_order`: the baseline, then each variant followed by the
baseline again, for several rounds. Each run of a variant is set against
the two baseline runs beside it (`ratios_between_baselines`), so a drift in
the machine's speed during the session moves both sides alike; a variant's
`ratio` is the median over its rounds, in wall time, and `cpu_ratio` the
same in CPU time. The swap happens here, in the tooling: the course's model
code, whose files fingerprint the shipped models, is not touched.

Examples:
    >>> sorted(VARIANTS)
    ['fused', 'keras', 'none']
    >>> run_order(rounds=1)
    ['keras', 'fused', 'keras', 'none', 'keras']
    >>> result = measure_normalization(seconds=30)  # doctest: +SKIP
    >>> fused = result["variants"][0]  # doctest: +SKIP
    >>> fused["name"], fused["cpu_ratio"]  # doctest: +SKIP
    ('fused', 1.01)

"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from fmnist_course.bench.child import child_main, run_child
from fmnist_course.bench.levers import StepRate, as_callback, child_environment
from fmnist_course.bench.record import measured_now
from fmnist_course.errors import UserError
from fmnist_course.machine import describe_machine
from fmnist_course.recipes import RECIPES
from fmnist_course.settings import thread_environment

RECIPE = RECIPES["best"]
"""The recipe whose model and training settings are timed."""

TIMED_SECONDS = 30.0
"""Seconds each run is timed for after its warm-up (`--seconds`)."""

BASELINE = "keras"

VARIANTS: dict[str, str] = {
    BASELINE: "Keras's BatchNormalization (moments, then normalize), as trained",
    "fused": "the same layer on TensorFlow's fused kernel (tf.nn.fused_batch_norm)",
    "none": "no normalization (an identity): the most any normalization can save",
}
"""Every variant, with what it changes in the model."""


def fused_batch_norm_class() -> type:
    """`FusedBatchNorm`: Keras's `BatchNormalization` on TensorFlow's fused kernel.

    Built on demand, so that importing this module starts no TensorFlow. The
    layer keeps the parent's weights and arguments; it accepts only what the
    kernel does here: 4-D inputs normalized over the last axis, in float32.
    It normalizes by the batch's own (biased) variance and updates the moving
    averages exactly as the parent does: TensorFlow's kernel hands back the
    variance with Bessel's correction, n/(n-1) for n values per channel,
    which is undone before the update.

    Examples:
        >>> import numpy as np
        >>> layer = fused_batch_norm_class()()
        >>> y = layer(np.ones((2, 3, 3, 4), "float32"), training=True)
        >>> tuple(y.shape)
        (2, 3, 3, 4)

    """
    import keras
    import tensorflow as tf

    class FusedBatchNorm(keras.layers.BatchNormalization):
        def build(self, input_shape):
            if len(input_shape) != 4 or self.axis not in (-1, 3):
                raise UserError(
                    "FusedBatchNorm normalizes 4-D inputs over their last axis. "
                    f"Received: input shape {input_shape}, axis={self.axis}. Use "
                    "keras.layers.BatchNormalization for other shapes."
                )
            if self.compute_dtype != "float32":
                raise UserError(
                    "FusedBatchNorm computes in float32 only. Received: dtype "
                    f"policy {self.dtype_policy.name!r}. Train in float32 "
                    "(FMNIST_BF16=0) or use keras.layers.BatchNormalization."
                )
            super().build(input_shape)

        def call(self, inputs, training=None, mask=None):
            channels = self.moving_mean.shape
            scale = self.gamma if self.scale else tf.ones(channels)
            offset = self.beta if self.center else tf.zeros(channels)
            if training and self.trainable:
                outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                    inputs, scale, offset, epsilon=self.epsilon, is_training=True
                )
                n = tf.cast(tf.size(inputs) // tf.size(mean), variance.dtype)
                variance = variance * (n - 1.0) / n  # undo Bessel's correction
                for average, batch in (
                    (self.moving_mean, mean),
                    (self.moving_variance, variance),
                ):
                    average.assign(
                        average * self.momentum + batch * (1.0 - self.momentum)
                    )
                return outputs
            outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
                inputs,
                scale,
                offset,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=False,
            )
            return outputs

    return FusedBatchNorm


def _unnormalized_class() -> type:
    """An identity that takes `BatchNormalization`'s call arguments."""
    import keras

    class Unnormalized(keras.layers.Layer):
        def call(self, inputs, training=None, mask=None):
            return inputs

        def compute_output_shape(self, input_shape):
            return input_shape

    return Unnormalized


def swap_normalization(model, variant: str):
    """A copy of `model` with each `BatchNormalization` as `variant` has it.

    Args:
        model: A functional Keras model.
        variant: A key of `VARIANTS`.

    Returns:
        A new, unbuilt-weight copy of the model (`keras.models.clone_model`);
        `BASELINE` clones it unchanged.

    Raises:
        UserError: Unknown variant.

    Examples:
        >>> from fmnist_course.models import build_best_model
        >>> copy = swap_normalization(build_best_model(), "none")
        >>> [layer.name for layer in copy.layers if "_bn" in layer.name]
        ['conv_1_bn', 'conv_2_bn', 'conv_3_bn']
        >>> type(copy.get_layer("conv_1_bn")).__name__
        'Unnormalized'

    """
    check_variant(variant)
    import keras

    fused, _Unnormalized = fused_batch_norm_class(), _unnormalized_class()

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, keras.layers.BatchNormalization):
            if variant == "fused":
                return fused.from_config(config)
            if variant == "none":
                return _Unnormalized(name=config["name"])
        return layer.__class__.from_config(config)

    return keras.models.clone_model(model, clone_function=clone)


def check_variant(variant: str) -> None:
    """Refuse a name that is not a key of `VARIANTS`, saying which are."""
    if variant not in VARIANTS:
        raise UserError(
            f"Unknown normalization variant {variant!r}. Expected one of: "
            f"{', '.join(VARIANTS)}."
        )


def run_variant(
    name: str,
    *,
    seed: int = 0,
    warmup_steps: int = 30,
    seconds: float = TIMED_SECONDS,
    train_size: int | None = None,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Train `RECIPE`'s model with one variant's normalization; return its speed.

    Run in a fresh process (`run_variant_in_subprocess`), so each variant
    traces its own graph and starts with the same threads.

    Raises:
        UserError: Unknown variant.

    """
    check_variant(name)
    import keras

    from fmnist_course.data import load_fashion_mnist
    from fmnist_course.models import build_model
    from fmnist_course.training import train_model

    keras.mixed_precision.set_global_policy("float32")
    data = load_fashion_mnist(data_dir, scale=True, train_size=train_size)
    images = len(data.x_train) // RECIPE.batch_size * RECIPE.batch_size
    keras.utils.set_random_seed(seed)
    model = swap_normalization(build_model(RECIPE.model, **RECIPE.model_kwargs), name)
    rate = StepRate(warmup_steps=warmup_steps, seconds=seconds)
    train_model(
        model,
        data.x_train[:images],
        data.y_train[:images],
        epochs=RECIPE.epochs,
        batch_size=RECIPE.batch_size,
        learning_rate=RECIPE.learning_rate,
        schedule=RECIPE.schedule,
        weight_decay=RECIPE.weight_decay,
        weight_averaging=RECIPE.weight_averaging,
        label_smoothing=RECIPE.label_smoothing,
        seed=seed,
        verbose=0,
        callbacks=[as_callback(rate)],
    )
    return {
        "name": name,
        "description": VARIANTS[name],
        "compute_dtype": model.compute_dtype,
        "normalization_layers": sorted(
            {type(layer).__name__ for layer in model.layers if "_bn" in layer.name}
        ),
        "images_per_second": round(rate.images_per_second(RECIPE.batch_size), 1),
        "images_per_cpu_second": round(
            rate.images_per_cpu_second(RECIPE.batch_size), 1
        ),
        "timed_steps": rate.timed_steps,
    }


def run_variant_in_subprocess(
    name: str, *, threads: int = 1, **options: Any
) -> dict[str, Any]:
    """`run_variant` in a fresh process capped at `threads` threads.

    Raises:
        RuntimeError: The child process failed; its last output is shown.

    """
    env = child_environment(**thread_environment(threads), KERAS_BACKEND="tensorflow")
    return run_child(
        "fmnist_course.bench.normalization",
        name,
        options,
        what=f"Normalization variant {name!r}",
        env=env,
    )


def run_order(rounds: int) -> list[str]:
    """The runs in order: the baseline, then each variant and the baseline again.

    Examples:
        >>> run_order(rounds=2)  # doctest: +NORMALIZE_WHITESPACE
        ['keras', 'fused', 'keras', 'none', 'keras',
         'fused', 'keras', 'none', 'keras']

    """
    order = [BASELINE]
    for _ in range(rounds):
        for name in VARIANTS:
            if name != BASELINE:
                order += [name, BASELINE]
    return order


def ratios_between_baselines(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each variant's runs over the mean of the two baseline runs beside each.

    Args:
        runs: The results in `run_order`, each with `images_per_second` and
            `images_per_cpu_second`.

    Returns:
        `baseline_runs` and `baseline_cpu_runs` (every baseline run's speed),
        their means, and `variants`: per variant, its speeds by round
        (`runs`, `cpu_runs`), the ratio of each (`ratios`, `cpu_ratios`)
        and the medians of both (`ratio`, `cpu_ratio`), with the first run's
        other keys.

    Examples:
        >>> speeds = [100, 120, 100, 90, 120]
        >>> runs = [{"name": name, "images_per_second": speed,
        ...          "images_per_cpu_second": speed}
        ...         for name, speed in zip(run_order(1), speeds)]
        >>> result = ratios_between_baselines(runs)
        >>> [(v["name"], v["ratio"]) for v in result["variants"]]
        [('fused', 1.2), ('none', 0.818)]

    """
    baselines = runs[::2]
    variants: dict[str, dict[str, Any]] = {}
    for index, run in enumerate(runs[1::2]):
        before, after = baselines[index], baselines[index + 1]
        variant = variants.setdefault(
            run["name"],
            {
                **{k: v for k, v in run.items() if "per_" not in k},
                "runs": [],
                "cpu_runs": [],
                "ratios": [],
                "cpu_ratios": [],
            },
        )
        for speed, kept, ratios in (
            ("images_per_second", "runs", "ratios"),
            ("images_per_cpu_second", "cpu_runs", "cpu_ratios"),
        ):
            variant[kept].append(run[speed])
            baseline = (before[speed] + after[speed]) / 2
            variant[ratios].append(round(run[speed] / baseline, 3))
    for variant in variants.values():
        variant["ratio"] = round(statistics.median(variant["ratios"]), 3)
        variant["cpu_ratio"] = round(statistics.median(variant["cpu_ratios"]), 3)
    summary: dict[str, Any] = {"variants": list(variants.values())}
    for speed, kept in (
        ("images_per_second", "baseline_runs"),
        ("images_per_cpu_second", "baseline_cpu_runs"),
    ):
        summary[kept] = [run[speed] for run in baselines]
        summary[f"baseline_{speed}"] = round(statistics.mean(summary[kept]), 1)
    return summary


def measure_normalization(
    *,
    rounds: int = 3,
    threads: int = 1,
    seed: int = 0,
    warmup_steps: int = 30,
    seconds: float = TIMED_SECONDS,
    train_size: int | None = None,
    data_dir: str | None = None,
    on_variant: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Time every variant between baseline runs, `rounds` times (`run_order`).

    Args:
        rounds: How many times each variant runs, each between two baselines.
        threads: Threads per process; the ladder trains with 1 per process.
        seed: Seeds the weights, the augmentation and the batches.
        warmup_steps: Untimed steps first (graph tracing).
        seconds: Timed seconds per run.
        train_size: Train on a stratified subset (smoke tests).
        data_dir: Where the data lies.
        on_variant: Called with each run's result as it arrives.

    Returns:
        The recipe, batch size, rounds, threads, seed and timed seconds;
        `ratios_between_baselines`' summary of the runs; and the machine,
        whose `dtype_policy` is the one the runs computed in.

    """
    if rounds < 1 or threads < 1 or seconds <= 0 or warmup_steps < 0:
        raise UserError(
            "Expected rounds >= 1, threads >= 1, seconds > 0 and warmup_steps "
            f">= 0. Received: rounds={rounds}, threads={threads}, "
            f"seconds={seconds}, warmup_steps={warmup_steps}."
        )
    options = dict(
        threads=threads,
        seed=seed,
        warmup_steps=warmup_steps,
        seconds=seconds,
        train_size=train_size,
        data_dir=data_dir,
    )
    runs = []
    for name in run_order(rounds):
        runs.append(run_variant_in_subprocess(name, **options))
        if on_variant:
            on_variant(runs[-1])
    machine = describe_machine()
    machine["dtype_policy"] = runs[0]["compute_dtype"]
    return {
        "recipe": RECIPE.name,
        "batch_size": RECIPE.batch_size,
        "rounds": rounds,
        "threads": threads,
        "seed": seed,
        "timed_seconds": float(seconds),
        **ratios_between_baselines(runs),
        "machine": machine,
        "measured_at": measured_now(),
    }


if __name__ == "__main__":
    child_main(run_variant)
