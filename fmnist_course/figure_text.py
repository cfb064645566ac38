"""What a matplotlib figure says in words: its titles, axis labels and legends.

The course website gives every figure a lesson draws a text alternative, and
the words come from the figure itself: the suptitle, and for each panel its
title, axis labels, legend entries and whether it shows an image. They are
read when the figure is displayed, while the figure still exists.

Loaded into a kernel as an IPython extension (`%load_ext
fmnist_course.figure_text`; `fmnist_course.authoring.execute.execute_lesson` loads it
into every lesson's kernel), it records `figure_text(figure)` in the metadata
of each figure's output, under `FIGURE_TEXT_FIELD`. The site build
(`fmnist_course.website.figure_alt`) turns that record into the figure's alt
text. Nothing here changes what a lesson shows or prints.

Examples:
    >>> from matplotlib.figure import Figure
    >>> figure = Figure()
    >>> ax = figure.subplots()
    >>> _ = ax.plot([0, 1], [1, 0], label="loss")
    >>> _ = ax.set(title="Training", xlabel="epoch", ylabel="value")
    >>> _ = ax.legend()
    >>> figure_text(figure)["axes"]  # doctest: +NORMALIZE_WHITESPACE
    [{'title': 'Training', 'xlabel': 'epoch', 'ylabel': 'value',
      'legend': ['loss'], 'images': 0, 'colorbar': False}]

"""

from __future__ import annotations

from typing import Any

FIGURE_TEXT_FIELD = "fmnist_course_figure_text"
"""The output metadata key under which a figure's words are recorded."""

COLORBAR_LABEL = "<colorbar>"
"""The label matplotlib gives a colorbar's axes (`Axes.get_label()`)."""


def figure_text(figure: Any) -> dict[str, Any]:
    """The words of a matplotlib figure, panel by panel.

    Args:
        figure: A `matplotlib.figure.Figure`.

    Returns:
        `{"suptitle": str, "axes": [...]}` with, for each visible axes:
        `title` (the centre, left and right titles joined), `xlabel`,
        `ylabel`, `legend` (the entries' labels), `images` (how many images
        it shows) and `colorbar` (whether it is a colorbar).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> figure = Figure()
        >>> _ = figure.suptitle("Mean images")
        >>> figure_text(figure)
        {'suptitle': 'Mean images', 'axes': []}

    """
    return {
        "suptitle": figure.get_suptitle().strip(),
        "axes": [_axes_text(ax) for ax in figure.axes if ax.get_visible()],
    }


def _axes_text(ax: Any) -> dict[str, Any]:
    titles = (ax.get_title(loc).strip() for loc in ("left", "center", "right"))
    legend = ax.get_legend()
    entries = [] if legend is None else [text.get_text() for text in legend.get_texts()]
    return {
        "title": " ".join(title for title in titles if title),
        "xlabel": ax.get_xlabel().strip(),
        "ylabel": ax.get_ylabel().strip(),
        "legend": [entry.strip() for entry in entries if entry.strip()],
        "images": len(ax.get_images()),
        "colorbar": ax.get_label() == COLORBAR_LABEL,
    }


def _figure_metadata(figure: Any) -> tuple[dict, dict]:
    """A mime-bundle of no data: only the metadata that records the words."""
    return {}, {FIGURE_TEXT_FIELD: figure_text(figure)}


def load_ipython_extension(ipython: Any) -> None:
    """Record `figure_text` with every matplotlib figure this kernel displays.

    Registers a mime-bundle formatter for `matplotlib.figure.Figure` that adds
    metadata and no data, so the figure's PNG still comes from the inline
    backend's own formatter. matplotlib is not imported until a lesson does.
    """
    ipython.display_formatter.mimebundle_formatter.for_type_by_name(
        "matplotlib.figure", "Figure", _figure_metadata
    )
