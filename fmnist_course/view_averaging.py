"""Test-time augmentation: average a trained model's predictions over views.

A garment that is mirrored, or moved by a pixel, is still the same garment.
`with_test_time_augmentation` wraps a trained model so that it sees each image
as several fixed views (made by the layers of `fmnist_course.layers`) and
averages the class probabilities; `with_flip_averaging` is its simplest case,
the image and its mirror. Lesson 07 teaches both; the `"best"` recipe is
scored with the first.

Examples:
    >>> from fmnist_course.models import build_model
    >>> model = build_model("dense", hidden_units=(16,))
    >>> with_flip_averaging(model).name
    'dense_flip_averaged'

"""

from __future__ import annotations

import keras

from fmnist_course.errors import UserError
from fmnist_course.layers import MirrorImage, ShiftImage


def with_test_time_augmentation(
    model: keras.Model,
    *,
    flip: bool = True,
    shift: int = 1,
    name: str | None = None,
) -> keras.Model:
    """Wrap a trained model so it averages its predictions over several views.

    Test-time augmentation: a garment that is mirrored, or moved by a pixel,
    is still the same garment, so the model sees each image several times and
    the probability vectors are averaged. The views are the image itself;
    with `shift`, the image moved by `shift` pixels up, down, left and right;
    with `flip`, the mirror image of each of these. The defaults make 10 views.
    The trained model is called once per view as one shared sub-model, so the
    wrapper adds no weights; it costs one forward pass per view.

    It helps only a model that was trained on such variations (with
    `RandomFlip` and `RandomTranslation`, say): a model that never saw a
    mirrored shoe is only confused by one.

    Args:
        model: A model that takes images of shape `(28, 28)` or `(28, 28, 1)`
            and outputs class probabilities.
        flip: Add the mirror image (left to right) of every view.
        shift: Pixels to move the image in each of the four directions
            (0 adds no shifted views).
        name: The new model's name; defaults to `"<name>_augmented"`.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: `shift` is negative, or neither `flip` nor `shift` adds a
            view.

    Examples:
        >>> from fmnist_course.models import build_model
        >>> model = build_model("dense", hidden_units=(16,))
        >>> averaged = with_test_time_augmentation(model)
        >>> averaged.name, averaged.count_params() == model.count_params()
        ('dense_augmented', True)
        >>> len(averaged.get_layer("average").input)
        10

    """
    if shift < 0 or (not flip and not shift):
        raise UserError(
            "Expected flip=True or shift >= 1, and shift >= 0. "
            f"Received: flip={flip}, shift={shift}"
        )
    inputs = keras.Input(shape=model.input_shape[1:], name="image")
    views = {"image": inputs}
    if shift:
        moves = {"up": (-shift, 0), "down": (shift, 0)}
        moves |= {"left": (0, -shift), "right": (0, shift)}
        for direction, (down, right) in moves.items():
            view = f"shift_{direction}"
            views[view] = ShiftImage(down, right, name=view)(inputs)
    if flip:
        for view, images in list(views.items()):
            mirror = "mirror" if view == "image" else f"mirror_{view}"
            views[mirror] = MirrorImage(name=mirror)(images)
    outputs = keras.layers.Average(name="average")([model(x) for x in views.values()])
    return keras.Model(inputs, outputs, name=name or f"{model.name}_augmented")


def with_flip_averaging(model: keras.Model) -> keras.Model:
    """Wrap a trained model so it averages its predictions on an image and its mirror.

    The simplest test-time augmentation: a mirrored garment is still the same
    garment, so the model sees each image twice, as it is and flipped left to
    right, and the two probability vectors are averaged. The trained model is
    called twice as one shared sub-model, so the wrapper adds no weights; it
    costs a second forward pass per image. This is
    `with_test_time_augmentation(model, flip=True, shift=0)`.

    Args:
        model: A model that takes images of shape `(28, 28)` or `(28, 28, 1)`
            and outputs class probabilities.

    Returns:
        An uncompiled `keras.Model` named `"<name>_flip_averaged"`.

    Examples:
        >>> from fmnist_course.models import build_model
        >>> model = build_model("dense", hidden_units=(16,))
        >>> averaged = with_flip_averaging(model)
        >>> averaged.name, averaged.count_params() == model.count_params()
        ('dense_flip_averaged', True)

    """
    return with_test_time_augmentation(
        model, flip=True, shift=0, name=f"{model.name}_flip_averaged"
    )
