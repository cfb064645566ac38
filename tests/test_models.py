import keras
import numpy as np
import pytest

from fmnist_course.models import (
    MODEL_BUILDERS,
    build_challenge_model,
    build_cnn,
    build_dense_baseline,
    build_model,
)
from fmnist_course.view_averaging import (
    with_flip_averaging,
    with_test_time_augmentation,
)


def test_challenge_model_is_the_original_architecture():
    model = build_challenge_model()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "InputLayer",
        "Reshape",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert model.get_layer("conv_1").filters == 64
    assert model.get_layer("conv_2").filters == 32
    assert model.get_layer("dense").kernel_regularizer is not None
    # Counted by hand: 640 + 18464 + 102528 + 1290.
    assert model.count_params() == 640 + 18464 + 102528 + 1290 == 122922


@pytest.mark.parametrize("name", sorted(MODEL_BUILDERS))
def test_every_builder_is_functional_and_predicts(name):
    model = build_model(name)
    assert isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
    probabilities = model.predict(np.zeros((2, 28, 28), np.float32), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_best_model_shrinks_maps_early_and_augments_only_in_training():
    model = build_model("best")
    assert model.count_params() == 391082
    shapes = [model.get_layer(f"pool_{i}").output.shape[1] for i in (1, 2, 3)]
    assert shapes == [13, 6, 3]
    # Pooling comes first: normalization and ReLU see the pooled maps.
    assert [model.get_layer(f"conv_{i}_bn").input.shape[1] for i in (1, 2, 3)] == shapes
    images = np.random.default_rng(0).uniform(size=(4, 28, 28)).astype("float32")
    flip = model.get_layer("random_flip")
    np.testing.assert_array_equal(
        np.asarray(flip(images[..., None], training=False)), images[..., None]
    )
    assert build_model("best", augment=False).count_params() == 391082


def test_best_model_shifts_by_whole_pixels_up_to_max_shift_only_in_training():
    model = build_model("best", max_shift=2)
    shift = model.get_layer("random_shift")
    square = np.zeros((64, 28, 28, 1), np.float32)
    square[:, 10:18, 10:18] = 1.0
    np.testing.assert_array_equal(np.asarray(shift(square, training=False)), square)
    moved = np.asarray(shift(square, training=True))[..., 0]
    assert np.allclose(moved.sum(axis=(1, 2)), 64)  # nothing leaves the frame
    rows = (moved.sum(axis=2) * np.arange(28)).sum(axis=1) / 64 - 13.5
    columns = (moved.sum(axis=1) * np.arange(28)).sum(axis=1) / 64 - 13.5
    for offsets in (rows, columns):
        np.testing.assert_allclose(offsets, np.round(offsets), atol=1e-6)
        assert set(np.round(offsets)) <= {-2, -1, 0, 1, 2}
        assert len(set(np.round(offsets))) > 1
    assert "random_shift" not in [
        layer.name for layer in build_model("best", max_shift=0).layers
    ]
    with pytest.raises(ValueError, match="max_shift=14"):
        build_model("best", max_shift=14)
    with pytest.raises(ValueError):
        build_model("best", augment=False).get_layer("random_flip")


def test_rescale_accepts_raw_pixels():
    model = build_dense_baseline(rescale=True)
    assert model.get_layer("rescale") is not None


def test_builder_arguments_change_the_model():
    assert build_dense_baseline(hidden_units=(64,), dropout=0).count_params() == 50890
    small = {"filters": (16,), "dense_units": 32}
    # "same" keeps 28x28 before the pooling, "valid" trims it to 26x26.
    assert build_cnn(**small).count_params() == (
        16 * 9 + 16 + 14 * 14 * 16 * 32 + 32 + 330
    )
    assert build_cnn(**small, padding="valid").count_params() == (
        16 * 9 + 16 + 13 * 13 * 16 * 32 + 32 + 330
    )


def test_unknown_name_and_bad_arguments():
    with pytest.raises(
        ValueError, match=r"Unknown model name: 'resnet'.*best, challenge, cnn, dense"
    ):
        build_model("resnet")
    with pytest.raises(ValueError, match="does not accept"):
        build_model("dense", filters=3)
    with pytest.raises(ValueError, match="dropout=1.5"):
        build_cnn(dropout=1.5)
    with pytest.raises(ValueError, match=r"Unknown padding: 'full'.*same, valid"):
        build_cnn(padding="full")


def test_flip_averaging_averages_the_image_and_its_mirror(tmp_path):
    model = build_dense_baseline(hidden_units=(16,), dropout=0.0)
    images = np.random.default_rng(0).random((5, 28, 28), dtype="float32")
    mirrored = np.ascontiguousarray(images[:, :, ::-1])
    expected = (
        model.predict(images, verbose=0) + model.predict(mirrored, verbose=0)
    ) / 2
    averaged = with_flip_averaging(model)
    np.testing.assert_allclose(averaged.predict(images, verbose=0), expected, atol=1e-6)
    # A left-right symmetric image gets the model's own prediction.
    symmetric = (images + images[:, :, ::-1]) / 2
    np.testing.assert_allclose(
        averaged.predict(symmetric, verbose=0),
        model.predict(symmetric, verbose=0),
        atol=1e-6,
    )
    assert averaged.count_params() == model.count_params()
    path = tmp_path / "averaged.keras"
    averaged.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(images, verbose=0), expected, atol=1e-6)


