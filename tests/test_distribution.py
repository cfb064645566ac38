"""The course as students install it: the wheel, and the notebooks' setup cell.

The wheel and sdist are built offline (`python -m build --no-isolation`) and
checked with `twine check`. Then a fresh virtual environment that does not
hold the course, but sees this environment's TensorFlow and Jupyter through a
`.pth` file (so nothing is downloaded), runs student notebooks top to bottom
in a real Jupyter kernel of its own, as Colab would: the setup cell installs
the course from the wheel (`FMNIST_COURSE_PIP_SPEC`), and the lessons run in
fast mode on the installed course.
"""

import json
import re
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from fmnist_course._version import REPOSITORY_URL, __version__
from fmnist_course.authoring.execute import execute_notebook
from fmnist_course.authoring.lesson_files import REPO_ROOT
from fmnist_course.authoring.setup_cell import PIP_SPEC_ENV
from fmnist_course.trained_models import TRAINED_DIR, shipped_names

pytestmark = pytest.mark.slow

STUDENT_NOTEBOOKS = REPO_ROOT / "notebooks"
FRESH_KERNEL = "fmnist-fresh-env"


@pytest.fixture(scope="module", autouse=True)
def no_checkout_on_the_path():
    """Child processes see the course only as installed.

    A `PYTHONPATH` naming this checkout (as when a worktree is tested) would
    show the fresh environment the checkout instead of the wheel. This
    process has imported what it needs already.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONPATH", raising=False)
        yield


def run(*command, **kwargs):
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run(
        sys.executable,
        "-m",
        "build",
        "--no-isolation",
        "--outdir",
        out,
        REPO_ROOT,
        cwd=REPO_ROOT,
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def test_wheel_and_sdist_pass_twine_check(dist):
    result = run(sys.executable, "-m", "twine", "check", "--strict", *dist)
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_wheel_ships_the_results_and_no_lessons(dist):
    wheel, _ = dist
    assert wheel.name == f"fmnist_course-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        results = json.loads(archive.read("fmnist_course/results.json"))
        metadata = archive.read(
            f"fmnist_course-{__version__}.dist-info/METADATA"
        ).decode()
    assert results == json.loads((REPO_ROOT / "benchmarks/results.json").read_text())
    # No lesson, instructor or student, and no notebook: no solutions.
    assert not [
        name for name in names if re.search(r"(^|/)\d\d_\w+\.(py|ipynb)$", name)
    ]
    assert not [name for name in names if not name.startswith("fmnist_course")]
    assert f"Project-URL: Repository, {REPOSITORY_URL}" in metadata
    for extra in ("notebooks", "lab", "docs", "dev"):
        assert f"Provides-Extra: {extra}" in metadata


def test_wheel_and_sdist_ship_the_trained_models(dist):
    """Guards: pip and Colab get every file of the shipped-models folder."""
    wheel, sdist = dist
    folder = REPO_ROOT / "fmnist_course" / "trained"
    expected = {
        f"fmnist_course/trained/{path.name}": path.read_bytes()
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".")
    }
    assert "fmnist_course/trained/README.md" in expected  # the folder's guide
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("fmnist_course/trained/")
        }
    assert shipped == expected
    with tarfile.open(sdist) as archive:
        in_sdist = {
            name.split("/", 1)[1] for name in archive.getnames() if "/trained/" in name
        }
    assert set(expected) <= in_sdist


def test_results_json_is_one_file_with_two_names():
    link = REPO_ROOT / "benchmarks" / "results.json"
    assert link.is_symlink()
    assert link.resolve() == (REPO_ROOT / "fmnist_course" / "results.json").resolve()


# --------------------------------------------------------------------------- #
# A fresh environment, as a student's Jupyter or Colab
# --------------------------------------------------------------------------- #


def _hidden(name: str) -> bool:
    """This checkout's editable install: its metadata, `.pth` file and finder."""
    return "fmnist_course" in name.lower()


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    """A virtual environment without the course that sees TensorFlow and Jupyter.

    Its `.pth` file names a folder of links to everything in this
    environment's site-packages except the course's editable install. A `.pth`
    file in a folder that a `.pth` file adds is not processed, so naming this
    site-packages itself would hide the editable install from imports too, but
    not its metadata: pip would then take the course for installed already.
    """
    root = tmp_path_factory.mktemp("fresh")
    env = root / "env"
    run(sys.executable, "-m", "venv", env)
    python = env / "bin" / "python"
    ours = Path(sysconfig.get_paths()["purelib"])
    shadow = root / "shared-site-packages"
    shadow.mkdir()
    for entry in ours.iterdir():
        if not _hidden(entry.name):
            (shadow / entry.name).symlink_to(entry)
    purelib = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    ).stdout.strip()
    Path(purelib, "shared_site_packages.pth").write_text(f"{shadow}\n")
    kernels = root / "jupyter" / "kernels" / FRESH_KERNEL
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(python),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "fresh environment",
                "language": "python",
            }
        )
    )
    return python, Path(purelib), root / "jupyter"


