"""Model builders for the course, all written with the Keras functional API.

Every builder takes flat keyword arguments with plain types and returns an
uncompiled `keras.Model` that expects uint8 or float images of shape
`(28, 28)` and outputs ten class probabilities. Each model starts with a
`Rescaling` layer when `rescale=True`, so it can be fed the raw uint8 pixels.

A search space for `fmnist_course.tuning` is then just a mapping from these
keyword names to candidate values. The course's own layers live in
`fmnist_course.layers`, and the wrappers that average a trained model's
predictions over views in `fmnist_course.view_averaging`.

Examples:
    >>> model = build_model("cnn", filters=(32, 64), dropout=0.25)
    >>> model.output_shape
    (None, 10)
    >>> sorted(MODEL_BUILDERS)
    ['best', 'challenge', 'cnn', 'dense']

"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
from keras import layers, regularizers

from fmnist_course.data import IMAGE_SIZE, NUM_CLASSES
from fmnist_course.errors import UserError
from fmnist_course.layers import Cutout

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE)
PADDINGS = ("same", "valid")


def _image_input(rescale: bool) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The shared stem: a 28x28 input, optionally rescaled from 0-255 to 0-1."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs) if rescale else inputs
    return inputs, x


def _class_probabilities(x: keras.KerasTensor) -> keras.KerasTensor:
    """The shared head: ten class probabilities, computed in float32.

    Float32 whatever the global dtype policy: under `mixed_bfloat16`
    (`fmnist_course.precision`) a bfloat16 softmax would round each
    probability to about three significant digits, and the loss with it.
    """
    return layers.Dense(
        NUM_CLASSES, activation="softmax", dtype="float32", name="classes"
    )(x)


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise UserError(f"Expected {name} in [0, 1). Received: {name}={value}")


def build_dense_baseline(
    hidden_units: Sequence[int] = (256, 128),
    dropout: float = 0.0,
    rescale: bool = False,
) -> keras.Model:
    """A plain fully connected network: Flatten -> Dense layers -> softmax.

    Args:
        hidden_units: Width of each hidden `Dense` layer, in order.
        dropout: Dropout rate after each hidden layer (0, the default, adds
            none: the plain baseline of lesson 01; lesson 03 teaches dropout).
        rescale: Start with a `Rescaling(1/255)` layer to accept uint8 pixels.

    Returns:
        An uncompiled `keras.Model` named `"dense"`.

    Examples:
        >>> build_dense_baseline(hidden_units=(64,)).count_params()
        50890

    """
    _check_rate("dropout", dropout)
    inputs, x = _image_input(rescale)
    x = layers.Flatten(name="flatten")(x)
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, activation="relu", name=f"dense_{index}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{index}")(x)
    outputs = _class_probabilities(x)
    return keras.Model(inputs, outputs, name="dense")


def build_cnn(
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    dense_units: int = 128,
    dropout: float = 0.0,
    l2: float = 0.0,
    padding: str = "same",
    rescale: bool = False,
) -> keras.Model:
    """A small convolutional network: [Conv2D -> MaxPooling2D] blocks -> Dense.

    Args:
        filters: Number of filters of each convolution block, in order.
        kernel_size: Side of the square convolution kernels.
        dense_units: Width of the hidden `Dense` layer.
        dropout: Dropout rate after each block and the hidden layer (0 disables).
        l2: L2 penalty on every kernel (0 disables).
        padding: `"same"` pads each image with zeros so a convolution keeps its
            height and width; `"valid"` does not pad, and each 3x3 convolution
            trims a pixel from every border.
        rescale: Start with a `Rescaling(1/255)` layer to accept uint8 pixels.

    Returns:
        An uncompiled `keras.Model` named `"cnn"`.

    Raises:
        ValueError: `padding` is neither `"same"` nor `"valid"`, or `dropout`
            is outside [0, 1).

    Examples:
        >>> build_cnn().count_params()
        421642
        >>> build_cnn(padding="valid").count_params()
        225034

    """
    _check_rate("dropout", dropout)
    if padding not in PADDINGS:
        raise UserError(
            f"Unknown padding: {padding!r}. Expected one of: {', '.join(PADDINGS)}."
        )
    regularizer = regularizers.L2(l2) if l2 else None
    inputs, x = _image_input(rescale)
    x = layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1), name="add_channel")(x)
    for index, num_filters in enumerate(filters, start=1):
        x = layers.Conv2D(
            num_filters,
            kernel_size,
            padding=padding,
            activation="relu",
            kernel_regularizer=regularizer,
            name=f"conv_{index}",
        )(x)
        x = layers.MaxPooling2D(2, name=f"pool_{index}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(
        dense_units, activation="relu", kernel_regularizer=regularizer, name="dense"
    )(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout_dense")(x)
    outputs = _class_probabilities(x)
    return keras.Model(inputs, outputs, name="cnn")


def build_challenge_model(
    l1: float = 1e-5,
    l2: float = 1e-4,
    rescale: bool = False,
) -> keras.Model:
    """The original challenge CNN, layer for layer, in the functional API.

    Input 28x28 -> Reshape 28x28x1 -> Conv2D 64 3x3 ReLU -> MaxPooling 2x2 ->
    Dropout 0.25 -> Conv2D 32 3x3 ReLU -> MaxPooling 2x2 -> Dropout 0.25 ->
    Flatten -> Dense 128 ReLU with L1 and L2 kernel penalties -> Dropout 0.5 ->
    Dense 10 softmax.

    Args:
        l1: L1 penalty on the hidden `Dense` kernel.
        l2: L2 penalty on the hidden `Dense` kernel.
        rescale: Start with a `Rescaling(1/255)` layer to accept uint8 pixels.

    Returns:
        An uncompiled `keras.Model` named `"challenge"` with 122,922 parameters.

    Examples:
        >>> build_challenge_model().count_params()
        122922

    """
    inputs, x = _image_input(rescale)
    x = layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1), name="add_channel")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv_1")(x)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    x = layers.Dropout(0.25, name="dropout_1")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    x = layers.Dropout(0.25, name="dropout_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(
        128,
        activation="relu",
        kernel_regularizer=regularizers.L1L2(l1=l1, l2=l2),
        name="dense",
    )(x)
    x = layers.Dropout(0.5, name="dropout_3")(x)
    outputs = _class_probabilities(x)
    return keras.Model(inputs, outputs, name="challenge")


def _conv_pool_bn_relu(x, filters: int, index: int, padding: str = "same"):
    """Conv2D (no bias) -> MaxPooling 2x2 -> BatchNormalization -> ReLU."""
    conv = f"conv_{index}"
    x = layers.Conv2D(filters, 3, padding=padding, use_bias=False, name=conv)(x)
    x = layers.MaxPooling2D(2, name=f"pool_{index}")(x)
    x = layers.BatchNormalization(name=f"{conv}_bn")(x)
    return layers.Activation("relu", name=f"{conv}_relu")(x)


def build_best_model(
    filters: Sequence[int] = (32, 64, 128),
    dense_units: int = 256,
    dropout: float = 0.3,
    augment: bool = True,
    max_shift: int = 2,
    cutout: int = 0,
    rescale: bool = False,
) -> keras.Model:
    """The course's best model: batch-normalized conv blocks with augmentation.

    Each block is Conv2D 3x3 -> MaxPooling 2x2 -> BatchNormalization -> ReLU;
    the first convolution is unpadded (28 -> 26), so the feature maps shrink
    26 -> 13 -> 6 -> 3 and most of the computation happens on small maps,
    which keeps an epoch affordable on a laptop CPU. Pooling comes straight
    after the convolution, so batch normalization and ReLU work on a quarter
    of the values: ReLU and a positive-scale normalization are increasing
    functions, which commute with taking a maximum. Random horizontal flips
    and random shifts by up to `max_shift` pixels (both active only while
    training) augment the data: a mirrored shirt, or one photographed a pixel
    higher, is still a shirt.

    Args:
        filters: Filters of each block, in order.
        dense_units: Width of the hidden `Dense` layer.
        dropout: Dropout rate before and after the hidden layer.
        augment: Add a `RandomFlip("horizontal")` layer and, when `max_shift`
            is not 0, a `RandomTranslation` layer.
        max_shift: Largest random shift, in pixels, up or down and left or
            right; the uncovered border is filled with zeros (the background).
        cutout: Side, in pixels, of the square that a `Cutout` layer blanks
            out of half the training images (0, the default, adds none).
        rescale: Start with a `Rescaling(1/255)` layer to accept uint8 pixels.

    Returns:
        An uncompiled `keras.Model` named `"best"`.

    Examples:
        >>> build_best_model().count_params()
        391082

    """
    _check_rate("dropout", dropout)
    if not 0 <= max_shift < IMAGE_SIZE // 2:
        raise UserError(
            f"Expected max_shift in [0, {IMAGE_SIZE // 2}) pixels. "
            f"Received: max_shift={max_shift}"
        )
    inputs, x = _image_input(rescale)
    x = layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1), name="add_channel")(x)
    if augment:
        x = layers.RandomFlip("horizontal", name="random_flip")(x)
        if max_shift:
            x = layers.RandomTranslation(
                max_shift / IMAGE_SIZE,
                max_shift / IMAGE_SIZE,
                fill_mode="constant",
                interpolation="nearest",
                name="random_shift",
            )(x)
    if cutout:
        x = Cutout(cutout, name="cutout")(x)
    for index, num_filters in enumerate(filters, start=1):
        padding = "valid" if index == 1 else "same"
        x = _conv_pool_bn_relu(x, num_filters, index, padding=padding)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout_features")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout_dense")(x)
    outputs = _class_probabilities(x)
    return keras.Model(inputs, outputs, name="best")


MODEL_BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "dense": build_dense_baseline,
    "cnn": build_cnn,
    "challenge": build_challenge_model,
    "best": build_best_model,
}
"""The course's named models, as used by `fmnist-course train NAME`."""


def build_model(name: str, **kwargs) -> keras.Model:
    """Build one of the course's named models.

    Args:
        name: A key of `MODEL_BUILDERS`.
        **kwargs: Keyword arguments for that builder.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: `name` is not a course model, or a keyword is unknown.

    Examples:
        >>> build_model("dense", hidden_units=(32,)).name
        'dense'

    """
    if name not in MODEL_BUILDERS:
        raise UserError(
            f"Unknown model name: {name!r}. Expected one of: "
            f"{', '.join(sorted(MODEL_BUILDERS))}."
        )
    builder = MODEL_BUILDERS[name]
    try:
        return builder(**kwargs)
    except TypeError as error:
        raise UserError(
            f"{builder.__name__} does not accept these arguments: {kwargs}. ({error})"
        ) from None