def test_mirror_flips_the_width_of_images_with_and_without_channels():
    from fmnist_course.layers import MirrorImage

    images = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    mirror = MirrorImage()
    np.testing.assert_array_equal(mirror(images).numpy(), images[:, :, ::-1])
    channels = images[..., None]
    np.testing.assert_array_equal(mirror(channels).numpy(), channels[:, :, ::-1, :])


def test_only_lesson_07s_recipes_are_tested_with_test_time_augmentation():
    from fmnist_course.recipes import RECIPES

    augmented = {
        name for name, recipe in RECIPES.items() if recipe.test_time_augmentation
    }
    # The best recipe, the protocol's choice it lengthens and the stack the
    # ablation removes parts from, all taught in lesson 07; no earlier rung
    # of the ladder averages views.
    assert augmented == {"best", "best_40", "all_techniques"}


def _shifted(images, down, right):
    """Move images by whole pixels with zero fill, written the slow way."""
    height, width = images.shape[1:3]
    moved = np.zeros_like(images)
    for row in range(height):
        for column in range(width):
            source_row, source_column = row - down, column - right
            if 0 <= source_row < height and 0 <= source_column < width:
                moved[:, row, column] = images[:, source_row, source_column]
    return moved


@pytest.mark.parametrize("down, right", [(1, 0), (-1, 0), (0, 2), (0, -1), (2, -3)])
def test_shift_moves_images_and_fills_the_border_with_zeros(down, right):
    from fmnist_course.layers import ShiftImage

    images = np.arange(1, 2 * 5 * 6 + 1, dtype="float32").reshape(2, 5, 6)
    shift = ShiftImage(down=down, right=right)
    np.testing.assert_array_equal(shift(images).numpy(), _shifted(images, down, right))
    channels = images[..., None]
    np.testing.assert_array_equal(
        shift(channels).numpy(), _shifted(images, down, right)[..., None]
    )


def test_test_time_augmentation_averages_ten_views_and_survives_saving(tmp_path):
    model = build_dense_baseline(hidden_units=(16,), dropout=0.0)
    images = np.random.default_rng(1).random((5, 28, 28), dtype="float32")
    views = [images] + [
        _shifted(images, down, right)
        for down, right in [(-1, 0), (1, 0), (0, -1), (0, 1)]
    ]
    views += [np.ascontiguousarray(view[:, :, ::-1]) for view in views]
    expected = np.mean([model.predict(view, verbose=0) for view in views], axis=0)
    averaged = with_test_time_augmentation(model)
    assert len(averaged.get_layer("average").input) == 10
    assert averaged.count_params() == model.count_params()
    np.testing.assert_allclose(averaged.predict(images, verbose=0), expected, atol=1e-6)
    path = tmp_path / "augmented.keras"
    averaged.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(images, verbose=0), expected, atol=1e-6)
    shifts_only = with_test_time_augmentation(model, flip=False, shift=2)
    assert len(shifts_only.get_layer("average").input) == 5


def test_test_time_augmentation_needs_at_least_one_extra_view():
    model = build_dense_baseline(hidden_units=(4,))
    with pytest.raises(ValueError, match="Received: flip=False, shift=0"):
        with_test_time_augmentation(model, flip=False, shift=0)
    with pytest.raises(ValueError, match="shift=-1"):
        with_test_time_augmentation(model, shift=-1)
