r"""Alt text for the figures of lesson pages, from the cells that drew them.

A lesson's kernel records what each figure says (its suptitle, and each
panel's title, axis labels and legend) in the output's metadata
(`fmnist_course.figure_text`). `add_alt_texts` turns that record into a
sentence or two and stores it as the output's `alt` (nbformat's convention);
a figure with no words at all takes the caption of its cell, the first
comment line. A figure with neither stops the build: its page would say
nothing to a reader who cannot see it. nbconvert, which renders the pages
for mkdocs-jupyter, does not read that `alt` and writes a placeholder that
says nothing, so `write_alt_texts` sets it in the page's `<img>` tags,
matching each image by its data.

Examples:
    >>> figure_alt_text({"suptitle": "Dense baseline", "axes": [
    ...     {"title": "loss", "xlabel": "epoch", "ylabel": "", "legend":
    ...      ["train", "validation"], "images": 0, "colorbar": False}]})
    'Dense baseline. Chart titled loss, over epoch; legend: train, validation.'
    >>> cell_caption("# Ink per class\nplt.show()")
    'Ink per class'

"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import nbformat

from fmnist_course.figure_text import FIGURE_TEXT_FIELD

IMAGE_TYPES = ("image/png", "image/jpeg")
"""The image outputs of a notebook that get an alt text."""
MAX_LISTED = 12
"""How many titles or labels a list names before saying how many more there are."""
DATA_IMAGE = re.compile(
    r'<img\b[^>]*?\ssrc="data:image/[a-z]+;base64,(?P<data>[^"]*)"[^>]*>'
)
EXISTING_ALT = re.compile(r'\salt="[^"]*"')


def _listing(items: Iterable[str], limit: int = MAX_LISTED) -> str:
    """Distinct items in order, joined; past `limit`, how many more.

    Items are joined by commas, or by semicolons when an item has a comma.

    Examples:
        >>> _listing(["a", "b", "a", "c"], limit=2)
        'a, b and 1 more'
        >>> _listing(["Sneaker, 28x28", "edges, 26x26"])
        'Sneaker, 28x28; edges, 26x26'

    """
    distinct = list(dict.fromkeys(item for item in items if item))
    separator = "; " if any("," in item for item in distinct) else ", "
    shown = separator.join(distinct[:limit])
    if len(distinct) > limit:
        shown += f" and {len(distinct) - limit} more"
    return shown


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _axes_phrase(xlabel: str, ylabel: str) -> str:
    if xlabel and ylabel:
        return f"{ylabel} against {xlabel}"
    if xlabel:
        return f"over {xlabel}"
    return ylabel


def _chart_text(panel: Mapping[str, Any], kind: str) -> str:
    phrases = [f"{kind} titled {panel['title']}" if panel["title"] else kind]
    axes = _axes_phrase(panel["xlabel"], panel["ylabel"])
    if axes:
        phrases.append(axes)
    text = ", ".join(phrases)
    if panel["legend"]:
        text += f"; legend: {_listing(panel['legend'])}"
    return _sentence(text)


def _has_words(panel: Mapping[str, Any]) -> bool:
    return bool(panel["title"] or panel["xlabel"] or panel["ylabel"] or panel["legend"])


def _images_text(panels: list[Mapping[str, Any]]) -> str:
    if len(panels) == 1 and _has_words(panels[0]):
        return _chart_text(panels[0], "Image")
    text = "An image" if len(panels) == 1 else f"{len(panels)} images"
    titles = _listing(panel["title"] for panel in panels)
    labels = _listing(
        label for panel in panels for label in (panel["ylabel"], panel["xlabel"])
    )
    if titles:
        text += f" titled {titles}"
    if labels:
        text += f"{';' if titles else ','} labelled {labels}"
    return _sentence(text)


def _scales_text(colorbars: list[Mapping[str, Any]]) -> str:
    labels = _listing(panel["ylabel"] or panel["xlabel"] for panel in colorbars)
    return f"With a colour scale of {labels}." if labels else "With a colour scale."


def figure_alt_text(record: Mapping[str, Any] | None, caption: str = "") -> str:
    """A figure's alt text from what it says, else from its cell's caption.

    Args:
        record: `fmnist_course.figure_text.figure_text` of the figure, or
            `None` when the output has none.
        caption: The cell's caption (`cell_caption`), used when the figure
            has no words.

    Returns:
        The alt text; empty when neither the figure nor the caption says
        anything.

    Examples:
        >>> figure_alt_text({"suptitle": "", "axes": [
        ...     {"title": t, "xlabel": "", "ylabel": "", "legend": [],
        ...      "images": 1, "colorbar": False} for t in ("Coat", "Bag")]})
        '2 images titled Coat, Bag.'
        >>> figure_alt_text({"suptitle": "", "axes": []}, caption="Mean images")
        'Mean images.'

    """
    parts = []
    if record:
        if record.get("suptitle"):
            parts.append(_sentence(record["suptitle"]))
        panels = record.get("axes", [])
        images = [p for p in panels if p["images"] and not p["colorbar"]]
        # Untitled images are counted only beside words that say what they are.
        if images and (parts or any(_has_words(p) for p in images)):
            parts.append(_images_text(images))
        parts += [
            _chart_text(panel, "Chart")
            for panel in panels
            if not panel["images"] and not panel["colorbar"] and _has_words(panel)
        ]
        scales = [p for p in panels if p["colorbar"]]
        if scales and parts:
            parts.append(_scales_text(scales))
    if not parts and caption:
        parts.append(_sentence(caption))
    return " ".join(parts)


def cell_caption(source: str) -> str:
    r"""The caption of a code cell: its first comment line, if it starts with one.

    Examples:
        >>> cell_caption("figure = plot(x)\n# not a caption")
        ''

    """
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#") and not stripped.startswith("# %%"):
            return stripped.lstrip("#").strip()
        return ""
    return ""


def add_alt_texts(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Give every image output an alt text, in its metadata (in place).

    Raises:
        ValueError: An image says nothing: its figure has no title, axis
            label or legend and its cell no caption.

    """
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            for mimetype in IMAGE_TYPES:
                if mimetype not in output.get("data", {}):
                    continue
                metadata = output.setdefault("metadata", {})
                alt = figure_alt_text(
                    metadata.get(FIGURE_TEXT_FIELD), cell_caption(cell.source)
                )
                if not alt:
                    raise ValueError(
                        f"Cell {index} draws a figure that says nothing: no "
                        "title, axis label or legend, and the cell has no "
                        "caption. Received a figure without words; give it a "
                        "title (`ax.set_title`, `figure.suptitle`) or start "
                        "the cell with a `# caption` comment line."
                    )
                metadata.setdefault(mimetype, {})["alt"] = alt
    return notebook


