"""fmnist-course: learn to build, understand and beat the Fashion-MNIST challenge CNN.

The library behind the lessons: verified data loading, model builders written
with the Keras functional API, the course's training path, plots, and the
command line `fmnist-course`.

Examples:
    >>> import fmnist_course as fmc
    >>> data = fmc.load_fashion_mnist(scale=True, validation_split=0.1)
    >>> model = fmc.build_model("dense")

"""

from fmnist_course.quiet import import_keras_quietly

import_keras_quietly()  # before any module below imports Keras

from fmnist_course.data import (  # noqa: E402
    CLASS_NAMES,
    DataError,
    FashionMNIST,
    load_fashion_mnist,
)
from fmnist_course.explore import images_dataframe  # noqa: E402
from fmnist_course.fast_mode import (  # noqa: E402
    epochs_for,
    is_fast_mode,
    load_course_data,
)
from fmnist_course.kaggle_csv import load_csv  # noqa: E402
from fmnist_course.models import (  # noqa: E402
    MODEL_BUILDERS,
    build_model,
    with_flip_averaging,
    with_test_time_augmentation,
)
from fmnist_course.runs import load_model  # noqa: E402
from fmnist_course.training import (  # noqa: E402
    RECIPES,
    evaluate_model,
    train_model,
    train_recipe,
)

__version__ = "0.1.0"


__all__ = [
    "CLASS_NAMES",
    "MODEL_BUILDERS",
    "RECIPES",
    "build_model",
    "epochs_for",
    "load_course_data",
    "evaluate_model",
    "load_model",
    "train_model",
    "train_recipe",
    "with_flip_averaging",
    "with_test_time_augmentation",
    "DataError",
    "FashionMNIST",
    "images_dataframe",
    "is_fast_mode",
    "load_csv",
    "load_fashion_mnist",
    "__version__",
]
