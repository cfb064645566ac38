# %% [markdown]
# # A dense baseline with the functional API
#
# **What you will learn**
#
# - how to write a network with the Keras functional API: `keras.Input` ->
#   layers -> `keras.Model`;
# - how to compile, fit with validation data, and evaluate on the test set;
# - how to read learning curves;
# - what the functional API gives over `Sequential`: named layers, a summary
#   and a graph, and layers or whole sub-models reused in several models.
#
# **Prerequisites**: lesson 00 (the data, scaling, the validation split).
#
# **Runtime**: 12 epochs of a small dense network, well under a minute in full
# mode (the course website shows the time measured in its last full-mode
# build). In fast mode (`FMNIST_FAST=1`) it runs on a 3,000-image subset;
# fast-mode numbers are smoke tests, not results.

# %%
import importlib.util

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

import fmnist_course as fmc
from fmnist_course.exercises import check
from fmnist_course.plots import plot_confusion_matrix, plot_history

keras.utils.set_random_seed(0)

# %% [markdown]
# ## The data
#
# Scaled to [0, 1], with the seeded, stratified 10% validation split of
# lesson 00. The test set stays aside until the model is final.

# %%
data = fmc.load_course_split()
print(
    "train",
    data.x_train.shape,
    "validation",
    data.x_val.shape,
    "test",
    data.x_test.shape,
)

# %% [markdown]
# ## Write the model out in full
#
# The functional API describes a model as a graph of layers. `keras.Input`
# makes a symbolic tensor standing for a batch of 28x28 images; calling a layer
# on a tensor returns the next tensor; `keras.Model(inputs, outputs)` wraps the
# graph between them. Naming every layer makes the model easy to inspect.
#
# The baseline: flatten the image into 784 numbers, two hidden `Dense` layers
# with ReLU, and a softmax over the ten classes. Nothing else: no
# regularization and no schedule. Lessons 03 to 07 add those one at a time and
# measure each.

# %%
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(28, 28), name="image")
x = layers.Flatten(name="flatten")(inputs)
x = layers.Dense(256, activation="relu", name="dense_1")(x)
x = layers.Dense(128, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, activation="softmax", name="classes")(x)
model = keras.Model(inputs, outputs, name="dense")
initial_weights = model.get_weights()  # kept to compare with the library below
model.summary()

# %% [markdown]
# ## Compile and fit
#
# `compile` chooses the optimizer (Adam), the loss (sparse categorical
# cross-entropy: the labels are integers 0-9) and the metric. Adam's learning
# rate, the size of its steps, stays at 0.001 for the whole run.
#
# These are exactly the settings of the course's `"dense"` recipe, so this run
# is the first rung of the benchmark ladder.

# %%
recipe = fmc.RECIPES["dense"]
recipe

# %%
epochs = fmc.epochs_for(recipe.epochs)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=recipe.learning_rate),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
keras.utils.set_random_seed(0)
fitted = model.fit(
    data.x_train,
    data.y_train,
    validation_data=data.validation_data,
    epochs=epochs,
    batch_size=recipe.batch_size,
    verbose=2,
)

# %% [markdown]
# ## Learning curves
#
# `fit` returns a `History`; as a DataFrame it has one row per epoch. Training
# accuracy is averaged over the epoch, while the weights still change;
# validation accuracy is measured at the end of the epoch: early on the
# validation curve can even sit above the training one. A validation loss that
# rises while the training loss keeps falling would mean overfitting.

# %%
history = pd.DataFrame(fitted.history)
history.insert(0, "epoch", np.arange(1, len(history) + 1))
history.round(4)

# %%
plot_history(history, title="Dense baseline")
plt.show()

# %% [markdown]
# ## Evaluate on the test set, once
#
# The model is final, so now, and only now, we measure it on the test set.

# %%
test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
print(f"test accuracy {test_accuracy:.4f}, test loss {test_loss:.4f}")

# %%
predicted = model.predict(data.x_test, verbose=0).argmax(axis=1)
plot_confusion_matrix(data.y_test, predicted)
plt.show()

# %% [markdown]
# The mistakes concentrate where lesson 00 said they would: shirts, T-shirts,
# pullovers and coats.

# %% [markdown]
# ## What the functional API gives
#
# The same network as a `Sequential` model would be a list of layers:
#
# ```python
# keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(256, activation="relu"), ...])
# ```
#
# That is fine for a straight stack. The functional API writes the same stack
# as a graph, which buys us more.
#
# **Named layers.** Every layer can be fetched by name, with its weights.

# %%
dense_1 = model.get_layer("dense_1")
kernel, bias = dense_1.get_weights()
print(dense_1.name, "kernel", kernel.shape, "bias", bias.shape)

# %% [markdown]
# **The model graph.** `keras.utils.plot_model` draws it when `pydot` and
# Graphviz are installed; the layer table below holds the same information.

# %%
if importlib.util.find_spec("pydot"):
    keras.utils.plot_model(model, show_shapes=True, to_file="dense.png")
pd.DataFrame(
    {
        "layer": [layer.name for layer in model.layers],
        "type": [type(layer).__name__ for layer in model.layers],
        "output shape": [str(layer.output.shape) for layer in model.layers],
        "parameters": [layer.count_params() for layer in model.layers],
    }
)

