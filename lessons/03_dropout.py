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
# **Prerequisites**: lesson 02 (the CNN, `fmc.train_model`, learning curves);
# this lesson loads the CNN that lesson 02 saved.
#
# **Runtime**: one CNN run of 8 epochs plus two short runs on less data, with
# lesson 02's CNN loaded (without it, the lesson first trains that CNN too);
# the course website shows the time measured in its last full-mode build. In
# fast mode (`FMNIST_FAST=1`) it runs on a 3,000-image subset in a minute or
# two; fast-mode numbers are smoke tests, not results.

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
# We take the CNN of lesson 02, trained with its recipe, and look closely at
# the gap between what it does on the images it trains on and on the
# validation images it never sees. Lesson 02 saved the trained model and its
# history under `runs/lesson02-cnn-*`, so we load the newest of those runs
# with `latest_run` instead of spending minutes training it again. If there is
# none (you have not run lesson 02 yet), the cell trains it here with
# `fit_recipe`, which builds the model and trains it as its recipe says,
# exactly as lesson 02 does.

# %%
from fmnist_course.runs import latest_run
from fmnist_course.training import fit_recipe

plain_recipe = fmc.RECIPES["cnn"]
plain_name = "lesson02-cnn-fast" if fmc.is_fast_mode() else "lesson02-cnn"
plain_run = latest_run("runs", plain_name)
if plain_run is not None:
    print(f"Loading lesson 02's CNN from {plain_run}")
    plain = fmc.load_model(plain_run)
    plain_history = pd.read_csv(plain_run / "history.csv")
else:
    print(
        f"No runs/{plain_name}-* found (lesson 02 saves its CNN there), so this "
        "lesson trains the 'cnn' recipe itself, as lesson 02 does, which makes "
        "it longer by about the time lesson 02 takes. The numbers the text below "
        "quotes come from lesson 02's full-mode run: this run uses the same "
        "recipe and data, so expect numbers close to them, not the same digits."
    )
    plain, plain_history = fit_recipe(
        plain_recipe, data, epochs=fmc.epochs_for(plain_recipe.epochs), verbose=2
    )

# %%
plot_history(plain_history, title="CNN without dropout")
plt.show()

# %% [markdown]
# Three signs of overfitting to look for in the curves:
#
# - the training accuracy climbs faster than the validation accuracy;
# - the training loss keeps falling at a steady pace while the validation loss
#   flattens; in a longer run, watch for the moment it stops falling and turns
#   up, as the model grows more confident on its validation mistakes;
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
# each batch scored by the weights of that moment, *before* the epoch's last
# updates, and with dropout active when the model has any. The
# `val_accuracy` column is measured after the epoch, on the finished weights,
# with dropout off. Their difference mixes overfitting with these
# differences of measurement.
#
# The fair gap measures both sets the same way: `evaluate` the final model on
# the training images and on the validation images, same weights, no dropout.


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
print(
    "same layers as the library's:",
    [layer.name for layer in with_dropout.layers]
    == [layer.name for layer in fmc.build_model("cnn", dropout=rate).layers],
)

# %%
dropout_history = fmc.train_model(
    with_dropout,
    data.x_train,
    data.y_train,
    validation_data=data.validation_data,
    epochs=fmc.epochs_for(dropout_recipe.epochs),
    batch_size=dropout_recipe.batch_size,
    learning_rate=dropout_recipe.learning_rate,
    schedule=dropout_recipe.schedule,
    seed=0,
    verbose=2,
)

# %% [markdown]
# ## Compare the runs
#
# Side by side: solid lines are validation, dashed lines training. With
# dropout, the training accuracy is measured with units dropped, so it sits
# lower; what matters is the validation curve and the gap.

# %%
histories = {"cnn": plain_history, "cnn + dropout 0.3": dropout_history}
plot_histories(histories)
plt.show()

# %% [markdown]
# A table of runs makes the comparison precise. Every column so far comes from
# training and validation data only: this is where we decide.

# %%
models = {"cnn": plain, "cnn + dropout 0.3": with_dropout}
runs = pd.DataFrame.from_dict(
    {
        name: {"params": models[name].count_params(), "epochs": len(history)}
        | describe_run(history)
        | evaluated_gap(models[name])
        for name, history in histories.items()
    },
    orient="index",
)
runs.round(4)

