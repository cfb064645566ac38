"""Graded checks of lesson 07 (instructor material: not in the package)."""

import dataclasses

import numpy as np

from fmnist_course.exercises.answers import as_name_set
from fmnist_course.exercises.lesson_07 import expect_shifted
from fmnist_course.grading.assignment import expect, graded
from fmnist_course.recipes import RECIPES

IMAGE = np.random.default_rng(607).uniform(0.1, 1.0, (28, 28)).astype("float32")
SHIFTS = [(2, 0), (0, -3), (-1, 4), (0, 0)]
ABLATION = {
    "label smoothing": {"label_smoothing": 0.0},
    "weight decay": {"weight_decay": 0.0},
    "cutout": {"model_kwargs": {"cutout": 0}},
    "dropout": {"model_kwargs": {"dropout": 0.0}},
    "flips and shifts": {"model_kwargs": {"augment": False}},
}


@graded("07-label-preserving")
def graded_label_preserving(label_preserving):
    chosen = as_name_set(label_preserving, "label_preserving")
    expect(
        chosen == {"horizontal flip", "shift 2 pixels"}, "Your set is not right yet."
    )


@graded(
    "07-shift-image",
    probes={"shift_image": [(IMAGE, down, right) for down, right in SHIFTS]},
)
def graded_shift_image(shift_image):
    for down, right in SHIFTS:
        expect_shifted(shift_image(IMAGE, down, right), IMAGE, down, right)


def _ablated(part):
    """`dataclasses.asdict` of the stacked recipe with `part` switched off."""
    expected = dataclasses.asdict(RECIPES["all_techniques"])
    for key, value in ABLATION[part].items():
        if key == "model_kwargs":
            expected["model_kwargs"] = {**expected["model_kwargs"], **value}
        else:
            expected[key] = value
    return expected


@graded("07-ablation")
def graded_ablation(ablated):
    expect(isinstance(ablated, dict), "Expected a dict from part to recipe.")
    for part in ABLATION:
        expect(part in ablated, f"Missing part {part!r}.")
        expect(
            ablated[part] == _ablated(part),
            f"The copy without {part} is not right yet.",
        )
