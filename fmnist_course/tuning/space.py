"""Search spaces: which keys a space may hold, their values, and its configurations.

A search space is a mapping from the keyword arguments of a model builder (and
a few training options) to lists of candidate values:

    {"model": "dense", "learning_rate": [3e-4, 1e-3], "dropout": [0.0, 0.2]}

Keys other than `"model"` are either arguments of that model's builder
(checked against its signature with `inspect`) or one of `TRAINING_OPTIONS`.
A configuration is one choice of value per key, such as
`{"learning_rate": 3e-4, "dropout": 0.0}`.

Examples:
    >>> grid_configs({"model": "dense", "dropout": [0.0, 0.2]})
    [{'dropout': 0.0}, {'dropout': 0.2}]

"""

from __future__ import annotations

import inspect
import itertools
import random
from collections.abc import Mapping
from typing import Any

import numpy as np

from fmnist_course.errors import UserError
from fmnist_course.models import MODEL_BUILDERS, build_model
from fmnist_course.settings import SCHEDULES
from fmnist_course.training import train_model

SEARCHABLE_TRAINING_OPTIONS = ("learning_rate", "batch_size", "schedule")
"""The arguments of `train_model` a search space may search over."""

TRAINING_OPTIONS: dict[str, Any] = {
    name: inspect.signature(train_model).parameters[name].default
    for name in SEARCHABLE_TRAINING_OPTIONS
}
"""Training options a space may search over, with the values used otherwise.

The values are read from `train_model`'s own defaults, so they are never
written twice: `{'learning_rate': 0.001, 'batch_size': 128, 'schedule':
'constant'}` today."""


def builder_defaults(model: str) -> dict[str, Any]:
    """Every keyword argument of a model's builder, with its default value.

    Raises:
        ValueError: `model` is not a key of `MODEL_BUILDERS`.

    Examples:
        >>> builder_defaults("dense")
        {'hidden_units': (256, 128), 'dropout': 0.0, 'rescale': False}

    """
    if model not in MODEL_BUILDERS:
        raise UserError(
            f"Expected 'model' to be one of: {', '.join(sorted(MODEL_BUILDERS))}. "
            f"Received: model={model!r}"
        )
    signature = inspect.signature(MODEL_BUILDERS[model])
    return {name: parameter.default for name, parameter in signature.parameters.items()}


def validate_space(space: Mapping[str, Any]) -> dict[str, Any]:
    """Check a search space and return it with every value in canonical form.

    Sequence-valued builder arguments (such as `hidden_units`) become tuples.

    Args:
        space: `{"model": NAME, KEY: [candidates], ...}`.

    Returns:
        A new dict: `"model"` first, then the keys in sorted order.

    Raises:
        ValueError: The message names the bad key or value and what was expected.

    Examples:
        >>> validate_space({"model": "dense", "hidden_units": [[64], [128, 64]]})
        {'model': 'dense', 'hidden_units': [(64,), (128, 64)]}

    """
    if not isinstance(space, Mapping):
        raise UserError(
            f"Expected a search space mapping names to lists. Received: {space!r}"
        )
    model = space.get("model")
    defaults = builder_defaults(model)
    checked: dict[str, Any] = {"model": model}
    for key in sorted(set(space) - {"model"}):
        if key not in defaults and key not in TRAINING_OPTIONS:
            raise UserError(
                f"Unknown key in the search space: {key!r}. Expected arguments of "
                f"the {model!r} builder ({', '.join(defaults)}) or training "
                f"options ({', '.join(TRAINING_OPTIONS)})."
            )
        values = space[key]
        if not isinstance(values, list | tuple) or not values:
            raise UserError(
                f"Expected a non-empty list of candidate values for {key!r}. "
                f"Received: {key}={values!r} (write [{values!r}] for a fixed value)."
            )
        default = TRAINING_OPTIONS.get(key, defaults.get(key))
        checked[key] = [_check_value(model, key, value, default) for value in values]
        if len(set(checked[key])) != len(checked[key]):
            raise UserError(f"Duplicate candidate values for {key!r}: {values!r}")
    return checked


def _check_value(model: str, key: str, value: Any, default: Any) -> Any:
    """One candidate value, checked against the type of its default."""

    def bad(expected: str) -> ValueError:
        return ValueError(f"Invalid value for {key!r}: {value!r}. Expected {expected}.")

    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if key == "learning_rate" and not (is_number and value > 0):
        raise bad("a positive number")
    if key == "batch_size" and not (isinstance(value, int) and value >= 1):
        raise bad("an integer >= 1")
    if key == "schedule" and value not in SCHEDULES:
        raise bad(f"one of {SCHEDULES}")
    if key in TRAINING_OPTIONS:
        return value
    if isinstance(default, tuple | list):
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, int) and not isinstance(item, bool) and item > 0
            for item in value
        ):
            raise bad("a list of positive integers, such as [128, 64]")
        value = tuple(value)
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
    elif isinstance(default, int | float) and not is_number:
        raise bad("a number")
    try:  # the builder knows the allowed range (say, dropout in [0, 1))
        build_model(model, **{key: value})
    except ValueError as error:
        raise bad(f"a value the {model!r} builder accepts ({error})") from None
    return value


def grid_configs(space: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the candidate values, in a fixed order.

    Examples:
        >>> grid_configs({"model": "cnn", "dropout": [0.0, 0.5], "l2": [1e-4]})
        [{'dropout': 0.0, 'l2': 0.0001}, {'dropout': 0.5, 'l2': 0.0001}]

    """
    space = validate_space(space)
    keys = [key for key in space if key != "model"]
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(space[key] for key in keys))
    ]


def random_configs(
    space: Mapping[str, Any], num_trials: int, seed: int = 0
) -> list[dict[str, Any]]:
    """`num_trials` distinct configurations, each value drawn independently.

    Stops early when the space holds fewer than `num_trials` configurations.

    Raises:
        ValueError: `num_trials` is below 1, or the space is invalid.

    Examples:
        >>> len(random_configs({"model": "dense", "dropout": [0.0, 0.5]}, 5))
        2

    """
    space = validate_space(space)
    if num_trials < 1:
        raise UserError(f"Expected num_trials >= 1. Received: num_trials={num_trials}")
    keys = [key for key in space if key != "model"]
    num_configs = int(np.prod([len(space[key]) for key in keys]))
    rng = random.Random(seed)
    configs: list[dict[str, Any]] = []
    while len(configs) < min(num_trials, num_configs):
        config = {key: rng.choice(space[key]) for key in keys}
        if config not in configs:
            configs.append(config)
    return configs
