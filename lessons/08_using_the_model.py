# %% [markdown]
# # Using and understanding a trained model
#
# **What you will learn**
#
# - how to read a confusion matrix and per-class accuracy;
# - how to look at the mistakes a model is most sure about;
# - how to save a model, load it back, and why nothing is ever overwritten;
# - how to classify a new image file, and what preprocessing it needs.
#
# **Prerequisites**: lessons 01 to 07 (lesson 07 trains the course's best
# recipe and loads the model the course ships for it, which this lesson
# studies).
#
# **Runtime**: a minute or two: the lesson trains nothing, it loads the
# shipped model (the course website shows the time measured in its last
# full-mode build). In fast mode (`FMNIST_FAST=1`) it runs on a subset of the
# test images; fast-mode numbers are smoke tests, not results.

# %%
import tempfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image

import fmnist_course as fmc
from fmnist_course.exercises import check
from fmnist_course.photos import render_photo, tshirt_silhouette
from fmnist_course.plots import confusion_matrix, plot_confusion_matrix, plot_mistakes
from fmnist_course.predict import (
    load_garment_image,
    predict_top_k,
    takes_raw_pixels,
)
from fmnist_course.runs import latest_run, new_run_dir, save_run
from fmnist_course.trained_models import ladder_command

keras.utils.set_random_seed(0)

# %% [markdown]
# ## Which model
#
# This lesson studies the course's best model, the one lesson 07 loaded:
# `fmc.load_shipped("best")` loads the full run that `fmnist-course bench
# ladder` trained with the best recipe and that the course ships, with its
# recorded history. `fmc.with_test_time_augmentation` wraps it as its recipe
# scores it, as in lesson 07: the ten-view model that averages the trained
# network's predictions on ten views of each image (the image, its one-pixel
# shifts and their mirror images), so everything below sees that model. This
# lesson only predicts, so it loads the model with `compile=False`: no loss,
# no metrics, no optimizer, which also keeps the model saved below free of
# an optimizer. Its predictions are computed here, live; only its training
# history is a record. With the retrain switch on (`FMNIST_RETRAIN=1`) this
# lesson still loads the shipped model: lesson 07 is where the recipe is
# trained.

# %%
data = fmc.load_course_split()
shipped = fmc.load_shipped("best", compile=False)
model, history = fmc.with_test_time_augmentation(shipped.model), shipped.history
print(
    f"recorded: {len(history)} epochs, seed {shipped.seed}, measured "
    f"{shipped.metadata['measured_at']} by "
    f"`{ladder_command(fmc.RECIPES['best'])}`"
)

# %% [markdown]
# A model with a `Rescaling` layer (a layer with no weights that multiplies
# its input by a fixed number, here 1/255, so the model scales the pixels
# itself) expects pixels from 0 to 255; the others
# expect them from 0 to 1, as `data` holds them. `takes_raw_pixels` looks for
# that layer, also inside a wrapped model such as the ten-view one.

# %%
x_test = data.x_test * 255.0 if takes_raw_pixels(model) else data.x_test
probabilities = model.predict(x_test, verbose=0)
y_pred = probabilities.argmax(axis=1)
accuracy = np.mean(y_pred == data.y_test)
print(f"live: test accuracy {accuracy:.4f} on {len(data.y_test):,} test images")
print(f"recorded by the ladder for this model: {shipped.test_accuracy:.4f}")

# %% [markdown]
# ## The confusion matrix
#
# Row `i`, column `j` is the share of class `i` images that the model called
# class `j`. A perfect model has ones on the diagonal. The plot shows shares;
# `confusion_matrix` below, and Exercise 1, use counts (each share times the
# number of test images of that class). The cells off the
# diagonal show which classes it mixes up. On Fashion-MNIST the usual suspects
# are the upper-body garments: T-shirt/top, Pullover, Coat and Shirt.

# %%
figure = plot_confusion_matrix(data.y_test, y_pred)

# %% [markdown]
# ## Per-class accuracy
#
# The diagonal as a table, with the class each one is most often mistaken
# for. Because the test set has the same number of images of every class,
# overall accuracy is the average of these per-class accuracies; this table
# shows which classes pull it down.

