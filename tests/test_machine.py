"""The machine line: a measured peak, not a guess; the one bfloat16 decision."""

from __future__ import annotations

import time

import pytest

from fmnist_course import machine
from fmnist_course.errors import UserError
from fmnist_course.results_tables import machine_line
from fmnist_course.settings import BF16_ENV, PEAK_PROBE_ENV

BF16 = "sse2 avx2 fma avx512f avx512_bf16"
AMX = "sse2 avx2 fma avx512f amx_bf16 amx_tile"
NO_BF16 = "sse2 avx2 fma avx512f"


def test_the_probe_measures_a_positive_peak_in_under_two_seconds(monkeypatch):
    monkeypatch.delenv(PEAK_PROBE_ENV, raising=False)
    machine._matmul_gflops.cache_clear()
    start = time.monotonic()
    per_core = machine.measured_gflops_per_core()
    assert time.monotonic() - start < 2.0
    assert per_core is not None and per_core > 0
    start = time.monotonic()
    assert machine.measured_gflops_per_core() == per_core  # once per process
    assert time.monotonic() - start < 0.01
    peak = machine.measured_peak_gflops(seconds=0.05)
    assert peak is not None and peak > 0


def test_the_probe_can_be_skipped(monkeypatch):
    monkeypatch.setenv(PEAK_PROBE_ENV, "0")
    assert machine.measured_gflops_per_core() is None
    assert machine.measured_peak_gflops() is None


def test_the_machine_line_shows_the_measured_peak_and_never_the_guess(monkeypatch):
    monkeypatch.setattr(machine, "measured_gflops_per_core", lambda: 116.04)
    monkeypatch.setattr(machine, "measured_peak_gflops", lambda: 131.6)
    monkeypatch.setattr(machine, "gpu_names", lambda: [])
    described = machine.describe_machine()
    assert described["measured_gflops_per_core"] == 116.0
    assert described["measured_peak_gflops"] == 131.6
    assert "peak_gflops_estimate" not in described
    line = machine_line(described)
    assert "measured float32 peak 116 GFLOP/s on one core and 132 on all" in line
    guessed = {"cpu_model": "AMD EPYC", "peak_gflops_estimate": 332.3}
    assert "peak" not in machine_line(guessed)


@pytest.mark.parametrize(
    ("flags", "gpus", "suits"),
    [
        (BF16, [], True),
        (AMX, [], True),
        (NO_BF16, [], False),
        (BF16, ["NVIDIA H200"], False),
        (NO_BF16, ["NVIDIA H200"], False),
    ],
)
@pytest.mark.parametrize("by_default", [False, True])
@pytest.mark.parametrize("switch", [None, "", "auto", "0", "1"])
def test_the_bfloat16_decision(monkeypatch, flags, gpus, suits, by_default, switch):
    monkeypatch.setattr(machine, "BF16_BY_DEFAULT", by_default)
    environ = {} if switch is None else {BF16_ENV: switch}
    expected = {"1": True, "0": False}.get(switch, by_default and suits)
    assert machine.bf16_suits(flags, gpus) is suits
    assert machine.use_bfloat16(flags, gpus, environ) is expected
    policy = "mixed_bfloat16" if expected else "float32"
    assert machine.training_dtype_policy(flags, gpus, environ) == policy


def test_bfloat16_is_on_by_default_only_as_the_recorded_ladder_allows():
    """Guards: the default follows the record's verdict on bfloat16. A bfloat16
    ladder that loses accuracy, or one not recorded for every recipe, turns
    this test red until the default is turned off again."""
    from fmnist_course.bf16_tables import bf16_comparison
    from fmnist_course.results import load_results

    verdict = bf16_comparison(load_results()).attrs["verdict"]
    assert machine.BF16_BY_DEFAULT is (verdict == "no loss"), verdict
    assert machine.use_bfloat16(BF16, [], environ={}) is machine.BF16_BY_DEFAULT
    assert machine.use_bfloat16(NO_BF16, [], environ={}) is False


def test_a_cpu_without_bf16_never_asks_for_gpus(monkeypatch):
    def no_tensorflow():
        raise AssertionError("asked TensorFlow for GPUs")

    monkeypatch.setattr(machine, "gpu_names", no_tensorflow)
    assert machine.bf16_suits(NO_BF16) is False


def test_a_wrong_switch_value_says_what_it_expects():
    with pytest.raises(UserError, match=r"0, 1 or auto. Received: FMNIST_BF16='yes'"):
        machine.use_bfloat16(BF16, [], environ={BF16_ENV: "yes"})


def test_the_machine_records_its_dtype_policy(monkeypatch):
    monkeypatch.setenv(PEAK_PROBE_ENV, "0")
    monkeypatch.setenv(BF16_ENV, "1")
    assert machine.describe_machine()["dtype_policy"] == "mixed_bfloat16"
    monkeypatch.setenv(BF16_ENV, "0")
    assert machine.describe_machine()["dtype_policy"] == "float32"
