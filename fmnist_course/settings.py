"""The course's shared settings: each one defined here once, and imported elsewhere.

This module imports nothing but the standard library, so any part of the
package (the command line's `--help`, the website build, the lesson runner)
can read a setting without importing TensorFlow.

Examples:
    >>> VALIDATION_SPLIT
    0.1
    >>> import os
    >>> os.environ[FAST_ENV] = "1"
    >>> is_fast_mode()
    True
    >>> del os.environ[FAST_ENV]

"""

from __future__ import annotations

import os

VALIDATION_SPLIT = 0.1
"""Share of the 60,000 training images held out for validation, everywhere.

The lessons, `fmnist-course train` and `tune`, and every benchmark hold out the
same seeded, stratified 10%, so "the ladder trains exactly what the lesson
trains" holds by construction.
"""

BATCH_SIZE = 128
"""Images per gradient step, unless a recipe or a caller says otherwise."""

LEARNING_RATE = 1e-3
"""Adam's (initial) learning rate, unless a recipe or a caller says otherwise."""

SCHEDULE = "constant"
"""The learning-rate schedule, unless a recipe or a caller says otherwise."""

SCHEDULES = ("constant", "cosine")
"""The learning-rate schedules `compile_model` knows."""

FAST_ENV = "FMNIST_FAST"
"""The one fast-mode switch: any value but "" or "0" turns it on.

Lessons, the website build (`mkdocs build` and `fmnist-course site build
--fast`), `fmnist-course train --fast` and grading all read this variable.
"""

RETRAIN_ENV = "FMNIST_RETRAIN"
"""The one retrain switch: any value but "" or "0" turns it on.

A lesson whose full training takes long loads the model the course ships
(`fmnist_course.trained_models`) and shows its recorded history; with this
switch on (or its line in the lesson) it trains the full recipe itself
instead. The site build sets it to rebuild the course from scratch.
"""

FAST_TRAIN_SIZE = 3000
"""Training images kept in fast mode (a seeded, stratified subset)."""

FAST_TEST_SIZE = 1000
"""Test images kept in fast mode (a seeded, stratified subset)."""

FAST_EPOCHS = 1
"""Epochs a recipe trains in fast mode, unless a lesson asks for another number."""


TF_LOG_ENV = "TF_CPP_MIN_LOG_LEVEL"
"""The variable TensorFlow reads, once, for how much C++ start-up logging to print."""

TF_LOG_LEVEL = "3"
"""Its value everywhere the course runs TensorFlow: errors only."""

QUIET_TF_LOGS = {TF_LOG_ENV: TF_LOG_LEVEL}
"""The environment that silences TensorFlow's C++ start-up logging. It works
only before TensorFlow is first imported: in this process
(`quiet_tensorflow_logs`) or in a child process's environment."""


THREAD_ENV = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
"""The variables that cap the threads of a process's TensorFlow and oneDNN.

Read once, when TensorFlow starts, so they are set in a child process's
environment: a local worker of `fmnist_course.parallel` or a lesson's kernel
in `fmnist-course site build`, each with its share of the cores.
"""


def thread_environment(threads: int) -> dict[str, str]:
    """The environment that caps a child process at `threads` threads.

    Args:
        threads: Threads for TensorFlow's operations and for oneDNN, at least 1.

    Raises:
        ValueError: `threads` is below 1.

    Examples:
        >>> thread_environment(1)["TF_NUM_INTRAOP_THREADS"]
        '1'

    """
    if threads < 1:
        raise ValueError(f"Expected at least 1 thread. Received: threads={threads}")
    return {name: str(threads) for name in THREAD_ENV}


BF16_ENV = "FMNIST_BF16"
"""The bfloat16 switch for training: "1" on, "0" off, unset (or "auto") decides.

`fmnist_course.machine.use_bfloat16` reads it; see there for what "auto"
does on each machine.
"""

BF16_BY_DEFAULT = True
"""Whether "auto" trains in `mixed_bfloat16` where the CPU suits it.

On since the ladder was recorded in bfloat16 on such a host, 3 seeds per
recipe: no recipe's mean validation accuracy fell by more than the course's
threshold of seed spreads (`bf16_tables.bf16_comparison`; a test holds this
setting to that verdict). The shipped models stay float32: the ladder that
trains them, and every benchmark, runs with `FMNIST_BF16=0` unless asked
otherwise, so that their numbers compare with the float32 record.
`FMNIST_BF16=0` turns bfloat16 off for the lessons too.
"""

PEAK_PROBE_ENV = "FMNIST_PEAK_PROBE"
"""Set to "0" to skip `fmnist_course.machine.measured_gflops_per_core` (tests)."""


def quiet_tensorflow_logs() -> None:
    """Set `QUIET_TF_LOGS` in this process's environment, unless already set.

    Examples:
        >>> quiet_tensorflow_logs()
        >>> os.environ[TF_LOG_ENV] != ""
        True

    """
    for name, value in QUIET_TF_LOGS.items():
        os.environ.setdefault(name, value)


def is_fast_mode() -> bool:
    """Whether `FMNIST_FAST` asks for a small, quick run (any value but 0).

    Examples:
        >>> import os
        >>> os.environ.pop(FAST_ENV, None) and None
        >>> is_fast_mode()
        False

    """
    return os.environ.get(FAST_ENV, "") not in ("", "0")


def retrain_requested() -> bool:
    """Whether `FMNIST_RETRAIN` asks lessons to retrain instead of loading a model.

    Examples:
        >>> import os
        >>> os.environ.pop(RETRAIN_ENV, None) and None
        >>> retrain_requested()
        False
        >>> os.environ[RETRAIN_ENV] = "1"
        >>> retrain_requested()
        True
        >>> del os.environ[RETRAIN_ENV]

    """
    return os.environ.get(RETRAIN_ENV, "") not in ("", "0")
