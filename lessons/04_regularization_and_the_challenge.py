# %% [markdown]
# # L1/L2 regularization and the challenge model
#
# **What you will learn**
#
# - what an L1 or L2 penalty adds to the loss, and how it shrinks weights;
# - how to read the effect in a histogram of a layer's weights;
# - how to rebuild the original challenge CNN, layer for layer, with the
#   functional API, and check it against the library's
#   `build_model("challenge")`;
# - how to train it with the course recipe and compare the result with the
#   accuracy the original notebook reported.
#
# **Prerequisites**: lessons 01 to 03 (the dense baseline, convolutions,
# dropout, the shipped models and the retrain switch).
#
# **Runtime**: a short live run of the challenge model (a few of its recipe's
# 40 epochs) and three small dense runs, a minute or two in full mode; the full
# run is loaded, not trained (the course website shows the time measured in
# its last full-mode build). With `FMNIST_RETRAIN=1` the lesson trains all 40
# epochs itself, and is then one of the two long lessons. In fast mode
# (`FMNIST_FAST=1`) it runs on a 3,000-image subset in a minute or two;
# fast-mode numbers are smoke tests, not results.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers, regularizers

import fmnist_course as fmc
from fmnist_course.exercises import check
from fmnist_course.plots import plot_histories, plot_history
from fmnist_course.training import train_model

keras.utils.set_random_seed(0)

# %% [markdown]
# ## What a penalty adds to the loss
#
# Training minimizes the cross-entropy of the predictions. A weight penalty
# adds a second term that depends only on the weights `w` of a layer:
#
# - **L2**: `l2 * sum(w ** 2)`, large weights cost a lot, small ones almost
#   nothing;
# - **L1**: `l1 * sum(abs(w))`, every weight costs in proportion to its size.
#
# In Keras a penalty is a `kernel_regularizer` on a layer (Keras calls every
# layer's weight matrix its *kernel*, a `Dense` layer's too). The regularizer
# is a plain function of the kernel, so we can call it and compare with the
# formula:

# %%
kernel = keras.random.normal((4, 3), seed=0)
w = keras.ops.convert_to_numpy(kernel)
penalties = pd.DataFrame(
    {
        "keras": [
            float(regularizers.L2(1e-2)(kernel)),
            float(regularizers.L1(1e-2)(kernel)),
            float(regularizers.L1L2(l1=1e-2, l2=1e-2)(kernel)),
        ],
        "by hand": [
            1e-2 * np.sum(w**2),
            1e-2 * np.sum(np.abs(w)),
            1e-2 * np.sum(np.abs(w)) + 1e-2 * np.sum(w**2),
        ],
    },
    index=["L2(0.01)", "L1(0.01)", "L1L2(0.01, 0.01)"],
)
penalties

# %% [markdown]
# ## How a penalty shrinks weights
#
# The gradient of the L2 term is `2 * l2 * w`: every step pulls each weight
# towards zero in proportion to its size, so weights that the data does not
# keep pushing up fade away. With plain gradient descent that pull is the same
# as shrinking every weight by a fixed fraction per step, which is why an L2
# penalty is often called "weight decay". With Adam, which rescales each
# weight's gradient (penalty included), it is not the same: lesson 06 trains
# one weight both ways to show the difference, and the decoupled weight decay
# that fixes it. The gradient of
# the L1 term is
# `l1 * sign(w)`: the same pull on every weight whatever its size, which drives
# many weights to (almost) exactly zero.
#
# To see it, we train the same small dense network three times on a subset of
# 5,000 images, 4,500 for training and 500 for validation (in both modes; the
# cell prints the sizes): without a penalty, with L2 and with L1 on its hidden
# layer. The penalties are deliberately strong so the effect is easy to see.
# The model is written out in full: the only new part is `kernel_regularizer`.

# %%
subset = fmc.load_course_split(train_size=5000, test_size=1000)
print(f"{len(subset.x_train):,} training and {len(subset.x_val):,} validation images")
assert len(subset.x_val) == 500, "the prose says 500 validation images"


def build_small_dense(regularizer=None):
    keras.utils.set_random_seed(0)  # every model starts from the same weights
    inputs = keras.Input(shape=(28, 28), name="image")
    x = layers.Flatten(name="flatten")(inputs)
    x = layers.Dense(
        128, activation="relu", kernel_regularizer=regularizer, name="hidden"
    )(x)
    outputs = layers.Dense(10, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs)


