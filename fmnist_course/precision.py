"""Train in bfloat16 where the machine suits it, decided once and applied in one place.

Keras's `mixed_bfloat16` policy keeps the weights in float32 and computes
each layer in bfloat16, which a CPU with `avx512_bf16` or AMX does natively.
A layer takes the global policy when it is built, so the policy must be set
before the model is built; `training_precision` sets it for the length of a
`with` block and restores the one before. `fmnist_course.training.fit_recipe`
is the one place that uses it, around building and fitting a recipe's model.
The course's models end in a float32 softmax whatever the policy
(`fmnist_course.models`), so probabilities and the loss stay float32.

The decision itself is `fmnist_course.machine.use_bfloat16`: `FMNIST_BF16=1`
or `0` chooses; otherwise bfloat16 is on where the CPU has the instructions
(`settings.BF16_BY_DEFAULT`, on since the ladder was recorded in bfloat16
with no loss).

Examples:
    >>> import keras
    >>> with dtype_policy("mixed_bfloat16"):
    ...     keras.mixed_precision.global_policy().name
    'mixed_bfloat16'
    >>> keras.mixed_precision.global_policy().name
    'float32'

"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras

from fmnist_course.machine import training_dtype_policy


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[str]:
    """Set Keras's global dtype policy inside a `with` block, then restore it.

    Args:
        name: A Keras dtype policy, e.g. `"float32"` or `"mixed_bfloat16"`.

    Yields:
        The policy's name.

    Raises:
        ValueError: Keras does not know the policy.

    Examples:
        >>> with dtype_policy("float32") as name:
        ...     name
        'float32'

    """
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield name
    finally:
        keras.mixed_precision.set_global_policy(previous)


def training_precision() -> contextlib.AbstractContextManager[str]:
    """The dtype policy the course trains in on this machine, for a `with` block.

    Build and fit the model inside the block: `mixed_bfloat16` where
    `machine.use_bfloat16` says so (a CPU with bfloat16 instructions, unless
    `FMNIST_BF16=0`), else `float32`.

    Examples:
        >>> import os
        >>> saved = os.environ.get("FMNIST_BF16")
        >>> os.environ["FMNIST_BF16"] = "0"
        >>> with training_precision() as name:
        ...     name
        'float32'
        >>> if saved is None:
        ...     del os.environ["FMNIST_BF16"]
        ... else:
        ...     os.environ["FMNIST_BF16"] = saved

    """
    return dtype_policy(training_dtype_policy())
