"""The lesson ladder hands each seed on to the training it measures."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from fmnist_course.bench import ladder
from fmnist_course.data import FashionMNIST
from fmnist_course.training import TrainingRun, train_recipe


class _Model:
    """Stands in for a trained model: the ladder only counts its parameters."""

    def count_params(self):
        return 1_000


def test_each_seed_of_the_ladder_trains_that_seed(monkeypatch):
    """run_ladder's seeds reach train_recipe: "mean over 3 seeds" is three runs."""
    trained = []

    def record_seed(*args, **kwargs):
        # The seed as the real train_recipe would see it, defaults included.
        call = inspect.signature(train_recipe).bind(*args, **kwargs)
        call.apply_defaults()
        seed = call.arguments["seed"]
        trained.append(seed)
        return TrainingRun(
            model=_Model(),
            recipe=call.arguments["recipe"],
            history=pd.DataFrame({"epoch": [1]}),
            train_seconds=1.0,
            test_accuracy=0.8 + seed / 100,
            test_loss=0.5,
        )

    images = np.zeros((10, 28, 28), dtype=np.float32)
    labels = np.arange(10, dtype=np.uint8)
    monkeypatch.setattr(
        ladder,
        "load_course_split",
        lambda *_, **__: FashionMNIST(images, labels, images, labels),
    )
    monkeypatch.setattr(ladder, "train_recipe", record_seed)
    # Each seed in this process rather than in a child process of its own.
    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", ladder.measure_recipe)

    (row,) = ladder.run_ladder(["01"], seeds=[0, 3, 5], epochs=1)
    assert trained == [0, 3, 5], f"the ladder's seeds 0, 3, 5 trained seeds {trained}"
    assert [run["seed"] for run in row["runs"]] == [0, 3, 5]
    assert row["test_accuracy"] == round(0.8 + 8 / 300, 4)