# %%
matrix = confusion_matrix(data.y_test, y_pred, num_classes=len(fmc.CLASS_NAMES))
mistakes_only = matrix.copy()
np.fill_diagonal(mistakes_only, 0)
most_often = [
    fmc.CLASS_NAMES[row.argmax()] if row.any() else "-" for row in mistakes_only
]
per_class = pd.DataFrame(
    {
        "images": matrix.sum(axis=1),
        "correct": np.diag(matrix),
        "accuracy": np.diag(matrix) / matrix.sum(axis=1),
        "most often called": most_often,
    },
    index=pd.Index(fmc.CLASS_NAMES, name="true class"),
)
per_class.sort_values("accuracy").round(3)

# %% [markdown]
# ## The most confident mistakes
#
# A wrong answer given with 90% confidence is more worrying than one given
# with 40% (how far a confidence can be trusted at all is measured at the
# end of the lesson). We sort the mistakes by the probability the model gave its wrong
# answer. Looking at them often shows that some labels are debatable and
# some garments really look alike at 28x28 pixels.

# %%
wrong = np.flatnonzero(y_pred != data.y_test)
confidence = probabilities[wrong, y_pred[wrong]]
most_confident = wrong[np.argsort(confidence)[::-1]]
figure = plot_mistakes(
    data.x_test[most_confident],
    data.y_test[most_confident],
    y_pred[most_confident],
    probabilities[most_confident],
)

# %% [markdown]
# ## Saving and loading
#
# `new_run_dir` creates a new directory each time, named after the run and
# the time; `save_run` writes the model (`model.keras`), its history and its
# metrics there, and refuses to write over a saved model. In fast mode we
# save into a temporary folder, so test runs leave nothing behind; in full mode
# the run goes to `runs/`. `latest_run` finds the newest run of a name.

# %%
runs_root = Path(tempfile.mkdtemp()) if fmc.is_fast_mode() else Path("runs")
run_dir = new_run_dir(runs_root, "lesson08")
save_run(run_dir, model, history, {"test_accuracy": float(accuracy)})
print(sorted(path.name for path in run_dir.iterdir()))

# %% [markdown]
# Loading it back gives a model with the same predictions. Saving again into
# the same directory fails, and a second `new_run_dir` call gives a new
# directory rather than reusing the first.

# %%
reloaded = fmc.load_model(run_dir)
same = np.allclose(reloaded.predict(x_test[:100], verbose=0), probabilities[:100])
print(f"same predictions after reloading: {same}")
try:
    save_run(run_dir, reloaded, history, {})
except FileExistsError as error:
    print(f"FileExistsError: {error}")
second_dir = new_run_dir(runs_root, "lesson08")
print(f"first:  {run_dir.name}\nsecond: {second_dir.name}")
second_dir.rmdir()  # empty: we only wanted to see its name
print(f"newest lesson08 run with a model: {latest_run(runs_root, 'lesson08').name}")

# %% [markdown]
# ## Predicting on a photo: domain shift
#
# Every image the model has seen, in training and in testing, came out of the
# same process: a product photo on white, cut out, shrunk to 28x28, inverted,
# the garment centred and light on black. A photo of your own is not like
# that: an off-white or grey backdrop, light falling from one side, a soft
# shadow, folds, colour, sensor noise, JPEG artefacts, the garment anywhere in
# a frame of any size. When the images a model meets differ from those it
# learned from, its accuracy on the test set says little about them: this is
# *domain shift*, and a model cannot know it is happening.
#
# We have no camera here, so we render a photo-like picture of a navy T-shirt
# on an off-white backdrop with all of those effects
# (`fmnist_course.photos.render_photo`). The T-shirt is drawn from scratch,
# not taken from Fashion-MNIST. Fed to the model naively, made grayscale and
# shrunk to 28x28, it is a dark blob on a light square, nothing like the
# training images:

# %%
photo_path = run_dir / "navy_tshirt.jpg"
Image.fromarray(render_photo(tshirt_silhouette(), color=(30, 40, 90))).save(
    photo_path, quality=90
)
photo = np.asarray(Image.open(photo_path).convert("RGB"), dtype="float32")
naive = np.asarray(Image.fromarray(photo.mean(axis=2).astype("uint8")).resize((28, 28)))
pd.DataFrame(predict_top_k(model, naive, k=3), columns=["class", "probability"])

