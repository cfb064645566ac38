import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from fmnist_course import CLASS_NAMES, load_fashion_mnist
from fmnist_course import data as data_module
from fmnist_course.data import (
    IDX_FILES,
    DataError,
    download_fashion_mnist,
    find_data_dir,
    read_idx,
    stratified_sample,
    verify_data_dir,
)


def copy_real_files(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for spec in IDX_FILES.values():
        shutil.copyfile(source / spec.name, target / spec.name)
    return target


def rewrite(path: Path, transform) -> None:
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(transform(raw)))


def test_standard_split_shapes_and_types(real_data_dir):
    data = load_fashion_mnist(real_data_dir)
    assert data.x_train.shape == (60000, 28, 28)
    assert data.x_test.shape == (10000, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    assert np.bincount(data.y_train).tolist() == [6000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert data.source == real_data_dir
    # The first test image of the standard split is an ankle boot.
    assert CLASS_NAMES[data.y_test[0]] == "Ankle boot"


def test_scale_and_channel_axis(real_data_dir):
    data = load_fashion_mnist(
        real_data_dir, scale=True, channel_axis=True, train_size=100, test_size=50
    )
    assert data.x_train.shape == (100, 28, 28, 1)
    assert data.x_train.dtype == np.float32
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.x_train.max() > 0.9


def test_validation_split_is_stratified_disjoint_and_seeded(real_data_dir):
    data = load_fashion_mnist(real_data_dir, validation_split=0.1, seed=3)
    assert data.x_train.shape[0] == 54000 and data.x_val.shape[0] == 6000
    assert np.bincount(data.y_val).tolist() == [600] * 10
    again = load_fashion_mnist(real_data_dir, validation_split=0.1, seed=3)
    np.testing.assert_array_equal(data.x_val, again.x_val)
    other = load_fashion_mnist(real_data_dir, validation_split=0.1, seed=4)
    assert not np.array_equal(data.y_val, other.y_val) or not np.array_equal(
        data.x_val, other.x_val
    )
    # No validation image is also a training image.
    train_rows = {row.tobytes() for row in data.x_train[:5000]}
    assert not any(row.tobytes() in train_rows for row in data.x_val[:500])


@pytest.fixture(scope="module")
def t10k(real_data_dir):
    """The real test set as its files hold it: each image's bytes -> index; labels."""

    def payload(key, header_size):
        raw = gzip.decompress((real_data_dir / IDX_FILES[key].name).read_bytes())
        return np.frombuffer(raw, dtype=np.uint8, offset=header_size)

    images = payload("test_images", 16).reshape(-1, 28 * 28)
    return {row.tobytes(): index for index, row in enumerate(images)}, payload(
        "test_labels", 8
    )


def _rows(images):
    return [row.tobytes() for row in images.reshape(len(images), -1)]


@pytest.mark.parametrize(
    "options",
    [{}, {"test_size": 500}, {"train_size": 1500}],
    ids=["full", "test subset", "train subset"],
)
def test_the_test_images_are_the_real_test_sets_and_never_trained_on(
    real_data_dir, t10k, options
):
    """Test images are t10k's own, with its labels; no training image is one."""
    index_of, labels = t10k
    data = load_fashion_mnist(real_data_dir, validation_split=0.1, seed=1, **options)
    found = [index_of.get(row) for row in _rows(data.x_test)]
    missing = sum(index is None for index in found)
    assert missing == 0, f"{missing} of {len(found)} test images are not t10k images"
    assert len(set(found)) == len(found), "a t10k image is in the test set twice"
    np.testing.assert_array_equal(data.y_test, labels[found])
    if "test_size" not in options:
        assert found == list(range(10_000)), "the test set is not t10k, in order"
    # Training and validation images are never test images (the two files
    # share none), so the sets are disjoint whatever the seed picks.
    leaked = sum(row in index_of for row in _rows(data.x_train) + _rows(data.x_val))
    assert leaked == 0, f"{leaked} training or validation images are t10k images"


def test_subsets_are_stratified(real_data_dir):
    data = load_fashion_mnist(real_data_dir, train_size=1000, test_size=300, seed=1)
    assert np.bincount(data.y_train).tolist() == [100] * 10
    assert np.bincount(data.y_test).tolist() == [30] * 10


def test_stratified_sample_handles_uneven_classes():
    labels = np.array([0] * 7 + [1] * 2 + [2] * 1)
    picked = stratified_sample(labels, 5, rng=0)
    assert len(picked) == len(set(picked)) == 5
    counts = np.bincount(labels[picked], minlength=3)
    assert counts.tolist() in ([4, 1, 0], [3, 1, 1])
    with pytest.raises(ValueError, match="size=11"):
        stratified_sample(labels, 11)


def test_bad_validation_split_is_rejected(real_data_dir):
    with pytest.raises(ValueError, match="validation_split=1.5"):
        load_fashion_mnist(real_data_dir, validation_split=1.5)


def test_truncated_gzip_names_the_file(real_data_dir, tmp_path):
    directory = copy_real_files(real_data_dir, tmp_path / "data")
    path = directory / IDX_FILES["test_images"].name
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz.*truncated"):
        load_fashion_mnist(directory)


def test_wrong_magic_number(real_data_dir, tmp_path):
    directory = copy_real_files(real_data_dir, tmp_path / "data")
    path = directory / IDX_FILES["train_labels"].name
    rewrite(path, lambda raw: (2051).to_bytes(4, "big") + raw[4:])
    with pytest.raises(DataError, match=r"magic number 2051; expected 2049"):
        load_fashion_mnist(directory)


def test_altered_content_fails_the_digest(real_data_dir, tmp_path):
    directory = copy_real_files(real_data_dir, tmp_path / "data")
    path = directory / IDX_FILES["test_labels"].name
    rewrite(path, lambda raw: raw[:-1] + bytes([(raw[-1] + 1) % 10]))
    with pytest.raises(DataError, match="SHA-256"):
        load_fashion_mnist(directory)


def test_wrong_length_is_reported(real_data_dir, tmp_path):
    directory = copy_real_files(real_data_dir, tmp_path / "data")
    path = directory / IDX_FILES["test_labels"].name
    rewrite(path, lambda raw: raw[:-10])
    with pytest.raises(DataError, match="expected 10008"):
        read_idx(path)


def test_explicit_directory_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_dir=.*lacks.*apt-get install"):
        load_fashion_mnist(tmp_path)


def test_environment_variable_is_used_and_checked(real_data_dir, tmp_path, monkeypatch):
    directory = copy_real_files(real_data_dir, tmp_path / "env")
    monkeypatch.setenv("FMNIST_DATA_DIR", str(directory))
    assert find_data_dir() == directory
    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="FMNIST_DATA_DIR"):
        find_data_dir()


def test_keras_cache_comes_before_debian(real_data_dir, tmp_path, monkeypatch):
    cache = copy_real_files(real_data_dir, tmp_path / "cache")
    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(data_module, "KERAS_CACHE_DIR", cache)
    assert find_data_dir() == cache
    monkeypatch.setattr(data_module, "KERAS_CACHE_DIR", tmp_path / "none")
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "none")
    with pytest.raises(FileNotFoundError, match="not found"):
        find_data_dir(download=False)


