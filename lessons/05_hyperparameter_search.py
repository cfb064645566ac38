# %% [markdown]
# # Hyperparameter search: grid, random and successive halving
#
# **What you will learn**
#
# - What a search space is: the keyword arguments of a model builder and a few
#   training options (the *hyperparameters*: settings chosen before training,
#   as opposed to the weights that training learns), each with a list of
#   candidate values.
# - Grid search, random search, and successive halving (the idea behind
#   Hyperband), and what each costs in training epochs.
# - Why every decision uses the validation set, and why the test set is
#   touched exactly once, at the very end.
# - How a search that is interrupted resumes without losing a finished trial.
#
# **Prerequisites**: lessons 01-04 (the dense baseline, `train_model`,
# dropout and L2 penalties).
#
# **Runtime**: three small searches on a subset; a rerun reuses the stored
# trials and takes seconds (the course website shows the time measured in its
# last full-mode build). In fast mode (`FMNIST_FAST=1`) it runs on a
# 3,000-image subset in a minute or two; fast-mode numbers are smoke tests, not
# results.

# %%
import dataclasses
import itertools

import keras
import numpy as np
import pandas as pd

import fmnist_course as fmc
from fmnist_course import tuning
from fmnist_course.exercises import check
from fmnist_course.tuning_plots import plot_parameters, plot_trials

keras.utils.set_random_seed(0)

# %% [markdown]
# ## Three sets, three jobs
#
# We load the data with a validation set: 10% of the training images, held
# out and stratified by class.
#
# - The **training set** fits the weights.
# - The **validation set** chooses between models: every comparison in this
#   lesson is made on it.
# - The **test set** reports the final score of the one model we chose, once.
#
# If we picked the configuration with the best *test* accuracy, the test
# score would no longer be an honest estimate: we would have tuned on it, and
# with enough trials some configuration scores well on those 10,000 images by
# luck alone.

# %%
data = fmc.load_course_split()
print("train", data.x_train.shape, "validation", data.x_val.shape)

# %% [markdown]
# A search trains many models, so we search on a seeded subset of 15,000
# training images (fast mode keeps all of its small subset) and compare on the
# full validation set. As in lesson 00's validation split, the subset is
# *stratified*: the same number of images of every class, drawn at random
# within each class, so no class is under-represented by chance. The chosen
# configuration is trained on the whole training set at the end.

# %%
rng = np.random.default_rng(0)
per_class = min(15_000, len(data.x_train)) // 10
subset = np.concatenate(
    [
        rng.permutation(np.flatnonzero(data.y_train == label))[:per_class]
        for label in range(10)
    ]
)
subset.sort()  # keep the original order of the images
search_data = dataclasses.replace(
    data, x_train=data.x_train[subset], y_train=data.y_train[subset]
)
print("search on", search_data.x_train.shape[0], "training images")
print("images per class:", np.bincount(search_data.y_train).tolist())

# %% [markdown]
# ## A search space
#
# Because the course's builders take flat keyword arguments, a search space is
# just a dict: the model's name, then each keyword with a list of candidate
# values. `learning_rate`, `batch_size` and `schedule` are training options;
# every other key must be an argument of the builder. `validate_space` checks
# this with `inspect` and checks each value, so a typo fails at once rather
# than after an hour of training:

# %%
space = {
    "model": "dense",
    "learning_rate": [3e-4, 1e-3, 3e-3],
    "dropout": [0.0, 0.3],
}
print(tuning.validate_space(space))

try:
    tuning.validate_space({"model": "dense", "dropuot": [0.1]})
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# ## Grid search
#
# Grid search trains every combination: here 3 learning rates x 2 dropout
# rates = 6 models, each for the same number of epochs and with the same seed,
# so they differ only in their hyperparameters. Each trial is scored by its
# best validation accuracy over its epochs. The whole search is a loop over
# the combinations, which `itertools.product` lists.
#
# One trial is `tuning.run_trial`: build the model with the trial's keyword
# arguments, train it with `train_model`, and keep the validation accuracy of
# each epoch. It also writes the finished trial at once to its own JSON file
# under `runs/tuning/lesson05/grid`, named after a hash of everything that
# decides its result (model, parameters, epochs, seed, data). Run this cell a
# second time: every trial says `reused` and nothing trains. The same holds
# after a crash or a `Ctrl-C` halfway through: the finished trials are kept
# and the search resumes with the next one.