def test_fresh_env_lacks_the_course_but_sees_tensorflow(fresh_env):
    python, _, _ = fresh_env
    probe = (
        "import importlib.util as u, importlib.metadata as m\n"
        "print(u.find_spec('fmnist_course') is None, u.find_spec('tensorflow') is not None)\n"
        "names = {d.metadata['Name'].lower() for d in m.distributions()}\n"
        "print('fmnist-course' in names, 'tensorflow' in names, 'ipykernel' in names)\n"
    )
    lines = run(python, "-c", probe, cwd="/").stdout.split()
    assert lines == ["True", "True", "False", "True", "True"]


def test_student_notebooks_run_in_a_fresh_kernel_after_the_setup_cell_installs_the_course(
    dist, fresh_env, tmp_path, monkeypatch
):
    wheel, _ = dist
    python, purelib, jupyter_path = fresh_env
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    monkeypatch.setenv(PIP_SPEC_ENV, str(wheel))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # offline: everything else is there
    timings = {}
    # 08 loads a shipped model: the student's install must find it.
    for stem in ("00_the_data", "05_hyperparameter_search", "08_using_the_model"):
        notebook = nbformat.read(STUDENT_NOTEBOOKS / f"{stem}.ipynb", as_version=4)
        start = time.monotonic()
        execute_notebook(
            notebook,
            cwd=tmp_path,
            fast=True,
            allow_errors=True,  # the exercise stubs raise NotImplementedError
            name=stem,
            kernel_name=FRESH_KERNEL,
        )
        timings[stem] = round(time.monotonic() - start, 1)
        execution = notebook.cells[1].metadata.get("execution", {})
        if "iopub.execute_input" in execution:  # nbclient's timestamps
            began, ended = (
                datetime.fromisoformat(execution[key].replace("Z", "+00:00"))
                for key in ("iopub.execute_input", "shell.execute_reply")
            )
            timings[f"{stem} setup cell"] = round((ended - began).total_seconds(), 1)
        errors = {
            index: output["ename"]
            for index, cell in enumerate(notebook.cells)
            for output in cell.get("outputs", [])
            if output["output_type"] == "error"
        }
        stubs = {
            index
            for index, cell in enumerate(notebook.cells)
            if 'raise NotImplementedError("Exercise' in cell.source
        }
        assert set(errors) == stubs and set(errors.values()) == {"NotImplementedError"}
        printed = [
            "".join(
                output.get("text", "")
                for output in cell.get("outputs", [])
                if output["output_type"] == "stream"
            )
            for cell in notebook.cells
        ]
        setup = printed[1]
        if stem == "00_the_data":  # the first notebook installs the course
            assert f"Installing {wheel}" in setup, setup
            assert f"Installed fmnist-course {__version__}: {purelib}" in setup, setup
        else:  # the next finds it and does nothing
            assert setup == "", setup
        if stem == "05_hyperparameter_search":
            recorded = [text for text in printed if "best validation accuracy" in text]
            assert recorded and "grid" in recorded[0] and "halving" in recorded[0]
        if stem == "08_using_the_model":
            epochs = len(json.loads((TRAINED_DIR / "best.json").read_text())["history"])
            loaded = [text for text in printed if text.startswith("recorded: ")]
            assert loaded and loaded[0].startswith(f"recorded: {epochs} epochs, seed")
    # TensorFlow was not installed into the fresh environment: it was seen.
    assert not list(purelib.glob("tensorflow*"))
    assert (purelib / "fmnist_course" / "results.json").is_file()
    print(f"fresh-environment notebook times (s): {timings}")


