"""Checks for lesson 02, convolutions."""

from __future__ import annotations

from fmnist_course.exercises.answers import as_count
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.model_checks import expect_classifier, short_fit_accuracy
from fmnist_course.exercises.registry import exercise, expect

CONV_PARAMS = "8ba57c4714ebd8666acdb77411cc84cbd04e0cf1e9e874ed8d2ff063894aaf9c"
FLATTEN_SIZE = "3add31df6f7773fbcec531d763ef18da48d136c0b592aa1ad8991ac2da40b406"
"""Digests of the answers (see `fmnist_course.exercises.digest`)."""
CONV_WITHOUT_BIASES = "d448186cda5fa14cacc7211a4c9ecab4310fcb7c16e60e1649e085af155d3789"
FLATTEN_SAME_PADDING = (
    "067e946aae4fde7b78984c7b1607537eaa0a223cd40b7ef1c7f0308fcd20944c"
)
"""Digests of common mistakes: no biases; the lesson's own "same" padding."""


@exercise(
    "02-conv-params",
    hint="Each filter has one 3x3 kernel per input channel, plus one bias.",
)
def check_conv_params(num_params):
    """Parameters of Conv2D(64, 3) on 32 input channels (compared by digest)."""
    count = as_count(num_params, "num_params")
    expect(
        not matches("02-conv-params", count, CONV_WITHOUT_BIASES),
        f"{count} leaves out the biases.",
    )
    expect(matches("02-conv-params", count, CONV_PARAMS), f"{count} is not right yet.")


@exercise(
    "02-flatten-size",
    hint="Without padding: 28 -> conv 26 -> pool 13 -> conv 11 -> pool ?; then "
    "side * side * filters.",
)
def check_flatten_size(flatten_size):
    """Length of the flattened output of `pool_2` without padding (by digest)."""
    size = as_count(flatten_size, "flatten_size")
    expect(
        not matches("02-flatten-size", size, FLATTEN_SAME_PADDING),
        f"{size} is the size with padding='same', as in the lesson's model; the "
        "exercise asks for padding='valid'.",
    )
    expect(matches("02-flatten-size", size, FLATTEN_SIZE), f"{size} is not right yet.")


@exercise(
    "02-small-cnn",
    hint="Two small Conv2D + MaxPooling2D blocks (16 and 32 filters) and a Dense "
    "head of a few dozen units fit in the budget.",
)
def check_small_cnn(model):
    """A functional CNN of <= 30,000 params reaching >= 0.72 after 3 epochs.

    `short_fit_accuracy` trains a fresh copy on the course's own images, so
    the graded check runs this same check.
    """
    expect_classifier(model, max_params=30_000)
    expect(
        any(type(layer).__name__ == "Conv2D" for layer in model.layers),
        "The model has no Conv2D layer.",
    )
    accuracy = short_fit_accuracy(model)
    expect(
        accuracy >= 0.72,
        f"After 3 epochs on 2,400 images it reached a validation accuracy of "
        f"{accuracy:.3f}; the target is 0.72.",
    )
