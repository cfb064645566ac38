"""Graded checks of lesson 01 (instructor material: not in the package).

The two model exercises are judged on the models themselves: the shared
checks inspect their layers and train a fresh copy on the course's own
images, never on anything the student reports.
"""

from fmnist_course.exercises.answers import as_count
from fmnist_course.exercises.lesson_01 import check_reuse_extractor, check_small_dense
from fmnist_course.grading.assignment import expect, graded


@graded("01-count-dense-params")
def graded_count_dense_params(num_params):
    count = as_count(num_params, "num_params")
    expect(count != 28 * 28 * 128, f"{count} leaves out the biases.")
    expect(count == 28 * 28 * 128 + 128, f"{count} is not right yet.")


@graded("01-reuse-extractor")
def graded_reuse_extractor(coarse_model, extractor):
    check_reuse_extractor(coarse_model, extractor)


@graded("01-small-dense")
def graded_small_dense(model):
    check_small_dense(model)
