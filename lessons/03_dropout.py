# %% [markdown]
# # Overfitting and dropout
#
# **What you will learn**
#
# - how to diagnose overfitting from training and validation curves;
# - what a `Dropout` layer does during training and at prediction time;
# - how to add dropout to the CNN of lesson 02;
# - how to compare runs side by side in a pandas table, and keep the test set
#   for the very end.
#
# **Prerequisites**: lesson 02 (the CNN, `fmc.train_model`, learning curves,
# the shipped models and the retrain switch).
#
# **Runtime**: a short live run of the CNN with dropout (a few of its recipe's
# 8 epochs) and two short runs on less data, a few minutes in full mode; both
# full-length CNNs are loaded, not trained (the course website shows the time
# measured in its last full-mode build). With `FMNIST_RETRAIN=1` the lesson
# trains both full recipes itself, several minutes more. In fast mode
# (`FMNIST_FAST=1`) it runs on a 3,000-image subset in a minute or two;
# fast-mode numbers are smoke tests, not results.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

import fmnist_course as fmc
from fmnist_course.exercises import check
from fmnist_course.plots import plot_histories, plot_history

keras.utils.set_random_seed(0)
data = fmc.load_course_split()

# %% [markdown]
# ## Diagnose overfitting
#
# We take the CNN of lesson 02, trained with its full recipe, and look
# closely at the gap between what it does on the images it trains on and on
# the validation images it never sees. As in lesson 02, we load the model the
# course ships, with the history the ladder recorded when it trained it,
# instead of spending minutes training it again. Its first seed, 0, is also
# the seed of our validation split, so in full mode the model never trained
# on our validation images.
#
# With the retrain switch on (`RETRAIN = True` below, or `FMNIST_RETRAIN=1`),
# the cell trains it here with `fit_recipe`, which builds the model and trains
# it as its recipe says, exactly as lesson 02 does, and everything below uses
# the models you trained.

# %%
from fmnist_course.trained_models import ladder_command
from fmnist_course.training import fit_recipe

RETRAIN = fmc.retrain_requested()  # True: train both full recipes here instead
FAST = fmc.is_fast_mode()
plain_recipe = fmc.RECIPES["cnn"]
if RETRAIN:
    plain, plain_history = fit_recipe(
        plain_recipe, data, epochs=fmc.epochs_for(plain_recipe.epochs), verbose=2
    )
    print(f"live: the 'cnn' recipe, {len(plain_history)} epochs, trained above")
else:
    plain_shipped = fmc.load_shipped("cnn")
    assert plain_shipped.seed == 0, "the prose says it shares our validation split"
    plain, plain_history = plain_shipped.model, plain_shipped.history
    print(
        f"recorded: the shipped 'cnn' model, {len(plain_history)} epochs, seed "
        f"{plain_shipped.seed}, measured {plain_shipped.metadata['measured_at']} "
        f"by `{ladder_command(plain_recipe)}`"
    )

# %%
plot_history(
    plain_history, title="CNN without dropout" + ("" if RETRAIN else ", recorded")
)
plt.show()

# %% [markdown]
# Three signs of overfitting to look for in the curves:
#
# - the training accuracy climbs faster than the validation accuracy;
# - the training loss keeps falling at a steady pace while the validation loss
#   flattens, then stops falling and turns up, as the model grows more
#   confident on its validation mistakes (in a run this short, the turn may
#   come in the last epoch or two, and be tiny: the table below shows each
#   epoch's change in validation loss);
# - the gap between training and validation accuracy widens.
#
# The cell prints these numbers from the history, epoch by epoch. Read them
# with one caution: the two accuracies of a history are not measured the same
# way, which the next section sorts out.


# %%
def describe_run(history):
    """Where validation peaked, and the final train-validation gap."""
    best = history["val_accuracy"].idxmax()
    return {
        "best val acc": history["val_accuracy"].max(),
        "best epoch": int(history.loc[best, "epoch"]),
        "lowest val loss epoch": int(
            history.loc[history["val_loss"].idxmin(), "epoch"]
        ),
        "history gap": history["accuracy"].iloc[-1] - history["val_accuracy"].iloc[-1],
    }


plain_history.assign(
    gap=plain_history["accuracy"] - plain_history["val_accuracy"],
    val_loss_change=plain_history["val_loss"].diff(),
)[["epoch", "accuracy", "val_accuracy", "gap", "loss", "val_loss", "val_loss_change"]]

