# %% [markdown]
# # Beyond the challenge: augmentation and the course's best model
#
# Lesson 06 wrote out the pieces that make a deeper network train well. This
# lesson adds the other half of the challenge notebook's list, data
# augmentation, plus two more regularizers, cutout and label smoothing. Then
# it stacks every piece into one model, reads an ablation that removes them
# one at a time (the way to decide which pieces earn their place), trains
# the course's best model for a few epochs live and loads the full run the
# course ships: the chosen recipe fitted on all 60,000 training images, the
# validation images included. The ablation decides on validation alone, over three seeds,
# by a threshold fixed in advance, and confirms its choice on validation at
# its 40-epoch full budget, where the verdict changed. A search then tries changes to the
# winner, and a rule fixed before fresh runs promotes one, 80 epochs, which
# the course ships as `best`; the lesson shows why each of those steps
# matters.
#
# **What you will learn**
#
# - how random flips and shifts make new training images from old ones,
#   and which augmentations would hurt;
# - how cutout hides part of each image so the network cannot rely on one
#   detail, and how label smoothing moves the loss's best prediction away
#   from certainty (lesson 08 measures what that does to the confidence);
# - how to assemble all of it into one model with the functional API;
# - how an ablation, the recipe with one part removed at a time, tells what
#   each part is worth: on validation, over seeds, with a threshold, and
#   why a short budget's verdict needs confirming at the full one;
# - how to watch a short run of the chosen recipe live, why batch
#   normalization makes a short run's first numbers lag, and how to load the
#   full run that the course trained and ships, telling live numbers from
#   recorded ones;
# - why, once validation has chosen the recipe, the final model is fitted on
#   the validation images too, and what that model can no longer tell you;
# - how averaging the predictions on an image, its mirror image and its
#   shifted copies (test-time augmentation) adds accuracy for the cost of a
#   few more forward passes;
# - how to search past a recipe on validation, recording every candidate,
#   and why a promotion needs a rule fixed before the runs that judge it,
#   on seeds the search never used.
#
# **Prerequisites**: lessons 02 (convolutions, the shipped models and the
# retrain switch), 03 (dropout), 04 (the challenge model) and 06 (batch
# normalization, schedules, averaged weights, weight decay, early stopping).
#
# **Runtime**: a short live run of the best recipe (its 80 epochs shrunk to
# 3), a few minutes in full mode; the full run is loaded, not trained (the
# course website shows the time measured in its last full-mode build). With
# `FMNIST_RETRAIN=1` the lesson trains all 80 epochs on all 60,000 images
# itself, and is then by far the longest lesson: twice as many epochs as
# lesson 04's challenge run, on a larger model. In fast mode
# (`FMNIST_FAST=1`) it runs on a 3,000-image subset in a minute or two;
# fast-mode numbers are smoke tests, not results.

# %%
import dataclasses

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

import fmnist_course as fmc
from fmnist_course.exercises import check
from fmnist_course.plots import plot_history
from fmnist_course.results import load_results

keras.utils.set_random_seed(0)
FAST = fmc.is_fast_mode()
data = fmc.load_course_split()
print(
    f"train {data.x_train.shape}, validation {data.x_val.shape}, test {data.x_test.shape}"
)

# %% [markdown]
# ## Data augmentation: new training images from old ones
#
# A network only learns what its training images show it. Augmentation changes
# each training image in a way that keeps its *label*: the transformed image
# still shows the same class, the right way up. Moving a garment by a pixel or
# two keeps the label, and such images are in the test set too: the garments
# are centred in their 28x28 frames, but not all to the same pixel. Flipping
# left to right keeps the label as well (a mirrored sneaker is still a
# sneaker), but it shows the network something the test set rarely does:
# Fashion-MNIST's footwear nearly always faces one way (the cell after the
# figure counts how nearly). Flips are therefore a regularizer, a harder
# training task, not more of the test set's kind of image.
#
# Keras does both with layers, `RandomFlip` and `RandomTranslation`, that are
# active only while training; at prediction time they pass images through
# unchanged. Every epoch, each training image gets a fresh flip (or not) and a
# fresh shift: 2 x 25 versions of each image, drawn at random, so over the
# epochs the network sees most images in several versions rather than one.
#
# `RandomTranslation` takes the largest shift as a fraction of the height and
# width: `2 / 28` allows up to two pixels each way. `fill_mode="constant"`
# fills the uncovered border with zeros, the background colour, and
# `interpolation="nearest"` keeps the shifts to whole pixels, so no image is
# blurred. A shift of two pixels is hard to see by eye, so the figure's last
# row shows what it changed: red where ink arrived, blue where it left, white
# where nothing changed.

# %%
flip = layers.RandomFlip("horizontal", seed=0)
shift = layers.RandomTranslation(
    2 / 28, 2 / 28, fill_mode="constant", interpolation="nearest", seed=0
)
originals = data.x_train[:8]
flipped = np.asarray(flip(originals[..., None], training=True))[..., 0]
shifted = np.asarray(shift(originals[..., None], training=True))[..., 0]


def offset(before, after):
    """The whole-pixel shift (down, right) that best turns `before` into `after`."""
    moves = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
    return min(
        moves,
        key=lambda m: np.abs(np.roll(before, m, axis=(0, 1)) - after).sum(),
    )


figure, axes = plt.subplots(4, 8, figsize=(10, 5.6))
for column in range(8):
    change = shifted[column] - originals[column]
    rows = [
        (originals[column], "gray_r", None),
        (flipped[column], "gray_r", None),
        (shifted[column], "gray_r", None),
        (change, "RdBu_r", 1.0),  # red: ink arrived, blue: ink left
    ]
    for row, (image, cmap, limit) in enumerate(rows):
        vmin = -limit if limit else None
        axes[row, column].imshow(image, cmap=cmap, vmin=vmin, vmax=limit)
        axes[row, column].axis("off")
    axes[0, column].set_title(fmc.CLASS_NAMES[data.y_train[column]], fontsize=8)
    down, right = offset(originals[column], shifted[column])
    axes[2, column].set_title(f"down {down}, right {right}", fontsize=7)
figure.suptitle(
    "Rows: training images, after RandomFlip, after RandomTranslation (up to "
    "2 pixels), and what the shift changed"
)
plt.show()

# %% [markdown]
# Which way does the footwear face? For each footwear class, the cell below
# counts the validation images that lie nearer to the class's mean training
# image than to its mirror image. (Validation images, not test images: the
# test set waits for the end, even for a question that chooses nothing.)

# %%
for label in (5, 7, 9):  # sandal, sneaker, ankle boot
    mean_image = data.x_train[data.y_train == label].mean(axis=0)
    images = data.x_val[data.y_val == label]
    nearer = np.abs(images - mean_image).sum(axis=(1, 2)) < np.abs(
        images - mean_image[:, ::-1]
    ).sum(axis=(1, 2))
    print(f"{fmc.CLASS_NAMES[label]}: {nearer.mean():.1%} face the usual way")

# %% [markdown]
# Not every transformation preserves the label. Turned upside down, a garment
# loses what tells its class apart: the ten classes differ in their upright
# shape (where a top has its sleeves, where a dress or a coat
# widens, where a shoe has its sole), and large rotations blur the difference
# between a T-shirt and a dress. A mirror image keeps that shape, so it keeps
# the label, even though the images rarely show footwear facing the other
# way (the counts above).
#
# Augmentation is regularization, like dropout: it makes the training task
# harder so that the network cannot memorise its training images. The price is
# that a harder task takes more epochs to learn, which is why this lesson
# trains longer than lesson 02. The ablation table further down measures what
# the flips and shifts buy.
#
# %% [markdown]
# ## Cutout: hide part of the garment
#
# Flips and shifts move the whole garment. *Cutout* (DeVries and Taylor, 2017)
# hides part of it: during training, a square of the image is set to the
# background colour, at a random place, in a random half of the images. A
# network that has learned "a sandal is the thing with the straps" must now
# also recognise a sandal whose straps are hidden, so it learns to use
# every part of the garment. Random erasing (Zhong et al., 2017) is the same
# idea with rectangles of random size and noise instead of background.
#
# Written out with numpy, for one image, it is a few lines: pick a centre,
# clip the square to the frame, and zero it.