# %%
epochs = fmc.epochs_for(6, fast=2)
names = [name for name in space if name != "model"]
grid_records = []
for values in itertools.product(*(space[name] for name in names)):
    params = dict(zip(names, values, strict=True))
    record = tuning.run_trial(
        space["model"],
        params,
        search_data,
        epochs=epochs,
        store_dir="runs/tuning/lesson05/grid",
    )
    grid_records.append(record)
    status = "reused" if record["reused"] else f"{record['seconds']:.0f} s"
    print(f"{params}: {record['best_val_accuracy']:.4f} ({status})")
grid = tuning.results_table(grid_records)
grid.drop(columns="trial")

# %% [markdown]
# Scoring a trial by its *best* epoch is a choice with a cost. Each epoch's
# validation accuracy carries some noise, so the best of several epochs may
# flatter a trial that had one lucky epoch; that is the selection noise
# lesson 06 warns about when it keeps the last epoch's weights. The score of
# the *last* epoch is the stricter alternative, and the records hold every
# epoch's validation accuracy, so the cell below ranks the grid both ways. We
# keep the best epoch here, because it is what the library's `tuning`
# functions compare. Where the two rankings disagree, treat the trials
# involved as too close to separate on one seed.

# %%
by_epoch = pd.DataFrame(
    {
        "params": [str(record["params"]) for record in grid_records],
        "best epoch": [record["best_val_accuracy"] for record in grid_records],
        "last epoch": [record["val_accuracy"][-1] for record in grid_records],
    }
)
print("top by best epoch:", by_epoch.loc[by_epoch["best epoch"].idxmax(), "params"])
print("top by last epoch:", by_epoch.loc[by_epoch["last epoch"].idxmax(), "params"])
by_epoch.round(4)

# %% [markdown]
# That loop is all of grid search. `tuning.grid_search(space, search_data,
# epochs=epochs, store_dir=...)` packages it: the same loop, the same store,
# plus an `executor` option (an object that runs several function calls at
# once, like those of Python's `concurrent.futures`) that trains independent
# trials in parallel: on this machine's cores with the command line's
# `--workers`, or on several machines with its `--scheduler` (the address of a
# cluster run by Dask, a Python library that spreads work over machines).

# %% [markdown]
# One bar per trial, and one panel per hyperparameter. Each dot in the second
# figure is a trial; the red line joins the best trial of each value. Look at
# the smallest learning rate: after only a few epochs a slow learner may simply
# not have finished learning, so a short budget favours fast learners. Keep
# that in mind for successive halving below, whose first round of training is
# shorter still.

# %%
figure = plot_trials(grid, title="Grid search")

# %%
figure = plot_parameters(grid, title="Grid search: each parameter against accuracy")

# %% [markdown]
# ## Random search
#
# A grid's cost multiplies with every key you add: one more key with 2 values
# doubles it. Random search instead fixes the number of trials and draws each
# configuration's values independently. Its real advantage (Bergstra and
# Bengio, 2012) comes when values are drawn from *ranges* rather than short
# lists: every trial then tries a new learning rate and a new dropout rate, so
# 4 trials try 4 learning rates where a grid of 4 tries 2. When only one or two
# parameters really matter, that is where the extra values pay off.
#
# A learning rate is drawn *log-uniformly*: its exponent is uniform, so the
# range from 3e-4 to 1e-3 gets about as many draws as the range from 1e-3 to
# 3e-3.
# Dropout is drawn uniformly between 0 and 0.5.

# %%
big_space = {**space, "hidden_units": [[128], [256, 128]]}
print(len(tuning.grid_configs(big_space)), "configurations in the bigger space")

draws = np.random.default_rng(1)


def draw_configuration():
    """One random configuration: ranges for the rates, a choice of layers."""
    return {
        "learning_rate": float(10 ** draws.uniform(np.log10(3e-4), np.log10(3e-3))),
        "dropout": round(float(draws.uniform(0.0, 0.5)), 3),
        "hidden_units": big_space["hidden_units"][draws.integers(2)],
    }


random_records = [
    tuning.run_trial(
        "dense",
        draw_configuration(),
        search_data,
        epochs=epochs,
        store_dir="runs/tuning/lesson05/random",
    )
    for _ in range(4)
]
random_results = tuning.results_table(random_records)
print(
    "distinct learning rates tried: grid",
    grid["learning_rate"].nunique(),
    "of 6 trials, random",
    random_results["learning_rate"].nunique(),
    "of 4",
)
random_results.drop(columns="trial")

# %% [markdown]
# `tuning.random_search(space, ..., num_trials=4)` is the library's version for
# spaces of lists: it draws configurations from the grid without repeats.