# %% [markdown]
# ## Measuring the gap fairly
#
# The `accuracy` column of a history is a running average over the epoch:
# each batch scored just before its own update, by the weights of that moment,
# and with dropout active when the model has any. The
# `val_accuracy` column is measured after the epoch, on the finished weights,
# with dropout off. Their difference mixes overfitting with these
# differences of measurement.
#
# The fair gap measures both sets the same way: `evaluate` the final model on
# the training images and on the validation images, same weights, no dropout.
# These numbers are live: measured now, in this notebook, even on a shipped
# model.


# %%
def evaluated_gap(model, x_train=data.x_train, y_train=data.y_train):
    """Training minus validation accuracy, both measured with `evaluate`."""
    train = fmc.evaluate_model(model, x_train, y_train)["accuracy"]
    val = fmc.evaluate_model(model, data.x_val, data.y_val)["accuracy"]
    return {
        "train acc (evaluate)": train,
        "val acc (evaluate)": val,
        "gap": train - val,
    }


print({name: round(value, 4) for name, value in evaluated_gap(plain).items()})

# %% [markdown]
# ## Dropout
#
# A `Dropout(rate)` layer, during training only, sets each of its inputs to
# zero with probability `rate` and multiplies the others by `1 / (1 - rate)`,
# so their expected sum is unchanged. A different random subset is dropped at
# every step, so no unit can rely on a particular other unit being there: the
# network has to spread what it knows. When predicting, dropout does nothing.

# %%
dropout = layers.Dropout(0.3, seed=0)
ones = np.ones((1, 10), dtype="float32")
print("training:  ", keras.ops.convert_to_numpy(dropout(ones, training=True)).round(3))
print("predicting:", keras.ops.convert_to_numpy(dropout(ones, training=False)))

# %% [markdown]
# ## The CNN with dropout, written out in full
#
# The CNN of lesson 02 with a `Dropout(0.3)` after each block and after the
# hidden dense layer. Dropout has no weights, so the parameter count is the
# same.

# %%
rate = 0.3
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(28, 28), name="image")
x = layers.Reshape((28, 28, 1), name="add_channel")(inputs)
x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_1")(x)
x = layers.MaxPooling2D(2, name="pool_1")(x)
x = layers.Dropout(rate, name="dropout_1")(x)
x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_2")(x)
x = layers.MaxPooling2D(2, name="pool_2")(x)
x = layers.Dropout(rate, name="dropout_2")(x)
x = layers.Flatten(name="flatten")(x)
x = layers.Dense(128, activation="relu", name="dense")(x)
x = layers.Dropout(rate, name="dropout_dense")(x)
outputs = layers.Dense(10, activation="softmax", name="classes")(x)
with_dropout = keras.Model(inputs, outputs, name="cnn")
print("parameters:", with_dropout.count_params(), "vs", plain.count_params())

# %% [markdown]
# This is `fmc.build_model("cnn", dropout=0.3)`, and the course's
# `"cnn_dropout"` recipe trains it exactly as below. It is the `"cnn"` recipe
# with one change: the cell lists every field of the two recipes that differs
# (apart from their names and lessons).

# %%
from dataclasses import asdict

dropout_recipe = fmc.RECIPES["cnn_dropout"]
print(dropout_recipe)
changed = []
for field, before in asdict(plain_recipe).items():
    after = asdict(dropout_recipe)[field]
    if field not in ("name", "lesson") and before != after:
        changed.append(field)
        print(f"changed from 'cnn': {field} {before!r} -> {after!r}")
assert changed == ["model_kwargs"], "the prose says only the dropout changes"
assert dropout_recipe.epochs == 8, "the prose (Runtime, at the top) says 8 epochs"
print(
    "same layers as the library's:",
    [layer.name for layer in with_dropout.layers]
    == [layer.name for layer in fmc.build_model("cnn", dropout=rate).layers],
)

# %% [markdown]
# As in lesson 02, we train it live for its first few epochs only, to watch
# it learn (its learning rate is constant, so these are the first epochs of
# the full run), and load the full run the course ships. With `RETRAIN` on,
# the live run is the full run. `fit_recipe` builds the model above from the
# same seed and trains it with the recipe's settings: the call the course's
# benchmark makes for the recorded run. (On a CPU with bfloat16 instructions
# it trains in bfloat16, as lesson 02 explained, and says so; the recorded
# run is float32, so their epochs need not agree to the digit, as lesson 02's
# side-by-side table showed. The runs on less
# data further down call `fmc.train_model` directly, in float32.)

