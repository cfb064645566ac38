"""The Keras callbacks that `train_model` adds to a fit.

`EpochTimer` records each epoch's wall time (the `seconds` column of a
history); `EpochLines` prints one line per epoch for logs and pipes;
`AveragedWeights` puts the optimizer's moving average of the weights in the
model for validation and at the end of every epoch (weight averaging, lesson
06).

Examples:
    >>> timer = EpochTimer()
    >>> timer.on_epoch_begin(0); timer.on_epoch_end(0)
    >>> len(timer.seconds)
    1

"""

from __future__ import annotations

import time

import keras
import numpy as np


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        """Start the epoch's clock."""
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        """Record the epoch's wall time."""
        self.seconds.append(time.perf_counter() - self._start)


class EpochLines(keras.callbacks.Callback):
    """Prints one line per epoch: the epoch, its metrics and its wall time."""

    def __init__(self, epochs: int, timer: EpochTimer) -> None:
        super().__init__()
        self.epochs = epochs
        self.timer = timer

    def on_epoch_end(self, epoch, logs=None):
        """Print the epoch's line."""
        metrics = "  ".join(
            f"{name} {value:.4f}" for name, value in (logs or {}).items()
        )
        seconds = self.timer.seconds[-1] if self.timer.seconds else 0.0
        print(
            f"epoch {epoch + 1}/{self.epochs}  {metrics}  ({seconds:.1f} s)", flush=True
        )


class AveragedWeights(keras.callbacks.Callback):
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
        """Train on from the raw weights."""
        self._put_raw_back()

    def on_test_begin(self, logs=None):
        """Validate the average."""
        self._put_average_in()

    def on_test_end(self, logs=None):
        """Back to the raw weights after validation."""
        self._put_raw_back()

    def on_epoch_end(self, epoch, logs=None):
        """Leave the average in for later callbacks and the finished model."""
        self._put_average_in()
