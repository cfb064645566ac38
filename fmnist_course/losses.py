"""The course's own loss: cross-entropy against smoothed integer labels.

Keras smooths one-hot labels only; `SmoothedSparseCrossentropy` takes the
integer labels the course uses everywhere (lesson 07, label smoothing). It is
registered with Keras under the package `"fmnist_course"`, so a model saved
compiled with it loads again once this module is imported.

Examples:
    >>> SmoothedSparseCrossentropy(0.1).get_config()["smoothing"]
    0.1

"""

from __future__ import annotations

from typing import Any

import keras


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