def _data_key(data: str) -> str:
    return "".join(data.split())


def alt_texts_by_image(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Each image's data (base64, without whitespace) mapped to its alt text."""
    alts = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for mimetype in IMAGE_TYPES:
                alt = output.get("metadata", {}).get(mimetype, {}).get("alt")
                if alt and mimetype in output.get("data", {}):
                    alts[_data_key(output["data"][mimetype])] = alt
    return alts


def write_alt_texts(content: str, alts: Mapping[str, str]) -> str:
    """Set the alt text of each inline `<img>` of a page whose data has one.

    nbconvert gives an image without `alt` a placeholder that says nothing
    ("No description has been provided for this image"); it is replaced.

    Examples:
        >>> page = '<img alt="No description" src="data:image/png;base64,QUJD">'
        >>> write_alt_texts(page, {"QUJD": "A & B"})
        '<img alt="A &amp; B" src="data:image/png;base64,QUJD">'

    """

    def with_alt(match: re.Match) -> str:
        tag = match.group(0)
        alt = alts.get(_data_key(match["data"]))
        if alt is None:
            return tag
        tag = EXISTING_ALT.sub("", tag, count=1)
        return f'<img alt="{html.escape(alt)}"' + tag.removeprefix("<img")

    return DATA_IMAGE.sub(with_alt, content)