# %% [markdown]
# The cure is to bring the photo to the training images' domain, in five
# steps:
#
# 1. **Backdrop.** The photo's border is backdrop; its colour, here the median
#    of a thin band around the edge, is what "not garment" looks like.
# 2. **Distance.** Each pixel's colour distance to the backdrop. A dark shirt
#    on grey and a white shirt on off-white both stand out here, whatever
#    their brightness.
# 3. **Mask.** Pixels farther from the backdrop than its own noise, and than a
#    share of the garment's typical distance (which leaves out the faint rim
#    of the shadow), are garment.
# 4. **Crop.** The garment's bounding box, its longer side scaled to 28
#    pixels and centred, as Fashion-MNIST's own preparation did.
# 5. **Ink.** Inside the mask, the cloth's darkness, stretched so the garment
#    is light on black; outside, 0.

# %%
band = 8
border = np.concatenate(
    [photo[:band].reshape(-1, 3), photo[-band:].reshape(-1, 3),
     photo[:, :band].reshape(-1, 3), photo[:, -band:].reshape(-1, 3)]
)  # fmt: skip
backdrop = np.median(border, axis=0)  # 1. the backdrop's colour
distance = np.linalg.norm(photo - backdrop, axis=2)  # 2. distance to it
noise = np.median(np.linalg.norm(border - backdrop, axis=1))
mask = distance > max(6 * noise, 0.3 * np.median(distance[distance > 6 * noise]))  # 3.
rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))  # 4. the crop
darkness = 255 - photo.mean(axis=2)
ink = np.where(mask, 80 + 175 * darkness / darkness[mask].max(), 0)[box]  # 5.
height, width = ink.shape
size = (round(width * 28 / max(height, width)), round(height * 28 / max(height, width)))
small = np.asarray(Image.fromarray(ink.astype("uint8")).resize(size, Image.LANCZOS))
by_hand = np.zeros((28, 28), "uint8")
top, left = (28 - size[1]) // 2, (28 - size[0]) // 2
by_hand[top : top + size[1], left : left + size[0]] = small
pd.DataFrame(predict_top_k(model, by_hand, k=3), columns=["class", "probability"])

# %% [markdown]
# `load_garment_image` packages these steps for any image file
# (`fmnist_course.predict`), and makes two of them sturdier: it fits a smooth
# surface to the border instead of one colour, so a lighting gradient across
# the backdrop is not taken for garment, and it weighs a change of hue above
# one of brightness, so a white shirt stands out from a warm off-white
# backdrop even where a fold makes it as bright. It also closes small holes in
# the mask.

# %%
prepared = load_garment_image(photo_path)
figure, axes = plt.subplots(1, 4, figsize=(12, 3))
panels = [
    (photo.astype("uint8"), "the photo", None),
    (naive, "naive: gray, 28x28", "gray"),
    (by_hand, "the five steps, by hand", "gray"),
    (prepared, "load_garment_image", "gray"),
]
for ax, (picture, title, cmap) in zip(axes, panels, strict=True):
    ax.imshow(picture, cmap=cmap, vmin=0, vmax=255)
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# `predict_top_k` gives the `k` most probable classes. It scales the pixels the
# way the model expects (see the `Rescaling` rule above).

# %%
pd.DataFrame(predict_top_k(model, prepared, k=3), columns=["class", "probability"])

# %% [markdown]
# ## How far to trust a confidence
#
# The model gives every image ten probabilities. The largest is its
# *confidence*: how sure it says it is of the class it picks. Above we sorted
# mistakes by it. But is a confidence of 0.9 worth anything? A model is
# *calibrated* when it is right as often as it says: of all the images it
# gives a confidence near 0.9, a share of about 0.9 are right. If only 0.8
# were, it would be *over-confident*; if 0.97 were, *under-confident*.
# Cross-entropy pushes a model towards calibration on its training images,
# label smoothing (lesson 07) deliberately away from it, and neither
# guarantees it on images the model has not seen, so we measure it.
#
# The recipe, first in plain NumPy:
#
# 1. Compute each image's confidence, and whether the model got it right.
# 2. Cut the range 0 to 1 into bins of equal width (15, as Guo et al., 2017,
#    "On Calibration of Modern Neural Networks", do) and put each image in
#    the bin of its confidence.
# 3. In each bin, compare the mean confidence with the accuracy (the share
#    right). This is a *reliability table*.
# 4. The *expected calibration error* (ECE) is the gap |accuracy - mean
#    confidence| of each bin, weighted by the share of the images in it: 0
#    for a calibrated model. A model that always gives a confidence of 1 and
#    is right on a share of 0.94 of the images has an ECE of 0.06.

