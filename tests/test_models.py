import keras
import numpy as np
import pytest

from fmnist_course.models import (
    MODEL_BUILDERS,
    build_challenge_model,
    build_cnn,
    build_dense_baseline,
    build_model,
    with_flip_averaging,
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
    from fmnist_course.models import MirrorImage

    images = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    mirror = MirrorImage()
    np.testing.assert_array_equal(mirror(images).numpy(), images[:, :, ::-1])
    channels = images[..., None]
    np.testing.assert_array_equal(mirror(channels).numpy(), channels[:, :, ::-1, :])


def test_the_best_recipe_is_tested_with_flip_averaging():
    from fmnist_course.training import RECIPES

    flipped = [name for name, recipe in RECIPES.items() if recipe.flip_averaging]
    assert flipped == ["best"]
