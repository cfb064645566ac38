# %% [markdown]
# # Training better: batch normalization, schedules and averaged weights
#
# The challenge notebook closed with a list of things to try next: data
# augmentation, batch normalization, a learning-rate schedule and early
# stopping. This lesson and the next try them all. This one is about *how the
# network trains*: it writes out, one at a time, the pieces that let a deeper
# network learn quickly and end on good weights. Lesson 07 adds augmentation,
# puts everything together into the course's best model, trains it, and
# measures what each piece buys.
#
# **What you will learn**
#
# - what `BatchNormalization` computes, and what is (and is not) known about
#   why it helps, and how to test one claim about it with a small controlled
#   experiment;
# - how a cosine learning-rate schedule lets the last epochs fine-tune;
# - how an exponential moving average of the weights smooths out the noise of
#   single steps;
# - what decoupled weight decay (AdamW) does that an L2 penalty does not;
# - when early stopping helps, and why we keep the last epoch's weights.
#
# **Prerequisites**: lessons 02 (convolutions), 03 (dropout) and 04 (the
# challenge model and its L2 penalties).
#
# **Runtime**: well under a minute: the lesson trains two small networks on
# 6,000 images for 3 epochs, and its other cells run on a few hundred images.
# In fast mode (`FMNIST_FAST=1`) it loads a 3,000-image subset and trains one
# epoch.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

import fmnist_course as fmc
from fmnist_course.exercises import check

keras.utils.set_random_seed(0)
data = fmc.load_course_split()
print(
    f"train {data.x_train.shape}, validation {data.x_val.shape}, test {data.x_test.shape}"
)

# %% [markdown]
# ## Batch normalization
#
# `BatchNormalization` re-centres and re-scales every channel over the current
# batch, then applies a learned scale `gamma` and shift `beta`:
#
# $$\hat x = \frac{x - \mu_\text{batch}}{\sqrt{\sigma^2_\text{batch} + \epsilon}}, \qquad y = \gamma \hat x + \beta$$
#
# At prediction time it uses running averages of the mean and variance instead
# of the batch's.
#
# Why it helps is still argued about. Its authors (Ioffe and Szegedy, 2015)
# explained it by *internal covariate shift*: each layer's inputs change as
# the layers before it learn, and normalizing them keeps them steady. Santurkar
# et al. (2018, "How Does Batch Normalization Help Optimization?") measured
# that it does not reduce that shift much, and found instead that it makes the
# loss smoother, so its gradients change less from step to step. What nobody
# disputes is the practical effect: networks with it tolerate larger learning
# rates and depend less on how their weights were initialised.
#
# Here is a convolution block written out in full: the convolution has no bias,
# because batch normalization's `beta` plays that role.

# %%
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, use_bias=False)(inputs)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
block = keras.Model(inputs, x, name="conv_bn_relu")
block.summary()

# %% [markdown]
# The batch-normalization layer holds four numbers per channel: `gamma` and
# `beta` are learned by gradient descent; the moving mean and variance are
# updated during training but are not trained. Its effect is easy to see: the
# output of a freshly initialised convolution has an arbitrary scale; the
# normalized one has mean 0, and a standard deviation of 1 *only when the
# variance is large next to `epsilon`*. Dividing by
# $\sqrt{\sigma^2 + \epsilon}$ instead of $\sigma$ gives a standard deviation
# of $\sqrt{\sigma^2 / (\sigma^2 + \epsilon)}$, and Keras's default `epsilon`
# of 0.001 is not small next to the variance of a fresh convolution's output
# on images scaled to [0, 1]. The cell computes both.

# %%
conv_only = keras.Model(inputs, block.layers[1].output)
bn_layer = block.layers[2]
sample = data.x_train[:256, ..., None]
raw = np.asarray(conv_only(sample))
normalized = np.asarray(bn_layer(raw, training=True))
variance = raw.var(axis=(0, 1, 2))  # per channel, as the layer computes it
expected = np.sqrt(variance / (variance + bn_layer.epsilon)).mean()
print(f"after Conv2D:             mean {raw.mean():+.3f}, std {raw.std():.3f}")
print(
    f"after BatchNormalization: mean {normalized.mean():+.3f}, "
    f"std {normalized.std():.3f}"
)
print(
    f"epsilon {bn_layer.epsilon}, mean channel variance before "
    f"{variance.mean():.4f}: expected std {expected:.3f}"
)

