# %% [markdown]
# # A dense baseline with the functional API
#
# **What you will learn**
#
# - what a dense layer, softmax, cross-entropy, a gradient and an optimizer
#   compute: one layer and one training step in NumPy, checked against Keras;
# - how to write a network with the Keras functional API: `keras.Input` ->
#   layers -> `keras.Model`;
# - how to compile, fit with validation data, and evaluate on the test set;
# - how to read learning curves;
# - what the functional API gives over `Sequential`: named layers, a summary
#   and a graph, and layers or whole sub-models reused in several models.
#
# **Prerequisites**: lesson 00 (the data, scaling, the validation split), and
# NumPy. No deep learning is assumed.
#
# **Runtime**: 8 epochs of a small dense network, well under a minute in full
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
# ## One layer by hand, in NumPy
#
# Before Keras, one layer written out in NumPy, so that every word this lesson
# uses is something you have computed yourself.
#
# A **batch** is a few images processed together. Here: the first 8 training
# images, each flattened from 28x28 into a row of 784 numbers.

# %%
x_batch = data.x_train[:8].reshape(8, 784)
y_batch = data.y_train[:8]
print(x_batch.shape, y_batch)

# %% [markdown]
# A **dense layer** computes each of its outputs as a weighted sum of all its
# inputs plus a bias: `z = x @ W + b`. With 784 inputs and 10 outputs, `W`
# holds 784x10 weights and `b` holds 10 biases. `W` and `b` together are the
# layer's **parameters**: 784x10 + 10 numbers that training adjusts. Its 10
# outputs here are the **logits**: one raw score per class, any real number. We
# start from small random weights.

# %%
rng = np.random.default_rng(0)
W = rng.normal(scale=0.01, size=(784, 10)).astype("float32")
b = np.zeros(10, dtype="float32")
logits = x_batch @ W + b
print(logits.shape)

# %% [markdown]
# **Softmax** turns the logits of an image into probabilities: exponentiate
# each, then divide by their sum, so the ten numbers are positive and add up
# to 1. (Subtracting the largest logit first changes nothing in the result and
# keeps `exp` from overflowing.)


# %%
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


probabilities = softmax(logits)
print(probabilities.sum(axis=1))

# %% [markdown]
# The **loss** is one number that says how wrong the model is; training means
# making it smaller. For classification it is the **cross-entropy**: minus the
# log of the probability given to the true class, averaged over the batch. It
# is 0 for a certain right answer and grows without bound as that probability
# goes to 0. With ten near-equal probabilities it is close to log(10).


# %%
def cross_entropy(p, y):
    return -np.log(p[np.arange(len(y)), y]).mean()


loss = cross_entropy(probabilities, y_batch)
print(f"loss {loss:.4f}, log(10) {np.log(10):.4f}")

# %% [markdown]
# ## One gradient step by hand
#
# The **gradient** of the loss says, for every weight, how fast the loss
# changes when that weight is nudged up. It points uphill, so a small step
# against it lowers the loss. For softmax followed by cross-entropy, calculus
# gives a short answer: the gradient with respect to the logits is the
# probabilities minus the one-hot true label (1 for the true class, 0
# elsewhere), divided by the batch size. The chain rule through `z = x @ W + b`
# then gives the gradients of `W` and `b`. Computing the outputs and the loss
# from the inputs, as above, is the **forward pass**; computing the gradients
# back from the loss to the weights, as below, is the **backward pass**.
#
# An **optimizer** is the rule that turns gradients into weight changes. The
# simplest, stochastic gradient descent (SGD), subtracts the gradient times a
# small number, the **learning rate**.

# %%
one_hot = np.eye(10, dtype="float32")[y_batch]
grad_logits = (probabilities - one_hot) / len(y_batch)
grad_W = x_batch.T @ grad_logits
grad_b = grad_logits.sum(axis=0)

learning_rate = 0.1
W_new = W - learning_rate * grad_W
b_new = b - learning_rate * grad_b
new_loss = cross_entropy(softmax(x_batch @ W_new + b_new), y_batch)
print(f"loss before the step {loss:.4f}, after {new_loss:.4f}")

# %% [markdown]
# ## The same in Keras
#
# `layers.Dense(10, activation="softmax")` is this layer. Given our `W` and
# `b`, its probabilities and its loss must agree with ours to within 1e-5.

# %%
dense = layers.Dense(10, activation="softmax")
dense.build((None, 784))
dense.set_weights([W, b])
keras_probabilities = keras.ops.convert_to_numpy(dense(x_batch))
keras_loss = keras.losses.SparseCategoricalCrossentropy()(y_batch, keras_probabilities)
np.testing.assert_allclose(keras_probabilities, probabilities, atol=1e-5)
np.testing.assert_allclose(float(keras_loss), loss, atol=1e-5)
print("Keras gives the same probabilities and the same loss.")

# %% [markdown]
# Keras finds gradients by itself (automatic differentiation). To compare its
# step with ours, we wrap the layer in a minimal model with `keras.Sequential`
# (a plain list of layers; models are the next section), and ask for one SGD
# step on the same batch. The new weights must
# agree with ours.

# %%
one_layer = keras.Sequential([keras.Input((784,)), dense])
one_layer.compile(
    optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
    loss="sparse_categorical_crossentropy",
)
one_layer.train_on_batch(x_batch, y_batch)
keras_W, keras_b = dense.get_weights()
np.testing.assert_allclose(keras_W, W_new, atol=1e-5)
np.testing.assert_allclose(keras_b, b_new, atol=1e-5)
print("Keras takes the same gradient step.")

# %% [markdown]
# Training is this step repeated: one step per batch, over the whole training
# set. One pass over all training images is an **epoch**. `fit`, below, does
# exactly that, with a better optimizer and a deeper network.