# %%
from fmnist_course.calibration import (
    CALIBRATION_BINS,
    expected_calibration_error,
    reliability_table,
)

confidences = probabilities.max(axis=1)  # 1. how sure, per image
is_right = probabilities.argmax(axis=1) == data.y_test
edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)  # 2. the bins' edges
in_bin = np.clip(np.digitize(confidences, edges) - 1, 0, CALIBRATION_BINS - 1)
hand_rows = []
for b in range(CALIBRATION_BINS):
    chosen = in_bin == b
    if chosen.any():  # 3. mean confidence against accuracy
        hand_rows.append(
            {
                "bin": f"{edges[b]:.2f}-{edges[b + 1]:.2f}",
                "images": int(chosen.sum()),
                "mean confidence": confidences[chosen].mean(),
                "accuracy": is_right[chosen].mean(),
            }
        )
hand_table = pd.DataFrame(hand_rows)
gaps = (hand_table["accuracy"] - hand_table["mean confidence"]).abs()
ece_by_hand = (gaps * hand_table["images"]).sum() / len(confidences)  # 4.
print(
    f"mean confidence {confidences.mean():.2%}, accuracy {is_right.mean():.2%}, "
    f"ECE {ece_by_hand:.4f}"
)
hand_table.round(4)

# %% [markdown]
# `fmnist_course.calibration` packages the same steps: `reliability_table`
# (with every bin, empty ones included) and `expected_calibration_error`.
# They agree with the hand-written version:

# %%
library_ece = expected_calibration_error(probabilities, data.y_test)
print(f"by hand {ece_by_hand:.6f}, library {library_ece:.6f}")
print("same:", np.isclose(ece_by_hand, library_ece))

# %% [markdown]
# ### The reliability diagram, with and without the ten views
#
# Lesson 07's best model is scored on ten views of each image (test-time
# augmentation): the ten-view model holds the trained network as one of its
# layers, so we can also ask the network alone. Where the views disagree,
# their average is less sure than the surest of them, so the ten views may
# change the confidence as well as the accuracy: the diagram shows both.
#
# `plot_reliability` draws each table as a line from bin to bin, the mean
# confidence across, the accuracy up: on the dashed diagonal the model is
# calibrated, below it over-confident, above it under-confident. The bars
# below count the images in each bin, on a log scale: most images sit in the
# two bins nearest the top, and those bins carry most of the ECE (the
# record's cells below check both).

# %%
from fmnist_course.calibration_plots import plot_reliability

networks = [layer for layer in model.layers if isinstance(layer, keras.Model)]
if networks:  # the ten-view model: its trained network is a layer of it
    scored = {
        "model alone": networks[0].predict(x_test, verbose=0),
        "ten views": probabilities,
    }
else:
    scored = {"model": probabilities}
tables = {}
for name, scored_probabilities in scored.items():
    tables[name] = reliability_table(scored_probabilities, data.y_test)
    print(
        f"{name}: accuracy "
        f"{np.mean(scored_probabilities.argmax(axis=1) == data.y_test):.2%}, "
        f"mean confidence {scored_probabilities.max(axis=1).mean():.2%}, ECE "
        f"{expected_calibration_error(scored_probabilities, data.y_test):.4f}"
    )
figure = plot_reliability(tables)
plt.show()

# %% [markdown]
# ### What the record says
#
# Fast mode scores a small subset, and a model you trained yourself is not
# the course's. `fmnist-course bench calibration` measures the shipped best
# model on all 10,000 test images and records it; the lines below read that
# record (`fmnist_course.calibration_record`), so no number here is typed by
# hand. Over-confidence is the mean confidence minus the accuracy, in points.

