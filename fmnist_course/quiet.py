"""Import TensorFlow and Keras without their start-up chatter.

On import, TensorFlow's C++ runtime writes lines such as `oneDNN custom
operations are on`, `Could not find cuda drivers` and `failed call to cuInit`
straight to the process's standard error, before its own logging is set up,
so `TF_CPP_MIN_LOG_LEVEL` does not silence them. `import_keras_quietly` sends
file descriptor 2 to `/dev/null` while TensorFlow loads and looks for devices,
then puts it back: the lessons, the notebooks and the command line show none
of it, and every later warning or error still shows.

Examples:
    >>> keras = import_keras_quietly()
    >>> keras.__name__
    'keras'

"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType

from fmnist_course.settings import quiet_tensorflow_logs


@contextlib.contextmanager
def _standard_error_muted() -> Iterator[None]:
    """File descriptor 2 goes to `/dev/null` inside the block."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to mute (some embedded setups)
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def import_keras_quietly() -> ModuleType:
    """Import TensorFlow and Keras, and find the devices, with stderr muted.

    Importing again is free: Python keeps the modules, and nothing is muted
    once TensorFlow is loaded.

    Returns:
        The `keras` module.

    """
    if "tensorflow" not in sys.modules:
        quiet_tensorflow_logs()
        with _standard_error_muted():
            import tensorflow

            tensorflow.config.list_physical_devices()  # cuInit happens here
    import keras

    return keras
