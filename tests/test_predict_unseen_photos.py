"""`predict` on photo-like pictures it was not built on.

`tests/test_photos.py` checks `predict` on pictures from the course's own
renderer (`fmnist_course.photos.render_photo`), the one its preparation was
tuned on. This test draws pictures another way, with conditions that renderer
never makes: a textured backdrop, a spotlight, dim light with more noise, red
and grey cloth, a small garment off-centre, a tilted one. Each condition has
six garments of six classes (Fashion-MNIST test garments the model knows), and
at least five of the six must get their class.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fmnist_course.data import CLASS_NAMES, load_fashion_mnist
from fmnist_course.models import build_model
from fmnist_course.predict import predict_top_k, to_fashion_mnist
from fmnist_course.training import train_model

CLASSES = ("T-shirt/top", "Trouser", "Dress", "Sneaker", "Bag", "Ankle boot")

CONDITIONS = {
    # name: cloth colour, backdrop colour, and how the picture is drawn
    "textured backdrop": dict(cloth=(35, 45, 95), backdrop=(200, 186, 160), grain=1),
    "spotlight": dict(cloth=(40, 90, 50), backdrop=(228, 226, 222), spot=0.55),
    "dim light": dict(cloth=(110, 30, 40), backdrop=(212, 212, 206), exposure=0.45),
    "red cloth": dict(cloth=(200, 30, 40), backdrop=(240, 236, 228)),
    "grey cloth": dict(cloth=(120, 120, 125), backdrop=(240, 236, 228)),
    "small, off-centre": dict(
        cloth=(90, 130, 200), backdrop=(250, 250, 250), fill=0.35, at=(0.3, 0.35)
    ),
    "tilted": dict(cloth=(25, 25, 25), backdrop=(170, 170, 170), tilt=10, fill=0.8),
}


def draw_photo(
    garment,
    *,
    cloth,
    backdrop,
    size=(360, 270),
    fill=0.65,
    at=(0.5, 0.5),
    tilt=0.0,
    grain=0.0,
    spot=0.0,
    exposure=1.0,
    seed=0,
):
    """An RGB picture of a Fashion-MNIST garment, drawn unlike `render_photo`.

    The cloth's brightness follows the garment image (its darker parts in the
    product photo stay darker); the backdrop can carry a woven grain; the light
    can fall off from the centre (`spot`) or be dim (`exposure`, with more
    noise, as a camera raises its gain); the garment can be small, off-centre
    (`at`, its centre as shares of width and height) or tilted (degrees).
    Saved as PNG, not JPEG.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    side = max(1, round(fill * height))
    ink = Image.fromarray(np.asarray(garment, np.uint8)).resize(
        (side, side), Image.Resampling.BILINEAR
    )
    if tilt:
        ink = ink.rotate(tilt, resample=Image.Resampling.BILINEAR, expand=True)
    canvas = Image.new("L", (width, height), 0)
    left = round(at[0] * width - ink.width / 2)
    top = round(at[1] * height - ink.height / 2)
    canvas.paste(ink, (left, top))  # clipped at the picture's edges
    layer = np.asarray(canvas, np.float32) / 255.0
    alpha = np.clip((layer - 0.05) / 0.15, 0.0, 1.0)  # smooth cloth edge
    inside = layer[alpha > 0.5]
    low, high = (np.percentile(inside, 5), inside.max()) if inside.size else (0, 1)
    shade = 1.0 - 0.35 * np.clip((layer - low) / max(high - low, 1e-3), 0, 1)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    back = np.broadcast_to(np.asarray(backdrop, np.float32), (height, width, 3))
    if grain:
        weave = 6.0 * np.sin(y * 1.7) + 4.0 * np.sin(x * 0.9 + 3.0 * np.sin(y / 15))
        back = back + (weave + rng.normal(0.0, 4.0, (height, width)))[..., None]
    picture = alpha[..., None] * np.asarray(cloth, np.float32) * shade[..., None]
    picture = picture + (1.0 - alpha[..., None]) * back
    radius = np.hypot((x - width / 2) / width, (y - height / 2) / height) / 0.707
    light = exposure * (1.0 - spot * radius**2)
    picture = picture * light[..., None]
    picture = picture + rng.normal(0.0, 2.0 if exposure >= 1 else 7.0, picture.shape)
    buffer = io.BytesIO()
    Image.fromarray(picture.clip(0, 255).astype(np.uint8)).save(buffer, format="PNG")
    buffer.seek(0)
    with Image.open(buffer) as png:
        return np.asarray(png.convert("RGB"))


@pytest.fixture(scope="module")
def trained(real_data_dir):
    data = load_fashion_mnist(
        real_data_dir, scale=True, train_size=12_000, test_size=2_000, seed=0
    )
    model = build_model("cnn")
    train_model(model, data.x_train, data.y_train, epochs=3, verbose=0)
    return model, data


def known_garments(model, data):
    """One test garment per class of CLASSES that the model gets right, surely."""
    probabilities = model.predict(data.x_test, verbose=0)
    chosen = []
    for name in CLASSES:
        label = CLASS_NAMES.index(name)
        sure = [
            index
            for index in np.flatnonzero(data.y_test == label)
            if probabilities[index].argmax() == label
            and probabilities[index].max() > 0.95
        ]
        chosen.append((name, int(sure[0])))
    return chosen


def test_the_drawn_pictures_differ_from_the_garment_and_keep_it_inside():
    garment = np.zeros((28, 28), np.uint8)
    garment[4:24, 8:20] = 200
    for settings in CONDITIONS.values():
        photo = draw_photo(garment, **settings)
        assert photo.shape == (270, 360, 3) and photo.dtype == np.uint8
        border = np.concatenate([photo[:5].reshape(-1, 3), photo[-5:].reshape(-1, 3)])
        cloth = np.asarray(settings["cloth"], np.float32)
        assert np.abs(border.mean(axis=0) - cloth).max() > 20  # the border is backdrop


@pytest.mark.slow
@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_pictures_drawn_another_way_get_their_class(trained, condition):
    model, data = trained
    wrong = []
    for name, index in known_garments(model, data):
        garment = (data.x_test[index] * 255).astype(np.uint8)
        photo = draw_photo(garment, **CONDITIONS[condition], seed=index)
        predicted = predict_top_k(model, to_fashion_mnist(photo), k=1)[0][0]
        if predicted != name:
            wrong.append((index, name, predicted))
    assert len(wrong) <= 1, f"{condition}: (test index, class, predicted) {wrong}"