# %%
assert dropout_recipe.schedule == "constant", "the prose says so"
live_epochs = dropout_recipe.epochs if RETRAIN else fmc.LIVE_EPOCHS
live_dropout, dropout_history = fit_recipe(
    dropout_recipe, data, epochs=fmc.epochs_for(live_epochs), seed=0, verbose=2
)
print(f"live: {len(dropout_history)} of the recipe's {dropout_recipe.epochs} epochs")
plot_history(
    dropout_history,
    title=f"CNN with dropout, live run of {len(dropout_history)} epochs",
)
plt.show()

# %%
if RETRAIN:
    full_dropout, full_dropout_history = live_dropout, dropout_history
    print(f"live: the 'cnn_dropout' recipe, {len(dropout_history)} epochs, above")
else:
    dropout_shipped = fmc.load_shipped("cnn_dropout")
    assert dropout_shipped.seed == 0, "the prose says it shares our validation split"
    full_dropout = dropout_shipped.model
    full_dropout_history = dropout_shipped.history
    print(
        f"recorded: the shipped 'cnn_dropout' model, {len(full_dropout_history)} "
        f"epochs, seed {dropout_shipped.seed}, measured "
        f"{dropout_shipped.metadata['measured_at']} by "
        f"`{ladder_command(dropout_recipe)}`"
    )

# %% [markdown]
# ## Compare the runs
#
# The two full runs side by side: solid lines are validation, dashed lines
# training. With dropout, the training accuracy is measured with units
# dropped, so it sits lower; what matters is the validation curve and the
# gap.

# %%
histories = {"cnn": plain_history, "cnn + dropout 0.3": full_dropout_history}
plot_histories(histories)
plt.show()

# %% [markdown]
# A table of runs makes the comparison precise. Every column so far comes from
# training and validation data only: this is where we decide. The columns
# read from a history (the best validation accuracy, its epoch, the history
# gap) are recorded, unless `RETRAIN` is on; the `evaluate` columns are live.

# %%
models = {"cnn": plain, "cnn + dropout 0.3": full_dropout}
runs = pd.DataFrame.from_dict(
    {
        name: {"params": models[name].count_params(), "epochs": len(history)}
        | describe_run(history)
        | evaluated_gap(models[name])
        for name, history in histories.items()
    },
    orient="index",
)
assert len(data.y_train) == 54_000 or FAST, "the prose says 54,000 images"
runs.round(4)

# %% [markdown]
# Compare the two gaps of each run in the table. The *history gap* can make
# dropout look as if it removed overfitting altogether, but part of that is
# measurement: its training accuracy was scored with units dropped. The
# *evaluated gap*, same weights and no dropout on both sides, is the real
# one. Dropout is expected to narrow it, and to learn more slowly, since
# every step trains only the units it kept, a random part of the network; the
# table shows whether it did in these runs. On 54,000 images and a short run,
# a plain CNN may have little overfitting for dropout to cure: its evaluated
# gap in the table says how much it had.
#
# ## Dropout with less data
#
# Overfitting grows when a model sees few images many times. So we give both
# networks a seeded, stratified twentieth of the training images (drawn from the
# training set only, so no validation image leaks in) and four times the
# epochs, and compare them on the same validation set. (In fast mode both runs
# are tiny and their numbers are smoke tests.)

# %%
rng = np.random.default_rng(0)
twentieth = np.concatenate(
    [
        rng.permutation(np.flatnonzero(data.y_train == label))[
            : np.sum(data.y_train == label) // 20
        ]
        for label in range(10)
    ]
)
x_small, y_small = data.x_train[twentieth], data.y_train[twentieth]
print(f"{len(x_small):,} training images, {np.bincount(y_small).tolist()} per class")
small_runs = {}
for name, dropout_rate in (("cnn", 0.0), ("cnn + dropout 0.3", rate)):
    keras.utils.set_random_seed(0)  # both start from the same weights
    model = fmc.build_model("cnn", dropout=dropout_rate)
    fmc.train_model(  # no per-epoch validation: only the end is compared
        model,
        x_small,
        y_small,
        epochs=fmc.epochs_for(4 * dropout_recipe.epochs, fast=2),
        seed=0,
        verbose=0,
    )
    small_runs[name] = evaluated_gap(model, x_small, y_small)
pd.DataFrame(small_runs).T.round(4)

# %% [markdown]
# With a twentieth of the images, expect the plain CNN to memorise them: its
# training accuracy should race ahead and its evaluated gap widen; the table
# shows whether it did. The cell below reads the table: how much dropout
# narrowed the gap, and what that did to the validation accuracy.