# %% [markdown]
# ## Seeing it: a large learning rate
#
# "Networks with batch normalization tolerate larger learning rates" is a
# claim you can test in seconds. Two small CNNs, four convolutions each,
# differ only in normalization: one normalizes after every convolution,
# where its convolutions drop their bias for batch normalization's shift
# `beta` (and gain its scale `gamma`); the other keeps the biases. Both train
# from the same seed, with plain SGD at a learning rate of 0.5 (large for
# SGD), on the first 6,000 training images for 3 epochs, and are scored on
# the validation images. Normalization is the one design difference, so it
# is what explains a difference.


# %%
def small_cnn(batch_norm):
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for index, filters in enumerate((16, 16, 32, 32)):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm)(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        if index < 2:
            x = layers.MaxPooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(layers.Flatten()(x))
    return keras.Model(inputs, outputs, name="with_bn" if batch_norm else "plain")


x_subset, y_subset = data.x_train[:6000, ..., None], data.y_train[:6000]
for batch_norm in (False, True):
    keras.utils.set_random_seed(0)
    model = small_cnn(batch_norm)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.5),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    fitted = model.fit(
        x_subset,
        y_subset,
        validation_data=(data.x_val[..., None], data.y_val),
        epochs=fmc.epochs_for(3, fast=1),
        batch_size=64,
        verbose=0,
    )
    losses = [f"{loss:.3f}" for loss in fitted.history["loss"]]
    accuracies = [f"{acc:.1%}" for acc in fitted.history["val_accuracy"]]
    print(f"{model.name:>7}: training loss {losses}, validation accuracy {accuracies}")
print(f"chance level: loss {np.log(10):.3f}, accuracy {1 / 10:.1%}")

# %% [markdown]
# When a training loss stays at the chance level, log(10), the network has
# learned nothing: its outputs say "every class equally likely", and its
# validation accuracy is that of a guess. Compare the two rows. This is one
# seed, one rate and one small network: it can show that batch normalization
# makes a rate usable that is not usable without it, not that it is better at
# every rate. Change the rate and the seed and see where the plain one stops
# learning.
#
# ## A learning-rate schedule
#
# With a constant learning rate, the learning rate itself never shrinks as Adam
# nears a good solution, so validation accuracy wobbles. A *cosine* schedule
# starts at the full rate and glides to zero by the last step, so the final
# epochs fine-tune. `fmc.train_model(..., schedule="cosine")` uses
# `keras.optimizers.schedules.CosineDecay`:

# %%
steps = 100
schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps)
rates = [float(schedule(step)) for step in range(steps + 1)]
plt.figure(figsize=(5, 3))
plt.plot(np.arange(steps + 1) / steps, rates)
plt.xlabel("fraction of the run (steps done / all steps)")
plt.ylabel("learning rate")
plt.title("Cosine decay from 2e-3 to 0")
plt.show()

# %% [markdown]
# ## Averaging the weights
#
# So far every lesson has evaluated and kept the weights after the last
# training step; this section adds something new. While the learning rate is
# high, every step overshoots a little, so the weights after any single step
# are noisy and so is the validation accuracy measured with them. An
# *exponential moving average* (EMA) of the weights smooths that noise.
# (Polyak averaging, Polyak and Juditsky 1992, is the plain mean of all the
# weights seen so far; the EMA is its cousin that forgets old weights.) Beside
# the weights, it keeps their average: after every step,
# `average = 0.99 * average + 0.01 * weights`, which blends roughly the last
# 100 steps (the cell below converts this into epochs). Training goes on from
# the raw weights; the average is what we evaluate and keep. It costs one more copy of the weights
# and a few operations per step.
#
# A toy picture: a weight that drifts towards 1.0 while each step adds noise,
# and its moving average.

# %%
rng = np.random.default_rng(0)
toy_steps = np.arange(600)
raw = 1.0 - np.exp(-toy_steps / 100) + rng.normal(0, 0.15, toy_steps.size)
average = np.empty_like(raw)
average[0] = raw[0]
for step in toy_steps[1:]:
    average[step] = 0.99 * average[step - 1] + 0.01 * raw[step]
plt.figure(figsize=(6, 3))
plt.plot(toy_steps, raw, lw=0.6, alpha=0.6, label="weight after each step")
plt.plot(toy_steps, average, lw=2, label="moving average, momentum 0.99")
plt.xlabel("training step")
plt.legend()
plt.show()

