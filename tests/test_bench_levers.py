"""Speed levers: the step-rate window, ratios against the baseline, skipping."""

from __future__ import annotations

import pytest

from fmnist_course.bench import levers
from fmnist_course.cli.main import build_parser


def test_step_rate_times_the_window_after_the_warm_up():
    ticks = iter(float(second) for second in range(100))
    rate = levers.StepRate(warmup_steps=2, seconds=3.0, clock=lambda: next(ticks))
    stops = [rate.step_done(batch) for batch in range(3)]  # window opens at t=1
    rate.epoch_begins()  # a new epoch: batch indices restart
    stops += [rate.step_done(batch) for batch in range(2)]
    assert stops == [False, False, False, False, True]  # t=4: 3 s into the window
    # steps 3..5 ran in the window (3 steps) in 3 seconds: one step per second.
    assert rate.images_per_second(batch_size=128) == pytest.approx(128.0)


def test_step_rate_counts_executions_of_several_steps():
    ticks = iter([0.0, 1.0, 2.0])
    rate = levers.StepRate(warmup_steps=4, seconds=1.0, clock=lambda: next(ticks))
    assert not rate.step_done(3)  # 4 steps in one execution: warm-up done
    assert rate.step_done(7)  # 4 more steps in 1 s
    assert rate.images_per_second(batch_size=10) == pytest.approx(40.0)


def test_step_rate_times_the_window_in_cpu_time_too():
    ticks = iter([0.0, 1.0, 2.0])
    cpu_ticks = iter([0.5, 1.0, 1.5])  # half a core busy
    rate = levers.StepRate(
        warmup_steps=1,
        seconds=2.0,
        clock=lambda: next(ticks),
        cpu_clock=lambda: next(cpu_ticks),
    )
    assert [rate.step_done(batch) for batch in range(3)] == [False, False, True]
    # 2 steps of 10 images in the window: 2 s of wall time, 1 s of CPU time
    assert rate.images_per_second(batch_size=10) == pytest.approx(10.0)
    assert rate.images_per_cpu_second(batch_size=10) == pytest.approx(20.0)


def test_an_unfinished_window_is_an_error():
    rate = levers.StepRate(warmup_steps=10, seconds=1.0, clock=lambda: 0.0)
    rate.step_done(0)
    with pytest.raises(RuntimeError, match="train for longer"):
        rate.images_per_second(batch_size=128)
    with pytest.raises(RuntimeError, match="train for longer"):
        rate.images_per_cpu_second(batch_size=128)


def _fake_runs(monkeypatch, speeds, cpu_speeds=None):
    cpu_speeds = cpu_speeds or {}
    calls = []

    def fake(name, *, python=None, **options):
        calls.append((name, python))
        speed = speeds[name].pop(0) if isinstance(speeds[name], list) else speeds[name]
        return {
            "name": name,
            "images_per_second": speed,
            "images_per_cpu_second": cpu_speeds.get(name, speed / 2),
            "backend": "tensorflow",
        }

    monkeypatch.setattr(levers, "run_lever_in_subprocess", fake)
    return calls


def test_ratios_are_over_the_mean_of_the_baselines_before_and_after(monkeypatch):
    calls = _fake_runs(
        monkeypatch,
        {"baseline": [1000.0, 1200.0], "steps_per_execution": 1320.0},
    )
    result = levers.measure_levers(["steps_per_execution"])
    assert [name for name, _ in calls] == [
        "baseline",
        "steps_per_execution",
        "baseline",
    ]
    assert result["baseline_images_per_second"] == 1100.0
    assert result["baseline_runs"] == [1000.0, 1200.0]
    assert result["levers"][0]["ratio"] == pytest.approx(1.2)
    assert result["baseline_images_per_cpu_second"] == 550.0


def test_cpu_ratios_are_over_the_baselines_in_cpu_time(monkeypatch):
    _fake_runs(
        monkeypatch,
        {"baseline": [1000.0, 500.0], "inter_op_threads_1": 900.0},
        cpu_speeds={"baseline": 600.0, "inter_op_threads_1": 540.0},
    )
    result = levers.measure_levers(["inter_op_threads_1"])
    assert result["baseline_cpu_runs"] == [600.0, 600.0]
    assert result["levers"][0]["ratio"] == pytest.approx(1.2)
    assert result["levers"][0]["cpu_ratio"] == pytest.approx(0.9)


def test_backend_levers_need_an_interpreter(monkeypatch):
    calls = _fake_runs(
        monkeypatch, {"baseline": 1000.0, "jax_backend": 500.0, "tf_data": 900.0}
    )
    result = levers.measure_levers(["jax_backend", "tf_data"])
    assert "skipped" in result["levers"][0]
    assert "ratio" not in result["levers"][0]
    assert result["levers"][1]["ratio"] == pytest.approx(0.9)
    result = levers.measure_levers(["jax_backend"], backend_python="/opt/py")
    assert ("jax_backend", "/opt/py") in calls
    assert result["levers"][0]["ratio"] == pytest.approx(0.5)


def test_unknown_levers_are_named():
    with pytest.raises(ValueError, match="Unknown lever.*warp_drive"):
        levers.measure_levers(["warp_drive"])
    with pytest.raises(ValueError, match="Unknown lever 'warp_drive'"):
        levers.run_lever("warp_drive")


def test_a_real_lever_trains_and_reports_its_speed():
    result = levers.run_lever(
        "uint8_rescaling", warmup_steps=2, seconds=0.5, train_size=1000
    )
    assert result["backend"] == "tensorflow"
    assert result["images_per_second"] > 0
    assert result["images_per_cpu_second"] > 0
    assert result["timed_steps"] >= 1


def test_the_bfloat16_lever_computes_in_bfloat16():
    import keras

    try:
        result = levers.run_lever(
            "mixed_bfloat16", warmup_steps=2, seconds=0.5, train_size=1000
        )
    finally:  # the policy is global; a lever's own process drops it on exit
        keras.mixed_precision.set_global_policy("float32")
    assert result["compute_dtype"] == "bfloat16"
    assert result["images_per_second"] > 0


def test_cli_parses_the_levers_command():
    args = build_parser().parse_args(
        ["bench", "levers", "--levers", "tf_data", "--seconds", "5"]
    )
    assert args.levers == ["tf_data"]
    assert args.seconds == 5.0
    assert args.func.__name__ == "run_levers_command"
