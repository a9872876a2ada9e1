"""A description of the machine and the software a benchmark ran on, for the report's header.

Example:
    >>> from bench.machine import cpu_model
    >>> isinstance(cpu_model(), str)
    True
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from bench.peers import PEERS


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or what the platform module knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def load_average() -> float | None:
    """The 1-minute load average: how busy the machine was with other work, or ``None``."""
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def blas_pools() -> list[dict[str, Any]]:
    """The native thread pools loaded in this process (BLAS, OpenMP) and their thread counts."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "num_threads", "version", "architecture", "prefix")
    return [{k: info.get(k) for k in keep} for info in threadpool_info()]


def describe(peers: list[str], status: dict[str, dict[str, Any]], threads: int) -> dict[str, Any]:
    """CPU, cores, thread settings, Python and every library's version."""
    import numpy

    versions = {"python": platform.python_version(), "numpy": numpy.__version__}
    for name in peers:
        if status.get(name, {}).get("status") == "ok" and name != "numpy":
            try:
                versions[name] = PEERS[name].version()
            except Exception:  # a version string is not worth failing the report for
                versions[name] = "unknown"
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "platform": platform.platform(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "versions": versions,
        "thread_pools": blas_pools(),
        "load_before": load_average(),
    }
