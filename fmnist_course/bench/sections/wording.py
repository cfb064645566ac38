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

from fmnist_course.results_tables import (  # the library's, shared with lessons
    and_list,
    counted,
    machine_line,
    named_list,
)

__all__ = [
    "and_list",
    "counted",
    "cpu_time_note",
    "format_measured",
    "machine_line",
    "named_list",
    "optional",
    "spread",
]


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
        "CPU-minutes": f"{measured:.1f} CPU-min",
        "share agreeing": f"{measured:.0%} agree",
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