# %% [markdown]
# Compare the two gaps of each run in the table. The *history gap* can make
# dropout look as if it removed overfitting altogether, but part of that is
# measurement: its training accuracy was scored with units dropped. The
# *evaluated gap*, same weights and no dropout on both sides, is the real
# one. Dropout is expected to narrow it, and to learn more slowly, since
# every step trains a thinned network; the table shows whether it did in
# your run. On 54,000 images and a short run, a plain CNN may have little
# overfitting for dropout to cure: its evaluated gap in the table says how
# much it had.
#
# ## Dropout with less data
#
# Overfitting grows when a model sees few images many times. So we give both
# networks a seeded, stratified tenth of the training images (drawn from the
# training set only, so no validation image leaks in) and four times the
# epochs, and compare them on the same validation set. (In fast mode both runs
# are tiny and their numbers are smoke tests.)

# %%
rng = np.random.default_rng(0)
tenth = np.concatenate(
    [
        rng.permutation(np.flatnonzero(data.y_train == label))[
            : np.sum(data.y_train == label) // 10
        ]
        for label in range(10)
    ]
)
x_small, y_small = data.x_train[tenth], data.y_train[tenth]
print(f"{len(x_small):,} training images, {np.bincount(y_small).tolist()} per class")
small_runs = {}
for name, dropout_rate in (("cnn", 0.0), ("cnn + dropout 0.3", rate)):
    model = fmc.build_model("cnn", dropout=dropout_rate)
    fmc.train_model(
        model,
        x_small,
        y_small,
        validation_data=(data.x_val, data.y_val),
        epochs=fmc.epochs_for(4 * dropout_recipe.epochs, fast=2),
        seed=0,
        verbose=0,
    )
    small_runs[name] = evaluated_gap(model, x_small, y_small)
pd.DataFrame(small_runs).T.round(4)

# %% [markdown]
# With a tenth of the images, expect the plain CNN to memorise them: its
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
# accuracy depends on the budget: each step trains a thinned network, so
# dropout learns more slowly, and within a fixed number of epochs the two
# effects can cancel out.
#
# ## What the record says on the full data
#
# One seed is one draw. Lesson 02 introduced the course's benchmark ladder
# (`fmnist-course bench ladder`), which trains each lesson's recipe on several
# seeds; it trains the `cnn` and `cnn_dropout` recipes on all 54,000 training
# images. The cell reads the record, not this run: each recipe's mean test
# accuracy with its spread over the seeds, then the difference of the means
# beside the spreads.

# %%
from fmnist_course.results import load_results
from fmnist_course.results_tables import ladder_spread

print(ladder_spread(load_results(), ["cnn", "cnn_dropout"]))

# %% [markdown]
# Read the difference against the spreads: a difference smaller than the
# spread between seeds is noise, which another set of seeds could reverse;
# only one larger than both spreads is a difference the seeds agree on. And
# this is the test set speaking, so by this lesson's own rule it cannot
# choose for us: read it as a report, not a decision. A fair decision would
# compare validation accuracy over several seeds, require a gain larger than
# the seeds' spread, and look at test once, at the end.
#
# Dropout need not win on the full data. If the plain CNN overfits
# little on 54,000 images within its epochs (its evaluated gap in the table of
# the two full-data runs says how much), dropout's slower learning can cost
# more than its regularization (anything that keeps a model from fitting its
# training images too closely) gives. Dropout is a tool for a model that
# overfits, as with the tenth of the data above; it is not a free gain. Later
# lessons add other regularizers (augmentation, weight decay), and lesson 07
# measures dropout again inside a bigger recipe.
#
# ## Test accuracy, at the end only
#
# Our choices are made; now each final model is measured once on the test set.

# %%
runs["test accuracy"] = [
    fmc.evaluate_model(models[name], data.x_test, data.y_test)["accuracy"]
    for name in runs.index
]
runs.round(4)

# %% [markdown]
# ## Summary
#
# - Overfitting shows as a widening gap between training and validation
#   accuracy, and a validation loss that turns up while the training loss
#   keeps falling. Measure the gap with `evaluate` on both sets, same weights,
#   no dropout: a history's training accuracy is measured differently.
# - Dropout matters most when a model sees few images many times.
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
