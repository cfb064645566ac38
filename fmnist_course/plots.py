"""Small matplotlib helpers used by the lessons; each returns its Figure.

Every function draws one kind of picture the course needs again and again:
images per class, learning curves, a comparison of runs, a confusion matrix
and the most confident mistakes. (What a convolution layer sees, its filters
and feature maps, is drawn by `fmnist_course.layer_plots`.) They take plain
numpy arrays, pandas histories (as returned by `fmnist_course.train_model`) or
predictions, and
raise a `ValueError` that says what was received when the input has the wrong
shape.

Examples:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> figure = plot_confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]))
    >>> figure.axes[0].get_title()
    'Confusion matrix'

"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fmnist_course.data import CLASS_NAMES


def _as_images(images: np.ndarray, name: str = "images") -> np.ndarray:
    """Return `(n, height, width)` from `(n, h, w)` or `(n, h, w, 1)` arrays."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            f"Expected {name} of shape (n, height, width) or (n, height, width, 1). "
            f"Received: {name}.shape={images.shape}"
        )
    return images


def plot_image_grid(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    class_names: Sequence[str] = CLASS_NAMES,
    num_per_class: int = 8,
    seed: int | None = 0,
    cmap: str = "gray_r",
) -> Figure:
    """Draw a grid with one row per class and `num_per_class` images in each.

    Args:
        images: Images of shape `(n, height, width)` or `(n, height, width, 1)`.
        labels: Integer labels, one per image.
        class_names: Name of each class; row `i` shows class `i`.
        num_per_class: Images shown in each row.
        seed: Picks which images of each class are shown (`None`: the first).
        cmap: Matplotlib colormap; `"gray_r"` draws ink dark on white.

    Returns:
        The Figure, with one Axes per image; each row's first Axes is labelled
        with the class name.

    Raises:
        ValueError: The shapes of `images` and `labels` do not match, or
            `num_per_class` is below 1.

    Examples:
        >>> data = load_fashion_mnist(train_size=200)  # doctest: +SKIP
        >>> figure = plot_image_grid(  # doctest: +SKIP
        ...     data.x_train, data.y_train, num_per_class=5
        ... )

    """
    images = _as_images(images)
    labels = np.asarray(labels).astype(int).ravel()
    if len(labels) != len(images):
        raise ValueError(
            "Expected one label per image. "
            f"Received: {len(images)} images and {len(labels)} labels."
        )
    if num_per_class < 1:
        raise ValueError(
            f"Expected num_per_class >= 1. Received: num_per_class={num_per_class}"
        )
    rng = np.random.default_rng(seed) if seed is not None else None
    num_classes = len(class_names)
    figure, axes = plt.subplots(
        num_classes,
        num_per_class,
        figsize=(1.1 * num_per_class + 1.2, 1.1 * num_classes),
        squeeze=False,
    )
    for label, row in enumerate(axes):
        indices = np.flatnonzero(labels == label)
        if rng is not None:
            indices = rng.permutation(indices)
        for column, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if column < len(indices):
                ax.imshow(images[indices[column]], cmap=cmap)
        row[0].set_ylabel(
            class_names[label], rotation=0, ha="right", va="center", fontsize=9
        )
    figure.tight_layout()
    return figure


def _check_history(history: pd.DataFrame, metrics: Sequence[str], name: str) -> None:
    if not isinstance(history, pd.DataFrame):
        raise ValueError(
            f"Expected {name} to be a pandas DataFrame (as returned by "
            f"train_model). Received: {type(history).__name__}"
        )
    missing = [metric for metric in metrics if metric not in history.columns]
    if missing:
        raise ValueError(
            f"{name} has no column {missing[0]!r}. Expected one of the logged "
            f"metrics: {', '.join(map(str, history.columns))}."
        )


def _epochs(history: pd.DataFrame) -> np.ndarray:
    if "epoch" in history.columns:
        return history["epoch"].to_numpy()
    return np.arange(1, len(history) + 1)