small_models = {
    "no penalty": build_small_dense(),
    "L2(1e-3)": build_small_dense(regularizers.L2(1e-3)),
    "L1(1e-4)": build_small_dense(regularizers.L1(1e-4)),
}
small_histories = {
    name: train_model(
        model,
        subset.x_train,
        subset.y_train,
        validation_data=subset.validation_data,
        epochs=fmc.epochs_for(20, fast=2),
        verbose=0,
    )
    for name, model in small_models.items()
}

# %% [markdown]
# The histograms show the hidden layer's kernel after training. With L2 the
# distribution is narrower: the large weights have been pulled in. With L1 a
# tall spike sits at zero: many weights were pushed to almost nothing. (Not
# exactly zero: Adam rescales each weight's step, penalty included, so such
# a weight keeps hopping around zero by about the learning rate.)

# %%
figure, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharex=True, sharey=True)
for ax, (name, model) in zip(axes, small_models.items(), strict=True):
    weights = model.get_layer("hidden").kernel.numpy().ravel()
    ax.hist(weights, bins=np.linspace(-0.3, 0.3, 61))
    ax.set_title(f"{name}\nstd {weights.std():.3f}")
    ax.set_xlabel("weight")
axes[0].set_ylabel("number of weights")
figure.tight_layout()

# %% [markdown]
# A table says the same in numbers: the spread of the weights, the share of
# weights that are practically zero, and the gap between training and
# validation accuracy at the end, measured fairly as in lesson 03: `evaluate`
# on both sets, same final weights. A smaller gap is what a penalty is for;
# too strong a penalty lowers both accuracies. Read the accuracies with care:
# on 500 validation images and one seed, one image is 0.2 points, so
# differences of a point or two are within noise; the histograms, not the
# accuracies, are the evidence here.

# %%
rows = {}
for name, model in small_models.items():
    weights = model.get_layer("hidden").kernel.numpy()
    train = fmc.evaluate_model(model, subset.x_train, subset.y_train)["accuracy"]
    val = fmc.evaluate_model(model, subset.x_val, subset.y_val)["accuracy"]
    rows[name] = {
        "weight std": weights.std(),
        "share |w| < 1e-3": np.mean(np.abs(weights) < 1e-3),
        "train acc (evaluate)": train,
        "val acc (evaluate)": val,
        "gap": train - val,
    }
if not fmc.is_fast_mode():  # 2 epochs in fast mode are too few to show it
    assert rows["L2(1e-3)"]["weight std"] < rows["no penalty"]["weight std"], (
        "the prose: narrower with L2"
    )
    assert (
        rows["L1(1e-4)"]["share |w| < 1e-3"] > rows["no penalty"]["share |w| < 1e-3"]
    ), "the prose: more weights near zero with L1"
pd.DataFrame(rows).T.round(3)

# %%
figure = plot_histories(
    small_histories, title=f"Small dense net, {len(subset.x_train):,} images"
)

# %% [markdown]
# ## The challenge model, written out in full
#
# The original challenge notebook used a Keras `Sequential` model. Here it is,
# layer for layer, in the functional API. The L1 and L2 penalties sit on the
# hidden `Dense` layer only, which holds most of the parameters.
#
# The original notebook's penalty strengths are not known to us. We use
# `l1=1e-5` and `l2=1e-4`, the defaults of `fmc.build_model("challenge")`.

# %%
inputs = keras.Input(shape=(28, 28), name="image")
x = layers.Reshape((28, 28, 1), name="add_channel")(inputs)
x = layers.Conv2D(64, 3, activation="relu", name="conv_1")(x)
x = layers.MaxPooling2D(2, name="pool_1")(x)
x = layers.Dropout(0.25, name="dropout_1")(x)
x = layers.Conv2D(32, 3, activation="relu", name="conv_2")(x)
x = layers.MaxPooling2D(2, name="pool_2")(x)
x = layers.Dropout(0.25, name="dropout_2")(x)
x = layers.Flatten(name="flatten")(x)
x = layers.Dense(
    128,
    activation="relu",
    kernel_regularizer=regularizers.L1L2(l1=1e-5, l2=1e-4),
    name="dense",
)(x)
x = layers.Dropout(0.5, name="dropout_3")(x)
outputs = layers.Dense(10, activation="softmax", name="classes")(x)
challenge = keras.Model(inputs, outputs, name="challenge")
challenge.summary()

