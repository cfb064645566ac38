"""Checks for lesson 07: augmentation, shifted views, an ablation."""

from __future__ import annotations

import dataclasses

import numpy as np

from fmnist_course.exercises.answers import (
    as_array,
    as_name_set,
    close,
    describe,
    expect_function,
    graded_on_other_inputs,
)
from fmnist_course.exercises.digest import matches
from fmnist_course.exercises.registry import exercise, expect

AUGMENTATIONS = {"horizontal flip", "vertical flip", "rotate 180", "shift 2 pixels"}

LABEL_PRESERVING = "afc1995576aed8b54920896fa83238b93a5627d44ffaacc187607888258df6de"
"""Digest of the right set of label-preserving augmentations."""

ABLATED_PARTS = (
    "label smoothing",
    "weight decay",
    "cutout",
    "dropout",
    "flips and shifts",
)
"""The parts `without(recipe, part)` switches off; how, `recipes.SWITCH_OFF`
says (the ablation benchmark reads the same table)."""


@exercise(
    "07-label-preserving",
    hint="Picture a sneaker and a T-shirt after each transformation: is each "
    "still the same class, the right way up?",
)
def check_label_preserving(label_preserving):
    """Expect the set of augmentations that keep every image's label."""
    chosen = set(as_name_set(label_preserving, "label_preserving"))
    unknown = chosen - AUGMENTATIONS
    expect(not unknown, f"Unknown names {sorted(unknown)}; use the names given.")
    expect(
        chosen != {"shift 2 pixels"},
        "A mirrored sneaker is still a sneaker: the flip keeps the label, even "
        "though the test set nearly always shows footwear facing one way. This "
        "exercise asks about the label, not about the test set.",
    )
    expect(
        matches("07-label-preserving", chosen, LABEL_PRESERVING),
        "Your set is not right yet: it keeps a transformation after which an "
        "image no longer shows its class the right way up, or misses one after "
        "which it still does.",
    )


def _reference_shift(image, down, right):
    """The library's `ShiftImage` on one 2-D image."""
    from fmnist_course.layers import ShiftImage

    shifted = ShiftImage(down=down, right=right)(np.asarray(image, "float32")[None])
    return np.asarray(shifted)[0]


@exercise(
    "07-shift-image",
    hint="Start from np.zeros_like(image), then copy the part of the image that "
    "stays in the frame. With down=1, output row 1 is input row 0; with "
    "right=-1, output column 0 is input column 1. Mind negative shifts.",
)
@graded_on_other_inputs
def check_shift_image(shift_image):
    """Expect a function moving a 2-D image by whole pixels, with zero fill."""
    expect_function(shift_image)
    image = np.random.default_rng(6).uniform(0.1, 1.0, (28, 28)).astype("float32")
    for down, right in [(1, 0), (0, -1), (-2, 3), (0, 0)]:
        expect_shifted(shift_image(image.copy(), down, right), image, down, right)


def expect_shifted(result, image: np.ndarray, down: int, right: int) -> None:
    """Fail the running check unless `result` is `image` shifted, zero-filled.

    Shared by the self-check and the graded check of `07-shift-image`.
    """
    result = as_array(result, "the shifted image")
    expect(
        result.shape == image.shape,
        f"Expected an image of shape {image.shape}. Received shape {result.shape}.",
    )
    right_answer = close(result, _reference_shift(image, down, right))
    expect(
        right_answer or not close(result, np.roll(image, (down, right), axis=(0, 1))),
        "Pixels that leave one border come back at the other: the uncovered "
        "border should be zeros (np.roll wraps around).",
    )
    expect(
        right_answer,
        f"With down={down}, right={right} the shifted image is not right yet.",
    )


@exercise(
    "07-ablation",
    hint="dataclasses.replace(recipe, weight_decay=0.0) returns a copy with one "
    "field changed. For a model setting, build a new dictionary, "
    "{**recipe.model_kwargs, 'cutout': 0}, instead of changing "
    "recipe.model_kwargs in place: that dictionary is shared with the original.",
)
def check_ablation(ablated):
    """Expect `{part: dataclasses.asdict(without(stacked, part))}` for each part.

    `stacked` is `RECIPES["all_techniques"]`, the recipe the ablation removes
    techniques from.
    """
    from fmnist_course.recipes import RECIPES, switch_off

    expect(
        isinstance(ablated, dict),
        f"Expected a dict from part to recipe. Received: {describe(ablated)}",
    )
    missing = sorted(set(ABLATED_PARTS) - set(ablated))
    expect(not missing, f"Missing parts: {missing}. Keep the cell's list of parts.")
    stacked = RECIPES["all_techniques"]
    for part in ABLATED_PARTS:
        got = ablated[part]
        expected = dataclasses.asdict(switch_off(stacked, part))
        expect(
            isinstance(got, dict),
            f"For {part!r}, expected dataclasses.asdict of a Recipe. "
            f"Received: {describe(got)}",
        )
        wrong = sorted(key for key in expected if got.get(key) != expected[key])
        if part == "flips and shifts" and wrong == ["test_time_augmentation"]:
            # Lesson 07: a model that never saw mirrors and shifts is scored
            # without those views too, so switching them off is also right.
            wrong = [] if got.get("test_time_augmentation") is False else wrong
        expect(
            not wrong,
            f"without(recipe, {part!r}) differs from the right copy in: "
            f"{', '.join(wrong)}. Change only that part, and keep the others.",
        )
