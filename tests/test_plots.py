import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from fmnist_course import CLASS_NAMES  # noqa: E402
from fmnist_course.layer_plots import plot_feature_maps, plot_filters  # noqa: E402
from fmnist_course.models import build_cnn, build_dense_baseline  # noqa: E402
from fmnist_course.plots import (  # noqa: E402
    confusion_matrix,
    plot_confusion_matrix,
    plot_histories,
    plot_history,
    plot_image_grid,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_history(num_epochs=3, offset=0.0):
    epochs = np.arange(1, num_epochs + 1)
    return pd.DataFrame(
        {
            "epoch": epochs,
            "loss": 1.0 / epochs + offset,
            "accuracy": 1 - 0.5 / epochs,
            "val_loss": 1.2 / epochs + offset,
            "val_accuracy": 0.9 - 0.5 / epochs,
        }
    )


def test_image_grid_has_one_row_per_class(rng):
    labels = np.repeat(np.arange(10), 4)
    images = rng.integers(0, 255, size=(40, 28, 28, 1)).astype(np.uint8)
    figure = plot_image_grid(images, labels, num_per_class=3)
    assert len(figure.axes) == 30
    row_labels = [ax.get_ylabel() for ax in figure.axes[::3]]
    assert row_labels == list(CLASS_NAMES)
    # Every cell shows an image because each class has enough of them.
    assert all(ax.images for ax in figure.axes)


def test_image_grid_leaves_cells_empty_when_a_class_runs_out(rng):
    labels = np.array([0, 0, 1])
    images = rng.random((3, 28, 28))
    figure = plot_image_grid(images, labels, class_names=["a", "b"], num_per_class=2)
    assert [bool(ax.images) for ax in figure.axes] == [True, True, True, False]


def test_image_grid_rejects_bad_shapes(rng):
    with pytest.raises(ValueError, match=r"images.shape=\(5, 784\)"):
        plot_image_grid(rng.random((5, 784)), np.zeros(5))
    with pytest.raises(ValueError, match="5 images and 4 labels"):
        plot_image_grid(rng.random((5, 28, 28)), np.zeros(4))
    with pytest.raises(ValueError, match="num_per_class=0"):
        plot_image_grid(rng.random((5, 28, 28)), np.zeros(5), num_per_class=0)


def test_history_has_train_and_validation_curves():
    figure = plot_history(make_history(4), title="run")
    assert [ax.get_title() for ax in figure.axes] == ["accuracy", "loss"]
    for ax in figure.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["train", "validation"]
        assert len(ax.get_lines()[0].get_xdata()) == 4
    assert figure.get_suptitle() == "run"


def test_history_without_validation_and_with_a_missing_metric():
    history = make_history().drop(columns=["val_loss", "val_accuracy"])
    figure = plot_history(history, metrics=("loss",))
    assert len(figure.axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match="no column 'auc'"):
        plot_history(history, metrics=("auc",))
    with pytest.raises(ValueError, match="pandas DataFrame.*dict"):
        plot_history({"loss": [1.0]})


def test_histories_draw_one_colour_per_run():
    figure = plot_histories({"a": make_history(), "b": make_history(5, offset=0.1)})
    assert len(figure.axes) == 2
    ax = figure.axes[0]
    assert [
        line.get_label()
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
    ] == ["a", "b"]
    colors = {line.get_color() for line in ax.get_lines()}
    assert len(colors) == 2
    with pytest.raises(ValueError, match="at least one history"):
        plot_histories({})
    with pytest.raises(ValueError, match=r"histories\['b'\] has no column 'accuracy'"):
        plot_histories(
            {"a": make_history(), "b": make_history().drop(columns="accuracy")}
        )


def test_confusion_matrix_counts_by_hand():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    assert confusion_matrix(y_true, y_pred).tolist() == [
        [1, 1, 0],
        [0, 1, 0],
        [1, 0, 2],
    ]
    assert confusion_matrix(y_true, y_pred, num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match="len\\(y_true\\)=6, len\\(y_pred\\)=2"):
        confusion_matrix(y_true, y_pred[:2])


def test_confusion_matrix_figure_uses_class_names(rng):
    y_true = rng.integers(0, 10, 200)
    figure = plot_confusion_matrix(y_true, y_true)
    ax = figure.axes[0]
    assert ax.get_title() == "Confusion matrix"
    assert [tick.get_text() for tick in ax.get_yticklabels()] == list(CLASS_NAMES)
    # Perfect predictions: a normalised diagonal of ones.
    np.testing.assert_allclose(np.diag(ax.images[0].get_array()), 1.0)
    counts = plot_confusion_matrix([0, 1], [1, 1], normalize=False).axes[0]
    assert counts.images[0].get_array().tolist() == [[0, 1], [0, 1]]


def test_filters_and_feature_maps_of_a_cnn():
    model = build_cnn(filters=(4, 6), dense_units=8)
    figure = plot_filters(model.get_layer("conv_2"))
    titled = [ax for ax in figure.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == [str(i) for i in range(6)]
    assert titled[0].images[0].get_array().shape == (3, 3)
    figure = plot_feature_maps(model, "conv_1", np.zeros((28, 28)), max_maps=3)
    maps = [ax for ax in figure.axes if ax.images]
    assert len(maps) == 3 and maps[0].images[0].get_array().shape == (28, 28)
    unpadded = build_cnn(filters=(4, 6), dense_units=8, padding="valid")
    figure = plot_feature_maps(unpadded, "conv_1", np.zeros((28, 28)), max_maps=3)
    maps = [ax for ax in figure.axes if ax.images]
    assert maps[0].images[0].get_array().shape == (26, 26)


def test_filters_and_feature_maps_reject_the_wrong_layer():
    model = build_cnn(filters=(4,), dense_units=8)
    with pytest.raises(ValueError, match="Expected a built Conv2D.*Dense"):
        plot_filters(model.get_layer("dense"))
    with pytest.raises(ValueError, match="4-D output.*'dense'"):
        plot_feature_maps(model, "dense", np.zeros((28, 28)))
    with pytest.raises(ValueError, match="Unknown layer 'conv_9'.*conv_1"):
        plot_feature_maps(model, "conv_9", np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"shape \(28, 28\).*\(28, 28, 1\)"):
        plot_feature_maps(model, "conv_1", np.zeros((28, 28, 1)))
    with pytest.raises(ValueError, match="Expected a built Conv2D"):
        plot_filters(build_dense_baseline().get_layer("flatten"))


def test_plot_mistakes_titles_and_limits():
    from fmnist_course.plots import plot_mistakes

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(8, 28, 28, 1))
    y_true = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    y_pred = np.array([6, 7, 4, 2, 2, 7, 0, 5])
    probabilities = np.full((8, 10), 0.01)
    probabilities[np.arange(8), y_pred] = np.linspace(0.99, 0.5, 8)
    figure = plot_mistakes(images, y_true, y_pred, probabilities, max_images=7)
    drawn = [ax for ax in figure.axes if ax.images]
    assert len(drawn) == 7 and len(figure.axes) == 12  # two rows of six
    assert (
        drawn[0].get_title() == f"true: {CLASS_NAMES[0]}\npred: {CLASS_NAMES[6]} (99%)"
    )
    assert drawn[1].images[0].get_array().shape == (28, 28)
    assert f"pred: {CLASS_NAMES[4]} (85%)" in drawn[2].get_title()


def test_plot_mistakes_rejects_mismatched_inputs():
    from fmnist_course.plots import plot_mistakes

    images = np.zeros((3, 28, 28))
    labels = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="3 images, 2 labels"):
        plot_mistakes(images, labels[:2], labels, np.zeros((3, 10)))
    with pytest.raises(ValueError, match=r"shape \(n, 10\).*\(3, 4\)"):
        plot_mistakes(images, labels, labels, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="max_images=0"):
        plot_mistakes(images, labels, labels, np.zeros((3, 10)), max_images=0)
