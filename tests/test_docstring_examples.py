"""The examples in the library's docstrings run, and print what they show.

Each module's examples run as doctests in a fresh temporary directory, so the
examples that store runs or tuning trials write there and not into the
checkout. Examples that use a dataset find it under the name `data`: a small
real subset of Fashion-MNIST with a validation split, so they train in seconds.
Examples marked `# doctest: +SKIP` are left out (they download, read files a
reader would have, or train for minutes).
"""

import doctest
import importlib
import pkgutil

import pytest

import fmnist_course
from fmnist_course import load_fashion_mnist

MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(fmnist_course.__path__, "fmnist_course.")
    if module.name != "fmnist_course.__main__"
)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.fixture(scope="module")
def small_data():
    return load_fashion_mnist(
        scale=True, validation_split=0.1, train_size=600, test_size=100, seed=0
    )


def test_every_module_is_found():
    assert {"fmnist_course.models", "fmnist_course.tuning"} <= set(MODULES)


@pytest.mark.parametrize("module_name", ["fmnist_course", *MODULES])
def test_docstring_examples(module_name, small_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder().find(
        module, module_name, extraglobs={"data": small_data}
    )
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for test in tests:
        runner.run(test, out=report.append)
    assert runner.summarize(verbose=False).failed == 0, "".join(report)
