"""Speed levers: other ways to train the challenge model faster, measured.

`bench speed` compares the course's training path with a plain `model.fit`.
This module measures the alternatives that path could adopt, one lever at a
time, each in a fresh Python process (thread settings and the Keras backend
can only be chosen before TensorFlow or Keras start):

- `baseline`: plain `model.fit` on float32 numpy arrays, in batches of
  `BATCH_SIZE` (the challenge recipe's).
- `uint8_rescaling`: the images stay uint8 (4x less memory to slice into
  batches) and a `Rescaling(1/255)` layer inside the model scales them.
- `steps_per_execution`: `compile(steps_per_execution=32)` runs 32 gradient
  steps per call into the compiled graph instead of one, so Python and
  callback overhead is paid once per 32 steps.
- `inter_op_threads_1`: TensorFlow's inter-op thread pool limited to one thread
  (the two cores all go to the intra-op pool that runs each operation).
- `onednn_off`: TensorFlow's own (Eigen) kernels instead of Intel's oneDNN
  ones (`TF_ENABLE_ONEDNN_OPTS=0`; oneDNN is on by default on x86 CPUs).
- `mixed_bfloat16`: Keras mixed precision, `mixed_bfloat16` policy: weights
  stay float32, layers compute in bfloat16. It pays only where the CPU has
  bfloat16 instructions (`bf16_instructions` in the recorded machine, e.g.
  AVX512_BF16 or AMX); elsewhere oneDNN emulates them. It also changes the
  numbers a model learns, so adopting it would need the ladder re-measured.
- `tf_data`: a `tf.data` pipeline (uint8 tensors, shuffle, batch, scale in a
  `map`, `prefetch`) instead of numpy arrays.
- `jax_backend`, `torch_backend`: Keras 3 on JAX or PyTorch instead of
  TensorFlow, same model and `fit` call. These need an interpreter where that
  backend is installed (`--backend-python`); they are skipped otherwise.

Each process trains for a warm-up of `warmup_steps` steps (graph tracing),
then times `seconds` of training and reports images per second of wall time
and images per CPU-second (the CPU time its threads used, together). The
baseline runs first and last so that drift in the machine's speed shows;
every lever's `ratio` is its speed over the mean of the two baseline runs,
and its `cpu_ratio` the same in CPU time. The two answer different questions.
Wall time is what a student waits, and it moves when the host lends the
process fewer cores than it has; CPU time is the work done per image, which
moves far less with the host's load, but which a lever that only keeps the
cores busier (a thread setting, a prefetch) does not change.

Examples:
    >>> result = measure_levers(seconds=30)  # doctest: +SKIP
    >>> result["levers"][1]["name"], result["levers"][1]["ratio"]  # doctest: +SKIP
    ('uint8_rescaling', 1.02)

"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from fmnist_course.bench.child import child_main, run_child
from fmnist_course.data import load_fashion_mnist
from fmnist_course.machine import describe_machine
from fmnist_course.models import build_challenge_model
from fmnist_course.recipes import RECIPES

BATCH_SIZE = RECIPES["challenge"].batch_size

LEVERS: dict[str, str] = {
    "baseline": f"plain model.fit on float32 numpy arrays, batch {BATCH_SIZE}",
    "uint8_rescaling": "uint8 arrays, Rescaling(1/255) inside the model",
    "steps_per_execution": "compile(steps_per_execution=32)",
    "inter_op_threads_1": "TensorFlow inter-op thread pool of 1",
    "onednn_off": "TensorFlow's Eigen kernels, not oneDNN (TF_ENABLE_ONEDNN_OPTS=0)",
    "mixed_bfloat16": "Keras mixed precision: bfloat16 compute, float32 weights",
    "tf_data": "tf.data pipeline: uint8 -> shuffle -> batch -> scale -> prefetch",
    "jax_backend": "Keras 3 on JAX (KERAS_BACKEND=jax)",
    "torch_backend": "Keras 3 on PyTorch (KERAS_BACKEND=torch)",
}
"""Every lever, with what it changes against the baseline."""

BACKENDS = {"jax_backend": "jax", "torch_backend": "torch"}
ENVIRONMENT = {"onednn_off": {"TF_ENABLE_ONEDNN_OPTS": "0"}}
"""Environment variables a lever sets for its process."""


class StepRate:
    """Counts training steps; times a window that starts after a warm-up.

    Built as a plain object wrapped into a Keras callback by `as_callback`, so
    the counting logic is testable without Keras.

    The window is timed twice: by `clock` (wall time) and by `cpu_clock` (the
    process's CPU time, all threads together).

    Examples:
        >>> times = iter([0.0, 1.0, 2.0, 3.0, 4.0])
        >>> cpu_times = iter([0.0, 2.0, 4.0, 6.0, 8.0])  # two busy cores
        >>> rate = StepRate(warmup_steps=1, seconds=2.5, clock=lambda: next(times),
        ...                 cpu_clock=lambda: next(cpu_times))
        >>> [rate.step_done(batch) for batch in range(4)]
        [False, False, False, True]
        >>> rate.images_per_second(batch_size=10), rate.images_per_cpu_second(10)
        (10.0, 5.0)

    """

    def __init__(
        self,
        *,
        warmup_steps: int,
        seconds: float,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.warmup_steps = warmup_steps
        self.seconds = seconds
        self.clock = clock
        self.cpu_clock = cpu_clock
        self.steps = 0
        self._last_batch = -1
        self._start: float | None = None
        self._start_steps = 0
        self._end: float | None = None
        self._cpu_start = self._cpu_end = 0.0

    def epoch_begins(self) -> None:
        """Batch indices restart at 0 with each epoch."""
        self._last_batch = -1

    def step_done(self, batch: int) -> bool:
        """Record that steps up to `batch` ran; return whether to stop."""
        self.steps += batch - self._last_batch
        self._last_batch = batch
        now, cpu_now = self.clock(), self.cpu_clock()
        if self._start is None:
            if self.steps >= self.warmup_steps:
                self._start, self._start_steps = now, self.steps
                self._cpu_start = cpu_now
            return False
        if now - self._start >= self.seconds:
            self._end, self._cpu_end = now, cpu_now
            return True
        return False

    @property
    def timed_steps(self) -> int:
        """Steps run inside the timed window so far."""
        return self.steps - self._start_steps

    def images_per_second(self, batch_size: int) -> float:
        """Images per second of wall time over the timed window."""
        self._check_finished()
        return self.timed_steps * batch_size / (self._end - self._start)

    def images_per_cpu_second(self, batch_size: int) -> float:
        """Images per second of the process's CPU time over the timed window."""
        self._check_finished()
        return self.timed_steps * batch_size / (self._cpu_end - self._cpu_start)

    def _check_finished(self) -> None:
        if self._start is None or self._end is None:
            raise RuntimeError("The timed window did not finish; train for longer.")


def as_callback(rate: StepRate):
    """Wrap a `StepRate` into a Keras callback that stops training when done."""
    import keras

    class _Callback(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            rate.epoch_begins()

        def on_train_batch_end(self, batch, logs=None):
            if rate.step_done(batch):
                self.model.stop_training = True

    return _Callback()


def run_lever(
    name: str,
    *,
    warmup_steps: int = 30,
    seconds: float = 40.0,
    train_size: int | None = None,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Train the challenge model with one lever pulled; return its speed.

    Run this in a fresh process (see `run_lever_in_subprocess`): thread
    settings and the backend are fixed once TensorFlow or Keras start.

    Raises:
        ValueError: Unknown lever.

    """
    if name not in LEVERS:
        raise ValueError(
            f"Unknown lever {name!r}. Expected one of: {', '.join(LEVERS)}."
        )
    if name == "inter_op_threads_1":
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    if name == "mixed_bfloat16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    uint8 = name in ("uint8_rescaling", "tf_data")
    data = load_fashion_mnist(data_dir, scale=not uint8, train_size=train_size)
    x, y = data.x_train, data.y_train
    keras.utils.set_random_seed(0)
    model = build_challenge_model(rescale=name == "uint8_rescaling")
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=32 if name == "steps_per_execution" else 1,
    )
    rate = StepRate(warmup_steps=warmup_steps, seconds=seconds)
    fit_options = dict(epochs=1000, verbose=0, callbacks=[as_callback(rate)])
    if name == "tf_data":
        import tensorflow as tf

        dataset = (
            tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=0)
            .batch(BATCH_SIZE)
            .map(
                lambda images, labels: (tf.cast(images, "float32") / 255.0, labels),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .prefetch(tf.data.AUTOTUNE)
        )
        model.fit(dataset, **fit_options)
    else:
        model.fit(x, y, batch_size=BATCH_SIZE, **fit_options)
    return {
        "name": name,
        "description": LEVERS[name],
        "backend": keras.backend.backend(),
        "compute_dtype": model.compute_dtype,
        "images_per_second": round(rate.images_per_second(BATCH_SIZE), 1),
        "images_per_cpu_second": round(rate.images_per_cpu_second(BATCH_SIZE), 1),
        "timed_steps": rate.timed_steps,
    }


def run_lever_in_subprocess(
    name: str, *, python: str | None = None, **options: Any
) -> dict[str, Any]:
    """`run_lever` in a fresh process (with `KERAS_BACKEND` set for a backend).

    Raises:
        RuntimeError: The child process failed; its last output is shown.

    """
    env = child_environment(
        KERAS_BACKEND=BACKENDS.get(name, "tensorflow"), **ENVIRONMENT.get(name, {})
    )
    return run_child(
        "fmnist_course.bench.levers",
        name,
        options,
        what=f"Lever {name!r}",
        python=python,
        env=env,
    )


def child_environment(**extra: str) -> dict[str, str]:
    """`extra`, and this checkout first on `PYTHONPATH`, for a child process.

    Examples:
        >>> env = child_environment(KERAS_BACKEND="jax")
        >>> env["KERAS_BACKEND"], os.path.isdir(env["PYTHONPATH"].split(os.pathsep)[0])
        ('jax', True)

    """
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    path = os.pathsep.join(filter(None, [repo_root, os.environ.get("PYTHONPATH")]))
    return {**extra, "PYTHONPATH": path}


def against_baseline(
    first: dict[str, Any], last: dict[str, Any], results: list[dict[str, Any]]
) -> dict[str, Any]:
    """The baseline's two runs and their mean; each result's ratios over it.

    Speeds are images per second (`ratio`) and per CPU-second (`cpu_ratio`);
    a result without a speed (a skipped lever) gets no ratio. The ratios are
    set on `results` in place.

    Returns:
        `baseline_images_per_second` and `baseline_runs`, and the same two in
        CPU time (`baseline_images_per_cpu_second`, `baseline_cpu_runs`).

    Examples:
        >>> runs = [{"images_per_second": s, "images_per_cpu_second": s / 2}
        ...         for s in (100.0, 300.0, 330.0)]
        >>> summary = against_baseline(runs[0], runs[1], runs[2:])
        >>> summary["baseline_runs"], summary["baseline_images_per_second"]
        ([100.0, 300.0], 200.0)
        >>> runs[2]["ratio"], runs[2]["cpu_ratio"]
        (1.65, 1.65)

    """
    summary: dict[str, Any] = {}
    for speed, ratio, runs in (
        ("images_per_second", "ratio", "baseline_runs"),
        ("images_per_cpu_second", "cpu_ratio", "baseline_cpu_runs"),
    ):
        baseline = (first[speed] + last[speed]) / 2
        summary[f"baseline_{speed}"] = round(baseline, 1)
        summary[runs] = [first[speed], last[speed]]
        for result in results:
            if speed in result:
                result[ratio] = round(result[speed] / baseline, 3)
    return summary


def measure_levers(
    levers: Sequence[str] | None = None,
    *,
    backend_python: str | None = None,
    warmup_steps: int = 30,
    seconds: float = 40.0,
    train_size: int | None = None,
    data_dir: str | None = None,
    on_lever: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Measure each lever against the baseline, measured before and after.

    Args:
        levers: Lever names (all but the baseline when `None`).
        backend_python: Interpreter with JAX and PyTorch installed; the backend
            levers are skipped (and listed as such) without one.
        warmup_steps: Untimed steps first (graph tracing).
        seconds: Timed seconds per lever.
        train_size: Train on a stratified subset (smoke tests).
        data_dir: Where the data lies.
        on_lever: Called with each lever's result as it arrives.

    Returns:
        `baseline_images_per_second` (mean of the first and last baseline runs),
        `baseline_runs`, the same two in CPU time
        (`baseline_images_per_cpu_second`, `baseline_cpu_runs`), one entry per
        lever in `levers` (with `ratio` and `cpu_ratio` over the baseline, or
        `skipped` and why) and the machine.

    """
    wanted = [lever for lever in (levers or LEVERS) if lever != "baseline"]
    unknown = [lever for lever in wanted if lever not in LEVERS]
    if unknown:
        raise ValueError(
            f"Unknown lever(s) {', '.join(unknown)}. Expected: {', '.join(LEVERS)}."
        )
    options = dict(
        warmup_steps=warmup_steps,
        seconds=seconds,
        train_size=train_size,
        data_dir=data_dir,
    )

    def measure(name: str) -> dict[str, Any]:
        python = backend_python if name in BACKENDS else None
        result = run_lever_in_subprocess(name, python=python, **options)
        if on_lever:
            on_lever(result)
        return result

    first = measure("baseline")
    results = []
    for name in wanted:
        if name in BACKENDS and not backend_python:
            results.append(
                {
                    "name": name,
                    "description": LEVERS[name],
                    "skipped": "no --backend-python with JAX and PyTorch given",
                }
            )
            continue
        results.append(measure(name))
    last = measure("baseline")
    summary = against_baseline(first, last, results)
    return {
        "model": "challenge",
        "batch_size": BATCH_SIZE,
        "timed_seconds": seconds,
        **summary,
        "levers": results,
        "machine": describe_machine(),
    }


if __name__ == "__main__":
    child_main(run_lever)
