"""Describe the machine a benchmark ran on: its CPU, its measured peak, its GPUs.

The CPU's peak is *measured*, not guessed from its feature flags: a float32
matrix product on one thread for a fraction of a second
(`measured_gflops_per_core`), then on every usable core at once
(`measured_peak_gflops`). A guess from the flags and the nominal clock was
wrong by half on an AMD Zen 4, which splits each 512-bit operation in two, and
it cannot see turbo, a virtual machine's limits or two logical cores that
share one physical core. The probe runs once per process and takes under a
second; `FMNIST_PEAK_PROBE=0` skips it (the figures are then `None`).

Whether training computes in bfloat16 is decided here too, once
(`use_bfloat16`); `fmnist_course.precision` applies the decision.

Examples:
    >>> info = describe_machine()  # doctest: +SKIP
    >>> info["cpu_model"], info["logical_cores"], info["device"]  # doctest: +SKIP
    ('AMD EPYC', 2, 'cpu')

"""

from __future__ import annotations

import functools
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fmnist_course.errors import UserError
from fmnist_course.settings import BF16_BY_DEFAULT, BF16_ENV, PEAK_PROBE_ENV

CPUINFO = Path("/proc/cpuinfo")
MEMINFO = Path("/proc/meminfo")


def logical_cores() -> int:
    """Cores this process may run on (its affinity mask), else `os.cpu_count()`.

    Examples:
        >>> logical_cores() >= 1
        True

    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def read_cpuinfo(text: str | None = None) -> dict[str, str]:
    r"""The first processor's fields of `/proc/cpuinfo` (empty off Linux).

    Args:
        text: The file's content; read from `/proc/cpuinfo` when `None`.

    Examples:
        >>> read_cpuinfo("model name\t: Example CPU\ncpu MHz\t: 2000.0\n")
        {'model name': 'Example CPU', 'cpu MHz': '2000.0'}

    """
    if text is None:
        try:
            text = CPUINFO.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags that mean the cores compute in bfloat16 natively."""


def has_bf16_instructions(flags: str) -> bool:
    """Whether the CPU's feature flags include native bfloat16 arithmetic.

    Examples:
        >>> has_bf16_instructions("avx2 fma avx512f avx512_bf16")
        True
        >>> has_bf16_instructions("avx2 fma")
        False

    """
    return any(flag in flags.split() for flag in BF16_FLAGS)


BF16_POLICY = "mixed_bfloat16"
"""The Keras dtype policy of bfloat16 training: float32 weights, bfloat16 math."""
FLOAT32_POLICY = "float32"
"""The Keras dtype policy the course trains in unless bfloat16 is chosen."""


def bf16_suits(flags: str | None = None, gpus: Sequence[str] | None = None) -> bool:
    """Whether bfloat16 training pays on this machine: bf16 CPU, and no GPU.

    On a CPU with `avx512_bf16` or `amx_bf16`, no recipe of the recorded
    ladder lost validation accuracy under `mixed_bfloat16` by more than
    twice its seed spread, and where both precisions ran on one kind of CPU
    every convolutional recipe trained in less CPU time
    (`fmnist_course.bf16_tables`); on a CPU without, every bfloat16 operation
    is emulated and training is several times slower (the `mixed_bfloat16`
    lever of `fmnist-course bench levers`). A GPU trains in float32 here
    (its own 16-bit type is float16, a different policy).

    Args:
        flags: The CPU's feature flags; read from `/proc/cpuinfo` when `None`.
        gpus: The GPUs TensorFlow sees; asked when `None` (and only then,
            when the flags qualify, since asking imports TensorFlow).

    Examples:
        >>> bf16_suits("avx2 fma avx512f avx512_bf16", gpus=[])
        True
        >>> bf16_suits("avx2 fma avx512f avx512_bf16", gpus=["NVIDIA H200"])
        False
        >>> bf16_suits("avx2 fma avx512f", gpus=[])
        False

    """
    flags = read_cpuinfo().get("flags", "") if flags is None else flags
    if not has_bf16_instructions(flags):
        return False
    return not (gpu_names() if gpus is None else gpus)