# %% [markdown]
# **Sub-models and shared layers.** Any tensor of the graph can be an output.
# Here `extractor` is a model made of the trained layers from the image to the
# 128 features of `dense_2`. It is not a copy: the layers are the same objects.

# %%
extractor = keras.Model(inputs, model.get_layer("dense_2").output, name="features")
print("shared layer:", extractor.get_layer("dense_1") is model.get_layer("dense_1"))

# %% [markdown]
# A model is itself a layer, so `extractor` can feed a second model: a new
# question, "is this footwear?" (sandal, sneaker or ankle boot), answered by
# one new `Dense` unit on top of the frozen features.

# %%
is_footwear_train = np.isin(data.y_train, [5, 7, 9]).astype("float32")
is_footwear_val = np.isin(data.y_val, [5, 7, 9]).astype("float32")

extractor.trainable = False
image = keras.Input(shape=(28, 28), name="image")
probability = layers.Dense(1, activation="sigmoid", name="is_footwear")(
    extractor(image)
)
footwear_model = keras.Model(image, probability, name="footwear")
footwear_model.compile(
    optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"]
)
footwear_history = footwear_model.fit(
    data.x_train,
    is_footwear_train,
    validation_data=(data.x_val, is_footwear_val),
    epochs=fmc.epochs_for(2),
    batch_size=128,
    verbose=2,
)
print(
    "trainable parameters:",
    sum(int(np.prod(w.shape)) for w in footwear_model.trainable_weights),
)
print("footwear validation accuracy:", footwear_history.history["val_accuracy"][-1])

# %% [markdown]
# Only the 129 weights of the new unit were trained: the features learned for
# ten classes are reused, unchanged, to answer a new question.
#
# One consequence of sharing: `extractor.trainable = False` froze *the layers
# themselves*, and they are the same objects inside `model`. Recompiling or
# training `model` now would leave `dense_1` and `dense_2` unchanged too (only
# its output layer would learn), until `extractor.trainable = True` unfreezes
# them again:

# %%
print("dense_1 trainable inside model:", model.get_layer("dense_1").trainable)
print(
    "weight tensors model would train now:",
    [weight.path for weight in model.trainable_weights],
)

# %% [markdown]
# ## The library's version
#
# From now on lessons call `fmc.build_model("dense")` instead of writing the
# model out again. It is the same architecture, layer for layer, and with the
# same seed it even starts from the same weights.

# %%
keras.utils.set_random_seed(0)
library_model = fmc.build_model("dense")
by_hand = [
    (type(layer).__name__, layer.name, str(layer.output.shape))
    for layer in model.layers
]
from_library = [
    (type(layer).__name__, layer.name, str(layer.output.shape))
    for layer in library_model.layers
]
print("same layers:", by_hand == from_library)
print(
    "same number of parameters:", model.count_params() == library_model.count_params()
)
print(
    "same initial weights:",
    all(
        np.array_equal(a, b)
        for a, b in zip(initial_weights, library_model.get_weights(), strict=True)
    ),
)

# %% [markdown]
# ## Summary
#
# - A functional model is `keras.Input` -> layers called on tensors ->
#   `keras.Model(inputs, outputs)`.
# - `compile` picks optimizer, loss and metrics; `fit` with `validation_data`
#   gives learning curves; the test set is evaluated once, at the end.
# - Named layers, `summary()`, the layer graph and reusable sub-models come for
#   free with the functional API.
# - `fmc.build_model("dense")` and `fmc.RECIPES["dense"]` package this lesson.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Count the parameters of a dense layer
#
# Check id: `01-count-dense-params`.
#
# By hand: how many parameters has a `Dense(128)` layer applied to a flattened
# 28x28 image?

# %%
### BEGIN SOLUTION
num_params = 28 * 28 * 128 + 128
### END SOLUTION
check("01-count-dense-params", num_params)

# %% [markdown]
# ### Exercise 2: Reuse the feature extractor
#
# Check id: `01-reuse-extractor`.
#
# Build `coarse_model`, a functional model that reuses `extractor` (frozen) and
# adds a new softmax layer with 3 outputs (say: tops, footwear, everything
# else). Only the new layer may be trainable. No training is needed.

# %%
### BEGIN SOLUTION
image = keras.Input(shape=(28, 28), name="image")
groups = layers.Dense(3, activation="softmax", name="groups")(extractor(image))
coarse_model = keras.Model(image, groups, name="coarse")
### END SOLUTION
check("01-reuse-extractor", coarse_model, extractor)

# %% [markdown]
# ### Exercise 3: A small dense model
#
# Check id: `01-small-dense`.
#
# Build a functional dense model with at most 60,000 parameters that takes
# 28x28 images and outputs 10 class probabilities. The check trains a fresh
# copy for 3 epochs on 2,400 real images and expects a validation accuracy of
# at least 0.74.

# %%
### BEGIN SOLUTION
image = keras.Input(shape=(28, 28), name="image")
h = layers.Flatten(name="flatten")(image)
h = layers.Dense(64, activation="relu", name="hidden")(h)
small_model = keras.Model(
    image, layers.Dense(10, activation="softmax")(h), name="small"
)
### END SOLUTION
check("01-small-dense", small_model)
