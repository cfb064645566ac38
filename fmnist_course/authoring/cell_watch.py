r"""Run notebook cells for as long as they make progress; stop a silent one.

A full-mode lesson trains for many minutes in one cell, and on a loaded
machine for much longer than usual, so no fixed time per cell fits. A training
cell prints a line per epoch, though, so a long silence is the sign of a
stuck kernel. `WatchedNotebookClient` (an `nbclient.NotebookClient`) lets a
cell run as long as it prints something at least every `silence_limit`
seconds; after a longer silence it interrupts the kernel (and stops it if the
interrupt does not end the cell) and raises `CellSilenceError`. It stops the
same way, with `CellCancelledError`, once its `cancel` event is set: the site
build sets it when another lesson running beside this one has failed, so no
kernel is left running. After the last code cell it asks the kernel for the
CPU time it used (`kernel_cpu_seconds`): with lessons running side by side,
this process's children's CPU time no longer tells them apart.

While a cell runs, `LessonProgress` reads Keras's `Epoch k/N` lines and
reports which lesson, which cell and which epoch is running, with the time
left in that training estimated from the speed measured so far.

Examples:
    >>> lines = []
    >>> times = iter([0.0, 10.0, 20.0])
    >>> progress = LessonProgress("04_x", report=lines.append, clock=lambda: next(times))
    >>> progress.cell_started(3, 30)
    >>> progress.text("Epoch 1/40\n")
    >>> progress.text("Epoch 2/40\n")
    >>> lines[-1]
    '04_x: cell 3/30, epoch 2/40, 10.0 s per epoch, about 6.5 min left in this training'

"""  # noqa: E501

from __future__ import annotations

import asyncio
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError
from nbclient.util import ensure_async

SILENCE_LIMIT = 900.0
"""Seconds a cell may run without printing before it counts as stalled.

A training cell prints a line per epoch; the slowest epoch of the course (the
`best` recipe on a loaded two-core CPU) takes well under a minute, so 15
minutes of silence is a stuck kernel, not a slow one.
"""

INTERRUPT_GRACE = 10.0
"""Seconds a stalled cell has to end after an interrupt, before a kill."""

EPOCH_LINE = re.compile(r"^Epoch (\d+)/(\d+)\s*$", re.MULTILINE)
"""The line Keras prints at the start of each epoch (any verbosity but 0)."""


CPU_EXPRESSION = "sum(__import__('os').times()[:4])"
"""Evaluated in the kernel: its CPU seconds, with those of its finished children."""
CPU_REPLY_TIMEOUT = 30.0
"""Seconds the kernel has to report its CPU time before it is left unknown."""


class CellSilenceError(CellTimeoutError):
    """A cell printed nothing for longer than the silence limit and was stopped."""


class CellCancelledError(CellTimeoutError):
    """The run was cancelled (its `cancel` event set), and its cell stopped."""


def report_to_stderr(line: str) -> None:
    """Print a progress line on standard error at once."""
    print(line, file=sys.stderr, flush=True)


