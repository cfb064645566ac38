"""What a figure says, recorded by the kernel extension for the site's alt text."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fmnist_course.figure_text import (  # noqa: E402
    FIGURE_TEXT_FIELD,
    figure_text,
    load_ipython_extension,
)
from fmnist_course.plots import plot_history  # noqa: E402


def test_figure_text_reads_titles_labels_legends_and_images():
    history = pd.DataFrame(
        {
            "epoch": [1, 2],
            "loss": [1.0, 0.5],
            "val_loss": [1.1, 0.7],
            "accuracy": [0.6, 0.8],
            "val_accuracy": [0.55, 0.75],
        }
    )
    text = figure_text(plot_history(history, title="Dense baseline"))
    assert text["suptitle"] == "Dense baseline"
    assert [panel["xlabel"] for panel in text["axes"]] == ["epoch", "epoch"]
    assert all(panel["legend"] and not panel["images"] for panel in text["axes"])

    figure = Figure()
    ax = figure.subplots()
    shown = ax.imshow(np.zeros((2, 2)))
    ax.set_title("Coat", loc="left")
    figure.colorbar(shown).set_label("ink")
    image, colorbar = figure_text(figure)["axes"]
    assert image["title"] == "Coat" and image["images"] == 1
    assert colorbar["colorbar"] and colorbar["ylabel"] == "ink"


def test_the_extension_records_the_words_with_each_displayed_figure():
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    load_ipython_extension(shell)
    figure = Figure()
    figure.subplots().set_title("Mean images")
    data, metadata = shell.display_formatter.format(figure)
    assert metadata[FIGURE_TEXT_FIELD]["axes"][0]["title"] == "Mean images"
    assert FIGURE_TEXT_FIELD not in data  # words only, no extra output
