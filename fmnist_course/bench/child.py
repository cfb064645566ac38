r"""Run a benchmark module in a fresh Python process and read its JSON answer.

The ladder (one process per run, so each peak memory is its own) and the
speed levers (thread settings and the Keras backend are fixed at start-up) both
train in child processes that print one JSON line last. The parent calls
`run_child`; the module's `if __name__ == "__main__"` block calls `child_main`
with the function to run, so both ends agree on one way to pass arguments:
the name, then the keyword options as one JSON object.

Examples:
    >>> import io, contextlib
    >>> out = io.StringIO()
    >>> with contextlib.redirect_stdout(out):
    ...     child_main(lambda name, size: {"name": name, "size": size},
    ...                ["cnn", '{"size": 3}'])
    >>> out.getvalue()
    '{"name": "cnn", "size": 3}\n'

"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fmnist_course.settings import QUIET_TF_LOGS


def run_child(
    module: str,
    name: str,
    options: Mapping[str, Any],
    *,
    what: str,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run `python -m MODULE NAME OPTIONS_JSON`; return its last line as JSON.

    Args:
        module: The module to run, e.g. `"fmnist_course.bench.ladder"`; its
            main block calls `child_main`.
        name: Its positional argument.
        options: Keyword options of the child's function (`None` values are
            left out, so the function's defaults apply).
        what: How error messages name the run, e.g. `"Training 'cnn'"`.
        python: The interpreter (default: this one).
        env: Extra environment variables, on top of this process's.

    Raises:
        RuntimeError: The child process failed; its last output is shown.

    """
    given = {key: value for key, value in options.items() if value is not None}
    command = [python or sys.executable, "-m", module, name, json.dumps(given)]
    environment = {**os.environ, **QUIET_TF_LOGS, **(env or {})}
    child = subprocess.run(command, capture_output=True, text=True, env=environment)
    if child.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {child.returncode}):\n"
            + "\n".join((child.stdout + child.stderr).splitlines()[-20:])
        )
    return json.loads(child.stdout.strip().splitlines()[-1])


def child_main(
    function: Callable[..., dict[str, Any]], argv: Sequence[str] | None = None
) -> None:
    """Child-process entry point: `function(NAME, **OPTIONS)`, printed as JSON.

    Args:
        function: What the child runs, e.g. `measure_recipe`.
        argv: `[NAME, OPTIONS_JSON]` as `run_child` passes them; defaults to
            `sys.argv[1:]`.

    Raises:
        ValueError: The arguments are not a name and a JSON object.

    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2:
        raise ValueError(
            f"Expected two arguments, NAME and a JSON object of options. "
            f"Received: {argv}"
        )
    name, options = argv[0], json.loads(argv[1])
    if not isinstance(options, dict):
        raise ValueError(f"Expected the options as a JSON object. Received: {argv[1]}")
    print(json.dumps(function(name, **options)))