# %% [markdown]
# ## Successive halving
#
# Most bad configurations look bad early. Successive halving trains *all*
# configurations on a small budget, keeps the best third, trains those again
# with three times the epochs, and so on up to the full budget. Each round of
# training is a *rung* (a word of its own here, not a row of the benchmark
# ladder of lessons 01 to 04). Hyperband runs several such halving searches
# (it calls each a *bracket*), each from a different starting budget; one is
# already the core idea. Here is the budget schedule for our 12
# configurations, rung by rung:

# %%
configs = tuning.grid_configs(big_space)
assert len(configs) == 12, "the prose says 12 configurations"
rungs = tuning.halving_schedule(len(configs), min_epochs=1, max_epochs=epochs)
print(tuning.format_schedule(rungs))
print("grid search of the same space:", len(configs) * epochs, "epochs")

# %% [markdown]
# Written out, successive halving is a loop over rungs: train every survivor
# with this rung's budget, rank them by validation accuracy, keep the best
# third, triple the budget. Each rung trains its models from scratch, so a
# trial is the same whether it ran in a grid or in a rung, and its stored
# result can be reused by either.

# %%
survivors = tuning.grid_configs(big_space)
budget = 1
halving_records = []
for rung in itertools.count():
    budget = epochs if len(survivors) == 1 else min(budget, epochs)
    records = [
        tuning.run_trial(
            "dense",
            params,
            search_data,
            epochs=budget,
            store_dir="runs/tuning/lesson05/halving",
        )
        for params in survivors
    ]
    halving_records += [{**record, "rung": rung} for record in records]
    best = max(record["best_val_accuracy"] for record in records)
    print(f"rung {rung}: {len(records)} x {budget} epochs, best {best:.4f}")
    if budget == epochs:
        break
    records.sort(key=lambda record: -record["best_val_accuracy"])  # stable
    survivors = [record["params"] for record in records[: max(1, len(records) // 3)]]
    budget *= 3
halving = tuning.results_table(halving_records)
halving.drop(columns="trial")

# %% [markdown]
# `tuning.successive_halving` packages the same loop. Run on the same store,
# it finds every trial the loop above trained, so it trains nothing and must
# agree with it:

# %%
packaged = tuning.successive_halving(
    big_space,
    search_data,
    min_epochs=1,
    max_epochs=epochs,
    store_dir="runs/tuning/lesson05/halving",
    verbose=False,
)
print("trained again:", int((~packaged["reused"]).sum()))
print("same trials:", sorted(packaged["trial"]) == sorted(halving["trial"]))

# %%
figure = plot_trials(halving, title="Successive halving: colours are rungs")

# %% [markdown]
# ## Choosing, on validation accuracy only
#
# `best_trial` compares the trials that trained for the most epochs (early
# rungs are not compared with finished models) and returns the one with the
# best validation accuracy. We compare the three searches by their best
# validation score and by the epochs they spent. Mind that the grid searched
# the smaller space of 6 configurations; a grid over all 12 would have cost
# twice its epochs.

# %%
searches = {"grid": grid, "random": random_results, "halving": halving}
comparison = pd.DataFrame(
    {
        name: {
            **tuning.best_trial(results),
            "total_epochs": int(results["epochs"].sum()),
        }
        for name, results in searches.items()
    }
).T
comparison

# %%
chosen = tuning.best_trial(pd.concat(searches.values(), ignore_index=True))
print("chosen:", chosen)

# %% [markdown]
# How well does halving do on the real thing? The course's benchmark
# (`fmnist_course.bench.search_strategies.benchmark_tuning()`) ran a grid and
# successive halving over the bigger space above, with the epoch budget the
# cell prints, on the whole training and validation sets, and recorded both in
# `benchmarks/results.json` under `tuning`. The cell reads the record: did
# halving promote the configuration the grid found best, and how many epochs
# did each spend?

# %%
import json

from fmnist_course.results import load_results

recorded = load_results().get("tuning")
if not recorded:
    print(
        "not measured yet: run fmnist_course.bench.search_strategies.benchmark_tuning()"
    )
else:
    print(
        f"on {recorded['train_images']:,} training and {recorded['val_images']:,} "
        "validation images:"
    )
    for name in ("grid", "halving"):
        entry = recorded[name]
        print(
            f"{name:>8}: best validation accuracy {entry['best_val_accuracy']:.4f} "
            f"in {entry['total_epochs']} epochs ({entry['num_trials']} trials), "
            f"best {entry['best_params']}"
        )
    assert recorded["space"] == json.loads(json.dumps(big_space)), (
        "the prose says the record searched the bigger space above"
    )
    grid_epochs = recorded["grid"]["total_epochs"] // recorded["grid"]["num_trials"]
    print(f"the grid trained each trial for {grid_epochs} epochs")
    same = recorded["grid"]["best_params"] == recorded["halving"]["best_params"]
    print("halving promoted the grid's best configuration:", same)

# %% [markdown]
# ## The test set, once
#
# Now, and only now, we train the chosen configuration on the whole training
# set and evaluate it on the test set. This number is our estimate of how the
# model does on new images. We do not go back and change the configuration
# because of it: had we done so, it would be one more validation score, and
# we would need a fresh test set to report an honest result.
#
# Note one mismatch. The search ranked trials by their *best* epoch, but
# this model trains for all `chosen["epochs"]` epochs and is reported at its
# *last* one. If the chosen trial peaked early, the retrained model may score
# below the validation accuracy that chose it; compare the two printed lines.

# %%
params = dict(chosen["params"])
options = {k: params.pop(k) for k in tuning.TRAINING_OPTIONS if k in params}
model = fmc.build_model("dense", **params)
history = fmc.train_model(
    model,
    data.x_train,
    data.y_train,
    validation_data=data.validation_data,
    epochs=chosen["epochs"],
    verbose=0,
    **options,
)
test_scores = fmc.evaluate_model(model, data.x_test, data.y_test)
print(f"search score (best epoch) {chosen['best_val_accuracy']:.4f}")
print(f"validation accuracy {history['val_accuracy'].iloc[-1]:.4f} (last epoch)")
print(f"test accuracy {test_scores['accuracy']:.4f}  (measured once)")

# %% [markdown]
# ## Summary
#
# - A search space maps a builder's keyword arguments (and the training
#   options) to candidate values; validating it first catches typos early.
# - Grid search is a loop over every combination, and its cost multiplies with
#   every key; random search fixes the number of trials and, drawing from
#   ranges, tries a new value of every parameter in each; successive halving
#   is a loop over rungs that spends most of its epochs on the few
#   configurations that looked good early.
# - A search subset is stratified, like the validation split.
# - Trials are stored one file each as they finish, so a search resumes after
#   a crash and never trains the same trial twice.
# - Choose on validation accuracy; touch the test set once, at the end.
#
# The command line does the same: `fmnist-course tune --space space.json
# --strategy halving --epochs 9`.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: The budget of successive halving
#
# Check id: `05-halving-budget`.
#
# A space has 27 configurations. Successive halving starts at 1 epoch, ends
# at 9 and keeps a third at each rung. How many epochs does it train in all?
# (A grid would train 27 x 9 = 243.) Work it out by hand, then check.

# %%
### BEGIN SOLUTION
total_epochs = 27 * 1 + 9 * 3 + 3 * 9
### END SOLUTION
check("05-halving-budget", total_epochs)

# %% [markdown]
# ### Exercise 2: A search space for the CNN
#
# Check id: `05-cnn-space`.
#
# Write a search space for the `"cnn"` model that searches at least two
# values of the L2 penalty `l2` and at least two values of one other key (a
# key with one value is fixed, not searched), with no more than
# 8 configurations in all, and no candidate of more than 512 filters or units.
# (Optional: run `tuning.successive_halving` on it with a small `search_data`
# subset.)

# %%
### BEGIN SOLUTION
cnn_space = {"model": "cnn", "l2": [0.0, 1e-4], "dropout": [0.0, 0.25]}
### END SOLUTION
check("05-cnn-space", cnn_space)

# %% [markdown]
# ### Exercise 3: Pick by validation, by hand
#
# Check id: `05-pick-by-validation`.
#
# Write `pick_by_validation(results)`, which picks the trial you would choose
# from a results table such as `halving`, using pandas only (not
# `best_trial`), and returns its hyperparameters as a dict: every column
# except the results, `epochs`, `best_val_accuracy`, `seconds`, `rung`,
# `reused` and `trial` (`tuning.table.RESULT_COLUMNS`). Which rows must you
# leave out, and why? The check runs it on made-up tables, the grader on
# tables of its own; then it picks from `halving`.


# %%
def pick_by_validation(results):
    ### BEGIN SOLUTION
    finished = results[results["epochs"] == results["epochs"].max()]
    row = finished.loc[finished["best_val_accuracy"].idxmax()]
    results_columns = [c for c in tuning.table.RESULT_COLUMNS if c in row.index]
    return row.drop(results_columns).to_dict()
    ### END SOLUTION


check("05-pick-by-validation", pick_by_validation)
print(pick_by_validation(halving))