# %%
plain_small, dropout_small = small_runs["cnn"], small_runs["cnn + dropout 0.3"]
narrowed = 100 * (plain_small["gap"] - dropout_small["gap"])
change = 100 * (dropout_small["val acc (evaluate)"] - plain_small["val acc (evaluate)"])
print(f"dropout narrowed the evaluated gap by {narrowed:.1f} points")
print(f"and changed the validation accuracy by {change:+.2f} points")

# %% [markdown]
# A narrower gap is the effect dropout is meant to have, since the network
# cannot memorise its training images as easily; the line above says whether
# this one run showed it. Whether that turns into a higher validation
# accuracy depends on the budget: each step trains only the units it kept, so
# dropout learns more slowly, and within a fixed number of epochs the two
# effects can cancel out. Both runs are compared at their last epoch, one
# run each: a change of a fraction of a point in validation accuracy may be
# no more than another seed can move it. The next section shows by how much
# on the full data; on a twentieth of it the seeds' spread was not
# measured, and is likely larger, so one run each settles nothing here.
#
# ## What the record says on the full data
#
# One seed is one draw. Lesson 01 introduced the course's benchmark ladder
# (`fmnist-course bench ladder --seeds 0 1 2`), which trains each lesson's
# recipe under seeds 0, 1 and 2 and records the results; it trains the `cnn`
# and `cnn_dropout` recipes on all 54,000 training images. The cell reads the
# record, not this run: each recipe's mean accuracy with its spread over the
# seeds, then the difference of the means beside their ranges (highest minus
# lowest). A fair decision compares validation accuracy over several seeds, so
# that comes first; the test accuracy comes second, as the report.

# %%
from fmnist_course.results import load_results
from fmnist_course.results_tables import ladder_spread

record = load_results()
for row in record["ladder"]:
    if row["model"] in ("cnn", "cnn_dropout") and row["device"] == "cpu":
        assert row["train_images"] == 54_000, "the prose says 54,000 images"
        assert row["seeds"] == [0, 1, 2], "the prose says seeds 0, 1 and 2"
print("Validation accuracy (what the choice is made on):")
print(ladder_spread(record, ["cnn", "cnn_dropout"], metric="validation_accuracy"))
print("\nTest accuracy (the report):")
print(ladder_spread(record, ["cnn", "cnn_dropout"]))

# %% [markdown]
# Read each difference against the ranges: a difference smaller than the
# range between seeds is within what another seed could give, and another set
# of seeds could reverse it; only one larger than both ranges is a difference
# the seeds agree on. The decision rests on the validation lines: keep dropout
# only if its validation gain is larger than the seeds' ranges. The test lines
# are the report of the recipes so chosen; by this lesson's own rule they
# cannot choose for us, even when they point the other way.
#
# The cell below applies the rule to the record. On the full data it does
# not keep dropout. The ladder still has a `cnn_dropout` row, because the
# ladder follows the lessons: it is the step lesson 04 builds on, not the
# model this rule chose. Lesson 07 measures dropout again inside a bigger
# recipe, under the same kind of rule, on a short budget.


# %%
def validation_runs(model):
    """The recorded validation accuracy of each seed of a ladder row."""
    (row,) = [
        r for r in record["ladder"] if r["model"] == model and r["device"] == "cpu"
    ]
    return [run["validation_accuracy"] for run in row["runs"]]


plain_runs, dropout_runs = validation_runs("cnn"), validation_runs("cnn_dropout")
gain = np.mean(dropout_runs) - np.mean(plain_runs)
ranges = max(np.ptp(plain_runs), np.ptp(dropout_runs))
keep = gain > ranges
print(
    f"dropout's validation gain: {100 * gain:+.2f} points, against ranges of up "
    f"to {100 * ranges:.2f}; keep dropout: {keep}"
)
assert not keep, "the prose says the rule does not keep dropout here"

# %% [markdown]
# Dropout need not win on the full data. If the plain CNN overfits
# little on 54,000 images within its epochs (its evaluated gap in the table of
# the two full-data runs says how much), dropout's slower learning can cost
# more than its regularization (anything that keeps a model from fitting its
# training images too closely) gives. Dropout is a tool for a model that
# overfits (the table on a twentieth of the data showed how far the plain CNN
# did there, and how much dropout narrowed its gap); it is not a free
# gain, and one run each there cannot say it raised the accuracy. Later
# lessons add other regularizers (augmentation, weight decay), and lesson 07
# measures dropout again inside a bigger recipe.
#
# ## Test accuracy, at the end only
#
# Our choices are made; now both full-data models, the chosen one and the
# one it was compared with, are measured once on the test
# set, live. A shipped model is the very model the ladder scored, on the same
# test images, so its live test accuracy is the one recorded for it: the same
# to the digit on the machine that recorded it; on other hardware, which adds
# the same numbers in other orders, within a few images. The cell prints both
# and the difference in images, and checks it in full mode. (In fast mode the
# test set is a subset, so the two differ.) With `RETRAIN` on, the models are
# new runs, so the cell holds each against the ladder's seeds instead, as
# lesson 02 did: within 2 standard deviations of their mean.

