"""TensorFlow's start-up chatter stays out of the output."""

import subprocess
import sys


def test_importing_keras_quietly_prints_nothing_and_later_errors_still_show():
    code = (
        "from fmnist_course.quiet import import_keras_quietly\n"
        "keras = import_keras_quietly()\n"
        "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        "model.compile('adam', 'mse')\n"
        "import sys; print('after', file=sys.stderr)\n"
    )
    loud = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tensorflow as tf; tf.config.list_physical_devices()",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    quiet = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    # Without muting, this machine's TensorFlow prints its start-up lines.
    assert "cuda" in loud.stderr.lower() or "onednn" in loud.stderr.lower()
    assert quiet.stderr == "after\n", quiet.stderr
    assert quiet.stdout == ""
