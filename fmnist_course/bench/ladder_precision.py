"""The precision a ladder run trains in, and where its rows go.

The float32 ladder (section `ladder` of the record) is what lessons, shipped
models and the tables read. A ladder run in bfloat16 (Keras's
`mixed_bfloat16`) records its rows into a section of their own,
`fmnist_course.bf16_tables.BF16_SECTION`, and saves no model: a model built
under `mixed_bfloat16` is saved with that policy in its layers, and its
fingerprint would not tell it from a float32 one, so it must never become a
shipped model. `fmnist_course.bf16_tables.bf16_comparison` then sets the
two ladders side by side.

Each run's process is told its precision through `FMNIST_BF16`
(`precision_env`), the one switch `fmnist_course.machine.use_bfloat16`
reads, and the row records the policy its model was built in, so a row can
only land in the section of the precision it trained in.

Examples:
    >>> resolve_precision("bfloat16"), ladder_section("mixed_bfloat16")
    ('mixed_bfloat16', 'ladder_bf16')
    >>> precision_env("float32")
    {'FMNIST_BF16': '0'}

"""

from __future__ import annotations

import os
from collections.abc import Mapping

from fmnist_course.bf16_tables import BF16_SECTION, FLOAT32_SECTION
from fmnist_course.errors import UserError
from fmnist_course.machine import (
    BF16_FLAGS,
    BF16_POLICY,
    FLOAT32_POLICY,
    has_bf16_instructions,
    read_cpuinfo,
    training_dtype_policy,
)
from fmnist_course.settings import BF16_ENV

PRECISIONS = {"float32": FLOAT32_POLICY, "bfloat16": BF16_POLICY}
"""The `--precision` choices, each with the Keras dtype policy it trains in."""
SECTIONS = {FLOAT32_POLICY: FLOAT32_SECTION, BF16_POLICY: BF16_SECTION}
"""The record's section of each policy's ladder rows."""


def resolve_precision(
    requested: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The Keras dtype policy a ladder run trains in.

    Args:
        requested: `"float32"` or `"bfloat16"` (a policy name is accepted
            too); `None`: the course's own decision on this machine
            (`machine.training_dtype_policy`, which reads `FMNIST_BF16`).
        environ: Where `FMNIST_BF16` is read when `requested` is `None`.

    Raises:
        UserError: An unknown precision.

    Examples:
        >>> resolve_precision("float32")
        'float32'
        >>> resolve_precision(None, environ={"FMNIST_BF16": "1"})
        'mixed_bfloat16'
        >>> resolve_precision("float16")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Expected --precision float32 or bfloat16. ...

    """
    if requested is None:
        return training_dtype_policy(environ=environ)
    if requested in PRECISIONS.values():
        return requested
    if requested not in PRECISIONS:
        raise UserError(
            f"Expected --precision {' or '.join(PRECISIONS)}. Received: {requested!r}."
        )
    return PRECISIONS[requested]


def check_precision(policy: str, flags: str | None = None) -> None:
    """Refuse a bfloat16 ladder on a CPU without native bfloat16 instructions.

    Without them every bfloat16 operation is emulated (0.19x the images per
    CPU-second), so its times would not answer whether bfloat16 pays.

    Args:
        policy: What `resolve_precision` returned.
        flags: The CPU's feature flags; read from `/proc/cpuinfo` when `None`.

    Raises:
        UserError: bfloat16 asked for on a CPU without the instructions.

    Examples:
        >>> check_precision("float32", flags="avx2")
        >>> check_precision("mixed_bfloat16", flags="avx512f avx512_bf16")
        >>> check_precision("mixed_bfloat16", flags="avx2 fma")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Expected a CPU with avx512_bf16 or ...

    """
    if policy != BF16_POLICY:
        return
    cpuinfo = read_cpuinfo() if flags is None else {"flags": flags}
    flags = cpuinfo.get("flags", "")
    if has_bf16_instructions(flags):
        return
    cpu = cpuinfo.get("model name", "this CPU")
    raise UserError(
        f"Expected a CPU with {' or '.join(BF16_FLAGS)} for a bfloat16 ladder "
        f"(--precision bfloat16 or {BF16_ENV}=1). Received: {cpu}, whose flags "
        "list neither, so every bfloat16 operation would be emulated and its "
        "times would not tell whether bfloat16 pays. Run it on a host whose "
        "/proc/cpuinfo flags list one of them, or record the float32 ladder "
        f"here (--precision float32, with {BF16_ENV} unset)."
    )


def check_no_models(policy: str, models_dir: str | os.PathLike | None) -> None:
    """Refuse to save models from a bfloat16 ladder run.

    Raises:
        UserError: `models_dir` is given for a bfloat16 run.

    Examples:
        >>> check_no_models("mixed_bfloat16", None)
        >>> check_no_models("mixed_bfloat16", "models")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Refusing to save models from a bfloat16 ...

    """
    if policy == BF16_POLICY and models_dir is not None:
        raise UserError(
            f"Refusing to save models from a bfloat16 ladder run into {models_dir}: "
            "they would keep mixed_bfloat16 in their layers, and the shipped "
            "models are float32. Expected no --models-dir with --precision "
            "bfloat16 (its rows are recorded, no model is saved)."
        )


def precision_env(policy: str) -> dict[str, str]:
    """The environment that makes a run's process train in `policy`.

    Examples:
        >>> precision_env("mixed_bfloat16")
        {'FMNIST_BF16': '1'}

    """
    return {BF16_ENV: "1" if policy == BF16_POLICY else "0"}


def ladder_section(policy: str) -> str:
    """The record's section for ladder rows trained in `policy`.

    Raises:
        UserError: A policy the ladder does not record.

    Examples:
        >>> ladder_section("float32")
        'ladder'

    """
    if policy not in SECTIONS:
        raise UserError(
            f"Expected a ladder precision among {', '.join(SECTIONS)}. "
            f"Received: {policy!r}."
        )
    return SECTIONS[policy]
