import keras
import pytest

from fmnist_course.bench.flops import (
    FLOPS_PER_MAC,
    TRAINING_PASSES,
    forward_macs,
    layer_macs,
    training_gflops_per_second,
    training_macs,
)
from fmnist_course.machine import read_cpuinfo
from fmnist_course.models import build_challenge_model, build_dense_baseline


def tiny_cnn():
    inputs = keras.Input((6, 6, 2))
    x = keras.layers.Conv2D(3, 3, name="conv")(inputs)  # -> 4x4x3
    x = keras.layers.MaxPooling2D(2, name="pool")(x)  # -> 2x2x3
    x = keras.layers.Flatten(name="flatten")(x)  # -> 12
    x = keras.layers.Dense(5, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(0.5, name="dropout")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(x)
    return keras.Model(inputs, outputs)


def test_tiny_model_matches_a_hand_count():
    model = tiny_cnn()
    # conv: 4*4 positions * 3 filters * (3*3 kernel * 2 channels) = 864
    # hidden: 12 * 5 = 60; out: 5 * 2 = 10; pooling, flatten, dropout: 0
    by_layer = {layer.name: layer_macs(layer) for layer in model.layers[1:]}
    assert by_layer == {
        "conv": 864,
        "pool": 0,
        "flatten": 0,
        "hidden": 60,
        "dropout": 0,
        "out": 10,
    }
    assert layer_macs(model.layers[0]) == 0  # the input
    assert forward_macs(model) == 934
    assert training_macs(model) == 3 * 934 == TRAINING_PASSES * 934
    # 2 FLOPs per MAC, 3 passes, one million images per second -> 5.604 GFLOP/s
    assert training_gflops_per_second(model, 1e6) == pytest.approx(5.604)
    assert FLOPS_PER_MAC == 2


def test_strides_padding_and_dense_on_sequences():
    inputs = keras.Input((5, 5, 1))
    strided = keras.layers.Conv2D(4, 3, strides=2, padding="same")
    assert layer_macs(keras.Model(inputs, strided(inputs)).layers[1]) == 3 * 3 * 4 * 9
    sequence = keras.Input((3, 4))
    dense = keras.layers.Dense(5)
    keras.Model(sequence, dense(sequence))
    assert layer_macs(dense) == 3 * 4 * 5


def test_depthwise_separable_and_batch_norm():
    inputs = keras.Input((8, 8, 3))
    separable = keras.layers.SeparableConv2D(4, 3)  # -> 6x6x4
    depthwise = keras.layers.DepthwiseConv2D(3, depth_multiplier=2)  # -> 4x4x8
    norm = keras.layers.BatchNormalization()
    keras.Model(inputs, norm(depthwise(separable(inputs))))
    assert layer_macs(separable) == 6 * 6 * 3 * 9 + 6 * 6 * 3 * 4
    assert layer_macs(depthwise) == 4 * 4 * 4 * 2 * 9
    assert layer_macs(norm) == 4 * 4 * 8


def test_course_models_match_hand_counts():
    # challenge: conv_1 26*26*64*9, conv_2 11*11*32*(9*64), dense 800*128, 128*10
    assert forward_macs(build_challenge_model()) == (
        26 * 26 * 64 * 9 + 11 * 11 * 32 * 9 * 64 + 5 * 5 * 32 * 128 + 128 * 10
    )
    assert forward_macs(build_dense_baseline(hidden_units=(64,))) == 784 * 64 + 640


def test_nested_models_are_counted():
    inner = tiny_cnn()
    inputs = keras.Input((6, 6, 2))
    outer = keras.Model(inputs, inner(inputs))
    assert forward_macs(outer) == 934


def test_cpuinfo_reads_the_first_processor():
    info = read_cpuinfo(
        "processor\t: 0\nmodel name\t: Test CPU\ncpu MHz\t\t: 2500.000\n"
        "flags\t\t: sse2 avx avx2 fma\n\nprocessor\t: 1\nmodel name\t: Other\n"
    )
    assert info["model name"] == "Test CPU"
    assert info["flags"] == "sse2 avx avx2 fma"