# %% [markdown]
# ## Write the model out in full
#
# The functional API describes a model as a graph of layers. A *tensor* is
# Keras's name for an array; `keras.Input` makes a *symbolic* tensor, a
# placeholder with a shape but no values yet, standing for a batch of 28x28
# images; calling a layer on a tensor returns the next tensor;
# `keras.Model(inputs, outputs)` wraps the graph between them. Naming every
# layer makes the model easy to inspect.
#
# The baseline: flatten the image into 784 numbers, then two **hidden**
# dense layers (between the input and the output), then a dense softmax
# layer like the one above, now on the 128 outputs of the last hidden layer
# instead of the 784 pixels. Each hidden layer is followed by **ReLU**,
# `max(0, z)` applied to each of its outputs. Without it, two dense layers in a
# row would compute just another dense layer (a product of two matrices is one
# matrix); with it, the network can draw curved boundaries between classes.
# Nothing else: no *regularization* (anything that keeps a model from fitting
# its training images too closely) and no learning-rate *schedule* (a rule
# that changes the learning rate during training). Later lessons add these
# and other techniques one at a time, and measure them.

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
# `compile` chooses the optimizer, the loss and the metric (a score reported
# during training but not optimized; here, **accuracy**: the share of images
# whose most probable class is the true one). The loss is the
# cross-entropy we wrote above ("sparse" because the labels are integers 0-9,
# not one-hot rows). The optimizer is Adam: like SGD, but it divides each
# weight's step by the square root of a running average of that weight's
# squared gradients (and uses a running average of the gradients themselves as
# the direction), which usually trains well without tuning. Its learning rate
# (the recipe printed below holds it) stays the same for the whole run. `fit`
# takes steps on batches of `batch_size` images, for `epochs` passes over the
# training set.
#
# These are exactly the settings of the course's `"dense"` recipe, so this run
# is the first rung of the benchmark *ladder*, one row per lesson's recipe:
# `fmnist-course bench ladder --seeds 0 1 2` trains each lesson's recipe under
# seeds 0, 1 and 2 and records the results.

# %%
from fmnist_course.trained_models import recorded_seeds

recipe = fmc.RECIPES["dense"]
assert recipe.epochs == 8, "the prose (Runtime, at the top) says 8 epochs"
assert recorded_seeds(recipe) == [0, 1, 2], "the prose says seeds 0, 1 and 2"
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
# rises while the training loss keeps falling would mean *overfitting*: the
# model fitting its training images too closely, at the cost of new ones
# (lesson 03 is about it).

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

# %% [markdown]
# A **confusion matrix** counts, for every true class (row), how many test
# images the model put in each class (column); the diagonal holds the right
# answers, everything off it is a mistake.

# %%
predicted = model.predict(data.x_test, verbose=0).argmax(axis=1)
plot_confusion_matrix(data.y_test, predicted)
plt.show()

# %% [markdown]
# Lesson 00 guessed from the mean images that shirts, T-shirts, pullovers and
# coats would dominate the mistakes. The largest off-diagonal cells say
# whether they do; the last line counts the two mix-ups lesson 00 compared:
# trousers with dresses, and T-shirts with dresses (both ways).

# %%
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (data.y_test, predicted), 1)
mistakes = confusion.copy()
np.fill_diagonal(mistakes, 0)
largest = np.argsort(mistakes, axis=None)[::-1][:4]
for true, guess in zip(*np.unravel_index(largest, mistakes.shape), strict=True):
    print(
        f"{fmc.CLASS_NAMES[true]:>12} taken for {fmc.CLASS_NAMES[guess]:<12}"
        f"{mistakes[true, guess]:4d} times"
    )
trouser, dress, tshirt = 1, 3, 0
print(
    "trouser and dress mixed up:",
    mistakes[trouser, dress] + mistakes[dress, trouser],
    "times; T-shirt/top and dress:",
    mistakes[tshirt, dress] + mistakes[dress, tshirt],
)

# %% [markdown]
# ## What the functional API gives
#
# The same network as a `Sequential` model would be a list of layers:
#
# ```python
# keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(256,
# activation="relu"), ...])
# ```
#
# That is fine for a straight stack. The functional API writes the same stack
# as a graph, which buys us more.
#
# **Named layers.** Every layer can be fetched by name, with its weights. Keras
# calls a layer's weight matrix its *kernel* (the `W` of the section above),
# in every kind of layer.

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
# one new `Dense` *unit* (one output of a layer; a `Dense(10)` layer has ten)
# on top of the frozen features.
#
# A yes/no question needs one probability, not ten. The **sigmoid**,
# `1 / (1 + exp(-z))`, turns one logit into a probability between 0 and 1: it
# is the softmax over two logits, `z` and 0. Its loss, **binary
# cross-entropy**, is our cross-entropy with two classes:
# `-log(p)` when the answer is yes and `-log(1 - p)` when it is no.

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
trained = sum(int(np.prod(w.shape)) for w in footwear_model.trainable_weights)
print("trainable parameters:", trained)
assert trained == 128 + 1, "the prose says 129"

print("footwear validation accuracy:", footwear_history.history["val_accuracy"][-1])

# %% [markdown]
# Only the 129 parameters of the new unit (128 weights and a bias) were
# trained: the features learned for ten classes are reused, unchanged, to
# answer a new question.
#
# One consequence of sharing: `extractor.trainable = False` froze *the layers
# themselves*, and they are the same objects inside `model`. The list of
# weights `model` would train changes at once, as printed below; `fit` starts
# using it at the next compile, so after recompiling, training `model` would
# leave `dense_1` and `dense_2` unchanged too (only its output layer would
# learn), until `extractor.trainable = True` (and another compile) unfreezes
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