def fake_get_file(source: Path, corrupt: str | None = None):
    """Stands in for keras.utils.get_file: copies real files, optionally corrupt."""

    def get_file(fname, origin, cache_dir, cache_subdir):
        assert origin.endswith(fname) and origin.startswith("https://")
        target = Path(cache_dir) / cache_subdir / fname
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / fname, target)
        if fname == corrupt:
            target.write_bytes(target.read_bytes()[:5000])
        return str(target)

    return get_file


def test_download_verifies_then_publishes(real_data_dir, tmp_path, monkeypatch):
    import keras

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file(real_data_dir))
    target = download_fashion_mnist(tmp_path / "cache")
    assert all(status == "ok" for status in verify_data_dir(target).values())
    assert sorted(p.name for p in target.iterdir()) == sorted(
        spec.name for spec in IDX_FILES.values()
    )


def test_corrupt_download_is_never_published(real_data_dir, tmp_path, monkeypatch):
    import keras

    bad = IDX_FILES["train_images"].name
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file(real_data_dir, bad))
    with pytest.raises(DataError, match=bad):
        download_fashion_mnist(tmp_path / "cache")
    assert not (tmp_path / "cache" / bad).exists()
    assert not any(
        p.name.startswith(".download") for p in (tmp_path / "cache").iterdir()
    )


def test_failed_download_explains_how_to_get_data(tmp_path, monkeypatch):
    import keras

    def offline(**kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(FileNotFoundError, match="network unreachable.*apt-get"):
        download_fashion_mnist(tmp_path / "cache")


def test_download_stages_beside_the_target_and_fetches_only_whats_missing(
    real_data_dir, tmp_path, monkeypatch
):
    """Promise: files already there are kept, and only the missing ones are
    fetched, into a hidden staging folder of the target (same file system, so
    publishing is an atomic rename), into a target that may not exist yet."""
    import keras

    target = tmp_path / "nested" / "cache"
    target.mkdir(parents=True)
    first = next(iter(IDX_FILES.values())).name
    shutil.copyfile(real_data_dir / first, target / first)
    fetched, real = [], fake_get_file(real_data_dir)

    def get_file(fname, origin, cache_dir, cache_subdir):
        staging = Path(cache_dir)
        assert staging.parent == target and staging.name.startswith(".download-")
        assert cache_subdir == "."
        fetched.append(fname)
        return real(fname, origin, cache_dir, cache_subdir)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    assert download_fashion_mnist(target) == target
    assert fetched == [spec.name for spec in IDX_FILES.values() if spec.name != first]
    assert all(status == "ok" for status in verify_data_dir(target).values())
    fresh = tmp_path / "a" / "b"
    monkeypatch.setattr(keras.utils, "get_file", real)
    download_fashion_mnist(fresh)  # parents made as needed
    assert sorted(p.name for p in fresh.iterdir()) == sorted(
        spec.name for spec in IDX_FILES.values()
    )


def test_a_download_of_the_wrong_real_file_is_refused(
    real_data_dir, tmp_path, monkeypatch
):
    """Promise: a download is checked against its own file's digest, so a valid
    IDX file served under another name is never published."""
    import keras

    swapped = IDX_FILES["test_labels"].name
    real = fake_get_file(real_data_dir)

    def get_file(fname, origin, cache_dir, cache_subdir):
        path = Path(real(fname, origin, cache_dir, cache_subdir))
        if fname == IDX_FILES["train_labels"].name:
            shutil.copyfile(real_data_dir / swapped, path)
        return str(path)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    with pytest.raises(DataError):
        download_fashion_mnist(tmp_path / "cache")
    assert not (tmp_path / "cache" / IDX_FILES["train_labels"].name).exists()


def test_verify_reports_each_files_problem_in_words(real_data_dir, tmp_path):
    for spec in list(IDX_FILES.values())[1:]:
        shutil.copyfile(real_data_dir / spec.name, tmp_path / spec.name)
    report = verify_data_dir(tmp_path)
    missing = next(iter(IDX_FILES.values())).name
    assert [name for name, status in report.items() if status != "ok"] == [missing]
    assert (
        missing in report[missing] and "fmnist-course data --fetch" in report[missing]
    )
