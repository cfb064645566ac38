"""What a convolution layer sees, drawn: its filters and its feature maps.

Lesson 02 opens up a trained CNN with these two helpers: `plot_filters` shows
the 3x3 kernels of a `Conv2D` layer, `plot_feature_maps` the maps a layer
computes for one image. Each returns its matplotlib Figure and raises a
`ValueError` that says what was received when the layer or image does not fit.

Examples:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from fmnist_course.models import build_cnn
    >>> figure = plot_filters(build_cnn().get_layer("conv_1"), max_filters=4)
    >>> len(figure.axes)
    4

"""

from __future__ import annotations

import math

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def _square_grid(num: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(num))
    return math.ceil(num / columns), columns


def plot_filters(conv_layer: keras.layers.Layer, *, max_filters: int = 32) -> Figure:
    """Show each filter of a `Conv2D` layer as a small image.

    For a layer with several input channels, the weights on the first input
    channel are shown. Positive weights are red, negative blue.

    Args:
        conv_layer: A built `Conv2D` layer (e.g. `model.get_layer("conv_1")`).
        max_filters: Show at most this many filters.

    Returns:
        The Figure, with one Axes per filter titled with its index.

    Raises:
        ValueError: The layer has no 4-D kernel (it is not a built `Conv2D`).

    Examples:
        >>> figure = plot_filters(model.get_layer("conv_1"))  # doctest: +SKIP

    """
    kernel = getattr(conv_layer, "kernel", None)
    if kernel is None or len(kernel.shape) != 4:
        shape = None if kernel is None else tuple(kernel.shape)
        raise ValueError(
            "Expected a built Conv2D layer with a kernel of shape "
            "(height, width, in_channels, filters). "
            f"Received: {type(conv_layer).__name__} with kernel shape {shape}"
        )
    weights = keras.ops.convert_to_numpy(kernel)[:, :, 0, :]
    num = min(weights.shape[-1], max_filters)
    rows, columns = _square_grid(num)
    limit = np.abs(weights[..., :num]).max() or 1.0
    figure, axes = plt.subplots(
        rows, columns, figsize=(1.2 * columns, 1.3 * rows), squeeze=False
    )
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < num:
            ax.imshow(weights[:, :, index], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(str(index), fontsize=8)
    figure.suptitle(f"Filters of {conv_layer.name}")
    figure.tight_layout()
    return figure


def plot_feature_maps(
    model: keras.Model, layer_name: str, image: np.ndarray, *, max_maps: int = 32
) -> Figure:
    """Show what one layer of `model` outputs for a single image.

    Args:
        model: A functional Keras model.
        layer_name: A layer with a 4-D output `(batch, height, width, channels)`,
            such as a `Conv2D` or `MaxPooling2D` layer.
        image: One image shaped like a single model input, e.g. `(28, 28)`.
        max_maps: Show at most this many channels.

    Returns:
        The Figure, with one Axes per channel titled with its index.

    Raises:
        ValueError: The layer is unknown, its output is not 4-D, or `image`
            does not match the model's input shape.

    Examples:
        >>> image = data.x_test[0]  # doctest: +SKIP
        >>> figure = plot_feature_maps(model, "conv_1", image)  # doctest: +SKIP

    """
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        names = ", ".join(layer.name for layer in model.layers)
        raise ValueError(
            f"Unknown layer {layer_name!r}. Expected one of: {names}."
        ) from None
    if len(layer.output.shape) != 4:
        raise ValueError(
            "Expected a layer with a 4-D output (batch, height, width, channels). "
            f"Received: {layer_name!r} with output shape {tuple(layer.output.shape)}"
        )
    image = np.asarray(image, dtype="float32")
    expected = tuple(model.inputs[0].shape[1:])
    if image.shape != expected:
        raise ValueError(
            f"Expected one image of shape {expected}. Received: shape {image.shape}"
        )
    extractor = keras.Model(model.inputs[0], layer.output)
    maps = keras.ops.convert_to_numpy(extractor(image[np.newaxis]))[0]
    num = min(maps.shape[-1], max_maps)
    rows, columns = _square_grid(num)
    figure, axes = plt.subplots(
        rows, columns, figsize=(1.2 * columns, 1.3 * rows), squeeze=False
    )
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < num:
            ax.imshow(maps[:, :, index], cmap="viridis")
            ax.set_title(str(index), fontsize=8)
    figure.suptitle(f"Feature maps of {layer_name}")
    figure.tight_layout()
    return figure
