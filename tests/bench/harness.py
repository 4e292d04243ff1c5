"""Shared pieces of the benchmarks: repeated runs, medians and spread, JSON out.

Every figure is reported as a ratio to a baseline measured in the same run on the same
machine, because these machines are shared and noisy; absolute numbers are context only.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(os.environ.get("ANXIN_BENCH_RESULTS", "var/bench"))


def machine() -> dict:
    mem_kib = 0
    try:
        with open("/proc/meminfo") as fh:
            mem_kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def rate(run: Callable[[int], None], operations: int) -> float:
    """Operations per second of one run."""
    started = time.perf_counter()
    run(operations)
    return operations / (time.perf_counter() - started)


def compare(name: str, candidate: Callable[[int], None], baseline: Callable[[int], None], *, operations: int,
            repeats: int, target: float, extra: dict | None = None) -> dict:
    """Alternate candidate and baseline runs (so drift hits both), report medians, spread, ratio."""
    cand, base = [], []
    for _ in range(repeats):
        cand.append(rate(candidate, operations))
        base.append(rate(baseline, operations))
    return summarise(name, cand, base, target=target, extra={"operations_per_run": operations} | (extra or {}))


def spread(values: list[float], digits: int = 1) -> dict:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits)}


def summarise(name: str, cand: list[float], base: list[float], *, target: float, extra: dict | None = None) -> dict:
    """The JSON line of one benchmark from paired per-run rates (candidate, baseline): medians, spread, ratio."""
    ratios = [c / b for c, b in zip(cand, base, strict=True)]
    result = {
        "benchmark": name,
        "runs": len(cand),
        "candidate_per_s": spread(cand),
        "baseline_per_s": spread(base),
        "ratio": spread(ratios, 3),
        "target_ratio": target,
        "meets_target": statistics.median(ratios) >= target,
        "machine": machine(),
        "load_average": os.getloadavg()[0],
    } | (extra or {})
    emit(result)
    return result


def emit(result: dict) -> None:
    line = json.dumps(result, ensure_ascii=False)
    print(line, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / f"{result['benchmark']}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