# %% [markdown]
# ## Checking it against the library
#
# From now on the course builds this model with `fmc.build_model("challenge")`.
# Before we trust it, we compare the two layer by layer: type, output shape,
# parameter count, and the penalty on the hidden layer.


# %%
def describe_layers(model):
    return pd.DataFrame(
        {
            "type": [type(layer).__name__ for layer in model.layers],
            "output shape": [str(layer.output.shape) for layer in model.layers],
            "params": [layer.count_params() for layer in model.layers],
        }
    )


library_model = fmc.build_model("challenge")
same_layers = describe_layers(challenge).equals(describe_layers(library_model))
same_penalty = (
    challenge.get_layer("dense").kernel_regularizer.get_config()
    == library_model.get_layer("dense").kernel_regularizer.get_config()
)
assert same_layers, "the library's challenge model has other layers than ours"
assert same_penalty, "the library's challenge model has another penalty than ours"
print("same layers, same penalty")
print(f"parameters: {challenge.count_params():,} / {library_model.count_params():,}")

# %% [markdown]
# ## Training it with the course recipe
#
# The original was trained for 100 epochs at batch size 128, holding out 10% of
# the training images for validation. Our recipe, `fmc.RECIPES["challenge"]`,
# keeps the batch size and the 10% validation split but trains for 40 epochs,
# to fit the course's time budget on a laptop CPU; the learning curves below
# show how much the last epochs still added. Like the original, it trains
# with plain Adam at a constant learning rate and evaluates the weights after
# the last step. The test set is the standard 10,000 test images, never seen
# during training.
#
# As in lessons 02 and 03, we train it live for its first few epochs only
# (its learning rate is constant, so they are the first epochs of the full
# run), print how long an epoch took, and load the full run the course ships.
# As in lesson 03, the live run uses `fit_recipe`, which builds and trains the
# model as its recipe says and never touches the test set.
# The retrain switch (`RETRAIN = True` below, or `FMNIST_RETRAIN=1`) trains
# all the recipe's epochs here instead: multiply the time per epoch printed
# below by them to see what that costs. (The first epoch also builds the
# model's graph, so the cell times an epoch by the later ones, when there
# are any.)

# %%
from fmnist_course.training import fit_recipe

recipe = fmc.RECIPES["challenge"]
print(recipe)
assert recipe.epochs == 40, "the prose says 40 epochs"
data = fmc.load_course_split()
RETRAIN = fmc.retrain_requested()  # True: train the full recipe here instead
FAST = fmc.is_fast_mode()
assert recipe.schedule == "constant", "the prose says a short run starts the full one"
live_epochs = recipe.epochs if RETRAIN else fmc.LIVE_EPOCHS
live_model, live_history = fit_recipe(
    recipe, data, epochs=fmc.epochs_for(live_epochs), verbose=2
)
later = live_history["seconds"].iloc[1:]  # the first epoch builds the graph
seconds_per_epoch = (later if len(later) else live_history["seconds"]).median()
print(
    f"live: {len(live_history)} of the recipe's {recipe.epochs} epochs, "
    f"{seconds_per_epoch:.1f} s per epoch"
)

# %%
figure = plot_history(
    live_history, title=f"Challenge model, live run of {len(live_history)} epochs"
)

# %% [markdown]
# ## The full run
#
# `fmc.load_shipped("challenge")` loads the model that the ladder trained
# with this recipe and the history it recorded. Its history is a record,
# measured when the model was trained; its test accuracy is measured live,
# now, and as the shipped model is the very model the ladder scored, on the
# same test images, it is the one recorded for it: the same to the digit on
# the machine that recorded it; on other hardware, which adds the same numbers
# in other orders, within a few images. The cell prints both and the
# difference in images, and checks it in full mode. (In fast mode the test set
# is a subset, so the two differ.) With `RETRAIN` on, the full run is the one
# above, and every number is live; the cell then holds its test accuracy
# against the ladder's seeds, as lessons 02 and 03 did.

# %%
from fmnist_course.retrained import retrain_agreement
from fmnist_course.trained_models import ladder_command, model_precision