# %%
from fmnist_course.calibration_record import (
    SMOOTHING_VARIANTS,
    label_smoothing_calibration,
    recorded_calibration,
    recorded_reliability_tables,
)
from fmnist_course.results import load_results

results = load_results()
calibration = recorded_calibration(results)
if calibration.empty:
    print(
        "Not measured yet: `fmnist-course bench calibration` records the best "
        "model's calibration in benchmarks/results.json."
    )
else:
    print(calibration.attrs["caption"])
    shipped_recipe = fmc.RECIPES[calibration.attrs["entry"]["model"]]
    print(f"Its recipe's label smoothing: {shipped_recipe.label_smoothing:g}")
    for scoring, row in calibration.iterrows():
        side = "over" if row["overconfidence"] > 0 else "under"
        print(
            f"  {scoring}: accuracy {row['accuracy']:.2%}, mean confidence "
            f"{row['mean confidence']:.2%}, so {side}-confident by "
            f"{100 * abs(row['overconfidence']):.2f} points; "
            f"ECE {row['ECE']:.4f}"
        )
    recorded_tables = recorded_reliability_tables(results)
    figure = plot_reliability(recorded_tables)
    plt.show()

# %% [markdown]
# Read the direction, not only the size. The shipped model is
# *under*-confident, alone and with the ten views: it is right more often
# than it says. That is label smoothing at work. Lesson 07's `best` recipe
# trains the right class towards 0.91, never 1, and in the bin around 0.91
# the model is right nearly every time. The ten views, whose average is less
# sure than the surest view, make it a little less sure again while they
# make it right a little more often, so here they widen the gap and raise
# the ECE. The cell checks each of these against the record.

# %%
if not calibration.empty:
    assert (calibration["overconfidence"] < 0).all(), "the prose: under-confident"
    alone = calibration.loc["model alone"]
    with_views = calibration.loc["ten views (test-time augmentation)"]
    assert with_views["ECE"] > alone["ECE"], "the prose: the views raise the ECE"
    assert with_views["mean confidence"] < alone["mean confidence"], "less sure"
    assert with_views["accuracy"] > alone["accuracy"], "the prose: right more often"
    assert shipped_recipe.label_smoothing == 0.1, "the prose: towards 0.91"
    for name, table in recorded_tables.items():
        shares = table["images"] / table["images"].sum()
        gaps = shares * (table["accuracy"] - table["confidence"]).abs()
        top_images, top_ece = shares.iloc[-2:].sum(), gaps.iloc[-2:].sum() / gaps.sum()
        fullest = table.loc[table["images"].idxmax()]
        assert top_images > 0.5 and top_ece > 0.5, "the prose: most images and ECE"
        assert fullest["low"] <= 0.91 <= fullest["high"], "the prose: around 0.91"
        assert fullest["accuracy"] > 0.98 > fullest["confidence"], "nearly every time"
        print(
            f"{name}: the two top bins hold {top_images:.0%} of the images and "
            f"{top_ece:.0%} of the ECE; in the fullest, confidence "
            f"{fullest['confidence']:.3f}, accuracy {fullest['accuracy']:.3f}"
        )

# %% [markdown]
# Lesson 07 shows that label smoothing moves the loss's best prediction from
# certainty to 0.91. Whether that makes the confidence more honest is a
# measurement: the ablation records the validation ECE of the stacked recipe,
# which smooths its labels, and of the same recipe without smoothing, over
# several seeds, at the ablation's short budget (lesson 07), not the shipped
# model's full one. A difference smaller than the seeds' spread is one that
# another seed could undo. Here it is far larger: smoothing multiplied the
# ECE, both ways of scoring. It did what lesson 07 said, moved the model's
# confidence away from certainty, and the shipped model above shows how
# far: into under-confidence. It stays in the recipe because it came with
# the package that beat the ablation's choice in the full-budget
# confirmation, on accuracy.

# %%
from fmnist_course.choosing import SPREADS  # lesson 07's threshold, in spreads

ablation_rows = results.get("ablation", {}).get("cpu", {}).get("rows", [])
smoothing = label_smoothing_calibration(ablation_rows)
if smoothing.empty:
    print(
        "Not measured yet: the recorded ablation has no validation ECE. "
        "`fmnist-course bench ablation` records it, with and without label "
        "smoothing."
    )
