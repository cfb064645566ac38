"""Graded checks of lesson 07 (instructor material: not in the package)."""

import numpy as np

from fmnist_course.exercises.assignment import expect, graded
from fmnist_course.training import RECIPES

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
    expect(
        isinstance(label_preserving, set | frozenset | list | tuple),
        f"Expected a set of names. Received: {type(label_preserving).__name__}",
    )
    expect(
        set(label_preserving) == {"horizontal flip", "shift 2 pixels"},
        "Your set is not right yet.",
    )


def _shift(image, down, right):
    shifted = np.zeros_like(image)
    rows, cols = image.shape
    shifted[
        max(down, 0) : rows + min(down, 0), max(right, 0) : cols + min(right, 0)
    ] = image[
        max(-down, 0) : rows - max(down, 0), max(-right, 0) : cols - max(right, 0)
    ]
    return shifted


@graded(
    "07-shift-image",
    probes={"shift_image": [(IMAGE, down, right) for down, right in SHIFTS]},
)
def graded_shift_image(shift_image):
    for down, right in SHIFTS:
        result = np.asarray(shift_image(IMAGE, down, right), dtype="float32")
        expect(result.shape == IMAGE.shape, f"Expected shape {IMAGE.shape}.")
        expect(
            np.allclose(result, _shift(IMAGE, down, right)),
            f"With down={down}, right={right} the shifted image is not right yet.",
        )


def _ablated(part):
    stacked = RECIPES["all_techniques"]
    expected = {
        "name": stacked.name,
        "model": stacked.model,
        "epochs": stacked.epochs,
        "batch_size": stacked.batch_size,
        "learning_rate": stacked.learning_rate,
        "schedule": stacked.schedule,
        "weight_decay": stacked.weight_decay,
        "weight_averaging": stacked.weight_averaging,
        "label_smoothing": stacked.label_smoothing,
        "test_time_augmentation": stacked.test_time_augmentation,
        "model_kwargs": dict(stacked.model_kwargs),
        "lesson": stacked.lesson,
    }
    for key, value in ABLATION[part].items():
        if key == "model_kwargs":
            expected["model_kwargs"].update(value)
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