if RETRAIN:
    full_model, full_history = live_model, live_history
    print(f"live: the full recipe, {len(full_history)} epochs, trained above")
else:
    shipped = fmc.load_shipped("challenge")
    full_model, full_history = shipped.model, shipped.history
    print(
        f"recorded: {len(full_history)} epochs, seed {shipped.seed}, measured "
        f"{shipped.metadata['measured_at']} by `{ladder_command(recipe)}`"
    )
test_accuracy = fmc.evaluate_model(full_model, data.x_test, data.y_test)["accuracy"]
print(f"live: test accuracy {test_accuracy:.4f} on {len(data.x_test):,} test images")
if not RETRAIN:
    recorded = shipped.test_accuracy
    print(f"recorded by the ladder for this model: {recorded:.4f}")
    if not FAST:
        images_apart = round(abs(test_accuracy - recorded) * len(data.y_test))
        print(f"live and recorded: {images_apart} test images apart")
        assert images_apart <= 5, (
            "the shipped model no longer scores what the ladder recorded"
        )
elif not FAST:
    print(retrain_agreement("challenge", test_accuracy, model_precision(full_model)))

# %%
figure = plot_history(
    full_history,
    title="Challenge model, course recipe" + ("" if RETRAIN else ", recorded"),
)

# %% [markdown]
# ## Where this row sits on the ladder
#
# Lessons 02 and 03 each changed one thing: the model, then dropout. This row
# changes more than one field of `cnn_dropout`'s recipe, and the cell below
# lists them. The model becomes the challenge notebook's: 64 then 32 filters
# without padding, the L1/L2 penalty on the hidden layer, and dropout of 0.25,
# 0.25 and 0.5 built in, instead of the `dropout=0.3` that `cnn_dropout`
# passes to the CNN builder (its `model_kwargs`). And the run grows from 8
# epochs to 40 (of the original's 100). It is still one rung because it is one
# thing: the reference this course set out to reproduce, kept as the original
# had it rather than rebuilt one part at a time. The price is that its
# difference from `cnn_dropout` belongs to the whole recipe; it cannot be
# credited to the penalty this lesson teaches, nor to the longer run. The
# rung before is `cnn_dropout` because the ladder follows the lessons, not
# because lesson 03's rule chose dropout: on the record it did not (lesson
# 03 applies the rule in a cell), and the row stays as a teaching step.

# %%
from dataclasses import asdict

from fmnist_course.results import load_results
from fmnist_course.results_tables import ladder_spread

previous = fmc.RECIPES["cnn_dropout"]
changed = []
for field, before in asdict(previous).items():
    after = asdict(recipe)[field]
    if field not in ("name", "lesson") and before != after:
        changed.append(field)
        print(f"changed from 'cnn_dropout': {field} {before!r} -> {after!r}")
assert changed == ["model", "epochs", "model_kwargs"], "the prose lists these"
assert (previous.epochs, recipe.epochs) == (8, 40), "the prose says 8 epochs to 40"

# %% [markdown]
# The record of `fmnist-course bench ladder --seeds 0 1 2` holds both recipes
# over seeds 0, 1 and 2. As in lessons 02 and 03, the cell prints each one's
# mean accuracy with its spread over the seeds, then the difference of the
# means beside their ranges (highest minus lowest): first on validation, where
# a choice between recipes is made, then on test, the report. A difference
# smaller than the ranges is within what another seed could give.

# %%
record = load_results()
for row in record["ladder"]:
    if row["model"] in ("cnn_dropout", "challenge") and row["device"] == "cpu":
        assert row["seeds"] == [0, 1, 2], "the prose says seeds 0, 1 and 2"
print("Validation accuracy (what a choice is made on):")
print(ladder_spread(record, ["cnn_dropout", "challenge"], metric="validation_accuracy"))
print("\nTest accuracy (the report):")
print(ladder_spread(record, ["cnn_dropout", "challenge"]))


def validation_runs(model):
    """The recorded validation accuracy of each seed of a ladder row."""
    (row,) = [
        r for r in record["ladder"] if r["model"] == model and r["device"] == "cpu"
    ]
    return [run["validation_accuracy"] for run in row["runs"]]


