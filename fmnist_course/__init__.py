"""fmnist-course: learn to build, understand and beat the Fashion-MNIST challenge CNN.

The library behind the lessons: verified data loading, model builders written
with the Keras functional API, the course's training path, plots, and the
command line `fmnist-course`.

`import fmnist_course` is light: it imports no TensorFlow, Keras or NumPy. Each
public name is imported from its module the first time it is used (PEP 562),
as `_LAZY_NAMES` lists, so `fmnist-course --help` and the version string stay
quick while `fmnist_course.load_fashion_mnist` works as usual.

Examples:
    >>> import fmnist_course as fmc
    >>> data = fmc.load_course_split()
    >>> model = fmc.build_model("dense")
    >>> "load_fashion_mnist" in dir(fmc)
    True

"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fmnist_course._version import __version__
from fmnist_course.settings import quiet_tensorflow_logs

quiet_tensorflow_logs()  # before anything imports TensorFlow

_LAZY_NAMES: dict[str, str] = {
    "CLASS_NAMES": "fmnist_course.data",
    "DataError": "fmnist_course.data",
    "FashionMNIST": "fmnist_course.data",
    "load_fashion_mnist": "fmnist_course.data",
    "images_dataframe": "fmnist_course.explore",
    "epochs_for": "fmnist_course.fast_mode",
    "is_fast_mode": "fmnist_course.fast_mode",
    "load_course_data": "fmnist_course.fast_mode",
    "load_course_split": "fmnist_course.fast_mode",
    "load_csv": "fmnist_course.kaggle_csv",
    "MODEL_BUILDERS": "fmnist_course.models",
    "build_model": "fmnist_course.models",
    "with_flip_averaging": "fmnist_course.view_averaging",
    "with_test_time_augmentation": "fmnist_course.view_averaging",
    "load_model": "fmnist_course.runs",
    "RECIPES": "fmnist_course.recipes",
    "evaluate_model": "fmnist_course.training",
    "train_model": "fmnist_course.training",
    "train_recipe": "fmnist_course.training",
    "LIVE_EPOCHS": "fmnist_course.trained_models",
    "load_shipped": "fmnist_course.trained_models",
    "retrain_requested": "fmnist_course.settings",
    "UserError": "fmnist_course.errors",
}
"""Each public name and the module that defines it, imported on first use."""

if TYPE_CHECKING:  # for type checkers and editors; never run
    from fmnist_course.data import (
        CLASS_NAMES,
        DataError,
        FashionMNIST,
        load_fashion_mnist,
    )
    from fmnist_course.errors import UserError
    from fmnist_course.explore import images_dataframe
    from fmnist_course.fast_mode import (
        epochs_for,
        is_fast_mode,
        load_course_data,
        load_course_split,
    )
    from fmnist_course.kaggle_csv import load_csv
    from fmnist_course.models import MODEL_BUILDERS, build_model
    from fmnist_course.recipes import RECIPES
    from fmnist_course.runs import load_model
    from fmnist_course.settings import retrain_requested
    from fmnist_course.trained_models import LIVE_EPOCHS, load_shipped
    from fmnist_course.training import evaluate_model, train_model, train_recipe
    from fmnist_course.view_averaging import (
        with_flip_averaging,
        with_test_time_augmentation,
    )

__all__ = [
    "CLASS_NAMES",
    "LIVE_EPOCHS",
    "MODEL_BUILDERS",
    "RECIPES",
    "build_model",
    "epochs_for",
    "load_course_data",
    "load_course_split",
    "evaluate_model",
    "load_model",
    "load_shipped",
    "retrain_requested",
    "train_model",
    "train_recipe",
    "with_flip_averaging",
    "with_test_time_augmentation",
    "DataError",
    "FashionMNIST",
    "UserError",
    "images_dataframe",
    "is_fast_mode",
    "load_csv",
    "load_fashion_mnist",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is used."""
    module_name = _LAZY_NAMES.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    """The module's attributes, the not yet imported public names included."""
    return sorted(set(globals()) | set(__all__))