# %% [markdown]
# The average is smooth, and it lags a little behind the trend: a higher
# momentum smooths more and lags more: a momentum `m` blends roughly the last
# `1 / (1 - m)` steps. The cell below converts that into epochs of the full
# training data, for the momentum of the course's best recipe (lesson 07) and
# a higher one. Keras optimizers keep this average when created with
# `use_ema=True`; `fmc.train_model(..., weight_averaging=0.99)` turns it on
# and, with a small callback, puts the averaged weights into the model for
# validation and at the end of every epoch, so the validation scores, the
# callbacks and the finished model all use them. Only trainable weights are
# averaged: batch normalization's moving mean and variance are not trainable,
# so the averaged model keeps the statistics of the raw weights, which match
# the averaged ones closely late in a run but less so early. The average pays
# most while the learning rate is high; as a cosine schedule takes the rate to
# zero, the raw weights stop jumping and catch up with it. Lesson 07 measures
# what it adds to the course's best recipe.

# %%
from fmnist_course.settings import VALIDATION_SPLIT

best_recipe = fmc.RECIPES["best"]
full_train_images = round(60_000 * (1 - VALIDATION_SPLIT))
steps_per_epoch = -(-full_train_images // best_recipe.batch_size)
print(f"{steps_per_epoch} steps per epoch of {full_train_images:,} images")
print(f"the best recipe's momentum: {best_recipe.weight_averaging}")
for momentum in (0.99, 0.999):
    blended = 1 / (1 - momentum)
    print(
        f"momentum {momentum}: about {blended:,.0f} steps, "
        f"{blended / steps_per_epoch:.2f} epochs"
    )

# %% [markdown]
# ## Weight decay
#
# Lesson 04 added an L2 penalty to the loss, which pulls every weight towards
# zero. With Adam the pull is uneven: Adam divides each weight's gradient,
# penalty included, by a running size of that gradient, so a weight with large
# gradients hardly feels its penalty, while a weight with almost none is pulled
# by about one learning rate per step whatever `l2` is. *Decoupled* weight decay
# (Loshchilov and Hutter, 2019) takes the shrinking out of the gradient:
# after every step, each weight simply shrinks by a small fraction,
# `w -= learning_rate * weight_decay * w`, whatever its gradient. Keras calls
# Adam with this decay `AdamW`; `fmc.train_model(..., weight_decay=0.05)` uses
# it. With the cosine schedule, the decay fades out with the learning rate.
# Keras's `AdamW` decays *every* trainable weight, batch normalization's
# `gamma` and `beta` included, which many recipes exempt; ours does not (you
# can, with the optimizer's `exclude_from_weight_decay`).
#
# It is one more regularizer, and it is cheap: one multiplication per weight
# per step. Lesson 07's ablation table shows what it buys when every
# technique is stacked.

# %%
optimizer = keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.05)
weight = keras.Variable(np.ones(3, "float32"))
optimizer.apply_gradients([(np.zeros(3, "float32"), weight)])
print("after one step with a zero gradient:", np.asarray(weight))

# %% [markdown]
# With a zero gradient, Adam alone would leave the weights at 1.0; AdamW
# shrank them by `1e-3 * 0.05`, to 0.99995.
#
# Now the difference from lesson 04's penalty. A weight starts at 0.5 and the
# data gives it no gradient at all: with an L2 penalty, Adam's only gradient
# is the penalty's, `2 * l2 * w`; AdamW gets a zero gradient and its decay.
# The cell takes 100 steps at a learning rate of 1e-3 each way.


# %%
def after_100_steps(optimizer, l2=0.0):
    """A weight of 0.5 after 100 steps whose only gradient is `2 * l2 * w`."""
    weight = keras.Variable(np.full(1, 0.5, "float32"))
    for _ in range(100):
        gradient = 2 * l2 * keras.ops.convert_to_numpy(weight)
        optimizer.apply_gradients([(gradient, weight)])
    return float(keras.ops.convert_to_numpy(weight)[0])


shrunk = {}
for l2 in (1e-4, 1e-3, 1e-2):
    shrunk[l2] = after_100_steps(keras.optimizers.Adam(learning_rate=1e-3), l2)
    print(f"Adam with an L2 penalty, l2={l2:g}: {shrunk[l2]:.4f}")
assert max(shrunk.values()) - min(shrunk.values()) < 1e-3, "the prose says so"
assert all(abs(0.5 - w - 100 * 1e-3) < 0.01 for w in shrunk.values()), "and this"
decayed = after_100_steps(keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.05))
print(f"AdamW, weight_decay=0.05, no penalty: {decayed:.4f}")

