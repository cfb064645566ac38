"""The course's own Keras layers: `Cutout`, `MirrorImage` and `ShiftImage`.

Small image layers that Keras does not offer as such. `Cutout` augments the
training images of the best model (lesson 07); `MirrorImage` and `ShiftImage`
make the fixed views that test-time augmentation averages over
(`fmnist_course.view_averaging`). Each is registered with Keras under the package
`"fmnist_course"`, so a saved `.keras` model that holds one loads again once
this module is imported.

Examples:
    >>> import numpy as np
    >>> ShiftImage(right=1)(np.array([[[1.0, 2.0]]])).numpy().tolist()
    [[[0.0, 1.0]]]

"""

from __future__ import annotations

import keras

from fmnist_course.errors import UserError


@keras.saving.register_keras_serializable(package="fmnist_course")
class Cutout(keras.layers.Layer):
    """Blank out a random square of some training images (DeVries and Taylor, 2017).

    While training, each image is, with probability `rate`, given a `size` x
    `size` square of zeros (the background) centred on a random pixel; a
    square near the border is clipped by it. The model can no longer rely on
    any one part of a garment, a collar or a heel, being visible. At
    prediction time the layer passes images through unchanged. Works on
    batches of shape `(batch, height, width)` or `(batch, height, width,
    channels)`.

    Args:
        size: Side of the square, in pixels.
        rate: Share of the images that get a square.
        seed: Seed of the layer's own random generator (`None`: drawn from
            the global seed that `keras.utils.set_random_seed` sets).
        **kwargs: Passed to `keras.layers.Layer` (say, `name`).

    Examples:
        >>> import numpy as np
        >>> images = np.ones((2, 28, 28, 1), dtype="float32")
        >>> layer = Cutout(8, rate=1.0, seed=0)
        >>> blanked = layer(images, training=True).numpy()
        >>> [int(n) for n in (blanked == 0).sum(axis=(1, 2, 3)) > 0]
        [1, 1]
        >>> bool((layer(images, training=False).numpy() == images).all())
        True

    """

    def __init__(self, size: int, rate: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if size < 1 or not 0.0 <= rate <= 1.0:
            raise UserError(
                "Expected size >= 1 pixel and rate in [0, 1]. "
                f"Received: size={size}, rate={rate}"
            )
        self.size = int(size)
        self.rate = float(rate)
        self.seed = seed
        self._generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        """Blank a square of a random share `rate` of the images (training only)."""
        if not training:
            return images
        ops = keras.ops
        shape = ops.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        top = keras.random.randint((batch, 1, 1), 0, height, seed=self._generator)
        left = keras.random.randint((batch, 1, 1), 0, width, seed=self._generator)
        top, left = top - self.size // 2, left - self.size // 2
        rows = ops.reshape(ops.arange(height), (1, -1, 1))
        cols = ops.reshape(ops.arange(width), (1, 1, -1))
        in_square = ops.logical_and(
            ops.logical_and(rows >= top, rows < top + self.size),
            ops.logical_and(cols >= left, cols < left + self.size),
        )
        chosen = keras.random.uniform((batch, 1, 1), seed=self._generator) < self.rate
        keep = ops.cast(
            ops.logical_not(ops.logical_and(in_square, chosen)), images.dtype
        )
        if len(images.shape) == 4:
            keep = ops.expand_dims(keep, -1)
        return images * keep

    def compute_output_shape(self, input_shape):
        """The shape is unchanged."""
        return input_shape

    def get_config(self):
        """Serializable settings, so that saved models load."""
        return {
            **super().get_config(),
            "size": self.size,
            "rate": self.rate,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="fmnist_course")
class MirrorImage(keras.layers.Layer):
    """Flip images left to right, always (not at random, and not only in training).

    Works on batches of shape `(batch, height, width)` or
    `(batch, height, width, channels)`: the width is axis 2 of both.

    Examples:
        >>> import numpy as np
        >>> MirrorImage()(np.array([[[1.0, 2.0, 3.0]]])).numpy().tolist()
        [[[3.0, 2.0, 1.0]]]

    """

    def call(self, images):
        """Reverse the width axis."""
        return keras.ops.flip(images, axis=2)


@keras.saving.register_keras_serializable(package="fmnist_course")
class ShiftImage(keras.layers.Layer):
    """Move images by whole pixels, filling the uncovered border with zeros.

    Works on batches of shape `(batch, height, width)` or
    `(batch, height, width, channels)`, like `MirrorImage`. Unlike
    `keras.layers.RandomTranslation`, it always applies the same shift, in
    training and at prediction time: it makes one fixed view of an image.

    Args:
        down: Pixels to move the image down (negative: up).
        right: Pixels to move the image right (negative: left).
        **kwargs: Passed to `keras.layers.Layer` (say, `name`).

    Examples:
        >>> import numpy as np
        >>> image = np.array([[[1.0, 2.0], [3.0, 4.0]]])
        >>> ShiftImage(down=1)(image).numpy().tolist()
        [[[0.0, 0.0], [1.0, 2.0]]]
        >>> ShiftImage(right=-1)(image).numpy().tolist()
        [[[2.0, 0.0], [4.0, 0.0]]]

    """

    def __init__(self, down: int = 0, right: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.down = int(down)
        self.right = int(right)

    def call(self, images):
        """Pad the side the image moves away from, then crop the other side."""
        height, width = images.shape[1], images.shape[2]
        padding = [
            (0, 0),
            (max(self.down, 0), max(-self.down, 0)),
            (max(self.right, 0), max(-self.right, 0)),
        ] + [(0, 0)] * (len(images.shape) - 3)
        padded = keras.ops.pad(images, padding)
        top, left = max(-self.down, 0), max(-self.right, 0)
        return padded[:, top : top + height, left : left + width]

    def get_config(self):
        """The shift, so a saved model rebuilds the same layer."""
        return {**super().get_config(), "down": self.down, "right": self.right}
