import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from fmnist_course.calibration import reliability_table  # noqa: E402
from fmnist_course.calibration_plots import STYLES, plot_reliability  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_table(rng, images=500, miss=0.05):
    confidence = rng.uniform(0.4, 1.0, size=images)
    right = rng.random(images) < confidence - miss
    probabilities = np.stack([confidence, 1 - confidence], axis=1)
    return reliability_table(probabilities, np.where(right, 0, 1), bins=10)


def test_reliability_diagram_draws_each_table_with_its_own_look(rng):
    tables = {"model alone": make_table(rng), "ten views": make_table(rng, miss=0)}
    figure = plot_reliability(tables)
    top, bottom = figure.axes
    assert top.get_title() == "Reliability diagram"
    assert (top.get_ylabel(), bottom.get_ylabel()) == ("accuracy", "images")
    lines = top.get_lines()
    labels = [line.get_label() for line in lines]
    assert labels[0] == "perfectly calibrated"
    assert labels[1].startswith("model alone (ECE 0.")
    assert labels[2].startswith("ten views (ECE 0.")
    # Not colour alone: markers and line styles differ too.
    assert lines[1].get_marker() != lines[2].get_marker()
    assert lines[1].get_linestyle() != lines[2].get_linestyle()
    assert lines[1].get_color() != lines[2].get_color()
    # One point per filled bin, at its mean confidence and accuracy.
    table = tables["model alone"]
    filled = table[table["images"] > 0]
    np.testing.assert_allclose(lines[1].get_xdata(), filled["confidence"])
    np.testing.assert_allclose(lines[1].get_ydata(), filled["accuracy"])
    # The counts below: a log scale, one bar per bin and table, hatched apart.
    assert bottom.get_yscale() == "log"
    assert len(bottom.patches) == 2 * len(table)
    assert bottom.patches[0].get_hatch() != bottom.patches[-1].get_hatch()
    heights = [patch.get_height() for patch in bottom.patches[: len(table)]]
    np.testing.assert_array_equal(
        np.nan_to_num(heights), table["images"].to_numpy(float)
    )


def test_reliability_diagram_takes_one_table_or_recorded_rows(rng):
    table = make_table(rng)
    figure = plot_reliability(table, title=None)
    assert figure.axes[0].get_title() == ""
    assert figure.axes[0].get_lines()[1].get_label().startswith("model (ECE")
    # As results.json records it: a list of rows, None in an empty bin.
    rows = [
        {key: (None if value != value else value) for key, value in row.items()}
        for row in table.to_dict("records")
    ]
    rows[0].update(images=0, confidence=None, accuracy=None)
    figure = plot_reliability({"recorded": rows})
    assert len(figure.axes[0].get_lines()[1].get_xdata()) == sum(
        row["images"] > 0 for row in rows
    )


def test_reliability_diagram_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="Received: 0"):
        plot_reliability({})
    too_many = {str(index): make_table(rng) for index in range(len(STYLES) + 1)}
    with pytest.raises(ValueError, match=f"Received: {len(STYLES) + 1}"):
        plot_reliability(too_many)
    with pytest.raises(ValueError, match=r"tables\['a'\].*Received columns: x"):
        plot_reliability({"a": [{"x": 1}]})