plain, dropped = validation_runs("cnn"), validation_runs("cnn_dropout")
gain = np.mean(dropped) - np.mean(plain)
assert gain <= max(np.ptp(plain), np.ptp(dropped)), (
    "the prose: the rule kept no dropout"
)

# %% [markdown]
# ## Why our number differs from the original's
#
# Compare the full run's test accuracy printed above (in full mode) with the
# accuracy the original notebook reported (the cell below prints it).
# What we can and cannot say about the difference:
#
# - **Epochs.** We train 40 epochs, not 100. That can move the number either
#   way: longer training can still gain accuracy, or lose it by overfitting
#   (lesson 03). So the number of epochs is a possible reason whichever run
#   scores higher. The learning curves show whether validation accuracy was
#   still rising, or already falling, at the end.
# - **Nothing else.** Like the original, our recipe trains with plain Adam at
#   a constant learning rate and keeps the weights after the last step;
#   nothing from the later lessons is added.
# - **Penalty strengths.** We do not know the original `l1` and `l2`.
#   A penalty pulls the hidden layer's weights in, as the histograms above
#   showed, and a stronger one pulls harder; what that does to accuracy
#   here, Exercise 3 lets you try.
# - **Which data the figure describes.** We do not know whether the original's
#   figure was measured on the test set or on the validation split. Keras's
#   `validation_split=0.1` takes the *last* 10% of the training arrays, not a
#   random, class-balanced sample as `load_course_split` does, so even the
#   validation images differ from ours.
# - **One run is one sample.** Weights, shuffling and dropout are random; a
#   single run of either notebook is one draw, and the original reports a
#   single number without a spread.
#
# %%
from fmnist_course.anchors import ORIGINAL_ACCURACY

print(f"the original notebook reported {ORIGINAL_ACCURACY:.2%}")

# %% [markdown]
# One question we can measure: does the original recipe itself, trained as
# the challenge notebook trained it, reach the reported figure on the
# standard test set? The course's time-to-accuracy benchmark (`fmnist-course
# bench time-to-accuracy`) trains it that way (plain Adam, Keras's
# `validation_split=0.1`, with our guesses for the penalties), scoring the
# test set after every epoch. The cell reads what it recorded:

# %%
race = load_results().get("time_to_accuracy", {}).get("cpu")
if race is None:
    print("not measured yet: run `fmnist-course bench time-to-accuracy`")
else:
    original = race["original"]
    verb = "reached" if original["reached"] else "did not reach"
    print(
        f"original recipe ({original['recipe']}): {verb} "
        f"{race['threshold']:.1%} test accuracy after {original['epochs']} of at "
        f"most {original['max_epochs']} epochs; test accuracy at that epoch "
        f"{original['final_test_accuracy']:.2%}"
    )
    above = [
        point["epoch"]
        for point in original["curve"]
        if point["test_accuracy"] > ORIGINAL_ACCURACY
    ]
    if above:
        assert above == list(range(above[0], original["epochs"] + 1)), (
            "the prose: the curve stayed above the reported figure"
        )
        print(
            f"test accuracy above the reported {ORIGINAL_ACCURACY:.2%} at every "
            f"epoch from {above[0]} to {original['epochs']} (where the benchmark "
            "stopped)"
        )

# %% [markdown]
# Read that figure with care. The benchmark stops at the first epoch whose
# *test* accuracy reaches the threshold: a stopping point chosen by the test
# set, so the figure is an optimistic one, not what the recipe gives after a
# number of epochs fixed in advance. What it does show is that the
# architecture, trained as the original was (with our penalties, not its
# unknown ones), can go well past the original's
# reported accuracy on the standard test set, so the gap is not our recipe's
# doing alone. The second line printed says from which epoch on the recorded
# curve stayed above that figure, so this conclusion does not hang on the
# stopping point. Which data the original figure describes, and with which
# penalties, stays unknown.
#
# What we do know is what this architecture, trained as above, scores over
# the ladder's seeds (the cell at the end prints both): its mean validation
# accuracy, which the next lessons must beat when they choose, and its mean
# test accuracy, which they report against. Those, not the original's
# reported figure, are the baseline.