def plot_history(
    history: pd.DataFrame,
    metrics: Sequence[str] = ("accuracy", "loss"),
    *,
    title: str | None = None,
) -> Figure:
    """Plot training and validation curves, one Axes per metric.

    Args:
        history: One row per epoch with a column per metric, e.g. `accuracy`
            and `val_accuracy`, as returned by `train_model`.
        metrics: The metrics to draw; `val_<metric>` is drawn when present.
        title: Figure title.

    Returns:
        The Figure, with one Axes per metric titled with the metric's name.

    Raises:
        ValueError: `history` is not a DataFrame or lacks one of `metrics`.

    Examples:
        >>> history = train_model(model, x, y, epochs=3)  # doctest: +SKIP
        >>> figure = plot_history(history)  # doctest: +SKIP

    """
    _check_history(history, metrics, "history")
    epochs = _epochs(history)
    figure, axes = plt.subplots(
        1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        ax.plot(epochs, history[metric], "o-", label="train")
        if f"val_{metric}" in history.columns:
            ax.plot(epochs, history[f"val_{metric}"], "s--", label="validation")
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_histories(
    histories: Mapping[str, pd.DataFrame],
    metrics: Sequence[str] = ("accuracy", "loss"),
    *,
    title: str | None = None,
) -> Figure:
    """Compare runs: validation (solid) and training (dashed) curves of each.

    Args:
        histories: Run name -> history DataFrame.
        metrics: The metrics to draw, one Axes each.
        title: Figure title.

    Returns:
        The Figure, with one Axes per metric and one colour per run.

    Raises:
        ValueError: `histories` is empty, or a history lacks a metric.

    Examples:
        >>> runs = {"cnn": history, "cnn + dropout": other}  # doctest: +SKIP
        >>> figure = plot_histories(runs)  # doctest: +SKIP

    """
    if not histories:
        raise ValueError("Expected at least one history to plot. Received: {}")
    for name, history in histories.items():
        _check_history(history, metrics, f"histories[{name!r}]")
    figure, axes = plt.subplots(
        1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes[0], metrics, strict=True):
        for index, (name, history) in enumerate(histories.items()):
            color = colors[index % len(colors)]
            epochs = _epochs(history)
            if f"val_{metric}" in history.columns:
                ax.plot(epochs, history[f"val_{metric}"], "-", color=color, label=name)
                ax.plot(epochs, history[metric], "--", color=color, alpha=0.6)
            else:
                ax.plot(epochs, history[metric], "-", color=color, label=name)
        ax.set_title(f"{metric} (solid: validation, dashed: train)", fontsize=9)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None
) -> np.ndarray:
    """Count how often class `i` (row) was predicted as class `j` (column).

    Args:
        y_true: Integer true labels.
        y_pred: Integer predicted labels, one per true label.
        num_classes: Size of the matrix (default: the largest label + 1).

    Returns:
        An integer array of shape `(num_classes, num_classes)`.

    Raises:
        ValueError: The label arrays differ in length or hold negative labels.

    Examples:
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0])).tolist()
        [[1, 0], [1, 1]]

    """
    y_true = np.asarray(y_true).astype(int).ravel()
    y_pred = np.asarray(y_pred).astype(int).ravel()
    if len(y_true) != len(y_pred):
        raise ValueError(
            "Expected as many predictions as labels. "
            f"Received: len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}"
        )
    if len(y_true) and min(y_true.min(), y_pred.min()) < 0:
        raise ValueError("Expected labels >= 0. Received a negative label.")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2)
    return counts[: num_classes**2].reshape(num_classes, num_classes)


