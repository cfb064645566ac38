"""Graded checks of lesson 02 (instructor material: not in the package)."""

from fmnist_course.exercises.answers import as_count
from fmnist_course.exercises.lesson_02 import check_small_cnn
from fmnist_course.grading.assignment import expect, graded


@graded("02-conv-params")
def graded_conv_params(num_params):
    count = as_count(num_params, "num_params")
    expect(count != 3 * 3 * 32 * 64, f"{count} leaves out the biases.")
    expect(count == (3 * 3 * 32 + 1) * 64, f"{count} is not right yet.")


@graded("02-flatten-size")
def graded_flatten_size(flatten_size):
    size = as_count(flatten_size, "flatten_size")
    expect(size != 7 * 7 * 64, f"{size} is the size with padding='same'.")
    expect(size == 5 * 5 * 64, f"{size} is not right yet.")


@graded("02-small-cnn")
def graded_small_cnn(model):
    """Layers and budget, then a fresh copy trained on the course's own images."""
    check_small_cnn(model)