else:
    print(smoothing.round(4).to_string())
    if smoothing.index.is_unique and set(SMOOTHING_VARIANTS) <= set(smoothing.index):
        for label in ("with TTA", "model alone"):
            mean, std = smoothing[f"ECE {label}"], smoothing[f"ECE {label} (std)"]
            with_it, without = SMOOTHING_VARIANTS
            change = mean[with_it] - mean[without]
            print(
                f"label smoothing changes the validation ECE ({label}) by "
                f"{change:+.4f}, against seed spreads (std) of {std[with_it]:.4f} "
                f"and {std[without]:.4f}"
            )
            larger = SPREADS * max(std[with_it], std[without])
            assert change > larger, "the prose says smoothing raised the ECE"
            assert mean[with_it] > 2 * mean[without], "the prose: multiplied"

# %% [markdown]
# Two things to take from this. A confidence is a number the model computes,
# not a probability it has earned: only a reliability table on images it has
# not trained on says how far to trust it. And every change to training or
# scoring (label smoothing, weight averaging, test-time augmentation) can move
# it, in either direction, so it is measured again after each.

# %% [markdown]
# ## Summary
#
# - The confusion matrix and per-class accuracy show *which* classes a model
#   gets wrong, which the overall accuracy hides.
# - The most confident mistakes are the first place to look for debatable
#   labels and for look-alike classes.
# - `new_run_dir` + `save_run` keep every trained model in its own directory,
#   never overwritten; `fmc.load_model` loads a `.keras` file or a run
#   directory, and `latest_run` finds the newest run of a name.
# - A photo comes from another domain than the training images: backdrop,
#   lighting, shadow, colour, noise. A model's test accuracy says nothing
#   about such images until they are brought to its domain: backdrop removed,
#   garment cropped, light on black, 28x28. `load_garment_image` does that.
# - A confidence is worth what its reliability table says: in each bin of
#   confidence, the share of images the model gets right. The expected
#   calibration error sums the gaps; training and scoring choices move it,
#   so it is measured, not assumed.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: The most confused pair
#
# Check id: `08-most-confused-pair`.
#
# Write `most_confused_pair(matrix)`, which finds the pair of classes a
# confusion matrix (counts, rows are true classes) shows confused most often
# in one direction: the largest cell off the diagonal. It returns
# `(true class name, predicted class name)`. The check runs it on made-up
# matrices, the grader on matrices of its own; then we ask it about our
# model's `matrix`.


# %%
def most_confused_pair(matrix):
    ### BEGIN SOLUTION
    off_diagonal = np.array(matrix, copy=True)
    np.fill_diagonal(off_diagonal, -1)
    row, column = np.unravel_index(off_diagonal.argmax(), off_diagonal.shape)
    return (fmc.CLASS_NAMES[row], fmc.CLASS_NAMES[column])
    ### END SOLUTION


check("08-most-confused-pair", most_confused_pair)
print(most_confused_pair(matrix))

# %% [markdown]
# ### Exercise 2: Save, reload, compare
#
# Check id: `08-reload`.
#
# Save `model` with its `history` into a fresh directory under `runs_root`
# named `"exercise"` and load it back, as `exercise_model`, with
# `fmc.load_model`; the lines after the solution compare the two models'
# predictions on the first 20 test images. Pass the directory itself (the
# `Path` that `new_run_dir` returned) to the check: the check, and the
# grader, read the saved files, load the model in *safe mode* (Keras refuses
# to load `Lambda` layers, layers that run arbitrary Python code stored in
# the file) and run it on test images of their own. They check that the
# directory holds a 10-class classifier that loads safely, not that it is
# `model` (the printed comparison tells you that), and not its accuracy.

# %%
### BEGIN SOLUTION
exercise_dir = new_run_dir(runs_root, "exercise")
save_run(exercise_dir, model, history, {})
exercise_model = fmc.load_model(exercise_dir)
### END SOLUTION
same = np.allclose(
    exercise_model.predict(x_test[:20], verbose=0), probabilities[:20], atol=1e-5
)
print(f"same predictions after reloading: {same}")
check("08-reload", exercise_dir)
