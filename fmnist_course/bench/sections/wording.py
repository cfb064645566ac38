"""The words the results tables share: plurals, lists, dashes and the machine line.

Every section of the results tables (`fmnist_course.bench.sections`) writes
its figures with these helpers, so "1 seed", "seeds 0, 1 and 2", a dash for a
value not recorded and the one-line description of a machine read the same
everywhere.

Examples:
    >>> counted(2, "seed"), named_list("lesson", ["04", "07"])
    ('2 seeds', 'lessons 04 and 07')

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def counted(count: Any, noun: str) -> str:
    """`count` and `noun`, with an "s" unless `count` is exactly 1.

    Examples:
        >>> counted(1, "seed"), counted(3, "seed"), counted("?", "logical core")
        ('1 seed', '3 seeds', '? logical cores')

    """
    return f"{count} {noun}{'' if count == 1 else 's'}"


def machine_line(machine: Mapping[str, Any]) -> str:
    """The CPU (with its clock and estimated peak when recorded), GPUs, versions.

    Two machines of one cloud model name can differ by a factor of four in
    speed; the clock and the peak estimate (which reflects the vector width)
    tell tables measured on different ones apart.

    Examples:
        >>> print(machine_line({"cpu_model": "AMD EPYC", "cpu_mhz": 2596.1,
        ...                      "peak_gflops_estimate": 332.3, "logical_cores": 2,
        ...                      "tensorflow": "2.21.0", "keras": "3.15.1"}))
        AMD EPYC at 2,596 MHz, 2 logical cores, estimated peak 332 GFLOP/s,
        no GPU; TensorFlow 2.21.0, Keras 3.15.1

    """
    gpus = ", ".join(machine.get("gpus") or []) or "no GPU"
    cpu = machine.get("cpu_model", "unknown CPU")
    if machine.get("cpu_mhz"):
        cpu += f" at {machine['cpu_mhz']:,.0f} MHz"
    cpu += f", {counted(machine.get('logical_cores', '?'), 'logical core')}"
    if machine.get("peak_gflops_estimate"):
        cpu += f", estimated peak {machine['peak_gflops_estimate']:,.0f} GFLOP/s"
    return (
        f"{cpu}, {gpus}; "
        f"TensorFlow {machine.get('tensorflow', '?')}, "
        f"Keras {machine.get('keras', '?')}"
    )


def and_list(items: list[Any]) -> str:
    """`a`, `a and b` or `a, b and c`."""
    words = [str(item) for item in items]
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} and {words[-1]}"


def named_list(noun: str, items: list[Any]) -> str:
    """`seed 0` or `seeds 0, 1 and 2`; `lesson 04` or `lessons 04 and 07`."""
    return f"{noun if len(items) == 1 else noun + 's'} {and_list(items)}"


def optional(value: float | None, template: str = "{:,.0f}") -> str:
    """`value` written by `template`, or a dash for a value not recorded.

    Examples:
        >>> optional(1234.5), optional(None), optional(0.98, "{:.2f}x")
        ('1,234', '\u2014', '0.98x')

    """
    return "\u2014" if value is None else template.format(value)


def spread(first: float, last: float) -> float:
    """How far apart two runs are, as a share of their mean.

    Examples:
        >>> spread(900.0, 1100.0)
        0.2

    """
    return abs(first - last) / ((first + last) / 2)


def format_measured(measured: float | None, unit: str) -> str:
    """A target's measured value in its unit, or "not measured"."""
    if measured is None:
        return "not measured"
    formats = {
        "MiB": f"{measured:,.0f} MiB",
        "accuracy": f"{measured:.2%}",
        "minutes": f"{measured:.1f} min",
    }
    return formats.get(unit, f"{measured:.2f}x")


def cpu_time_note(missing: bool) -> str:
    """What images per CPU-second mean; `missing`: some value is a dash."""
    note = (
        "Images per CPU-second (images/CPU-s) divide by the CPU time the process "
        "used, all its threads together, where images/s divide by wall time. They "
        "count the work done per image: they move far less than wall time when "
        "the host lends the process fewer cores for a while, and they do not "
        "credit a change that only keeps the cores busier."
    )
    dash = " \u2014: recorded before the benchmark read CPU time."
    return note + (dash if missing else "")
