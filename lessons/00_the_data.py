# %% [markdown]
# # The data: Fashion-MNIST
#
# **What you will learn**
#
# - how the 70,000 Fashion-MNIST images are stored and labelled;
# - how to look at them, and explore them with pandas: class balance, pixel
#   statistics, which classes look alike;
# - why pixels are scaled to [0, 1];
# - how a seeded, stratified validation split works, and why the test set is
#   kept untouched until the very end.
#
# **Prerequisites**: Python, numpy and a little pandas. No machine learning
# yet.
#
# **Runtime**: no training, so seconds rather than minutes (the course website
# shows the time measured in its last full-mode build). In fast mode
# (`FMNIST_FAST=1`) it runs on a 3,000-image subset; fast-mode numbers are
# smoke tests, not results.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import fmnist_course as fmc
from fmnist_course.exercises import check
from fmnist_course.plots import plot_image_grid

keras.utils.set_random_seed(0)

# %% [markdown]
# ## Load the images
#
# `fmc.load_course_data` reads the four original files, checks them byte for
# byte, and returns numpy arrays: 60,000 training and 10,000 test images of
# 28x28 grey pixels, each with a label from 0 to 9. (In fast mode it keeps a
# small stratified subset, so the numbers below are smaller.)

# %%
raw = fmc.load_course_data()
print("train:", raw.x_train.shape, raw.x_train.dtype, "labels:", raw.y_train.shape)
print("test: ", raw.x_test.shape)
print("pixel range:", raw.x_train.min(), "to", raw.x_train.max())
print("read from", raw.source)

# %% [markdown]
# A label is just an integer; `fmc.CLASS_NAMES` turns it into a name.

# %%
for label, name in enumerate(fmc.CLASS_NAMES):
    print(label, name)

# %% [markdown]
# ## Look at them
#
# Before any model, look at the data. One image is a 28x28 array of numbers,
# 0 for the background and up to 255 for the brightest part of the garment.

# %%
image, label = raw.x_train[0], raw.y_train[0]
figure, ax = plt.subplots(figsize=(3.5, 3))
shown = ax.imshow(image, cmap="gray_r")
figure.colorbar(shown)
ax.set_title(fmc.CLASS_NAMES[label])
plt.show()

# %% [markdown]
# A grid with a row per class shows how much each class varies, and where two
# classes may be hard to tell apart (shirts, pullovers and coats, say).

# %%
plot_image_grid(raw.x_train, raw.y_train, num_per_class=10)
plt.show()

# %% [markdown]
# ## Explore with pandas
#
# `fmc.images_dataframe` makes one row per image with its split, label and a
# few pixel statistics: mean and spread of the intensity, the fraction of
# "ink" (pixels brighter than 32) and the size of the garment's bounding box.

# %%
frame = fmc.images_dataframe(raw)
frame.head()

# %% [markdown]
# **Class balance.** Every class has the same number of images, in both splits,
# so the share of images a model gets right (its *accuracy*, lesson 01) is a
# fair summary: no class counts for more than another.

# %%
frame.groupby(["class_name", "split"], observed=True).size().unstack("split")

# %% [markdown]
# **Pixel statistics per class.** Trousers are narrow, sandals have little ink,
# pullovers and coats are the brightest (though no wider than T-shirts,
# shirts or bags): simple statistics already separate some classes, but not
# all.

# %%
stats = frame.groupby("class_name", observed=True)[
    ["mean_intensity", "ink", "width", "height"]
].mean()
stats.round(2)

# %%
ax = frame.boxplot(column="ink", by="class_name", rot=45, figsize=(8, 3.5))
ax.set_ylabel("fraction of ink")
ax.figure.suptitle("")
plt.show()

# %% [markdown]
# ## Which classes look alike?
#
# Average all images of a class and you get its "mean image". How close two
# classes' mean images are (in Euclidean distance over the 784 pixels) is a
# rough hint at which classes a model may confuse, no more: a mean image hides
# how much the images of a class vary. In the table, Trouser and Dress are
# closer than T-shirt/top and Dress, yet trained models mix up trousers and
# dresses less often than T-shirts and dresses (lesson 01 counts both in its
# confusion matrix). Lesson 08's confusion matrix shows which pairs the
# course's best model mixes up.

# %%
pixels = raw.x_train.astype("float32") / 255
mean_images = np.stack([pixels[raw.y_train == k].mean(axis=0) for k in range(10)])
figure, axes = plt.subplots(1, 10, figsize=(12, 1.8))
for k, ax in enumerate(axes):
    ax.imshow(mean_images[k], cmap="gray_r")
    ax.set_title(fmc.CLASS_NAMES[k], fontsize=8)
    ax.axis("off")