# %%
def cutout_by_hand(image, size, rng):
    """Zero a `size` x `size` square centred on a random pixel (clipped)."""
    height, width = image.shape
    centre_row, centre_col = rng.integers(height), rng.integers(width)
    top, left = max(centre_row - size // 2, 0), max(centre_col - size // 2, 0)
    bottom = min(centre_row - size // 2 + size, height)
    right = min(centre_col - size // 2 + size, width)
    hidden = image.copy()
    hidden[top:bottom, left:right] = 0.0
    return hidden


rng = np.random.default_rng(0)
figure, axes = plt.subplots(2, 8, figsize=(10, 2.9))
for column in range(8):
    image = data.x_train[column]
    axes[0, column].imshow(image, cmap="gray_r")
    axes[1, column].imshow(cutout_by_hand(image, 8, rng), cmap="gray_r")
    axes[0, column].set_title(fmc.CLASS_NAMES[data.y_train[column]], fontsize=8)
    for row in range(2):
        axes[row, column].axis("off")
figure.suptitle("Training images, and the same images with an 8x8 square cut out")
plt.show()

# %% [markdown]
# A square near the border is clipped by it, so some images lose less: that
# is deliberate in the original paper, which lets the centre fall anywhere.
# The library's `Cutout` layer does the same for a whole batch at once, with
# Keras operations, and only while training: it makes a mask of the pixels
# inside each image's square and multiplies by its complement. Like
# `RandomFlip`, at prediction time it passes images through unchanged.

# %%
from fmnist_course.layers import Cutout

cutout_layer = Cutout(8, rate=1.0, seed=0)
batch = data.x_train[:256, ..., None]
hidden = np.asarray(cutout_layer(batch, training=True))
zeroed = (hidden == 0) & (batch != 0)
share = zeroed.sum() / (batch != 0).sum()
print(f"share of ink hidden in an image that gets a square: {share:.1%}")
print(
    "unchanged at prediction time:",
    np.array_equal(np.asarray(cutout_layer(batch, training=False)), batch),
)

# %% [markdown]
# ## Label smoothing: never quite sure
#
# Cross-entropy keeps rewarding a model for pushing the probability of the
# right class closer to 1, even on images it already gets right. To get
# there, the logits (the last layer's outputs before softmax) must grow
# without bound. Large networks trained this way are often over-confident,
# sure beyond their accuracy and on their mistakes too (Guo et al., 2017,
# measured it on image benchmarks); whether this course's model is, lesson
# 08 measures with a reliability diagram and reads from the record.
# *Label smoothing* (Szegedy et al., 2016) trains against a softened target instead: with
# smoothing 0.1 and 10 classes, the true class gets `1 - 0.1 + 0.1 / 10 =
# 0.91` and each other class `0.1 / 10 = 0.01`. The best loss is now reached
# at a prediction of 0.91, not at 1. Written out for one image:

# %%
smoothing, label = 0.1, 3
target = np.full(10, smoothing / 10)
target[label] += 1 - smoothing
print("smoothed target:", target.round(2))
for sure in (0.91, 0.999):
    prediction = np.full(10, (1 - sure) / 9)
    prediction[label] = sure
    smoothed_loss = -(target * np.log(prediction)).sum()
    plain_loss = -np.log(prediction[label])
    print(
        f"p(true class) = {sure}: plain cross-entropy {plain_loss:.3f}, "
        f"smoothed {smoothed_loss:.3f}"
    )

# %% [markdown]
# The plain loss keeps falling as the prediction goes from 0.91 to 0.999; the
# smoothed loss rises again. Keras's `CategoricalCrossentropy` has a
# `label_smoothing` option, but it takes one-hot labels, and the course keeps
# integer labels everywhere. The library's `SmoothedSparseCrossentropy` turns
# them into one-hot targets first; `fmc.train_model(..., label_smoothing=0.1)`
# uses it. It gives the same number as the hand-written loss:

# %%
from fmnist_course.losses import SmoothedSparseCrossentropy

prediction = np.full((1, 10), (1 - 0.999) / 9)
prediction[0, label] = 0.999
library_loss = SmoothedSparseCrossentropy(smoothing)(np.array([label]), prediction)
print(f"SmoothedSparseCrossentropy: {float(library_loss):.3f}")

# %% [markdown]
# ## Every piece in one model
#
# Now the pieces go together, all of them at once. Compared with the
# challenge model:
#
# - three convolution blocks (32, 64 and 128 filters). Only the first works on
#   the full image (28x28 in, 26x26 out); the later, wider ones work on 13x13
#   and 6x6 maps, which
#   is where the CPU time is saved;
# - in each block, pooling comes straight after the convolution: Conv2D ->
#   MaxPooling -> BatchNormalization -> ReLU. ReLU, and a normalization whose
#   scale `gamma` is positive, never change which value in a 2x2 window is the
#   largest, so pooling first gives nearly the same block while normalization
#   and ReLU work on a quarter of the values. (Not exactly the same: the batch
#   statistics are now taken over the pooled maps.) The second cell below
#   times both orders;
# - random horizontal flips, random shifts of up to two pixels and cutout at
#   the input;
# - dropout before and after a 256-unit dense layer;
# - from lesson 06: AdamW with a cosine schedule and averaged weights; and
#   label smoothing in the loss. (The recipes have no early stopping: a
#   cosine schedule plans the whole run, its learning rate reaching zero in
#   the last step.)
#
# The claim about the order is easy to check on the outputs of a fresh
# convolution: ReLU then pooling, or pooling then ReLU, gives the same maps,
# four times smaller than the input to pooling.

# %%
conv = layers.Conv2D(32, 3, use_bias=False)
feature_maps = np.asarray(conv(data.x_train[:256, ..., None]))
pool = layers.MaxPooling2D(2)
relu_then_pool = np.asarray(pool(np.maximum(feature_maps, 0)))
pool_then_relu = np.maximum(np.asarray(pool(feature_maps)), 0)
print(
    f"{feature_maps.shape} -> {pool_then_relu.shape}, same values:",
    np.allclose(relu_then_pool, pool_then_relu),
)

# %% [markdown]
# And the time it saves: one training step (forward and backward pass, as in
# lesson 01) of a 64-filter block on 13x13 maps, in the textbook order and
# pooling first. To give the block something to train on, the cell averages
# each of its 64 maps to one number (`GlobalAveragePooling2D`) and uses the
# mean squared error (`"mse"`) against zeros as a stand-in loss: only the
# time matters here.

# %%
import time


def block_step_seconds(pool_first, repeats=20):
    """Median seconds of one training step of a conv block, either order."""
    inputs = keras.Input(shape=(13, 13, 32))
    x = layers.Conv2D(64, 3, padding="same", use_bias=False)(inputs)
    if pool_first:
        x = layers.MaxPooling2D(2)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    if not pool_first:
        x = layers.MaxPooling2D(2)(x)
    block = keras.Model(inputs, layers.GlobalAveragePooling2D()(x))
    block.compile(optimizer="adam", loss="mse")
    batch = np.random.default_rng(0).normal(size=(256, 13, 13, 32)).astype("float32")
    targets = np.zeros((256, 64), "float32")
    block.train_on_batch(batch, targets)  # the first step builds the graph
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        block.train_on_batch(batch, targets)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


textbook, pooled_first = block_step_seconds(False), block_step_seconds(True)
print(
    f"textbook order {textbook * 1000:.1f} ms, pooling first "
    f"{pooled_first * 1000:.1f} ms per step: {textbook / pooled_first:.2f}x"
)

# %%
inputs = keras.Input(shape=(28, 28), name="image")
x = layers.Reshape((28, 28, 1), name="add_channel")(inputs)
x = layers.RandomFlip("horizontal", name="random_flip")(x)
x = layers.RandomTranslation(
    2 / 28, 2 / 28, fill_mode="constant", interpolation="nearest", name="random_shift"
)(x)
x = Cutout(8, name="cutout")(x)
for index, (filters, padding) in enumerate(
    [(32, "valid"), (64, "same"), (128, "same")], 1
):
    x = layers.Conv2D(
        filters, 3, padding=padding, use_bias=False, name=f"conv_{index}"
    )(x)
    x = layers.MaxPooling2D(2, name=f"pool_{index}")(x)
    x = layers.BatchNormalization(name=f"conv_{index}_bn")(x)
    x = layers.Activation("relu", name=f"conv_{index}_relu")(x)
x = layers.Flatten(name="flatten")(x)
x = layers.Dropout(0.3, name="dropout_features")(x)
x = layers.Dense(256, activation="relu", name="dense")(x)
x = layers.Dropout(0.3, name="dropout_dense")(x)
outputs = layers.Dense(10, activation="softmax", name="classes")(x)
model = keras.Model(inputs, outputs, name="all_techniques")
model.summary()

# %% [markdown]
# The library has the same model as `fmc.build_model("best", cutout=8)`, and
# `fmc.RECIPES["all_techniques"]` holds the settings that train it with every
# technique of lessons 03, 06 and 07 switched on. (`"best"` names the builder,
# the architecture; the recipe `fmc.RECIPES["best"]`, which the ablation and
# the search below decide, builds it with other settings, as those sections
# show.)

# %%
everything = fmc.RECIPES["all_techniques"]
library_model = fmc.build_model(everything.model, **everything.model_kwargs)
same_layers = [type(a).__name__ for a in model.layers] == [
    type(b).__name__ for b in library_model.layers
]
print(
    "same layers:",
    same_layers,
    "| parameters:",
    model.count_params(),
    library_model.count_params(),
)
print(everything)

# %% [markdown]
# ## What each part buys: an ablation
#
# The stacked recipe has many parts. Are they all pulling their weight? An
# *ablation* answers that: train the recipe again with one part removed, for
# each part in turn, and compare. `fmnist-course bench ablation` does it on
# the full training data, for seven parts that lessons 03, 06 and this one
# added
# (batch normalization and pooling first stay in every variant), and records
# every run in the course's results file. At full length
# each variant would cost as much as the recipe itself, so every variant
# trains on a shorter budget of a few epochs (the cell below prints how
# many).
#
# Three rules make the comparison honest, and they are worth learning
# before the numbers:
#
# 1. **Validation only, scored as the test set will be.** Each variant is
#    judged on its validation images, scored the way the final model is
#    tested (two exceptions, a recipe without flips and shifts and the bare
#    recipe the short runs choose, are explained below): averaged over ten
#    *views* of each image (the image, its mirror
#    image and one-pixel shifts of both; the section on test-time
#    augmentation below builds them). The benchmark never scores the test
#    images.
# 2. **Several seeds.** Two runs of one recipe that differ only in the seed
#    (which images are held out for validation, the first weights, the order
#    of the batches) end a few tenths of a point apart. So every variant
#    trains under the same three seeds, and the *spread*, the standard
#    deviation of its three scores, measures that luck.
# 3. **A threshold fixed before looking.** A part stays only when removing it
#    lowers the mean validation accuracy by more than twice the larger spread
#    of the two rows. Anything less is within what reseeding alone moves, and
#    a part that buys nothing measurable goes: the recipe stays simpler.
#    (Lessons 02 to 04 read a difference against the seeds' ranges, highest
#    minus lowest. With three seeds, twice the standard deviation is about
#    as wide as the range, so the two rules say nearly the same; this one
#    is written as a formula so a program can apply it.)
#
# The record holds one row per variant and seed. Here are the first few,
# read from the record, not typed in:

# %%
from fmnist_course.choosing import SPREADS

entry = load_results().get("ablation", {}).get("cpu", {})
# Longer runs in the record confirm the choice (below); the verdicts use the
# ablation's own budget only.
rows = pd.DataFrame(
    [row for row in entry.get("rows", []) if row["epochs"] == entry["epochs"]]
)
assert SPREADS == 2 == entry.get("spreads", 2), "the prose says twice the spread"
if rows.empty:
    print("No ablation recorded yet: run `fmnist-course bench ablation`.")
else:
    full_epochs = fmc.RECIPES["all_techniques"].epochs
    print(f"budget: {entry['epochs']} epochs per run (the full recipe: {full_epochs})")
    print(rows[["variant", "seed", "val_accuracy", "val_accuracy_model_alone"]].head())

# %% [markdown]
# The rule, written out with pandas: the mean and spread of each variant over
# its seeds, each variant's change against the stacked recipe
# (`all_techniques`), and the verdict.

# %%
if not rows.empty:
    by_variant = rows.groupby("variant", sort=False)["val_accuracy"]
    summary = pd.DataFrame({"mean": by_variant.mean(), "spread": by_variant.std()})
    reference = summary.loc["all_techniques"]
    summary["change"] = summary["mean"] - reference["mean"]
    summary["threshold"] = 2 * np.maximum(summary["spread"], reference["spread"])
    summary["verdict"] = np.where(
        -summary["change"] > summary["threshold"], "keep", "drop"
    )
    summary = summary.drop(index="all_techniques")
    print(
        (100 * summary[["mean", "spread", "change", "threshold"]])
        .round(2)
        .join(summary["verdict"])
        .to_string()
    )

# %% [markdown]
# `fmnist_course.choosing` packages the same rule (`ablation_verdicts`), and
# `ablation_table` renders it with the rest of the record: the accuracy of
# the model alone (one view), the calibration error (how far the model's
# confidence is from how often it is right; lesson 08 explains it) and the
# training time. It also marks a part "undecided" when fewer than two seeds
# are shared (one run has no spread); the record has three. The cell checks
# that the library agrees with the hand-written rule:

# %%
from fmnist_course.ablation_tables import ablation_table

table = ablation_table(load_results())
print(table.attrs["caption"])
if not rows.empty:
    assert (table.loc[summary.index, "verdict"] == summary["verdict"]).all()
table

# %% [markdown]
# One column moves far more than accuracy does: the calibration error.
# Without label smoothing it falls several-fold at the short budget (the
# cell prints both), so smoothing took this model's confidence further from
# how often it is right, not closer. The rule reads accuracy alone, so this column decides
# nothing here; lesson 08 shows which way the confidence moved, and why.

# %%
if not table.empty:
    ece = table["calibration error (%)"]
    print(
        f"calibration error: {ece['all_techniques']:.2f}% with label smoothing, "
        f"{ece['no_label_smoothing']:.2f}% without"
    )
    assert ece.idxmin() == "no_label_smoothing", "the prose: the column's outlier"
    assert ece["all_techniques"] > 3 * ece["no_label_smoothing"], "several-fold"
    accuracy_column = table["validation accuracy (%)"]
    accuracy_range = accuracy_column.max() - accuracy_column.min()
    assert ece.max() - ece.min() > 3 * accuracy_range, (
        "the prose: the calibration column moves far more than accuracy does"
    )

# %% [markdown]
# Reading the verdicts takes care. The runs are short (the caption says how
# many epochs, against the full recipe's), and a short run flatters the
# removal of a regularizer: regularization (anything that keeps a model from
# fitting its training images too closely, such as dropout, weight decay,
# cutout or label smoothing) pays off late, once a model starts to overfit.
# And two rows change more than one thing:
#
# - the `constant_rate` variant (the cosine schedule removed) switches to a
#   constant rate and also lowers it to the course's default (the cell
#   prints both rates), so its change mixes the schedule with the rate;
# - the variant without flips and shifts is also scored without the ten
#   views of test-time augmentation (see below), since those views are
#   exactly the mirror images and shifts its model never trained on.

# %%
from fmnist_course.recipes import SWITCH_OFF

print(
    "constant_rate variant: learning rate "
    f"{fmc.RECIPES['all_techniques'].learning_rate} -> "
    f"{SWITCH_OFF['cosine schedule']['learning_rate']}, constant"
)
if not rows.empty:
    no_flips = rows[rows["variant"] == "no_flip_shift"]
    scored_with_views = bool(no_flips["test_time_augmentation"].any())
    print("variant without flips and shifts scored with the views:", scored_with_views)
    assert not scored_with_views, "the prose: it is scored without the ten views"

# %% [markdown]
# So the verdicts are a choice made at a short budget, and the rule has a
# last step: confirm it at the full budget. The *chosen* recipe is the stack
# without every part whose verdict is "drop"; its *runner-up* is the variant
# with the best mean that is not the choice. Both train again for the full
# recipe's epochs, under the same seeds, and are scored on validation. The
# runner-up replaces the choice only when it beats it by more than twice the
# larger spread, the same threshold as before.

# %%
from fmnist_course.ablation_tables import confirmation_table
from fmnist_course.ablations import chosen_recipe, recorded_verdicts, runner_up

if not rows.empty:
    verdicts = recorded_verdicts()
    assert len(verdicts) == 7, "the prose says seven parts"
    chosen = chosen_recipe(verdicts)
    print("dropped:", ", ".join(v for v, said in verdicts.items() if said == "drop"))
    print("kept:", ", ".join(v for v, said in verdicts.items() if said == "keep"))
    print("runner-up:", runner_up())
ablation_confirmation = confirmation_table(load_results())
print(ablation_confirmation.attrs["caption"])
ablation_confirmation

# %% [markdown]
# Read the short runs first. No part's removal cost more than the threshold,
# so the rule drops every part (the cell checks it), and the chosen recipe is
# the bare model: no augmentation and so no test-time views, no cutout, no
# label smoothing, no dropout, no weight decay, no averaging, and a constant
# learning rate at the course's default. That is the short budget speaking:
# in so few epochs (the budget printed above) a model has had no time to
# overfit, so nothing that pays off late, as the regularizers do, can show
# its worth. `no_dropout` has the highest mean of all the variants, and
# removing dropout even raised it by more than the threshold. The
# confirmation is where the rule can catch what the short budget hides.

# %%
if not rows.empty:
    assert set(verdicts.values()) == {"drop"}, "the prose says every part is dropped"
    assert not chosen.test_time_augmentation and chosen.schedule == "constant"
    means = rows.groupby("variant")["val_accuracy"].mean()
    assert runner_up() == means.idxmax() == "no_dropout", "the prose names it"
    dropout = table.loc["no_dropout"]
    assert dropout["change (points)"] > dropout["threshold (points)"], (
        "the prose: removing dropout raised the mean by more than the threshold"
    )
    print(f"chosen: constant learning rate {chosen.learning_rate}")
confirmed = {"chosen", "no_dropout"} <= set(ablation_confirmation.index) and (
    ablation_confirmation["seeds"] >= 2
).all()
if confirmed:
    row = ablation_confirmation.loc["no_dropout"]
    print(
        f"at {ablation_confirmation.attrs['epochs']} epochs: the runner-up, no_dropout, "
        f"{row['verdict']} by {row['change (points)']:.2f} points "
        f"(threshold {row['threshold (points)']:.2f})"
    )
    assert row["verdict"] == "beats chosen", "the prose says the runner-up wins"
else:
    print("not confirmed yet:", ablation_confirmation.attrs["caption"])

# %% [markdown]
# At the full budget, the stack without dropout beats the bare model the
# short runs chose, by more than the threshold (the cell prints by how much):
# the short budget had hidden what the parts buy together. So the runner-up
# is the recipe the protocol keeps (`fmnist-course bench ablation --variants
# chosen no_dropout --epochs 40` produced these runs and would repeat them).
# One comparison cannot say which of its parts earn their place one by one;
# that would take the ablation again at the full budget. Dropout is the
# plainest case: it left the recipe on the short budget's evidence alone, the
# budget that favours removing a regularizer, and no run at the full budget
# compares the stack with and without it. Whether dropout would pay inside
# the winner is still open; the command that would test it is
# `fmnist-course bench ablation --variants all_techniques no_dropout
# --epochs 40`.
#
# That winner is `fmc.RECIPES["best_40"]`: the stack without dropout, so with
# flips and shifts, cutout, label smoothing, weight decay, averaging, the
# cosine schedule and the ten views, at the confirmation's budget of 40
# epochs. It was the course's `best` recipe until the search at the end of
# this lesson, which tried one change at a time on validation. One change
# passed a rule fixed before its deciding runs: training twice as long. So
# the course's `best`, `fmc.RECIPES["best"]`, is the protocol's winner
# trained for 80 epochs; the last two sections show how that was decided,
# and why no test image took part. The cell below reads the protocol's
# winner from the record (`protocol_winner` does in the library what the
# cells above did by hand), checks that `best_40` trains with exactly its
# settings, and prints the settings in which `best` differs: its 80 epochs,
# and `final_fit`, which trains the chosen recipe on the validation images
# too (a section below explains why; validation judged the recipe without
# it). The ladder then trained `best` under three seeds, scored each once on
# the test set, and the course ships the first seed's model: that is the
# model the rest of this lesson loads.

# %%
from fmnist_course.ablations import protocol_winner

shipped_recipe, protocol_recipe = fmc.RECIPES["best"], fmc.RECIPES["best_40"]
if confirmed:
    winner = protocol_winner()
    for field in dataclasses.fields(protocol_recipe):
        if field.name not in {"name", "lesson"}:
            print(f"{field.name}: {getattr(protocol_recipe, field.name)}")
    assert dataclasses.replace(winner, name="best_40") == protocol_recipe, (
        "the prose says best_40 is the protocol's winner"
    )
else:
    print("no winner confirmed yet; the searched recipe:", protocol_recipe)
before, after = dataclasses.asdict(protocol_recipe), dataclasses.asdict(shipped_recipe)
differs = {
    key: (before[key], after[key])
    for key in before
    if key not in {"name", "lesson"} and before[key] != after[key]
}
print(f"best differs from best_40 in: {differs}")
assert differs == {"epochs": (40, 80), "final_fit": (False, True)}, (
    "the prose: best is best_40 at 80 epochs, fitted on the validation images too"
)

# %% [markdown]
# ## A short run live, the full run recorded
#
# The full recipe trains for `recipe.epochs` epochs; on a laptop CPU that
# takes far longer than lesson 04's challenge run, which trained half as many
# epochs of a smaller model. A lesson shows a long training; it does not make
# you wait for one. So this notebook trains the best recipe live for 3
# epochs on the 54,000 training images, watching the 6,000 validation images
# after each, enough to watch every step, and then loads the full run: the
# course's benchmark, `fmnist-course bench ladder`, trained it once with the
# same recipe and seed on all 60,000 images (the section after this one says
# why), and the course ships its model and history.
#
# Unlike lessons 02 to 04, the 3 live epochs are not the full run's first
# three. A cosine schedule spans the run it is given, so the short run's
# learning rate falls from its peak to zero within 3 epochs: it is the whole
# recipe on a smaller budget. The reason to end the schedule is batch
# normalization's moving statistics, and the averaged weights. Its moving
# mean and variance, which the model uses in inference mode, and the averaged
# weights (lesson 06) are both averages over roughly the last hundred steps.
# While the learning rate is high the weights still move fast, so early in a
# run those averages describe a network that training has already left, and
# the model in inference mode can score well below what its weights have
# learned. How far, and for how many epochs, depends on the run, and the
# check below measures it. Ending the schedule is a safeguard: at rate zero
# the weights stop moving, so once the run has lasted well over those
# hundred steps, its last numbers are honest, however fast the weights moved
# before. (A run of a few dozen steps is too short for any schedule, as
# exercise 3 shows.) It costs something too: unlike lessons 02 to 04, the
# live epochs are not the recorded run's first epochs, so the two cannot be
# set side by side epoch for epoch.
#
# The training cell shows this rather than asking you to trust it. After each
# epoch a *callback* (a `keras.callbacks.Callback` subclass, whose
# `on_epoch_end` Keras calls after every epoch, as it calls lesson 06's early
# stopping) scores the validation images a second time, normalizing each
# batch of 1,000 with its own mean and variance instead of the moving ones.
# The model is a chain of layers, so the check calls them one after another
# and writes batch normalization out in numpy, which leaves the layers'
# moving statistics untouched.
#
# The training cell calls `fit_recipe`, as lessons 03 and 04 did: the same
# call, with the same recipe and seed, that trained the recorded run, here on
# the split that holds the validation images out so that you can watch them.
# One switch trains the full run here instead of loading it: set
# `RETRAIN = True` below, or start Jupyter with the environment variable
# `FMNIST_RETRAIN=1` (and `FMNIST_RETRAIN=1 fmnist-course site build` builds
# the course website that way). The full-run section then trains all its
# epochs, as the ladder did, and everything after it uses the model you
# trained.


# %%
def batch_statistics_accuracy(model, x, y, batch_size=1000):
    """Accuracy when batch normalization uses each batch's own statistics."""
    correct = 0
    for start in range(0, len(x), batch_size):
        h = x[start : start + batch_size]
        for layer in model.layers[1:]:  # layers[0] is the input
            if isinstance(layer, layers.BatchNormalization):
                h = np.asarray(h, dtype="float32")  # a bfloat16 run's too
                mean, variance = h.mean(axis=(0, 1, 2)), h.var(axis=(0, 1, 2))
                gamma, beta = np.asarray(layer.gamma), np.asarray(layer.beta)
                h = gamma * (h - mean) / np.sqrt(variance + layer.epsilon) + beta
            else:
                h = layer(h, training=False)
        predicted = np.asarray(h).argmax(axis=1)
        correct += int((predicted == y[start : start + batch_size]).sum())
    return correct / len(x)


class BatchStatisticsCheck(keras.callbacks.Callback):
    """After each epoch, validation accuracy with batch statistics."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y, self.accuracies = x, y, []

    def on_epoch_end(self, epoch, logs=None):
        accuracy = batch_statistics_accuracy(self.model, self.x, self.y)
        self.accuracies.append(accuracy)


# %%
from fmnist_course.training import fit_recipe  # the ladder's own training call

recipe = fmc.RECIPES["best"]  # as printed above
assert recipe.epochs == 80, "the prose says 80 epochs"
RETRAIN = fmc.retrain_requested()  # True: train the full run below, not load it
assert recipe.schedule == "cosine", "the prose says a short run ends at rate 0"
assert fmc.LIVE_EPOCHS == 3, "the prose says 3 live epochs"
statistics_check = BatchStatisticsCheck(data.x_val, data.y_val)
live_model, history = fit_recipe(
    recipe,
    data,  # the validation images held out, to watch them
    epochs=fmc.epochs_for(fmc.LIVE_EPOCHS),
    seed=0,
    verbose=2,
    callbacks=[statistics_check],  # reads the model; changes no training
)
history["val_accuracy, batch statistics"] = statistics_check.accuracies
print(
    f"live: {len(history)} epochs of the recipe (its full run: {recipe.epochs}), "
    f"{history['seconds'].sum() / 60:.1f} minutes"
)
history[["epoch", "val_accuracy", "val_accuracy, batch statistics"]].round(4)

# %% [markdown]
# The `val_accuracy` column is what `fit` reports, in inference mode; the
# column beside it is the same averaged weights with batch statistics. Where
# the batch statistics score clearly higher, the moving statistics lag behind
# the weights. A difference of a few tenths either way is the two methods'
# own noise: each batch of 1,000 images has statistics of its own. Look at
# the first epoch, then at the later ones: for this recipe the lag may close
# before the schedule ends. At the last epoch, with the
# learning rate at zero, the two agree to within a point; the cell below
# checks that in full mode (fast mode's run, one short epoch on a subset, is
# too short for it).

# %%
last = history.iloc[-1]
lag = last["val_accuracy, batch statistics"] - last["val_accuracy"]
print(f"last epoch: batch statistics score {100 * lag:+.2f} points more")
if not FAST:
    assert abs(lag) < 0.01, "the prose says the last epoch's numbers are honest"
plot_history(history, title=f"Best recipe, live run of {len(history)} epochs")
plt.show()

# %% [markdown]
# ## The full run: a final fit on every training image
#
# Everything this lesson's recipe holds was chosen on the validation images:
# which parts it keeps (the ablation and its confirmation, which chose the
# views it is scored with as part of the package), and how long it trains
# (the search and its confirmation, at the end of this lesson). Once the
# recipe is fixed, those 6,000 images have nothing left to decide, and a
# model that trains on them too learns from 60,000 garments instead of
# 54,000. So the course fits its final model that way: the same recipe,
# epochs, schedule and seed, on every training image. It is the usual last
# step once tuning is done (Chollet's *Deep Learning with Python*, in its
# universal workflow of machine learning, ends its tuning with it). `fmc.RECIPES["best"]`
# says so with `final_fit=True`.
#
# The epochs stay the recipe's, not the number of gradient steps: an epoch
# of 60,000 images at batch 128 is 469 steps instead of 422 (the cell
# prints both), so the final fit takes about a ninth more steps than the runs
# that validation judged (and more CPU time, less the validation pass it
# skips), and its cosine schedule stretches over them.
# Nothing in it needs the validation images: the schedule ends where it
# ends, and the averaged weights are kept whatever they score. It costs two
# things. The final model has no validation accuracy: it has trained on
# those images, so scoring it on them would measure memory, not skill. The
# recipe's validation figures are those of the same recipe trained with them
# held out: the search's and the confirmation's runs, at the end of this
# lesson. And no further choice can be made with the final model on those
# images; the views below are looked at with the live model, which never
# trained on them.
#
# The same recipe trained on 54,000 images had had its test set read before:
# by the confirmation on fresh seeds (its figure is printed near the end of
# this lesson) and by an earlier ladder run on seeds 0, 1 and 2, whose row
# the final fits replaced and which is no longer in the record. The final
# fit changes no setting those reads could have tuned; it was committed to
# the course before the first final fit trained (`fmnist_course.final_fit`
# gives the time), and the course ships it whatever its test score, higher
# or lower than those.
#
# Moving the validation images into the training set is one line of numpy
# per array. The library's `with_validation_in_training` does the same, and
# the ladder calls it for every recipe with `final_fit`; the cell checks that
# the two agree.

# %%
from fmnist_course.final_fit import with_validation_in_training

x_all = np.concatenate([data.x_train, data.x_val])
y_all = np.concatenate([data.y_train, data.y_val])
final_data = with_validation_in_training(data)
assert np.array_equal(final_data.x_train, x_all)
assert np.array_equal(final_data.y_train, y_all)
assert final_data.validation_data is None and recipe.final_fit
print(
    f"final fit: {len(x_all):,} training images ({len(data.x_train):,} and "
    f"the {len(data.x_val):,} validation images), test {len(data.x_test):,}"
)
steps = [-(-len(x) // recipe.batch_size) for x in (data.x_train, x_all)]
print(f"steps per epoch at batch {recipe.batch_size}: {steps[0]}, then {steps[1]}")
if len(x_all) == 60_000:  # the full data, as in full mode
    assert recipe.batch_size == 128 and steps == [422, 469], "the prose says so"

# %% [markdown]
# `fmc.load_shipped("best")` loads the model that the ladder trained with this
# recipe (its first seed, 0, as here) and the history it recorded, one row per
# epoch: training accuracy and loss only, since the run held nothing out. It
# refuses a model whose recipe, training code or data has changed since, so
# what it loads is what this recipe trains today. Its history is a record:
# those numbers were measured when the model was trained, not now. The cell
# prints when, on how many images, and the command that trains it again. From
# here on, `best` is the full run's model; with `RETRAIN` on, the cell trains
# it here on `final_data`, as the ladder did, and every number is live.

# %%
from fmnist_course.trained_models import ladder_command

if RETRAIN:
    best, full_history = fit_recipe(
        recipe, final_data, epochs=fmc.epochs_for(recipe.epochs), seed=0, verbose=2
    )
    print(
        f"live: the full run, {len(full_history)} epochs on "
        f"{len(final_data.x_train):,} images, trained above"
    )
else:
    shipped = fmc.load_shipped("best")
    best, full_history = shipped.model, shipped.history
    print(
        f"recorded: {len(full_history)} epochs on "
        f"{shipped.metadata['train_images']:,} images, seed {shipped.seed}, "
        f"measured {shipped.metadata['measured_at']} by `{ladder_command(recipe)}`"
    )
    assert shipped.metadata["train_images"] == 60_000, "the prose: all 60,000"
assert "val_accuracy" not in full_history, "the prose: the final fit held none out"
plot_history(
    full_history, title="Best recipe, full run" + ("" if RETRAIN else ", recorded")
)
plt.show()

# %% [markdown]
# ## Test-time augmentation: the mirror image, once more
#
# Training showed the model mirrored garments, because a mirrored shirt is
# still a shirt. The same symmetry helps once more at prediction time: show
# the model each image twice, as it is and flipped left to right, and average
# the two probability vectors. Where the model is sure, both views usually
# agree and the answer does not change; where it hesitates, the two views err in slightly
# different ways, so their average may be right more often than either view.
# That is a hypothesis; the validation cell below tests it.
#
# A test on the validation images needs a model that never trained on them.
# The full run's model did (the final fit), so the views are tried on the
# live run's model, `live_model`: the same recipe, trained for 3 epochs with
# the validation images held out. The test set, further down, scores the
# full run's model with the same views.
#
# The functional API makes this a four-line model. The trained model is
# called twice, as one shared sub-model, so the new model has no weights of
# its own: it costs a second forward pass per image, nothing else. The only
# new piece is `MirrorImage`, a library layer that always flips the width
# axis (unlike `RandomFlip`, which flips at random and only in training).

# %%
from fmnist_course.layers import MirrorImage

inputs = keras.Input(shape=(28, 28), name="image")
mirrored = MirrorImage(name="mirror")(inputs)
outputs = layers.Average(name="average")([live_model(inputs), live_model(mirrored)])
flip_averaged = keras.Model(inputs, outputs, name="live_flip_averaged")
print(
    f"parameters: {flip_averaged.count_params():,} "
    f"(the model alone: {live_model.count_params():,})"
)

# %% [markdown]
# The shifts can be used the same way: a garment moved by one pixel is still
# the same garment, and this model was trained on shifted images too.
# `fmc.with_test_time_augmentation(live_model)` builds the larger version: the
# image, the image moved by one pixel up, down, left and right, and the
# mirror images of all five, ten views in all. Its only new piece is
# `ShiftImage`, a library layer that always moves images by the same whole
# number of pixels and fills the uncovered border with zeros (unlike
# `RandomTranslation`, which shifts at random and only in training).

# %%
augmented = fmc.with_test_time_augmentation(live_model)
views = augmented.get_layer("average").input
print(f"{len(views)} views, parameters: {augmented.count_params():,}")

# %% [markdown]
# Are they worth their cost, two and ten forward passes per image? That is a
# decision, and it belongs to the validation images. The ablation's
# confirmation made it, as part of the recipe it chose (below); here is a
# first look on validation, with the live model. The new models have no
# training to do, so we skip `compile` and count correct predictions ourselves,
# calling each model on a thousand images at a time.


# %%
def accuracy(model, x, y, batch_size=1000):
    """The share of images whose most probable class is the true one."""
    batches = range(0, len(x), batch_size)
    probabilities = [model(x[i : i + batch_size], training=False) for i in batches]
    return np.mean(np.concatenate(probabilities).argmax(axis=1) == y)


predictors = {
    "the model alone": live_model,
    "averaged with the mirror image": flip_averaged,
    "averaged over 10 views (mirror and shifts)": augmented,
}
validation_accuracy = pd.Series(
    {
        name: accuracy(model, data.x_val, data.y_val)
        for name, model in predictors.items()
    },
    name="validation accuracy",
)
print(validation_accuracy.map("{:.2%}".format).to_string())
library_version = fmc.with_flip_averaging(live_model)
same = np.allclose(
    flip_averaged(data.x_val[:200], training=False),
    library_version(data.x_val[:200], training=False),
    atol=1e-6,
)
print(f"same predictions as fmc.with_flip_averaging(live_model): {same}")

# %%
highest = validation_accuracy.idxmax()
print(f"highest validation accuracy: {highest}")

# %% [markdown]
# One seed's validation images cannot decide this, by the rule this lesson
# set for the ablation, least of all with a model trained for 3 epochs. The record can: the ablation's confirmation scored
# each of its full-budget runs of the winning recipe (40 epochs, `best_40`) on
# validation both with the ten views and without them. The cell below
# applies the rule to those three seeds. The views add accuracy on every seed, but their mean gain is below
# twice the larger spread, so the rule does not prove it. They are in the
# recipe because they came with the package that won the confirmation,
# which compared whole recipes, views included, not because they were
# tested on their own merit. (The gains are paired: each seed's model is
# scored both ways, and all three gains are positive and close together. A
# rule for paired scores would likely call that a gain; the course keeps the
# one rule of the ablation, so the views' place rests on the package.) The
# shipped 80-epoch recipe was scored both ways too, on fresh seeds; the last
# section reports what the views add there.
#
# So the views are fixed by the recipe, before the test set is read: the
# test below scores the ten views whatever this cell picked.
# `fmc.with_flip_averaging` is the library's version of the two-view cell
# above; `fmc.with_test_time_augmentation` makes any choice of views.

# %%
full_runs = pd.DataFrame(
    [row for row in entry.get("rows", []) if row["epochs"] != entry["epochs"]]
)
if confirmed:
    won = full_runs[full_runs["variant"] == "no_dropout"].set_index("seed")
    with_views = 100 * won["val_accuracy"]
    alone = 100 * won["val_accuracy_model_alone"]
    gain = with_views - alone
    views_threshold = SPREADS * max(with_views.std(), alone.std())
    print("ten views minus the model alone, validation, points, by seed:")
    print(gain.round(2).to_string())
    print(f"mean gain {gain.mean():.2f}, threshold {views_threshold:.2f}")
    assert (gain > 0).all() and gain.mean() < views_threshold, "the prose says so"

# %% [markdown]
# Whatever the views add, they can add it only because this model was
# *trained* on mirrored and shifted images. A model that never saw a mirror
# image, such as lesson 04's challenge model, has learned nothing about
# mirrored garments, so averaging in its view of them may cost accuracy as
# easily as add it (the course has not measured which). Test-time
# augmentation can only ask a model about variations it has learned to
# recognise.

# %% [markdown]
# ## The test set, for a fixed recipe
#
# Which parts the shipped recipe keeps was decided on validation, and so was
# its length, by the search at the end of this lesson and its confirmation
# on fresh seeds; the other values (the learning rate, the weight decay, the
# size of the cutout square, the smoothing, the architecture) were set
# before the ablation, and the search tried changing some of them on
# validation too. The test set has chosen nothing. It has been read before,
# for fixed recipes only: by the ladder for the 40-epoch recipe (before the
# search), by the confirmation for the three models of the 80-epoch recipe
# once it was promoted, by an earlier ladder run of that recipe on 54,000
# images, and by the ladder for the models it ships, the final fits; no rule
# ever read those numbers. So its accuracy here is an honest estimate of how the
# model does on new images like these: no choice was made on them. The cell
# wraps the full run's model, `best`, in the same views as the live model
# above. We print the other two candidates too, to see what
# the extra views added, but only as a report: choosing between them now
# would turn the test set into a second validation set. For one model on the
# test images they need not rank as they did on validation, nor as the rule
# above would want: for the 40-epoch recipe, the views' gain was not proven.

# %%
from fmnist_course.anchors import ORIGINAL_ACCURACY

on_test = {
    "the model alone": best,
    "averaged with the mirror image": fmc.with_flip_averaging(best),
    "averaged over 10 views (mirror and shifts)": fmc.with_test_time_augmentation(
        best
    ),
}
assert on_test.keys() == predictors.keys(), "the same three predictors as above"
test_accuracy = accuracy(
    on_test["averaged over 10 views (mirror and shifts)"], data.x_test, data.y_test
)
print(
    f"live: test accuracy {test_accuracy:.2%} with the ten views "
    f"(the challenge notebook reported {ORIGINAL_ACCURACY:.2%})"
)
for name in ["the model alone", "averaged with the mirror image"]:
    score = accuracy(on_test[name], data.x_test, data.y_test)
    print(f"live: {name}: {score:.2%}")

# %% [markdown]
# ## Live and recorded
#
# Which of these numbers were measured now, and which were recorded? The
# short run's were measured live, the views' validation accuracies with it,
# and so was every accuracy of the full run's model since it was loaded: its
# test accuracies above were computed in this notebook, from the shipped
# model's weights. The records are the full run's history and what the cells read
# from the course's results file, each printed as read: the ablation and its
# confirmation (the views' gains by seed among them), and, below, the
# search's candidates, the confirmation on fresh seeds with its test read,
# and the ladder's seeds. The ladder scored this very model, as its recipe
# says, on the same 10,000 test images: `shipped.scored_model()` is the
# recipe's ten-view model, compiled so that `fmc.evaluate_model` scores it as
# the ladder did. Evaluated live, it must score the test accuracy the ladder
# recorded for its seed: to the digit on the machine that recorded it; on
# other hardware, which adds the same numbers in other orders, within a few
# images, as in lesson 03. The cell checks that in full mode. (In fast mode
# the test set is a subset, so the two differ.) It is the same
# model, views and images as the cell above, so this looks at nothing new.
#
# With `RETRAIN` on, the model is the one you trained, and the record is
# another run of the same recipe, on other machines and threads: expect your
# number within the spread of the ladder's seeds, not the same digits. In
# full mode the cell holds it against them as lessons 02 to 04 did (within 2
# standard deviations of their mean, among the rows trained in your run's
# precision), and prints the command that reproduces the record.

# %%
from fmnist_course.retrained import retrain_agreement
from fmnist_course.trained_models import model_precision

if RETRAIN:
    scored = fmc.with_test_time_augmentation(best)
    scored.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
else:
    scored = shipped.scored_model()  # the ten views, compiled for evaluate
scores = fmc.evaluate_model(scored, data.x_test, data.y_test)
print(
    f"live: test accuracy {scores['accuracy']:.4f} (ten views), test loss "
    f"{scores['loss']:.4f} on {len(data.x_test):,} test images"
)
if RETRAIN:
    print(f"recorded by `{ladder_command(recipe)}`, over its seeds")
    if not FAST:
        print(retrain_agreement("best", scores["accuracy"], model_precision(best)))
else:
    print(
        f"recorded by `{ladder_command(recipe)}` for this model (seed "
        f"{shipped.seed}): {shipped.test_accuracy:.4f}"
    )
    if not FAST:
        apart = round(
            abs(scores["accuracy"] - shipped.test_accuracy) * len(data.y_test)
        )
        print(f"images apart: {apart}")
        assert apart <= 5, "the shipped model no longer scores what the ladder recorded"

# %% [markdown]
# ## Searching past best, on validation
#
# The ablation went downwards, from a stack to fewer parts. A search for a
# better recipe goes the other way: change one setting that the protocol's
# winner already has (more epochs, a wider network, more smoothing, a larger
# cutout square, more weight decay), for a reason from the published
# results, then stack changes that came out ahead, and ask the same question
# the same way: on validation, under the same seeds (three, unless the table
# says fewer), by the same threshold. The search ran while that winner was
# the course's `best`, so its record and its table call it `best`; in this
# section and the next, that `best` is `fmc.RECIPES["best_40"]`, the 40-epoch
# recipe, not the shipped 80-epoch one (nor the notebook's variable `best`,
# the shipped model). The course's training settings change only when a
# candidate beats them by a rule; then the ladder trains the new recipe and
# reads the test set again, for the models it ships. (The final fit, which
# changes the images and not the settings, was fixed before the first final
# fit trained, as the
# section on the full run says.)
#
# `fmnist-course bench candidates` runs the search and records every
# candidate tried, the ones that lost included; the record is the search's
# own lesson. `best`'s runs are the ablation confirmation's full-budget runs
# of the protocol's winner, the same recipe under the same seeds, read from
# the record rather than trained again. They are also the runs on which `best` won, and a
# winner's runs tend to sit a little high by luck, which tilts the
# comparison slightly against the candidates (the confirmation on fresh
# seeds, below, trains `best` again). The table shows what is recorded so far,
# with each candidate's training cost per seed: a candidate also has to fit
# the time a student or a benchmark can give it (the caption says which CPU
# measured each; compare costs measured on one). The table holds the
# search's first round: the candidates measured before the confirmation
# below. A second round followed, with one candidate; the end of this
# section judges it, and the results page lists it too.

# %%
from fmnist_course.candidates import CANDIDATES
from fmnist_course.candidates_tables import candidates_table

record = load_results()
judged_at = record["confirmation"]["cpu"]["measured_at"]
search = candidates_table(record, measured_before=judged_at)  # the first round
assert len(search) > 1, "the prose says the record holds candidates beside best"
print(search.attrs["caption"])
search

# %% [markdown]
# Read it as the ablation was read, with the roles turned: each candidate
# is set against `best`, and its verdict is "beats best" or "not shown
# better". The change is a difference of means over the seeds both have.
# One column is new: per seed, each run against
# `best`'s run on the same seed. The seed also draws the validation split,
# so a seed whose split is hard is hard for both: for every candidate, these
# paired differences scatter less than `best`'s own runs, and for the
# candidates ahead of `best` on every seed, at most about half as much (the
# cell checks both). Yet none is ahead by the threshold: the rule asks a
# gain to stand out by twice the spread between seeds, and these gains are
# smaller than that. So the search's own rule promoted nothing: `best`, now
# `best_40`, stayed; the cell prints the largest change and the threshold
# it fell under.
#
# Much of that spread is the validation split itself. Each seed draws its
# own validation images, and a model that labels a share `p` of all such
# images correctly scores on `n` random ones within about
# `sqrt(p * (1 - p) / n)` of `p` by chance alone (one standard deviation,
# the spread of a count of coin flips; it leaves out that each split also
# changes the training images). The cell prints that figure for `best`'s `p`
# and the split's `n`: most of `best`'s spread. And the threshold is twice
# the spread of single runs, not of their mean: more seeds would measure
# that spread better without making it smaller. So this rule is a bar on
# the size of a gain, about twice the chance figure on a split this size,
# however many seeds run; a test on the mean difference, whose uncertainty
# shrinks as seeds are added, would have no such floor.
#
# The stacked candidate, `wider_cutout_12`, makes both changes at once. Its
# gain is less than its parts' gains added together, by less than the
# noise, so these runs cannot say whether the gains add; and its runs
# spread wider than either part's, and than `best`'s, which raised its
# threshold above theirs (the cell prints these). Its parts were also
# chosen on these same three validation splits, so even a pass would need
# new seeds to mean much.
#
# A rule that reads the paired differences would be more sensitive: this
# rule applied to the differences themselves, a mean above twice their own
# spread, would promote `epochs_80`, whose runs sit ahead of `best`'s on
# every seed (the cell prints which candidates it would promote, and each
# candidate's changes are in the table; `wider` misses it narrowly).
# Adopting that form now, after seeing the runs, would be choosing the rule
# by its result, the very mistake the protocol exists to prevent; and with
# seven candidates tried, one of them passing a looser test by luck would be
# no surprise. A rule is fixed before the runs it judges, and this one was.
# A paired rule can be fixed before new runs and judged on seeds this search
# has not used: the next section does exactly that.

# %%
decided = search[search["verdict"].isin(["beats best", "not shown better"])]
assert not decided.empty, "the prose reads decided candidates"
assert (decided["verdict"] == "not shown better").all(), "the prose: best stays"
paired = {name: list(search.attrs["paired"][name].values()) for name in decided.index}
ahead = [
    name for name, changes in paired.items() if len(changes) >= 2 and min(changes) > 0
]
assert ahead, "the prose: some candidates are ahead on every seed"
best_spread = search.loc["best", "spread (points)"]
for name, changes in paired.items():
    if len(changes) >= 2:
        ratio = np.std(changes, ddof=1) / best_spread
        assert ratio < 1, "the prose: paired differences scatter less than best"
        assert name not in ahead or ratio < 0.6, "the prose: about half, at most"
paired_rule = [
    name
    for name, changes in paired.items()
    if len(changes) >= 2 and np.mean(changes) > 2 * np.std(changes, ddof=1)
]
print(f"the rule applied to the paired differences would promote: {paired_rule}")
assert paired_rule == ["epochs_80"], "the prose: it would promote epochs_80 alone"
narrowly = np.mean(paired["wider"]) / (2 * np.std(paired["wider"], ddof=1))
assert 0.8 < narrowly <= 1, "the prose: wider misses it narrowly"
(n,) = {row["validation_images"] for row in record["candidates"]["cpu"]["rows"]}
p = search.loc["best", "validation accuracy (%)"] / 100
by_chance = 100 * np.sqrt(p * (1 - p) / n)
print(
    f"chance alone, {n:,} validation images at {p:.2%}: {by_chance:.2f} points; "
    f"best's spread: {best_spread:.2f}"
)
assert by_chance**2 > 0.5 * best_spread**2, "the prose: most of best's spread"
top = decided["change vs best (points)"].idxmax()
print(f"ahead of best on every seed: {', '.join(ahead)}")
print(
    f"largest change: {top}, {decided.loc[top, 'change vs best (points)']:+.2f} "
    f"points, under its threshold of {decided.loc[top, 'threshold (points)']:.2f}"
)
stack_parts = CANDIDATES["wider_cutout_12"].parts
change_vs_best = decided["change vs best (points)"]
print(
    f"wider_cutout_12: {change_vs_best['wider_cutout_12']:+.2f} points; its parts "
    + ", ".join(f"{part} {change_vs_best[part]:+.2f}" for part in stack_parts)
)
print(
    search.loc[
        ["best", *stack_parts, "wider_cutout_12"],
        ["spread (points)", "threshold (points)"],
    ]
)
threshold = decided["threshold (points)"]
assert all(threshold["wider_cutout_12"] > threshold[part] for part in stack_parts), (
    "the prose: the stack's spread raised its threshold above its parts'"
)
shortfall = (
    sum(change_vs_best[part] for part in stack_parts)
    - change_vs_best["wider_cutout_12"]
)
assert 0 < shortfall < np.std(paired["wider_cutout_12"], ddof=1), (
    "the prose: less than its parts' gains added, by less than the noise"
)
spread = search["spread (points)"]
assert spread["wider_cutout_12"] > max(
    spread[part] for part in [*stack_parts, "best"]
), "the prose: the stack's runs spread wider than either part's"

# %% [markdown]
# ## Confirming on fresh seeds
#
# A rule read after the runs it judges proves nothing, but it can be fixed
# now and judged on runs that do not exist yet. As those runs started (the
# docstring of `fmnist_course.confirmation` gives the times), the course
# wrote the paired rule into code there:
#
# - `best` and `epochs_80` train once each under seeds 3, 4 and 5, which
#   the search never used, on one machine; no seed is run again;
# - `epochs_80` is promoted when the mean of its three paired differences
#   is more than twice their spread (counted as at least one validation
#   image), the rule the cell above applied after the fact;
# - only if it is promoted is the test set read, once, for its three
#   models; `best`'s new models are never scored on test.
#
# (The one-image floor, and the checks that every run is on one machine
# and never run again, were added after one of the six runs had finished,
# `best`'s, and before any run of `epochs_80` had; the floor cannot matter
# unless the differences agree to within an image. The docstring of
# `fmnist_course.confirmation` gives the times.)
#
# How strict is that? The standard error of a mean of three differences is
# their spread divided by √3, so a mean above twice the spread is a mean
# more than 2√3 standard errors above zero. If the two recipes were equal
# and the differences scattered like a bell curve, three of them would
# rarely get that far: statisticians know this as a one-sided paired
# t-test with 2 degrees of freedom, and the cell prints the chance. The
# leader was picked from the seven candidates on the search's seeds; judged
# on fresh seeds, that pick does not raise this chance. The rule is also
# weak: a true gain as large as the differences' own spread would pass only
# about a quarter of the time (the cell simulates it; less still when the
# spread is only a few images, because of the one-image floor), so a
# failure would not show the recipes equal. The new runs of `best` also
# test the doubt above, that its search runs sat high by luck.
#
# `fmnist-course bench confirm` judged the recorded runs; the cell applies
# the rule again, by hand, from the record.
#
# The verdict: `epochs_80` came out ahead of `best` on every new seed, by
# amounts close together, and their mean cleared the bar, so it is
# promoted (the cell prints each seed, the mean and the bar). Only then
# was the test set read, once for each of its three models; the cell
# prints that too. `best`'s new runs scored about as its search runs did,
# so the doubt about luck does not change the answer.
#
# Read the two kinds of figure apart. The validation differences are a
# paired comparison: the gain, measured. The test mean is `epochs_80`'s
# accuracy, the figure its rule declared in advance, and not a gain: the
# 40-epoch models on these seeds were never scored on test, and that
# recipe's test figure came from an earlier ladder run on other seeds, no
# longer in the record, so subtracting the two measures nothing. The
# ladder's figure for `best`, printed at the end of this lesson, is the same
# 80-epoch recipe on seeds 0, 1 and 2, fitted on all 60,000 training images,
# for the models the course ships; the course's tables show it, as they show
# every rung's. It reads the test set again for a recipe already fixed, which
# chooses nothing, and may differ from this one by the seeds' spread and by
# what the 6,000 more training images add. And "promoted" means a small gain
# that repeats on every seed, not a large one, bought with about twice the
# training time; the cell prints the gain in validation images and the
# ratio of CPU time.
#
# So the course ships the promoted recipe: `fmc.RECIPES["best"]` is now
# `epochs_80`'s settings (the cell checks that), fitted on all 60,000
# training images (its final fit, the one field added), and the ladder
# trained it under its own seeds, 0, 1 and 2, read the test set once more for
# those three models, and ships the first: the model this lesson loaded
# above. The
# `best` of the rows the cell prints is the 40-epoch recipe, `best_40`, as
# the runs were named when they trained. The cell also reports what the ten
# views add to the 80-epoch runs on validation, by the ablation's rule: a
# gain on every seed, and unlike at 40 epochs, a mean gain above the
# threshold. It is a report, not a choice, since the views come with the
# recipe.

# %%
from fmnist_course.candidates import candidate_recipe, recipe_settings
from fmnist_course.candidates_tables import baseline_runs
from fmnist_course.confirmation import (
    CANDIDATE,
    MARGIN,
    SEEDS,
    confirmation_rows,
    paired_verdict,
)

fresh_seeds = record["confirmation"]["cpu"]  # the confirmation on fresh seeds
confirmation_rows(fresh_seeds["rows"])  # one machine, each run once, full length
(n,) = {row["validation_images"] for row in fresh_seeds["rows"]}  # one split size
assert not set(SEEDS) & set(search.attrs["seeds"]), "the prose: fresh seeds"
assert len(decided) == 7, "the prose: seven candidates"
val = {
    (row["candidate"], row["seed"]): row["val_accuracy"] for row in fresh_seeds["rows"]
}
differences = [round(100 * (val[CANDIDATE, s] - val["best", s]), 2) for s in SEEDS]
for seed, difference in zip(SEEDS, differences, strict=True):
    print(
        f"seed {seed}: best {val['best', seed]:.2%}, {CANDIDATE} "
        f"{val[CANDIDATE, seed]:.2%}, {difference:+.2f} points"
    )
t = 2 * np.sqrt(3)  # the bar, in standard errors of the mean of three
chance = 0.5 * (1 - t / np.sqrt(t**2 + 2))  # Student's t, 2 degrees of freedom
print(f"chance that two equal recipes pass: {chance:.1%}")
assert chance < 0.05, "the prose: rarely"
rng = np.random.default_rng(0)
draws = rng.normal(1.0, 1.0, size=(100_000, 3))  # a true gain of one spread
power = np.mean(draws.mean(axis=1) > 2 * draws.std(axis=1, ddof=1))
print(f"chance that a true gain as large as the spread passes: {power:.0%}")
assert 0.2 < power < 0.3, "the prose: about a quarter of the time"
assert MARGIN == 2, "the prose: twice their spread"
bar = 2 * max(np.std(differences, ddof=1), 100 / n)
promoted = bool(np.mean(differences) > bar)
print(
    f"mean difference {np.mean(differences):+.2f} points against {bar:.2f} "
    f"(twice their spread): {'promoted' if promoted else 'not promoted'}"
)
assert promoted == fresh_seeds["verdict"]["promoted"], "the record's verdict"
assert (
    promoted
    == paired_verdict(
        {s: val[CANDIDATE, s] for s in SEEDS}, {s: val["best", s] for s in SEEDS}
    )["promoted"]
), "the library's rule is the one written out here"
fresh_best = np.mean([val["best", s] for s in SEEDS])
searched = np.mean([row["val_accuracy"] for row in baseline_runs(record).rows])
print(
    f"best on validation: {fresh_best:.2%} on seeds {SEEDS}, {searched:.2%} on the "
    "search's seeds"
)
assert promoted and min(differences) > 0, "the prose: ahead on every seed"
assert np.std(differences, ddof=1) < np.mean(differences) / 2, "the prose: close"
assert abs(fresh_best - searched) * 100 < best_spread, "the prose: about as before"
images_gained = np.mean(differences) / 100 * n
cpu = {
    name: np.mean(
        [r["train_cpu_seconds"] for r in fresh_seeds["rows"] if r["candidate"] == name]
    )
    for name in ("best", CANDIDATE)
}
print(
    f"the gain: about {images_gained:.0f} of {n:,} validation images, for "
    f"{cpu[CANDIDATE] / cpu['best']:.1f}x the CPU time of best"
)
assert 1.5 < cpu[CANDIDATE] / cpu["best"] < 2.5, "the prose: about twice"

# %%
test = fresh_seeds["test"]  # present only for a promoted recipe
promoted_files = {
    r["seed"]: r["model_sha256"]
    for r in fresh_seeds["rows"]
    if r["candidate"] == CANDIDATE
}
assert {r["seed"]: r["model_sha256"] for r in test["runs"]} == promoted_files, (
    "the prose: once for each of its three models, and never for best's"
)
assert test["measured_at"] > fresh_seeds["measured_at"], "the prose: after the runs"
print(
    f"{CANDIDATE} on the test set, read once per run: "
    f"{test['test_accuracy']:.2%} mean ("
    + ", ".join(f"seed {r['seed']} {r['test_accuracy']:.2%}" for r in test["runs"])
    + ")"
)
promoted_runs = [r for r in fresh_seeds["rows"] if r["candidate"] == CANDIDATE]
ten_views = pd.Series({r["seed"]: 100 * r["val_accuracy"] for r in promoted_runs})
one_view = pd.Series(
    {r["seed"]: 100 * r["val_accuracy_model_alone"] for r in promoted_runs}
)
view_gains = ten_views - one_view
view_bar = SPREADS * max(ten_views.std(), one_view.std())
print(
    "ten views minus the model alone, 80 epochs, validation, points: "
    + ", ".join(f"seed {seed} {gain:+.2f}" for seed, gain in view_gains.items())
    + f"; mean {view_gains.mean():.2f} against the threshold {view_bar:.2f}"
)
assert (view_gains > 0).all() and view_gains.mean() > view_bar, "the prose says so"
assert fmc.RECIPES["best"].epochs == candidate_recipe(CANDIDATE).epochs, (
    "the prose: the shipped best is the promoted recipe"
)
judged_recipe = dataclasses.replace(fmc.RECIPES["best"], final_fit=False)
assert recipe_settings(judged_recipe) == recipe_settings(
    candidate_recipe(CANDIDATE)
), "the prose: exactly the promoted recipe's settings, and a final fit"

# %% [markdown]
# ### A second round
#
# The search went on after that verdict. Its second round tried one
# candidate, a stack of the first round's two largest gains over `best_40`
# (the cell checks): `wider_cutout_12`'s wider blocks with cutout 12, and
# `epochs_80`'s longer schedule. How long is set by the course's budget for `best`: 60
# CPU-minutes of training per seed (the record's `best_training_time`
# target). Wider blocks make each epoch cost about twice as much, and at 60
# epochs the stack took about 52 CPU-minutes a seed, so 70 would not fit
# (the cell prints the costs). On the search's seeds,
# `wider_cutout_12_epochs_60` was ahead of `epochs_80`, the new `best`, on
# every seed, by about a tenth of a point. A candidate that looks better on
# the seeds it was chosen on is judged the way `epochs_80` was: by the same
# paired rule and margin, written into code
# (`fmnist_course.confirmation.SECOND_ROUND`) before any of its new runs,
# on seeds 3, 4 and 5, which it had never trained under (the first
# confirmation judged on them too; this candidate was chosen on seeds 0, 1
# and 2 alone). `epochs_80`'s runs under those seeds are not trained again:
# they are its judged runs from the confirmation above, read from the
# record, and `fmnist-course bench confirm --round 2` scored each saved
# model again before judging. They are the runs that won that round, so if
# anything they sit slightly high, which can only tilt this comparison
# against the candidate, and by little.
#
# The verdict: on the new seeds the candidate was behind on two of the
# three, and the mean of the differences is about a hundredth of a point,
# far under the bar (the cell prints each seed, the mean and the bar). It is
# not promoted, so no test image was scored for it, and `best` stays
# `epochs_80`. The gain the search saw did not repeat on seeds it had not
# seen, which is why a candidate is judged on new ones. "Not promoted"
# does not show the two recipes equal; it does show that this one buys no
# gain the rule can see, for more CPU time per seed (the cell prints both;
# the candidate's three runs shared two cores, which inflates CPU time
# somewhat, but not by half).

# %%
from fmnist_course.confirmation import SECOND, judge

second = record[SECOND.section]["cpu"]  # `fmnist-course bench confirm --round 2`
confirmation_rows(second["rows"], SECOND)  # pinned recipes, one machine, once each
again = {(r["candidate"], r["seed"]): r for r in second["rows"]}
assert SECOND.baseline == CANDIDATE, "the prose: judged against epochs_80"
assert SECOND.seeds == SEEDS and SECOND.margin == MARGIN, "the prose: same rule"
assert all(again[CANDIDATE, s]["val_accuracy"] == val[CANDIDATE, s] for s in SEEDS), (
    "the prose: epochs_80's runs are the first confirmation's, read again"
)
searched_runs = {
    (r["candidate"], r["seed"]): r["val_accuracy"]
    for r in record["candidates"]["cpu"]["rows"]
}
on_search_seeds = [
    100 * (searched_runs[SECOND.candidate, s] - searched_runs[CANDIDATE, s])
    for s in search.attrs["seeds"]
]
print(
    "on the search's seeds: "
    + ", ".join(f"{d:+.2f}" for d in on_search_seeds)
    + " points"
)
assert min(on_search_seeds) > 0, "the prose: ahead on every search seed"
assert 0.05 < np.mean(on_search_seeds) < 0.15, "the prose: about a tenth"
second_differences = [
    round(
        100
        * (
            again[SECOND.candidate, s]["val_accuracy"]
            - again[CANDIDATE, s]["val_accuracy"]
        ),
        2,
    )
    for s in SEEDS
]
for seed, difference in zip(SEEDS, second_differences, strict=True):
    print(
        f"seed {seed}: {CANDIDATE} {again[CANDIDATE, seed]['val_accuracy']:.2%}, "
        f"{SECOND.candidate} {again[SECOND.candidate, seed]['val_accuracy']:.2%}, "
        f"{difference:+.2f} points"
    )
second_bar = 2 * max(np.std(second_differences, ddof=1), 100 / n)
second_promoted = bool(np.mean(second_differences) > second_bar)
print(
    f"mean difference {np.mean(second_differences):+.2f} points against "
    f"{second_bar:.2f}: {'promoted' if second_promoted else 'not promoted'}"
)
assert second_promoted == second["verdict"]["promoted"], "the record's verdict"
assert second["verdict"] == judge(second["rows"], SECOND), "the library's rule"
assert not second_promoted and "test" not in second, "the prose: no test image"
assert sum(d < 0 for d in second_differences) == 2, "the prose: behind on two"
assert round(np.mean(second_differences), 2) == 0.01, "the prose: a hundredth"
assert np.mean(second_differences) < second_bar / 4, "the prose: far under"
gains = search.drop(index="best")["change vs best (points)"]
assert set(gains.nlargest(2).index) == {"wider_cutout_12", "epochs_80"}, (
    "the prose: the first round's two largest gains"
)
costs = {
    name: np.mean(
        [
            r["train_cpu_seconds"] / 60
            for r in record["candidates"]["cpu"]["rows"]
            if r["candidate"] == name and r["machine"]["cpu_model"] == "AMD EPYC"
        ]
    )
    for name in ("epochs_80", "wider", SECOND.candidate)
}
print(
    "CPU-minutes per seed on the search's seeds: "
    + ", ".join(f"{name} {minutes:.1f}" for name, minutes in costs.items())
)
assert 1.7 < costs["wider"] / (costs["epochs_80"] / 2) < 2.3, "the prose: twice"
assert costs[SECOND.candidate] < 60 < costs[SECOND.candidate] * 70 / 60, (
    "the prose: 60 epochs fit the budget, 70 would not"
)
cpu_minutes = {
    name: np.mean(
        [r["train_cpu_seconds"] / 60 for r in second["rows"] if r["candidate"] == name]
    )
    for name in (CANDIDATE, SECOND.candidate)
}
print(
    "CPU-minutes per seed: "
    + ", ".join(f"{name} {minutes:.1f}" for name, minutes in cpu_minutes.items())
)
assert cpu_minutes[SECOND.candidate] > cpu_minutes[CANDIDATE], "the prose: more"
assert recipe_settings(judged_recipe) == recipe_settings(
    candidate_recipe(CANDIDATE)
), "the prose: best stays epochs_80"

# %% [markdown]
# ## Summary
#
# - Augmentation creates new, label-preserving training images. Shifts by a
#   pixel or two give images like the test set's; horizontal flips keep the
#   label but show orientations the test set rarely has, so they act as a
#   regularizer; vertical flips do not keep the label.
#   Cutout hides a part of each image, so no single detail decides. Like
#   dropout, they trade a harder training task for less overfitting.
# - Label smoothing trains against softened targets, so the loss stops
#   rewarding outputs pushed towards certainty. Whether the model's confidence
#   then matches its accuracy is measured, not assumed: lesson 08's
#   reliability diagram and the record's calibration error say.
# - A short run shows every step of a long recipe. With batch normalization,
#   its numbers in inference mode are honest only once the moving statistics
#   have caught up with the weights: here the first epoch's were not. Ending
#   a cosine schedule, in a run well over the hundred or so steps those
#   statistics average, makes its last numbers honest; check with batch
#   statistics, as the callback did.
#   `fmc.load_shipped("best")` loads the full run that the course trained,
#   with its recorded history; evaluated live, it scores what was recorded.
#   `RETRAIN = True` (or `FMNIST_RETRAIN=1`) trains it here.
# - Once validation has chosen the recipe, the final model trains on the
#   validation images too (`final_fit`): 60,000 images instead of 54,000,
#   at the price of a model that has no validation score and can choose
#   nothing more. The choice to fit it that way was made before any final
#   fit's test score was read (the same recipe on 54,000 images had been
#   tested), and it changes no setting.
# - A search for a better recipe asks the ablation's question the other way
#   round, on validation, by the same rule, and records every candidate it
#   tried (`fmnist-course bench candidates`). A candidate ahead on every
#   seed can still fall under the threshold; the rule, fixed before the
#   runs, decides, and under it the recipe stays until a candidate clears
#   it. A paired rule, fixed before fresh runs, can promote one (next point).
# - A rule chosen after seeing the runs proves nothing; fixed first and
#   judged on fresh seeds, it can. The paired rule was written into code
#   before `best` and `epochs_80` trained on three new seeds
#   (`fmnist-course bench confirm`), and the test set is read only for a
#   promoted recipe. Here `epochs_80` was promoted: a small gain that
#   repeats on every seed, at about twice the training time. Its test
#   mean is its accuracy, not a gain over `best_40`. The course now ships it
#   as `best`: the protocol's winner, trained for 80 epochs. The second
#   round's candidate, judged the same way, was not promoted: ahead on
#   every search seed; on new ones, behind on two of three and level on
#   average.
# - Averaging the predictions over several views of each image (the image,
#   its mirror image, its one-pixel shifts) costs a forward pass per view and
#   no training. For the 40-epoch recipe its gain on validation was small,
#   positive on every seed but not proven by the rule; at 80 epochs, on
#   fresh seeds, the same rule would call it shown (a report: the views came
#   with the recipe). It can only help a model trained on such views.
# - Working on small feature maps, and pooling before normalizing, keeps a
#   wider, deeper network affordable on a CPU.
# - An ablation, the recipe with one part removed at a time, is how to
#   decide which parts earn their cost: on validation scored as the test set
#   will be, over several seeds, with a threshold fixed before looking. A
#   short run's verdict on a regularizer needs a long run to confirm it: here
#   the short runs dropped every part, and at the full budget the stack
#   without dropout beat the bare model they chose.
#
# What this run measured, and what the course's seeded benchmark records for
# the same recipe. The difference between `best` and `challenge` in the
# ladder's table is the whole recipe's and the final fit's 6,000 more
# training images together, not either alone:

# %%
from fmnist_course.results_tables import ladder_spread

print(
    f"live: {len(history)} epochs trained here in "
    f"{history['seconds'].sum() / 60:.1f} minutes; the full run's model, "
    f"evaluated here: {scores['accuracy']:.2%} test accuracy (ten views)"
)
print("recorded by `fmnist-course bench ladder`, over its seeds:")
print(ladder_spread(load_results(), ["challenge", "best"]))
shipped_row = next(r for r in load_results()["ladder"] if r["model"] == "best")
assert shipped_row["epochs"] == 80 and shipped_row["seeds"] == [0, 1, 2], (
    "the prose: the ladder's best is the 80-epoch recipe on seeds 0, 1 and 2"
)
assert shipped_row["train_images"] == 60_000, "the prose: a final fit"

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Which augmentations preserve the label?
#
# Check id: `07-label-preserving`.
#
# From `"horizontal flip"`, `"vertical flip"`, `"rotate 180"` and
# `"shift 2 pixels"`, build the set of transformations that preserve the label:
# after the transformation, every image still shows the same class, the right
# way up. (Whether the test set holds such images is another question; this
# exercise asks about the label.)

# %%
### BEGIN SOLUTION
label_preserving = {"horizontal flip", "shift 2 pixels"}
### END SOLUTION
check("07-label-preserving", label_preserving)

# %% [markdown]
# ### Exercise 2: A shifted view by hand
#
# Check id: `07-shift-image`.
#
# Write `shift_image(image, down, right)`, which moves a 2-D image by whole
# pixels, `down` rows down (up when negative) and `right` columns to the
# right (left when negative), and fills the uncovered border with zeros. It
# is what `ShiftImage` does for each view of the test-time augmentation.
# Use numpy slicing; `np.roll` is not enough, because it wraps the pixels
# that leave one border around to the other.


# %%
### BEGIN SOLUTION
def shift_image(image, down, right):
    def kept(offset, size):
        """Where the pixels that stay in the frame go to, and come from."""
        return (
            slice(max(offset, 0), size + min(offset, 0)),
            slice(max(-offset, 0), size + min(-offset, 0)),
        )

    (rows_to, rows_from) = kept(down, image.shape[0])
    (columns_to, columns_from) = kept(right, image.shape[1])
    shifted = np.zeros_like(image)
    shifted[rows_to, columns_to] = image[rows_from, columns_from]
    return shifted


### END SOLUTION
check("07-shift-image", shift_image)

# %% [markdown]
# ### Exercise 3: A tiny ablation
#
# Check id: `07-ablation`.
#
# A `Recipe` is a frozen dataclass: `dataclasses.replace(recipe, field=value)`
# returns a copy with some fields changed and leaves the original alone.
# Write `without(recipe, part)`, which returns a copy of `recipe` with one
# part switched off: `"label smoothing"` (`label_smoothing` 0), `"weight
# decay"` (`weight_decay` 0), `"cutout"` (`cutout` 0 in `model_kwargs`),
# `"dropout"` (`dropout` 0 in `model_kwargs`) or `"flips and shifts"`
# (`augment` False in `model_kwargs`). Keep every other setting, and do not
# change the dictionary of the recipe you were given. The cell checks the
# copies of the stacked recipe, `everything` (as dictionaries,
# `dataclasses.asdict`), then trains it and its copy without cutout for two
# epochs on a small subset: enough to see an ablation run, far too little to
# measure anything. Expect both near chance (10% for ten classes): two
# epochs of a few dozen steps are fewer than the hundred or so steps that
# batch normalization's moving statistics average over, so even at the end
# of the schedule those statistics still describe the first weights, and
# the gap between the two numbers means nothing.


# %%
### BEGIN SOLUTION
def without(recipe, part):
    model_parts = {"cutout": 0, "dropout": 0.0, "flips and shifts": False}
    keys = {"cutout": "cutout", "dropout": "dropout", "flips and shifts": "augment"}
    if part in model_parts:
        kwargs = {**recipe.model_kwargs, keys[part]: model_parts[part]}
        return dataclasses.replace(recipe, model_kwargs=kwargs)
    field = {"label smoothing": "label_smoothing", "weight decay": "weight_decay"}
    return dataclasses.replace(recipe, **{field[part]: 0.0})


### END SOLUTION
parts = ["label smoothing", "weight decay", "cutout", "dropout", "flips and shifts"]
check(
    "07-ablation",
    {part: dataclasses.asdict(without(everything, part)) for part in parts},
)
small = fmc.load_course_split(train_size=3000)
for name, variant in [
    ("every technique", everything),
    ("without cutout", without(everything, "cutout")),
]:
    _, variant_history = fit_recipe(variant, small, epochs=2, verbose=0)
    accuracy_now = variant_history["val_accuracy"].iloc[-1]
    print(f"{name}: validation accuracy {accuracy_now:.2%}")
