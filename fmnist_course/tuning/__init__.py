"""Hyperparameter search, written out plainly: grid, random, successive halving.

A search space is a mapping from the keyword arguments of a model builder (and
a few training options) to lists of candidate values:

    {"model": "dense", "learning_rate": [3e-4, 1e-3], "dropout": [0.0, 0.2]}

Keys other than `"model"` are either arguments of that model's builder
(checked against its signature with `inspect`) or one of the training options
`learning_rate`, `batch_size` and `schedule`. Epochs are the budget of a
search, so they are an argument of the search functions, not a key.

Every trial trains a fresh model with the same seed and scores it by its best
validation accuracy; the test set is never read here. Each finished trial is
written at once to its own JSON file in `store_dir`, named after a hash of
everything that decides its outcome (model, parameters, epochs, seed and the
data). A search that crashes or is interrupted therefore loses no finished
trial, and running it again reuses them instead of training them again.

Trials that do not depend on each other (every configuration of a grid or
random search, every trial of a rung of successive halving) run at once when a
search is given an `executor`: a local process pool or a Dask cluster (see
`fmnist_course.parallel` and the "On a cluster" page).

One concern per module:

- `space`: search spaces, their validation and their configurations.
- `store`: the trial store, one JSON file per finished trial.
- `trial`: one trial, described (`TrialTask`), trained (`train_trial`,
  wherever it runs) and stored (`run_trial`).
- `search`: the strategies, all through one path (`run_configs`).
- `table`: the results table and the choice of the best trial.

Examples:
    >>> space = {"model": "dense", "learning_rate": [1e-3, 3e-3], "dropout": [0.0, 0.2]}
    >>> results = grid_search(space, data, epochs=3, store_dir="runs/tuning/demo",
    ...                       verbose=False)
    >>> best = best_trial(results)  # chosen on validation accuracy only
    >>> sorted(best["params"])
    ['dropout', 'learning_rate']

"""

from fmnist_course.tuning.search import (
    format_schedule,
    grid_search,
    halving_schedule,
    random_search,
    run_configs,
    search_configs,
    successive_halving,
)
from fmnist_course.tuning.space import (
    TRAINING_OPTIONS,
    builder_defaults,
    grid_configs,
    random_configs,
    validate_space,
)
from fmnist_course.tuning.store import TrialStore
from fmnist_course.tuning.table import best_trial, results_table
from fmnist_course.tuning.trial import (
    DataDescription,
    TrialTask,
    data_identity,
    describe_trial,
    run_trial,
    train_trial,
)

__all__ = [
    "TRAINING_OPTIONS",
    "DataDescription",
    "TrialStore",
    "TrialTask",
    "best_trial",
    "builder_defaults",
    "data_identity",
    "describe_trial",
    "format_schedule",
    "grid_configs",
    "grid_search",
    "halving_schedule",
    "random_configs",
    "random_search",
    "results_table",
    "run_configs",
    "run_trial",
    "search_configs",
    "successive_halving",
    "train_trial",
    "validate_space",
]