# %% [markdown]
# Under Adam the three penalties, a hundredfold apart, leave the weight within
# a thousandth of the same place, about 100 steps x 1e-3 = 0.1 below where it
# started: Adam divided each penalty gradient by its own size, so little more
# than its sign was left. The
# decoupled decay shrinks the weight in proportion to it, by `1e-3 * 0.05` of
# its value per step, and a stronger `weight_decay` shrinks it more. A weight
# that also has a data gradient is the other way round: under Adam the
# penalty is then a small part of the gradient that gets divided, and the
# weight hardly feels it; AdamW's shrink stays the same.
#
# ## Early stopping
#
# Early stopping watches the validation accuracy and stops training when it
# has not improved for `patience` epochs. With a cosine schedule the last
# epochs are usually among the best, so it rarely fires: here it is a safety
# net, so that a run which has stopped improving does not use up the time
# budget. The patience must be generous. While the learning rate is still
# high, the validation accuracy of a long run can stall for several epochs and
# then climb again as the rate comes down, so we wait 10 epochs before giving
# up.
#
# The callback can also put back the weights of the best validation epoch
# (`restore_best_weights=True`; in Keras 3 it does so at the end of training
# even when it never stopped early). We leave that off. Our weights are
# averaged and the learning rate decays to zero, so the last epoch's weights
# are the ones to keep, and choosing the "best" epoch on 6,000 validation
# images also chooses their noise: an epoch can top the validation curve by
# luck, and its weights then need not score any better on new images than the
# last epoch's.

# %%
assert round(60_000 * VALIDATION_SPLIT) == 6_000, "the prose says 6,000 images"
early_stopping = keras.callbacks.EarlyStopping(
    monitor="val_accuracy", patience=10, restore_best_weights=False
)
print(early_stopping.monitor, early_stopping.patience)

# %% [markdown]
# ## Summary
#
# - Batch normalization keeps every channel's activations centred and scaled,
#   so a deeper network trains quickly and tolerates a higher learning rate;
#   why it works is still argued about, its effect is not.
# - A cosine schedule takes the learning rate smoothly to zero, so the last
#   epochs fine-tune instead of overshooting.
# - A moving average of the weights smooths out the noise of single steps, so
#   the model is smoother and better at the end, but it lags early; batch
#   normalization's statistics are not part of the average.
# - Decoupled weight decay (AdamW) shrinks every weight a little after each
#   step, in proportion to it and whatever its gradient. An L2 penalty under
#   Adam pulls unevenly: hardly at all on weights with large gradients, by
#   about one learning rate per step on weights with almost none.
# - Early stopping, with a patience longer than the stalls of a cosine run,
#   guards the time budget; with averaged weights and a decaying rate, the
#   last epoch's weights are the ones to keep.
#
# Lesson 07 adds augmentation and puts all of these into the course's best
# model, then removes each in turn to measure what it buys.
#
# ## Exercises
#
# ### Exercise 1: Parameters of a batch-normalization layer
#
# Check id: `06-bn-params`.
#
# A `BatchNormalization` layer follows a convolution with 64 filters. How many
# of its parameters are *trainable*, and how many in total? Answer with a
# tuple `(trainable, total)`, computed by hand.

# %%
### BEGIN SOLUTION
bn_params = (2 * 64, 4 * 64)
### END SOLUTION
check("06-bn-params", bn_params)

# %% [markdown]
# ### Exercise 2: An early-stopping callback
#
# Check id: `06-early-stopping`.
#
# Create a callback for a shorter run than the lesson's: it stops training
# when validation *accuracy* has not improved for 3 epochs, and, for the
# reasons given above, keeps the last epoch's weights rather than restoring
# the best epoch's.

# %%
### BEGIN SOLUTION
callback = keras.callbacks.EarlyStopping(
    monitor="val_accuracy", patience=3, restore_best_weights=False
)
### END SOLUTION
check("06-early-stopping", callback)

# %% [markdown]
# ### Exercise 3: A moving average by hand
#
# Check id: `06-moving-average`.
#
# Write `moving_average(values, momentum)`, which returns the exponential
# moving average of a 1-D sequence as a numpy array of the same length: the
# first average is the first value, and every later one is
# `momentum * previous_average + (1 - momentum) * value`. This is what the
# optimizer computes for every weight after every step.


# %%
### BEGIN SOLUTION
def moving_average(values, momentum):
    averages = np.empty(len(values))
    averages[0] = values[0]
    for index in range(1, len(values)):
        averages[index] = (
            momentum * averages[index - 1] + (1 - momentum) * values[index]
        )
    return averages


### END SOLUTION
check("06-moving-average", moving_average)
