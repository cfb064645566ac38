"""The machine line: a measured peak, not a guess."""

from __future__ import annotations

import time

from fmnist_course import machine
from fmnist_course.results_tables import machine_line
from fmnist_course.settings import PEAK_PROBE_ENV


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