class LessonProgress:
    """Follows one lesson's execution and reports its progress, epoch by epoch.

    Args:
        name: The lesson's name, the start of every line.
        report: Called with each progress line.
        clock: Seconds from a fixed point (for tests).

    """

    def __init__(
        self,
        name: str,
        report: Callable[[str], None] = report_to_stderr,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.report = report
        self.clock = clock
        self.cell = (0, 0)
        self._pending = ""
        self._epochs: list[tuple[int, float]] = []

    def cell_started(self, number: int, num_cells: int) -> None:
        """A code cell (1-based `number` of `num_cells`) starts running."""
        self.cell = (number, num_cells)
        self._pending = ""
        self._epochs = []

    def text(self, text: str) -> None:
        """Read what the running cell printed; report each new epoch."""
        lines = (self._pending + text).replace("\r", "\n")
        complete, _, self._pending = lines.rpartition("\n")
        for match in EPOCH_LINE.finditer(complete):
            self._epoch(int(match.group(1)), int(match.group(2)))

    def _epoch(self, epoch: int, num_epochs: int) -> None:
        now = self.clock()
        if self._epochs and epoch <= self._epochs[-1][0]:
            self._epochs = []  # a new training run in the same cell
        self._epochs.append((epoch, now))
        number, num_cells = self.cell
        line = f"{self.name}: cell {number}/{num_cells}, epoch {epoch}/{num_epochs}"
        (first_epoch, first_time) = self._epochs[0]
        if epoch > first_epoch:
            per_epoch = (now - first_time) / (epoch - first_epoch)
            left = per_epoch * (num_epochs - epoch + 1)
            line += (
                f", {per_epoch:.1f} s per epoch, about {left / 60:.1f} min left "
                "in this training"
            )
        self.report(line)


class WatchedNotebookClient(NotebookClient):
    """A `NotebookClient` that stops a cell after a long silence, not a fixed time.

    Args:
        notebook: The notebook to execute.
        silence_limit: Seconds a cell may go without output (`None`: no limit).
        progress: Told about each cell and everything it prints (`None`: no
            progress report).
        cancel: Once set, the running cell is stopped and no other cell runs
            (`None`: never).
        **kwargs: Passed to `NotebookClient` (`timeout` stays a hard limit per
            cell when given).

    """

    def __init__(
        self,
        notebook: Any,
        *,
        silence_limit: float | None = SILENCE_LIMIT,
        progress: LessonProgress | None = None,
        cancel: threading.Event | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(notebook, **kwargs)
        self.silence_limit = silence_limit
        self.progress = progress
        self.cancel = cancel
        self.kernel_cpu_seconds: float | None = None
        """The kernel's CPU seconds after the last code cell (`None`: unknown)."""
        self.last_output = time.monotonic()
        self._code_cells = [
            index
            for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and cell.source.strip()
        ]

    def output(self, outs, msg, display_id, cell_index):  # noqa: D102
        self.last_output = time.monotonic()
        if self.progress is not None and msg["msg_type"] == "stream":
            self.progress.text(msg["content"].get("text", ""))
        return super().output(outs, msg, display_id, cell_index)

    async def async_execute_cell(  # noqa: D102
        self, cell, cell_index, execution_count=None, store_history=True
    ):
        if self._cancelled() and cell.cell_type == "code":
            raise CellCancelledError(
                "The run was cancelled before this cell:\n" + cell.source[:1000]
            )
        self.last_output = time.monotonic()
        if self.progress is not None and cell_index in self._code_cells:
            number = self._code_cells.index(cell_index) + 1
            self.progress.cell_started(number, len(self._code_cells))
        running = asyncio.ensure_future(
            super().async_execute_cell(cell, cell_index, execution_count, store_history)
        )
        watched = self.silence_limit is not None or self.cancel is not None
        if not watched or cell.cell_type != "code":
            return await self._finish(running, cell_index)
        watch = asyncio.ensure_future(self._watch())
        done, _ = await asyncio.wait({running, watch}, return_when="FIRST_COMPLETED")
        if running in done:
            watch.cancel()
            return await self._finish(running, cell_index)
        silence = time.monotonic() - self.last_output
        await self._stop(running)
        if self._cancelled():
            raise CellCancelledError(
                "The run was cancelled, and this cell stopped:\n" + cell.source[:1000]
            )
        raise CellSilenceError(
            f"A cell printed nothing for {silence:.0f} seconds, more than the "
            f"limit of {self.silence_limit:.0f} s for a silent cell, and was "
            "stopped: the kernel looks stuck. A training cell prints a line per "
            "epoch; a cell that is meant to work silently for longer should "
            "print a line now and then.\nThe cell:\n" + cell.source[:1000]
        )

    async def _finish(self, running: asyncio.Future, cell_index: int) -> Any:
        """The cell's result; after the last code cell, read the kernel's CPU time."""
        result = await running
        if self._code_cells and cell_index == self._code_cells[-1]:
            self.kernel_cpu_seconds = await self._read_kernel_cpu()
        return result

    async def _read_kernel_cpu(self) -> float | None:
        """The kernel's CPU seconds so far (`CPU_EXPRESSION`), or `None`."""
        try:
            msg_id = await ensure_async(
                self.kc.execute(
                    "",
                    silent=True,
                    store_history=False,
                    user_expressions={"cpu": CPU_EXPRESSION},
                )
            )
            reply = await asyncio.wait_for(
                self.async_wait_for_reply(msg_id), CPU_REPLY_TIMEOUT
            )
            cpu = reply["content"]["user_expressions"]["cpu"]
            return float(cpu["data"]["text/plain"])
        except Exception:  # a number to record, never a reason to fail
            return None

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    async def _watch(self) -> None:
        """Return once the running cell has been silent too long, or on `cancel`."""
        limit = self.silence_limit
        step = 0.5 if limit is None else min(0.5, limit / 4)
        while not self._cancelled() and (
            limit is None or time.monotonic() - self.last_output <= limit
        ):
            await asyncio.sleep(step)

    async def _stop(self, running: asyncio.Future) -> None:
        """Interrupt the kernel; stop it if the cell does not end soon after."""
        await ensure_async(self.km.interrupt_kernel())
        await asyncio.wait({running}, timeout=INTERRUPT_GRACE)
        if not running.done():
            await ensure_async(self.km.shutdown_kernel(now=True))
            await asyncio.wait({running}, timeout=INTERRUPT_GRACE)
        if not running.done():
            running.cancel()
        try:
            await running
        except (Exception, asyncio.CancelledError):  # the silence is the error
            pass
