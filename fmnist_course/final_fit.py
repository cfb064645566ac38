"""The final fit: once validation has chosen a recipe, train it on every image.

Validation exists to choose: which recipe, which settings, how many epochs.
Once the choice is made, the 6,000 validation images have nothing left to
decide, and a model that learns from them too sees 60,000 training images
instead of 54,000. Chollet's *Deep Learning with Python* (second edition,
chapter 6, "The universal workflow of machine learning") ends its tuning the
same way: train the final model on all the available data, training and
validation, then evaluate it once on the test set.

A recipe asks for this with `Recipe.final_fit`. Nothing is chosen after
it: the epochs, the schedule and the weight averaging are the recipe's, so
no validation score is needed during training, and none is reported (the
validation images are training images now). The decision to fit `best` this
way was committed on 2026-12-06 at 20:48 UTC, before its first final fit
trained and so before any final fit's test score was read; the course ships
the final fit whatever that score. (The same recipe on 54,000 images had
been scored on test before, by the confirmation and the ladder; the final
fit changes no setting those reads could have tuned.)

`fit_recipe` and `train_recipe` (`fmnist_course.training`) train on the data
they are given: `data_for_recipe` is what the ladder and `fmnist-course
train` give them, and a caller of its own should do the same.

Examples:
    >>> import numpy as np
    >>> from fmnist_course.data import FashionMNIST
    >>> split = FashionMNIST(
    ...     x_train=np.zeros((9, 28, 28)), y_train=np.zeros(9, int),
    ...     x_test=np.zeros((2, 28, 28)), y_test=np.zeros(2, int),
    ...     x_val=np.ones((1, 28, 28)), y_val=np.ones(1, int))
    >>> merged = with_validation_in_training(split)
    >>> len(merged.x_train), merged.validation_data is None
    (10, True)

"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fmnist_course.data import FashionMNIST
from fmnist_course.recipes import Recipe


def with_validation_in_training(data: FashionMNIST) -> FashionMNIST:
    """The same data with its validation images moved into the training set.

    The validation images follow the training images, in their order; the
    test set is untouched. Data without a validation set is returned as it is.

    Args:
        data: A `FashionMNIST`, say from `fmnist_course.load_course_split`.

    Returns:
        A `FashionMNIST` without a validation set.

    Examples:
        >>> import numpy as np
        >>> from fmnist_course.data import FashionMNIST
        >>> plain = FashionMNIST(x_train=np.zeros((3, 28, 28)),
        ...     y_train=np.zeros(3, int), x_test=np.zeros((1, 28, 28)),
        ...     y_test=np.zeros(1, int))
        >>> with_validation_in_training(plain) is plain
        True

    """
    if data.x_val is None:
        return data
    return replace(
        data,
        x_train=np.concatenate([data.x_train, data.x_val]),
        y_train=np.concatenate([data.y_train, data.y_val]),
        x_val=None,
        y_val=None,
    )


def data_for_recipe(recipe: Recipe, data: FashionMNIST) -> FashionMNIST:
    """The data a recipe trains on: its validation images too for a final fit.

    Args:
        recipe: The recipe to train.
        data: The course's split (`fmnist_course.load_course_split`).

    Returns:
        `data` itself, or, when `recipe.final_fit`, the data with its
        validation images in the training set (`with_validation_in_training`).

    Examples:
        >>> from fmnist_course.recipes import RECIPES
        >>> RECIPES["best"].final_fit, RECIPES["best_40"].final_fit
        (True, False)

    """
    return with_validation_in_training(data) if recipe.final_fit else data