def plot_confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    class_names: Sequence[str] | None = None,
    normalize: bool = True,
) -> Figure:
    """Draw the confusion matrix: rows are true classes, columns predictions.

    Args:
        y_true: Integer true labels.
        y_pred: Integer predicted labels (e.g. `probabilities.argmax(axis=1)`).
        class_names: Tick labels; defaults to `CLASS_NAMES` when there are ten
            classes, otherwise the class numbers.
        normalize: Show the fraction of each true class instead of counts.

    Returns:
        The Figure, with one Axes titled `"Confusion matrix"`.

    Raises:
        ValueError: The label arrays differ in length.

    Examples:
        >>> predicted = model.predict(data.x_test).argmax(axis=1)  # doctest: +SKIP
        >>> figure = plot_confusion_matrix(data.y_test, predicted)  # doctest: +SKIP

    """
    num_classes = len(class_names) if class_names is not None else None
    matrix = confusion_matrix(y_true, y_pred, num_classes).astype(float)
    num_classes = len(matrix)
    if class_names is None:
        class_names = CLASS_NAMES if num_classes == len(CLASS_NAMES) else None
    names = list(class_names) if class_names else [str(i) for i in range(num_classes)]
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    size = max(3.5, 0.6 * num_classes + 1.5)
    figure, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    for (row, column), value in np.ndenumerate(matrix):
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        color = "white" if value > matrix.max() / 2 else "black"
        ax.text(column, row, text, ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(num_classes), names, rotation=45, ha="right")
    ax.set_yticks(range(num_classes), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix")
    figure.tight_layout()
    return figure


def plot_mistakes(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probabilities: np.ndarray,
    *,
    class_names: Sequence[str] = CLASS_NAMES,
    max_images: int = 12,
) -> Figure:
    """Show images with their true class, the prediction and its probability.

    The images are drawn in the order given, so sort them first (say, the most
    confident mistakes first). Each title reads `true: X` over
    `pred: Y (p%)`, where `p` is the probability the model gave `Y`.

    Args:
        images: `(n, 28, 28)` or `(n, 28, 28, 1)` images.
        y_true: The true class of each image.
        y_pred: The predicted class of each image.
        probabilities: `(n, num_classes)` predicted probabilities.
        class_names: Names of the classes, indexed by label.
        max_images: Draw at most this many images, in rows of six.

    Returns:
        The Figure, with one Axes per image drawn.

    Raises:
        ValueError: The arrays disagree in length, `probabilities` is not
            `(n, num_classes)`, or `max_images` is below 1.

    Examples:
        >>> probabilities = model.predict(data.x_test)  # doctest: +SKIP
        >>> y_pred = probabilities.argmax(axis=1)  # doctest: +SKIP
        >>> wrong = np.flatnonzero(y_pred != data.y_test)  # doctest: +SKIP
        >>> figure = plot_mistakes(  # doctest: +SKIP
        ...     data.x_test[wrong],
        ...     data.y_test[wrong],
        ...     y_pred[wrong],
        ...     probabilities[wrong],
        ... )

    """
    images = _as_images(images)
    y_true = np.asarray(y_true).astype(int).ravel()
    y_pred = np.asarray(y_pred).astype(int).ravel()
    probabilities = np.asarray(probabilities, dtype=float)
    lengths = {len(images), len(y_true), len(y_pred), len(probabilities)}
    if len(lengths) != 1:
        raise ValueError(
            "Expected one label, prediction and probability row per image. "
            f"Received: {len(images)} images, {len(y_true)} labels, "
            f"{len(y_pred)} predictions, {len(probabilities)} probability rows."
        )
    if probabilities.ndim != 2 or probabilities.shape[1] != len(class_names):
        raise ValueError(
            f"Expected probabilities of shape (n, {len(class_names)}). "
            f"Received: probabilities.shape={probabilities.shape}"
        )
    if max_images < 1:
        raise ValueError(f"Expected max_images >= 1. Received: max_images={max_images}")
    num = min(len(images), max_images)
    columns = min(num, 6) or 1
    rows = max(1, math.ceil(num / columns))
    figure, axes = plt.subplots(
        rows, columns, figsize=(1.9 * columns, 2.3 * rows), squeeze=False
    )
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= num:
            continue
        ax.imshow(images[index], cmap="gray_r")
        predicted = y_pred[index]
        ax.set_title(
            f"true: {class_names[y_true[index]]}\n"
            f"pred: {class_names[predicted]} "
            f"({probabilities[index, predicted]:.0%})",
            fontsize=8,
        )
    figure.tight_layout()
    return figure