def test_commands_from_the_wheel_work_or_say_what_they_need(dist, fresh_env, tmp_path):
    wheel, _ = dist
    python, purelib, _ = fresh_env
    # Installed by the setup cell above when both run; idempotent otherwise.
    run(python, "-m", "pip", "install", "--quiet", "--no-index", wheel)
    cli = python.parent / "fmnist-course"
    assert "notebooks" in run(cli, "--help", cwd=tmp_path).stdout
    assert "verified" in run(cli, "data", cwd=tmp_path).stdout
    recorded = run(
        python,
        "-c",
        "import fmnist_course.results as r; print(r.RESULTS_PATH); "
        "print(sorted(r.load_results()))",
        cwd=tmp_path,
    ).stdout.splitlines()
    assert recorded[0] == str(purelib / "fmnist_course" / "results.json")
    assert "tuning" in recorded[1] and "course_runtime" in recorded[1]
    shipped = run(
        python,
        "-c",
        "import fmnist_course.trained_models as t; print(t.TRAINED_DIR); "
        "print(t.shipped_names())",
        cwd=tmp_path,
    ).stdout.splitlines()
    assert shipped[0] == str(purelib / "fmnist_course" / "trained")
    assert shipped[1] == str(shipped_names())
    for args, expected in [
        (("notebooks", "check"), "error: No lessons (NN_name.py) in "),
        (("site", "build", "--fast"), "error: No mkdocs.yml at "),
    ]:
        result = subprocess.run(
            [str(cli), *args], capture_output=True, text=True, timeout=300, cwd=tmp_path
        )
        errors = [
            line for line in result.stderr.splitlines() if line.startswith("error")
        ]
        assert result.returncode == 2 and len(errors) == 1, result.stderr
        assert errors[0].startswith(expected) and "checkout" in errors[0]


SHIPPED_PROBE = """
import json, sys
import fmnist_course
from fmnist_course import trained_models
from fmnist_course.fast_mode import load_course_split

checked = {
    name: trained_models.check_shipped(name)["keras_sha256"]
    for name in trained_models.shipped_names()
}
shipped = fmnist_course.load_shipped("dense")
data = load_course_split(fast=False)  # scaled, as the ladder tested it
_, accuracy = shipped.model.evaluate(data.x_test, data.y_test, verbose=0)
print(json.dumps({
    "trained_dir": str(trained_models.TRAINED_DIR),
    "module": fmnist_course.__file__,
    "checked": checked,
    "recorded": shipped.test_accuracy,
    "evaluated": float(accuracy),
    "epochs": len(shipped.history),
}))
"""


def test_an_environment_installed_from_the_wheel_finds_the_shipped_models(
    dist, fresh_env, tmp_path
):
    """Promise: a student's fresh install loads the shipped models, their
    files and fingerprints check out there, and the dense model scores on the
    test set what the ladder recorded."""
    wheel, _ = dist
    python, purelib, _ = fresh_env
    # Installed by the notebook test above when both run; idempotent otherwise.
    run(python, "-m", "pip", "install", "--quiet", "--no-index", wheel)
    found = json.loads(
        run(python, "-c", SHIPPED_PROBE, cwd=tmp_path).stdout.strip().splitlines()[-1]
    )
    installed = purelib / "fmnist_course"
    assert found["module"] == str(installed / "__init__.py")  # not this checkout
    assert found["trained_dir"] == str(installed / "trained")
    folder = REPO_ROOT / "fmnist_course" / "trained"
    expected = {
        name: json.loads((folder / f"{name}.json").read_text())["keras_sha256"]
        for name in shipped_names()
    }
    assert "dense" in expected
    assert found["checked"] == expected
    metadata = json.loads((folder / "dense.json").read_text())
    assert found["recorded"] == metadata["test_accuracy"]
    assert found["epochs"] == len(metadata["history"])
    # The same model on the same data: the recorded accuracy, to one image.
    assert abs(found["evaluated"] - found["recorded"]) <= 1e-4 + 1e-9