# %% [markdown]
# ## Summary
#
# - An L2 penalty adds `l2 * sum(w ** 2)` to the loss and pulls every weight
#   towards zero in proportion to its size; L1 adds `l1 * sum(abs(w))` and
#   pushes many weights to almost zero.
# - A weight histogram makes the effect visible: narrower with L2, a spike at
#   zero with L1.
# - The challenge model is two convolution blocks with dropout and a penalised
#   hidden `Dense` layer (its parameter count is printed above).
#   `fmc.build_model("challenge")`
#   builds exactly the model written out above.
# - Trained with the course recipe (40 of the original's 100 epochs, nothing
#   else added), its recorded test accuracy and its difference from the
#   accuracy the original reported are printed below; the section above lists
#   what can and cannot explain that difference.
# - This ladder row swaps in the original's whole recipe, so its difference
#   from `cnn_dropout` belongs to the recipe as a whole; read it against the
#   seeds' ranges, on validation to choose and on test to report.
# - A reported accuracy is only comparable with yours when you know the data
#   split, the settings and the number of runs behind it.

# %%
row = next(
    (
        r
        for r in load_results().get("ladder", [])
        if r["model"] == "challenge" and r["device"] == "cpu"
    ),
    None,
)
if row is None:
    print(f"not measured yet: run `{ladder_command(recipe)}`")
else:
    print(
        f"recorded (`{ladder_command(recipe)}`), the mean of "
        f"{len(row['runs'])} seed(s): validation accuracy "
        f"{row['validation_accuracy']:.2%}, test accuracy "
        f"{row['test_accuracy']:.2%}; {row['train_seconds'] / 60:.1f} min of "
        f"training per seed on {row['machine']['cpu_model']}, "
        f"{row['threads_per_process']} thread(s) each, "
        f"{row['seed_processes']} seed(s) at a time"
    )
    from fmnist_course.anchors import ORIGINAL_ACCURACY

    print(
        f"mean test accuracy {100 * (row['test_accuracy'] - ORIGINAL_ACCURACY):+.2f}"
        f" points against the original's {ORIGINAL_ACCURACY:.2%} (the comparison "
        "above was seed 0's run alone)"
    )

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Compute a penalty by hand
#
# Check id: `04-l1l2-penalty`.
#
# A hidden layer has the kernel `[[0.5, -1.0], [2.0, 0.0]]`. How much does
# `regularizers.L1L2(l1=0.01, l2=0.1)` add to the loss for it? Compute it with
# numpy (not with Keras). The answer is compared to 3 decimals.

# %%
### BEGIN SOLUTION
small_kernel = np.array([[0.5, -1.0], [2.0, 0.0]])
penalty = 0.01 * np.abs(small_kernel).sum() + 0.1 * np.square(small_kernel).sum()
### END SOLUTION
check("04-l1l2-penalty", penalty)

# %% [markdown]
# ### Exercise 2: Count the penalised parameters
#
# Check id: `04-dense-params`.
#
# How many parameters does the hidden `Dense` layer of the challenge model have
# (the one carrying the penalties)? Work it out from the shapes: each 3x3
# convolution without padding takes 2 pixels off each side length, and each
# pooling layer halves it (rounding down). Compare with `challenge.summary()`
# afterwards.

# %%
### BEGIN SOLUTION
side = ((28 - 2) // 2 - 2) // 2
num_params = side * side * 32 * 128 + 128
### END SOLUTION
check("04-dense-params", num_params)

# %% [markdown]
# ### Exercise 3: A much stronger penalty
#
# Check id: `04-stronger-penalty`.
#
# Build the challenge model with `l1` and `l2` of at least `1e-3` (ten to a
# hundred times our defaults) and train it with `train_model` for a few epochs
# on the first 2,000 images of the small `subset`, passing its validation data.
# Pass the trained model to the check: it reads the architecture and the
# penalties from the model itself, and runs it on real test images it picks
# (the grader on others), where a trained model must do clearly better than
# chance, one right in ten. Then compare its learning curves with those of the
# default penalties trained the same way. Open-ended: how strong can the
# penalty get before validation accuracy suffers?

# %%
### BEGIN SOLUTION
strong = fmc.build_model("challenge", l1=1e-3, l2=1e-3)
strong_history = train_model(
    strong,
    subset.x_train[:2000],
    subset.y_train[:2000],
    validation_data=subset.validation_data,
    epochs=fmc.epochs_for(5, fast=1),
    verbose=0,
)
### END SOLUTION
check("04-stronger-penalty", strong)