# %%
from fmnist_course.retrained import retrain_agreement
from fmnist_course.trained_models import model_precision

runs["test accuracy"] = [
    fmc.evaluate_model(models[name], data.x_test, data.y_test)["accuracy"]
    for name in runs.index
]
if not RETRAIN:
    runs["recorded test accuracy"] = [
        plain_shipped.test_accuracy,
        dropout_shipped.test_accuracy,
    ]
    if not FAST:
        runs["images apart"] = (
            (runs["test accuracy"] - runs["recorded test accuracy"]).abs()
            * len(data.y_test)
        ).round()
        assert (runs["images apart"] <= 5).all(), (
            "a shipped model no longer scores what the ladder recorded"
        )
elif not FAST:
    for recipe_name, name in zip(("cnn", "cnn_dropout"), runs.index, strict=True):
        accuracy = runs.loc[name, "test accuracy"]
        print(retrain_agreement(recipe_name, accuracy, model_precision(models[name])))
runs.round(4)

# %% [markdown]
# ## Summary
#
# - Overfitting shows as a widening gap between training and validation
#   accuracy, and a validation loss that turns up while the training loss
#   keeps falling. Measure the gap with `evaluate` on both sets, same weights,
#   no dropout: a history's training accuracy is measured differently.
# - Expect: dropout matters most when a model sees few images many times.
# - `Dropout(rate)` zeroes a random fraction `rate` of its inputs during
#   training (and rescales the rest); it does nothing at prediction time.
# - Compare runs in a table built from training and validation numbers; add
#   the test accuracy last, once the choice is made.
# - `fmc.build_model("cnn", dropout=0.3)` and `fmc.RECIPES["cnn_dropout"]`
#   package this lesson.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Dropout during training and prediction
#
# Check id: `03-dropout-scale`.
#
# For `Dropout(0.3)`: what fraction of its inputs is set to zero when the
# model predicts, and by what factor are the kept inputs multiplied during
# training? Both are compared to 3 decimals.

# %%
### BEGIN SOLUTION
fraction_zeroed_when_predicting = 0.0
training_scale = 1 / (1 - 0.3)
### END SOLUTION
check("03-dropout-scale", fraction_zeroed_when_predicting, training_scale)

# %% [markdown]
# ### Exercise 2: The train-validation gap
#
# Check id: `03-train-val-gap`.
#
# Write `train_val_gap(train_probabilities, y_train, val_probabilities, y_val)`
# returning the fair gap of this lesson: training accuracy minus validation
# accuracy, both measured the same way, from one model's predicted class
# probabilities (one row per image, what `model.predict` gives: same weights,
# no dropout) and the true labels. An image is right when its most probable
# class is its label. Return a number (it is compared to 3 decimals). The check
# runs it on made-up predictions; the grader runs it on others. You could then
# call it as `train_val_gap(plain.predict(data.x_train), data.y_train,
# plain.predict(data.x_val), data.y_val)`.


# %%
### BEGIN SOLUTION
def train_val_gap(train_probabilities, y_train, val_probabilities, y_val):
    train = np.mean(np.argmax(train_probabilities, axis=1) == y_train)
    val = np.mean(np.argmax(val_probabilities, axis=1) == y_val)
    return float(train - val)


### END SOLUTION
check("03-train-val-gap", train_val_gap)

# %% [markdown]
# ### Exercise 3: Where does dropout go?
#
# Check id: `03-dropout-after-dense`.
#
# Build a CNN (functional API) with a `Dropout(0.5)` layer right after its
# hidden `Dense` layer named `"dense"`. You may write it out or use
# `fmc.build_model`. Then, as an open experiment, train it like the runs above
# and compare its validation accuracy and evaluated gap with theirs (not its
# test accuracy: the test column is for the end, once a choice is made).

# %%
### BEGIN SOLUTION
heavy_dropout = fmc.build_model("cnn", dropout=0.5)
### END SOLUTION
check("03-dropout-after-dense", heavy_dropout)