def use_bfloat16(
    flags: str | None = None,
    gpus: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Whether the course's training computes in bfloat16 here: the one decision.

    `FMNIST_BF16=1` turns bfloat16 on and `FMNIST_BF16=0` off, on any
    machine. Unset (or `auto`), it is on where `bf16_suits` and
    `settings.BF16_BY_DEFAULT` both say so: on a CPU with bfloat16
    instructions and no GPU. The default is on because the ladder was recorded
    in bfloat16 on such a host over 3 seeds with no loss in mean validation
    accuracy (`fmnist-course bench ladder --precision bfloat16 --seeds 0 1 2`,
    `fmnist_course.bf16_tables.bf16_comparison`). On a CPU without the
    instructions bfloat16 is emulated and slower, so it stays off there.

    Args:
        flags: The CPU's feature flags (see `bf16_suits`).
        gpus: The GPUs TensorFlow sees (see `bf16_suits`).
        environ: Where `FMNIST_BF16` is read; `os.environ` when `None`.

    Raises:
        UserError: `FMNIST_BF16` is set to something other than 0, 1 or auto.

    Examples:
        >>> use_bfloat16("avx512f avx512_bf16", [], environ={"FMNIST_BF16": "1"})
        True
        >>> use_bfloat16("avx512f avx512_bf16", [], environ={"FMNIST_BF16": "0"})
        False
        >>> use_bfloat16("avx512f avx512_bf16", [], environ={})  # where it suits
        True
        >>> use_bfloat16("avx512f avx2", [], environ={})  # emulated: slower
        False

    """
    environ = os.environ if environ is None else environ
    value = environ.get(BF16_ENV, "").strip().lower()
    if value == "1":
        return True
    if value == "0":
        return False
    if value not in ("", "auto"):
        raise UserError(
            f"Expected {BF16_ENV} to be 0, 1 or auto. Received: {BF16_ENV}={value!r}. "
            f"Unset it (or set auto) to let the course decide from the machine."
        )
    return BF16_BY_DEFAULT and bf16_suits(flags, gpus)


def training_dtype_policy(
    flags: str | None = None,
    gpus: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The Keras dtype policy the course trains in here (see `use_bfloat16`).

    Examples:
        >>> training_dtype_policy("avx512_bf16", [], environ={"FMNIST_BF16": "1"})
        'mixed_bfloat16'

    """
    return BF16_POLICY if use_bfloat16(flags, gpus, environ) else FLOAT32_POLICY


def cpu_mhz(cpuinfo: dict[str, str] | None = None) -> float | None:
    """The CPU clock in MHz: `lscpu`'s maximum when known, else `cpu MHz`."""
    try:
        lscpu = subprocess.run(
            ["lscpu"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        lscpu = ""
    match = re.search(r"^CPU max MHz:\s*([\d.]+)", lscpu, re.MULTILINE)
    if match and float(match.group(1)) > 0:
        return float(match.group(1))
    cpuinfo = read_cpuinfo() if cpuinfo is None else cpuinfo
    try:
        return float(cpuinfo["cpu MHz"])
    except (KeyError, ValueError):
        return None


PROBE_SECONDS = 0.3
"""How long each run of the peak probe multiplies matrices, after a warm-up."""
PROBE_SIZE = 512
"""The probe's square float32 matrices: large enough for BLAS to run at speed."""
PROBE_PROGRAM = """
import os, sys, time
import numpy as np
cpu, size, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
if cpu >= 0 and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {cpu})
rng = np.random.default_rng(0)
a = rng.random((size, size), dtype=np.float32)
b = rng.random((size, size), dtype=np.float32)
a @ b
count, start = 0, time.perf_counter()
while (elapsed := time.perf_counter() - start) < seconds:
    a @ b
    count += 1
print(2 * size**3 * count / elapsed / 1e9)
"""
"""One thread's float32 GFLOP/s: `argv` is the CPU to pin to (-1: none), the
matrix size and the seconds. It runs in a fresh process so that its BLAS
starts with one thread (NumPy's thread count is fixed when NumPy loads)."""
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
"""What keeps a probe's BLAS (OpenBLAS, which NumPy's wheels bundle) on one thread."""


@functools.cache
def _matmul_gflops(num_processes: int, seconds: float) -> tuple[float, ...] | None:
    """GFLOP/s of `num_processes` one-thread probes run at once, one per core."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    environment = {**os.environ, **ONE_THREAD}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                PROBE_PROGRAM,
                str(cpus[index % len(cpus)] if cpus else -1),
                str(PROBE_SIZE),
                str(seconds),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=environment,
        )
        for index in range(num_processes)
    ]
    results = []
    for process in processes:
        try:
            output, _ = process.communicate(timeout=seconds + 30)
            results.append(float(output))
        except (subprocess.TimeoutExpired, ValueError):
            process.kill()
            process.wait()
    return tuple(results) if len(results) == num_processes else None


def _probing() -> bool:
    return os.environ.get(PEAK_PROBE_ENV, "") != "0"


def measured_gflops_per_core(seconds: float = PROBE_SECONDS) -> float | None:
    """Float32 GFLOP/s of a matrix product on one thread: one core's real peak.

    A 512x512 float32 matrix product through NumPy's BLAS, timed for
    `seconds` after a warm-up, in a fresh one-thread process. It reaches
    what the core's vector units sustain in practice (an AMD Zen 4 core
    measured 116 GFLOP/s at an effective 3.6 GHz: 32 FLOP per cycle). Measured
    once per process; on a busy machine it reads low, as any speed does.

    Args:
        seconds: How long to time the product.

    Returns:
        GFLOP/s, or `None` when the probe is off (`FMNIST_PEAK_PROBE=0`) or
        failed.

    Examples:
        >>> measured_gflops_per_core(seconds=0.05) > 0  # doctest: +SKIP
        True

    """
    if not _probing():
        return None
    results = _matmul_gflops(1, seconds)
    return results[0] if results else None


def measured_peak_gflops(seconds: float = PROBE_SECONDS) -> float | None:
    """Float32 GFLOP/s of the machine: the one-thread probe on every core at once.

    One probe process per usable core, each pinned to its own, all timed
    together. Where two logical cores share a physical core (SMT), this is
    well under `logical_cores() * measured_gflops_per_core()`, and it is
    the honest ceiling of a training that uses every core.

    Returns:
        The probes' GFLOP/s summed, or `None` when the probe is off or failed.

    Examples:
        >>> measured_peak_gflops(seconds=0.05) > 0  # doctest: +SKIP
        True

    """
    if not _probing():
        return None
    results = _matmul_gflops(logical_cores(), seconds)
    return sum(results) if results else None


def memory_gib() -> float | None:
    """Total memory of the machine in GiB, from `/proc/meminfo`."""
    try:
        text = MEMINFO.read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return round(int(match.group(1)) / 2**20, 1) if match else None


def gpu_names() -> list[str]:
    """Names of the GPUs TensorFlow can use (empty on a CPU-only machine)."""
    import tensorflow as tf

    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except (ValueError, RuntimeError):
            details = {}
        names.append(str(details.get("device_name", device.name)))
    return names


def describe_machine() -> dict[str, Any]:
    """CPU, cores, measured peak, memory, GPUs and versions, recorded with each figure.

    Returns:
        A JSON-ready mapping with `cpu_model`, `logical_cores`, `cpu_mhz`,
        `bf16_instructions`, `measured_gflops_per_core`,
        `measured_peak_gflops` (`None` when the probe is off),
        `dtype_policy` (the Keras policy training uses here,
        `training_dtype_policy`), `memory_gib`, `gpus`,
        `device` (`"gpu"` when TensorFlow sees a GPU, else `"cpu"`),
        `tensorflow`, `keras`, `python` and `platform`. Records made before
        the probe have `flops_per_cycle` and `peak_gflops_estimate` instead, a
        guess from the flags that is no longer shown.

    Examples:
        >>> sorted(describe_machine())[:3]  # doctest: +SKIP
        ['bf16_instructions', 'cpu_mhz', 'cpu_model']

    """
    import keras
    import tensorflow as tf

    cpuinfo = read_cpuinfo()
    mhz = cpu_mhz(cpuinfo)
    flags = cpuinfo.get("flags", "")
    per_core, peak = measured_gflops_per_core(), measured_peak_gflops()
    gpus = gpu_names()
    return {
        "cpu_model": cpuinfo.get("model name") or platform.processor() or "unknown",
        "logical_cores": logical_cores(),
        "cpu_mhz": round(mhz, 1) if mhz else None,
        "bf16_instructions": has_bf16_instructions(flags),
        "measured_gflops_per_core": round(per_core, 1) if per_core else None,
        "measured_peak_gflops": round(peak, 1) if peak else None,
        "dtype_policy": training_dtype_policy(flags, gpus),
        "memory_gib": memory_gib(),
        "gpus": gpus,
        "device": "gpu" if gpus else "cpu",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (`ru_maxrss`).

    Examples:
        >>> peak_rss_mib() > 0
        True

    """
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
