"""Published Fashion-MNIST results the course measures itself against.

These figures are other people's, quoted with their source; the course's own
figures come from `benchmarks/results.json`. The results page sets the two side
by side, marked as theirs and ours.

Examples:
    >>> f"{ORIGINAL_ACCURACY:.2%}"
    '87.46%'
    >>> max(PUBLISHED, key=lambda anchor: anchor.test_accuracy).name
    'WRN-40-4'

"""

from __future__ import annotations

from dataclasses import dataclass

ORIGINAL_ACCURACY = 0.8746
"""Accuracy the original challenge notebook reported after 100 epochs.

Whether it was measured on the test set or on a validation split, the
notebook does not say (lesson 04 discusses it); the course sets its own
test accuracy against it.
"""

ZALANDO_BENCHMARKS = "https://github.com/zalandoresearch/fashion-mnist#benchmark"


@dataclass(frozen=True)
class Anchor:
    """A published test accuracy on the standard Fashion-MNIST test set.

    Attributes:
        name: The model as its source names it.
        test_accuracy: The reported accuracy, a fraction.
        params: Its number of parameters, when the source gives it.
        source: Where the figure is published.
        note: What the source says about training (augmentation, epochs).

    """

    name: str
    test_accuracy: float
    params: int | None
    source: str
    note: str = ""


PUBLISHED = (
    Anchor(
        "WRN-40-4",
        0.967,
        8_900_000,
        ZALANDO_BENCHMARKS,
        "random crops and horizontal flips",
    ),
    Anchor(
        "DenseNet-BC",
        0.954,
        768_000,
        ZALANDO_BENCHMARKS,
        "random crops and horizontal flips",
    ),
    Anchor("MobileNet", 0.950, None, ZALANDO_BENCHMARKS, "horizontal flips"),
    Anchor(
        "ResNet18",
        0.949,
        None,
        ZALANDO_BENCHMARKS,
        "flips, translation and rotation",
    ),
    Anchor("2 conv layers, <100K parameters", 0.925, None, ZALANDO_BENCHMARKS),
    Anchor(
        "Human performance",
        0.835,
        None,
        ZALANDO_BENCHMARKS,
        "crowd-sourced, 1,000 test images, no fashion expertise",
    ),
)
"""Rows of Zalando's table of submitted benchmarks (which Zalando notes it has
not tested itself), with the parameter counts the table gives."""