plt.show()

# %%
flat = mean_images.reshape(10, -1)
distances = np.sqrt(((flat[:, None, :] - flat[None, :, :]) ** 2).sum(axis=-1))
distance_table = pd.DataFrame(distances, index=fmc.CLASS_NAMES, columns=fmc.CLASS_NAMES)
distance_table.round(1)

# %%
others = distance_table.replace(0.0, np.inf)
pd.DataFrame(
    {"closest class": others.idxmin(axis=1), "distance": others.min(axis=1)}
).round(2)

# %% [markdown]
# On the full training set, Pullover and Coat have the closest mean images,
# with Shirt close to both and to T-shirt/top: a hint that those four may
# dominate the mistakes of every model in this course.

# %% [markdown]
# ## Scale the pixels to [0, 1]
#
# Networks train best when their inputs are small numbers of similar size:
# the starting weights and the learning rates of later lessons (lesson 01 says
# what they are) are chosen for inputs of about this size. Dividing by
# 255 maps the pixels to [0, 1] as float32; `scale=True` does exactly that.

# %%
scaled = raw.x_train.astype("float32") / 255.0
print(scaled.dtype, scaled.min(), scaled.max())
print(
    "same as scale=True:",
    np.array_equal(scaled, fmc.load_course_data(scale=True).x_train),
)

# %% [markdown]
# ## A validation split, and a test set left alone
#
# Every choice we make (architecture, epochs, dropout: all introduced in later
# lessons) is a guess we check against data. If we checked against the test
# set, we would slowly tune our model to those 10,000 images and the test
# accuracy would flatter us. So:
#
# - the **validation set** is carved out of the training images and answers
#   every "which is better?" question during the course;
# - the **test set** is evaluated once per final model, to report its result.
#
# `validation_split=0.1` holds out 10% of the training images, **stratified**
# (each class keeps its share) and **seeded** (the same images every time).

# %%
data = fmc.load_course_data(scale=True, validation_split=0.1, seed=0)
print(
    "train",
    data.x_train.shape,
    "validation",
    data.x_val.shape,
    "test",
    data.x_test.shape,
)
print(
    "every class has as many validation images as every other:",
    len(set(np.bincount(data.y_val))) == 1,
)

# %%
again = fmc.load_course_data(scale=True, validation_split=0.1, seed=0)
print("same split with the same seed:", np.array_equal(again.y_val, data.y_val))
print("sizes: train + validation =", len(data.y_train) + len(data.y_val))

# %% [markdown]
# From lesson 01 on, `fmc.load_course_split()` loads exactly this split, so
# every lesson and `fmnist-course train` use the same images, and so do the
# benchmarks for seed 0; their runs under other seeds draw their own split
# with that seed, so each seed also holds out different validation images.

# %%
assert np.array_equal(fmc.load_course_split().y_val, data.y_val)

# %% [markdown]
# ## Summary
#
# - Fashion-MNIST: 60,000 training and 10,000 test images, 28x28 grey pixels,
#   ten balanced classes.
# - Look before you model: a grid per class and a few pandas statistics show
#   which classes look alike (pullover, coat, shirt, T-shirt/top); distances
#   between mean images are only a rough hint.
# - Scale pixels to [0, 1] floats before training.
# - Decide with a seeded, stratified validation split; use the test set once,
#   at the end.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: Scale the pixels yourself
#
# Check id: `00-scale-pixels`.
#
# Write `scale_pixels(images)` that turns uint8 images in [0, 255] into
# float32 images in [0, 1], without changing their shape.


# %%
### BEGIN SOLUTION
def scale_pixels(images):
    return images.astype("float32") / 255.0


### END SOLUTION
check("00-scale-pixels", scale_pixels)

# %% [markdown]
# ### Exercise 2: Count a validation set
#
# Check id: `00-validation-size`.
#
# With `validation_split=0.1` on the full training set of 60,000 images (6,000
# per class), how many images of each class end up in the validation set?

# %%
### BEGIN SOLUTION
num_val_per_class = 600
### END SOLUTION
check("00-validation-size", num_val_per_class)

# %% [markdown]
# ### Exercise 3: Mean image per class
#
# Check id: `00-mean-images`.
#
# Write `mean_images_per_class(images, labels)` returning an array of shape
# `(10, 28, 28)` whose row `k` is the average of the images of class `k`. The
# check runs it on made-up data. (The distance table above was built from the
# same mean images.)


# %%
### BEGIN SOLUTION
def mean_images_per_class(images, labels):
    images = np.asarray(images, dtype="float64")
    return np.stack([images[labels == k].mean(axis=0) for k in range(10)])


### END SOLUTION
check("00-mean-images", mean_images_per_class)
