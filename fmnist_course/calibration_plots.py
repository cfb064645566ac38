"""The reliability diagram: how far a model's confidence can be trusted.

`plot_reliability` draws one or more reliability tables
(`fmnist_course.calibration.reliability_table`): each bin's mean confidence
against its accuracy above, the diagonal where the two agree, and the
number of images in each bin below, on a log scale, since a good model puts
most images in its last bin. Each table has its own colour, marker, line
style and hatch, so the curves stay apart in grey print and for readers who
do not tell colours apart.

Examples:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from fmnist_course.calibration import reliability_table
    >>> table = reliability_table([[0.9, 0.1], [0.6, 0.4]], [0, 1], bins=5)
    >>> figure = plot_reliability({"model": table})
    >>> [axes.get_ylabel() for axes in figure.axes]
    ['accuracy', 'images']

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fmnist_course.calibration import table_calibration_error

STYLES = (
    {"color": "#0072B2", "marker": "o", "linestyle": "-", "hatch": ""},
    {"color": "#D55E00", "marker": "s", "linestyle": "--", "hatch": "//"},
    {"color": "#009E73", "marker": "^", "linestyle": ":", "hatch": ".."},
    {"color": "#CC79A7", "marker": "D", "linestyle": "-.", "hatch": "xx"},
)
"""One look per table: Okabe and Ito's colour-blind-safe colours, each with
its own marker, line style and bar hatch, so colour is never the only cue."""

TABLE_COLUMNS = ("low", "high", "images", "confidence", "accuracy")


def _as_table(table, name: str) -> pd.DataFrame:
    """A reliability table as a DataFrame of floats, or a `ValueError`."""
    frame = pd.DataFrame(table)
    missing = [column for column in TABLE_COLUMNS if column not in frame.columns]
    if frame.empty or missing:
        raise ValueError(
            f"Expected tables[{name!r}] to be a reliability_table, with columns "
            f"{', '.join(TABLE_COLUMNS)}. Received columns: "
            f"{', '.join(map(str, frame.columns)) or 'none'}"
        )
    return frame[list(TABLE_COLUMNS)].astype(float)


def plot_reliability(
    tables: Mapping[str, pd.DataFrame | Sequence[Mapping]] | pd.DataFrame,
    *,
    title: str | None = "Reliability diagram",
) -> Figure:
    """Draw reliability tables: confidence against accuracy, and images per bin.

    Args:
        tables: Name -> reliability table (a `reliability_table` DataFrame, or
            its rows as recorded in `results.json`), at most four; or one
            table, drawn as "model".
        title: Figure title (`None`: none).

    Returns:
        The Figure: above, one line per table from bin to bin (empty bins
        skipped) and the dashed diagonal "perfectly calibrated"; below, the
        images per bin as bars on a log scale. Each table's legend entry
        gives its expected calibration error.

    Raises:
        ValueError: No tables, more than `len(STYLES)`, or one that lacks a
            column of a reliability table.

    Examples:
        >>> tables = {"model alone": alone, "ten views": averaged}  # doctest: +SKIP
        >>> figure = plot_reliability(tables)  # doctest: +SKIP

    """
    if isinstance(tables, pd.DataFrame):
        tables = {"model": tables}
    if not tables or len(tables) > len(STYLES):
        raise ValueError(
            f"Expected 1 to {len(STYLES)} reliability tables. Received: {len(tables)}"
        )
    frames = {name: _as_table(table, name) for name, table in tables.items()}
    figure, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(5.5, 6.5),
        sharex=True,
        gridspec_kw={"height_ratios": (3, 1.3)},
    )
    top.plot([0, 1], [0, 1], color="0.4", linestyle=(0, (4, 3)), linewidth=1,
             label="perfectly calibrated")  # fmt: skip
    width = 1.0
    for index, (name, frame) in enumerate(frames.items()):
        style = STYLES[index]
        filled = frame[frame["images"] > 0]
        ece = table_calibration_error(filled) if len(filled) else float("nan")
        top.plot(
            filled["confidence"],
            filled["accuracy"],
            color=style["color"],
            marker=style["marker"],
            linestyle=style["linestyle"],
            markersize=6,
            label=f"{name} (ECE {ece:.3f})",
        )
        width = (frame["high"] - frame["low"]).min() / (len(frames) + 0.5)
        centres = frame["low"] + width * (index + 0.75)
        bottom.bar(
            centres,
            frame["images"].where(frame["images"] > 0, np.nan),
            width=width,
            color=style["color"],
            edgecolor="black",
            linewidth=0.5,
            hatch=style["hatch"],
            label=name,
        )
    top.set_xlim(0, 1)
    top.set_ylim(0, 1.02)
    top.set_aspect("auto")
    top.set_ylabel("accuracy")
    top.grid(alpha=0.3)
    top.legend(loc="upper left", fontsize=8)
    if title:
        top.set_title(title)
    bottom.set_yscale("log")
    bottom.set_ylabel("images")
    bottom.set_xlabel("confidence (the largest predicted probability)")
    bottom.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    return figure
