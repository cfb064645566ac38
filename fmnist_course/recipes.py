"""The recipes: how each named course model is trained in full mode.

`RECIPES` is the catalogue the command line, the lessons and the benchmarks
all read, so they agree on epochs, learning rate, schedule and the techniques
of lessons 06 and 07 for every rung of the ladder. `SWITCH_OFF` says how to
switch each technique off, for the ablation benchmark and lesson 07's
exercise. The machinery that turns a recipe into a training run is in
`fmnist_course.training`.

The ladder's rows (lessons 01 to 04) change one thing at a time: `dense` to
`cnn` the model, `cnn` to `cnn_dropout` the dropout. `challenge` is the
original challenge notebook's model, trained for 40 of its 100 epochs. None of
them averages the weights; lesson 06 teaches that, and `best` uses it.

Examples:
    >>> RECIPES["dense"].epochs == RECIPES["cnn"].epochs
    True
    >>> [RECIPES[name].weight_averaging for name in ("dense", "cnn", "challenge")]
    [None, None, None]
    >>> RECIPES["challenge"].epochs, RECIPES["challenge"].batch_size
    (40, 128)
    >>> get_recipe("best").model, get_recipe("best").weight_averaging
    ('best', 0.99)
    >>> RECIPES["best"].epochs, RECIPES["best_40"].epochs
    (80, 40)

"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from fmnist_course.errors import UserError
from fmnist_course.settings import BATCH_SIZE, LEARNING_RATE, SCHEDULE


@dataclass(frozen=True)
class Recipe:
    """How a named course model is trained in full mode.

    Attributes:
        name: The recipe's name, a key of `RECIPES`.
        model: A key of `MODEL_BUILDERS`.
        epochs: Number of passes over the training set.
        batch_size: Images per gradient step.
        learning_rate: Adam's initial learning rate.
        schedule: `"constant"` or `"cosine"` (decay to zero over all steps).
        weight_decay: Decoupled weight decay of AdamW (0 trains with Adam).
            See `compile_model`.
        weight_averaging: Momentum of an exponential moving average of the
            weights that is evaluated and kept instead of the raw weights
            (an exponential moving average; `None` disables). See `train_model`.
        label_smoothing: Share of each target spread evenly over the ten
            classes (0 trains on one-hot targets). See `compile_model`.
        test_time_augmentation: Evaluate the average of the model's
            predictions on each test image, its mirror image and both moved
            by a pixel in each direction (`view_averaging.with_test_time_augmentation`
            with its defaults). Training is unchanged.
        model_kwargs: Keyword arguments for the model builder.
        final_fit: Train on the validation images too, all 60,000 training
            images (`fmnist_course.final_fit`): for a recipe validation has
            already chosen. Its model has no validation score.

    """

    name: str
    model: str
    epochs: int
    batch_size: int = BATCH_SIZE
    learning_rate: float = LEARNING_RATE
    schedule: str = SCHEDULE
    weight_decay: float = 0.0
    weight_averaging: float | None = None
    label_smoothing: float = 0.0
    test_time_augmentation: bool = False
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    final_fit: bool = False
    lesson: str = ""


ALL_TECHNIQUES = Recipe(
    "all_techniques",
    "best",
    epochs=40,
    learning_rate=2e-3,
    schedule="cosine",
    weight_decay=0.05,
    weight_averaging=0.99,
    label_smoothing=0.1,
    test_time_augmentation=True,
    model_kwargs={"cutout": 8},
)
"""Every technique of lessons 03, 06 and 07 stacked on the best model: the
recipe the ablation removes parts from (`RECIPES["all_techniques"]`)."""

PROTOCOL_CHOICE = replace(
    ALL_TECHNIQUES,
    name="best_40",
    model_kwargs={**ALL_TECHNIQUES.model_kwargs, "dropout": 0.0},
)
"""The recipe lesson 07's ablation protocol chose, at its 40-epoch budget: the
stack without dropout (`fmnist_course.ablations.protocol_winner`; a test
holds the two equal). The
search for a better recipe changed one setting of it at a time
(`fmnist_course.candidates`), and its confirmation on fresh seeds promoted
one change, 80 epochs (`fmnist_course.confirmation`): `RECIPES["best"]` is
this recipe with that change, another test holds."""


LATER_FIELDS: dict[str, Any] = {"final_fit": False}
"""Recipe fields added after models had shipped and runs had been recorded,
with the value every recipe had before the field existed. A field at that
value is left out wherever a recipe's settings are recorded or fingerprinted
(`fmnist_course.fingerprints`, `fmnist_course.candidates.recipe_settings`),
so adding one voids no model and changes no recorded run."""


def without_final_fit(recipe: Recipe) -> Recipe:
    """The recipe as validation judged it: trained with its validation images held out.

    A final fit (`Recipe.final_fit`) changes which images a chosen recipe
    trains on, not how it trains; the search and its confirmation judged the
    recipe without it.

    Examples:
        >>> without_final_fit(RECIPES["best"]).final_fit
        False
        >>> without_final_fit(RECIPES["best"]).epochs
        80

    """
    return replace(recipe, final_fit=False)


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe("dense", "dense", epochs=8, lesson="01"),
        Recipe("cnn", "cnn", epochs=8, lesson="02"),
        Recipe(
            "cnn_dropout", "cnn", epochs=8, model_kwargs={"dropout": 0.3}, lesson="03"
        ),
        Recipe("challenge", "challenge", epochs=40, lesson="04"),
        replace(PROTOCOL_CHOICE, name="best", epochs=80, final_fit=True, lesson="07"),
        PROTOCOL_CHOICE,
        ALL_TECHNIQUES,
        Recipe(
            "fast",
            "best",
            epochs=2,
            learning_rate=3e-3,
            schedule="cosine",
            model_kwargs={"augment": False, "dropout": 0.0},
        ),
    )
}
"""Full-mode training settings, by recipe name. A recipe's name is usually its
model's name; variants (say, `"cnn_dropout"`) name their model in `model`.

