"""Run a benchmark module in a fresh Python process and read its JSON answer.

The ladder (one process per recipe, so each peak memory is its own) and the
speed levers (thread settings and the Keras backend are fixed at start-up) both
train in child processes that print one JSON line last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any


def run_child(
    module: str,
    name: str,
    options: Mapping[str, Any],
    *,
    what: str,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run `python -m MODULE NAME --option value ...`; return its last line as JSON.

    Args:
        module: The module to run, e.g. `"fmnist_course.bench.ladder"`.
        name: Its positional argument.
        options: Keyword options, passed as `--key-name value` (`None` skipped).
        what: How error messages name the run, e.g. `"Training 'cnn'"`.
        python: The interpreter (default: this one).
        env: Extra environment variables, on top of this process's.

    Raises:
        RuntimeError: The child process failed; its last output is shown.

    """
    command = [python or sys.executable, "-m", module, name]
    for key, value in options.items():
        if value is not None:
            command += [f"--{key.replace('_', '-')}", str(value)]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    child = subprocess.run(command, capture_output=True, text=True, env=environment)
    if child.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {child.returncode}):\n"
            + "\n".join((child.stdout + child.stderr).splitlines()[-20:])
        )
    return json.loads(child.stdout.strip().splitlines()[-1])
