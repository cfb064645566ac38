"""Describe the machine a benchmark ran on, and estimate its CPU's peak.

The peak is an *estimate*, not a measurement: logical cores x clock x
floating-point operations per cycle per core, where a core with AVX-512 is
taken to do 64 fp32 FLOPs per cycle (two 16-wide FMA units), one with AVX2 and
FMA 32 (two 8-wide FMA units), and anything older 8. The clock is the
maximum frequency `lscpu` reports when it reports one, otherwise the current
`cpu MHz` of `/proc/cpuinfo`. Virtual machines, turbo and shared cores make
the real ceiling differ; the estimate is there to say how far from the
hardware's capacity a training loop runs, not to rank machines.

Examples:
    >>> info = describe_machine()  # doctest: +SKIP
    >>> info["cpu_model"], info["logical_cores"], info["device"]  # doctest: +SKIP
    ('AMD EPYC', 2, 'cpu')

"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def flops_per_cycle(flags: str) -> int:
    """fp32 FLOPs per cycle per core implied by the CPU's feature flags.

    Examples:
        >>> flops_per_cycle("sse2 avx avx2 fma")
        32
        >>> flops_per_cycle("avx2 fma avx512f")
        64
        >>> flops_per_cycle("sse2")
        8

    """
    names = set(flags.split())
    if "avx512f" in names:
        return 64
    if {"avx2", "fma"} <= names:
        return 32
    return 8


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


def peak_gflops_estimate(cores: int, mhz: float | None, per_cycle: int) -> float | None:
    """Estimated fp32 peak: `cores * mhz / 1000 * per_cycle` GFLOP/s.

    Examples:
        >>> round(peak_gflops_estimate(2, 2445.4, 32), 1)
        156.5

    """
    if not mhz:
        return None
    return cores * mhz / 1000 * per_cycle


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
    """CPU, cores, memory, GPUs and library versions, as recorded with each figure.

    Returns:
        A JSON-ready mapping with `cpu_model`, `logical_cores`, `cpu_mhz`,
        `flops_per_cycle`, `bf16_instructions`, `peak_gflops_estimate`,
        `memory_gib`, `gpus`,
        `device` (`"gpu"` when TensorFlow sees a GPU, else `"cpu"`),
        `tensorflow`, `keras`, `python` and `platform`.

    Examples:
        >>> sorted(describe_machine())[:3]  # doctest: +SKIP
        ['cpu_mhz', 'cpu_model', 'device']

    """
    import keras
    import tensorflow as tf

    cpuinfo = read_cpuinfo()
    cores = logical_cores()
    mhz = cpu_mhz(cpuinfo)
    flags = cpuinfo.get("flags", "")
    per_cycle = flops_per_cycle(flags)
    peak = peak_gflops_estimate(cores, mhz, per_cycle)
    gpus = gpu_names()
    return {
        "cpu_model": cpuinfo.get("model name") or platform.processor() or "unknown",
        "logical_cores": cores,
        "cpu_mhz": round(mhz, 1) if mhz else None,
        "flops_per_cycle": per_cycle,
        "bf16_instructions": has_bf16_instructions(flags),
        "peak_gflops_estimate": round(peak, 1) if peak else None,
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