Recipes with a `lesson` are the ladder's rows; each of lessons 02 and 03
changes one field of the row before it (the model, then its dropout), and
lesson 04's is the original notebook's model. Three have none:
`"all_techniques"` stacks every technique of lessons 03, 06 and 07 on the best
model (dropout, cutout, label smoothing, ...); `fmnist-course bench ablation`
removes them one at a time and scores each on validation, and `"best_40"` is
the recipe that protocol chose (`PROTOCOL_CHOICE`). `"best"` is that recipe
trained for 80 epochs, the change its confirmation promoted. `"fast"`
is the recipe that `bench time-to-accuracy` races against the original one."""


SWITCH_OFF: dict[str, dict[str, Any]] = {
    "cutout": {"model_kwargs": {"cutout": 0}},
    "label smoothing": {"label_smoothing": 0.0},
    "flips and shifts": {"model_kwargs": {"augment": False}},
    "dropout": {"model_kwargs": {"dropout": 0.0}},
    "weight decay": {"weight_decay": 0.0},
    "weight averaging": {"weight_averaging": None},
    "cosine schedule": {"schedule": "constant", "learning_rate": LEARNING_RATE},
}
"""How to switch each technique of a recipe off, by technique: the `Recipe`
fields to change (a `model_kwargs` mapping is merged into the recipe's). The
ablation benchmark and lesson 07's exercise both read it; see `switch_off`."""


def switch_off(recipe: Recipe, technique: str) -> Recipe:
    """A copy of `recipe` with one technique switched off, the rest unchanged.

    Args:
        recipe: The recipe to copy (it is left as it is).
        technique: A key of `SWITCH_OFF`, say `"dropout"`.

    Returns:
        A new `Recipe` with the same name.

    Raises:
        UserError: `technique` is not a key of `SWITCH_OFF`.

    Examples:
        >>> stacked = RECIPES["all_techniques"]
        >>> switch_off(stacked, "dropout").model_kwargs
        {'cutout': 8, 'dropout': 0.0}
        >>> switch_off(stacked, "weight decay").weight_decay, stacked.weight_decay
        (0.0, 0.05)

    """
    if technique not in SWITCH_OFF:
        raise UserError(
            f"Unknown technique: {technique!r}. Expected one of: "
            f"{', '.join(map(repr, SWITCH_OFF))}."
        )
    changes = dict(SWITCH_OFF[technique])
    if "model_kwargs" in changes:
        changes["model_kwargs"] = {**recipe.model_kwargs, **changes["model_kwargs"]}
    return replace(recipe, **changes)


def get_recipe(name: str) -> Recipe:
    """Return the full-mode recipe of a named course model.

    Raises:
        ValueError: `name` is not a course model.

    """
    if name not in RECIPES:
        raise UserError(
            f"Unknown model name: {name!r}. Expected one of: "
            f"{', '.join(sorted(RECIPES))}."
        )
    return RECIPES[name]
