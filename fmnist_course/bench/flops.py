"""Count the multiply-adds (MACs) a Keras model does per image.

Convention, used by every figure of the course:

- One multiply-add (MAC) is one multiplication of a weight by an input and its
  addition to a sum; one MAC is 2 floating-point operations (FLOPs).
- Only layers with weights that multiply inputs are counted: `Conv2D`,
  `DepthwiseConv2D`, `SeparableConv2D`, `Dense`, and `BatchNormalization`
  (one MAC per output element: scale and shift). Biases, activations, pooling,
  dropout, reshapes and the loss are left out; they are a small fraction of the
  work of these models.
- Training one image costs about 3x its forward pass: the forward pass, plus a
  backward pass that computes the gradient with respect to the inputs and the
  gradient with respect to the weights, each as costly as the forward pass.

So training throughput in GFLOP/s is `2 * MACs * 3 * images_per_second / 1e9`.

Examples:
    >>> from fmnist_course.models import build_challenge_model
    >>> forward_macs(build_challenge_model())
    2723328

"""

from __future__ import annotations

import math

import keras

TRAINING_PASSES = 3
"""Forward + backward (inputs and weights) = 3 forward passes' worth of MACs."""

FLOPS_PER_MAC = 2


def _shape(tensor) -> tuple[int, ...]:
    """The shape of a symbolic tensor without its batch dimension."""
    shape = tuple(tensor.shape)[1:]
    if any(size is None for size in shape):
        raise ValueError(
            f"Expected fully defined shapes to count multiply-adds. Received: {shape}"
        )
    return shape


def layer_macs(layer: keras.layers.Layer) -> int:
    """Multiply-adds of one layer's forward pass, for one image.

    Args:
        layer: A layer of a built functional or Sequential model (its `input`
            and `output` must be defined).

    Returns:
        The layer's MACs per image; 0 for layers without multiplying weights.

    Examples:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> layer_macs(model.layers[0])
        12

    """
    if isinstance(layer, keras.Model):
        return forward_macs(layer)
    if isinstance(layer, (keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)):
        in_channels = _channels(layer, _shape(layer.input))
        out_shape = _shape(layer.output)
        positions = math.prod(_spatial(layer, out_shape))
        kernel = math.prod(layer.kernel_size)
        depthwise = positions * in_channels * layer.depth_multiplier * kernel
        if isinstance(layer, keras.layers.SeparableConv2D):
            pointwise = positions * in_channels * layer.depth_multiplier * layer.filters
            return depthwise + pointwise
        return depthwise
    if isinstance(layer, keras.layers.Conv2D):
        in_channels = _channels(layer, _shape(layer.input))
        out_shape = _shape(layer.output)
        kernel = math.prod(layer.kernel_size)
        groups = getattr(layer, "groups", 1)
        return math.prod(out_shape) * kernel * (in_channels // groups)
    if isinstance(layer, keras.layers.Dense):
        in_shape = _shape(layer.input)
        out_shape = _shape(layer.output)
        return math.prod(out_shape[:-1]) * in_shape[-1] * layer.units
    if isinstance(layer, keras.layers.BatchNormalization):
        return math.prod(_shape(layer.output))
    return 0


def _channels(layer, shape: tuple[int, ...]) -> int:
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return shape[0]
    return shape[-1]


def _spatial(layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return shape[1:]
    return shape[:-1]


def forward_macs(model: keras.Model) -> int:
    """Multiply-adds of a model's forward pass, for one image.

    Args:
        model: A built Keras model (functional or Sequential).

    Returns:
        The sum of `layer_macs` over the model's layers (nested models included).

    Examples:
        >>> from fmnist_course.models import build_dense_baseline
        >>> forward_macs(build_dense_baseline())  # 784*256 + 256*128 + 128*10
        234752

    """
    return sum(layer_macs(layer) for layer in model.layers)


def training_macs(model: keras.Model) -> int:
    """Multiply-adds to train on one image: `TRAINING_PASSES` x the forward pass.

    Examples:
        >>> from fmnist_course.models import build_challenge_model
        >>> training_macs(build_challenge_model())
        8169984

    """
    return TRAINING_PASSES * forward_macs(model)


def training_gflops_per_second(model: keras.Model, images_per_second: float) -> float:
    """Achieved training GFLOP/s: `2 * MACs * 3 * images_per_second / 1e9`.

    Examples:
        >>> from fmnist_course.models import build_challenge_model
        >>> round(training_gflops_per_second(build_challenge_model(), 1000.0), 2)
        16.34

    """
    return FLOPS_PER_MAC * training_macs(model) * images_per_second / 1e9
