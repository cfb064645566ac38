import numpy as np
import pytest

from fmnist_course import load_csv, load_fashion_mnist
from fmnist_course.kaggle_csv import CSV_HEADER, save_csv


def write_rows(path, rows, header=CSV_HEADER):
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_round_trip_on_real_images(real_data_dir, tmp_path):
    data = load_fashion_mnist(real_data_dir, train_size=50, test_size=10)
    path = save_csv(tmp_path / "train.csv", data.x_train, data.y_train)
    x, y = load_csv(path)
    np.testing.assert_array_equal(x, data.x_train)
    np.testing.assert_array_equal(y, data.y_train)
    assert x.dtype == np.uint8 and x.shape == (50, 28, 28)


def test_save_never_overwrites(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("precious")
    with pytest.raises(FileExistsError):
        save_csv(path, np.zeros((1, 28, 28), np.uint8), [0])
    assert path.read_text() == "precious"


def test_wrong_column_count_names_the_row(tmp_path):
    good = [3] + [0] * 784
    path = write_rows(tmp_path / "bad.csv", [good, good, [1] + [0] * 783])
    with pytest.raises(ValueError, match=r"line 4: expected 785 columns.*784"):
        load_csv(path)


def test_out_of_range_pixel_names_row_and_column(tmp_path):
    row = [3] + [0] * 784
    row[10] = 256
    path = write_rows(tmp_path / "bad.csv", [row])
    with pytest.raises(
        ValueError, match=r"line 2: expected pixel values 0-255.*pixel10=256"
    ):
        load_csv(path)


def test_bad_label_and_non_integer(tmp_path):
    path = write_rows(tmp_path / "label.csv", [[10] + [0] * 784])
    with pytest.raises(ValueError, match=r"line 2: expected a label 0-9"):
        load_csv(path)
    path = write_rows(tmp_path / "text.csv", [[1] + ["x"] * 784])
    with pytest.raises(ValueError, match=r"line 2: expected integers"):
        load_csv(path)


def test_bad_header_and_missing_file(tmp_path):
    path = write_rows(tmp_path / "header.csv", [], header=["a", "b"])
    with pytest.raises(ValueError, match="line 1: expected the header"):
        load_csv(path)
    with pytest.raises(FileNotFoundError, match="nothing.csv"):
        load_csv(tmp_path / "nothing.csv")
