import numpy as np

from fmnist_course import CLASS_NAMES, images_dataframe
from fmnist_course.data import FashionMNIST


def test_one_row_per_image_with_statistics(small_data):
    frame = images_dataframe(small_data)
    total = len(small_data.x_train) + len(small_data.x_val) + len(small_data.x_test)
    assert len(frame) == total
    assert list(frame["split"].cat.categories) == ["train", "val", "test"]
    assert set(frame["class_name"].unique()) == set(CLASS_NAMES)
    assert frame["mean_intensity"].between(0, 255).all()
    # Trousers are narrow, bags and pullovers wide: the statistics say so.
    widths = frame.groupby("class_name", observed=True)["width"].mean()
    assert widths["Trouser"] < widths["Bag"]


def test_hand_made_image_statistics():
    x = np.zeros((1, 28, 28), np.uint8)
    x[0, 4:10, 2:5] = 255
    data = FashionMNIST(x, np.array([1], np.uint8), x, np.array([1], np.uint8))
    row = images_dataframe(data).iloc[0]
    assert (row["width"], row["height"]) == (3, 6)
    assert row["ink"] == 18 / 784
    assert row["class_name"] == "Trouser"
