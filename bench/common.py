"""Shared helpers for the benchmarks: timing, the outcome record, tolerant comparison."""

from __future__ import annotations

import dataclasses
import gc
import math
import statistics
import time


@dataclasses.dataclass
class Outcome:
    """One checked target of one benchmark. `passed` is None for information-only lines."""

    name: str
    line: str
    passed: bool | None = None
    numbers: dict = dataclasses.field(default_factory=dict)


class VerificationError(AssertionError):
    """The systems being compared disagree: the timing of a wrong result is worthless."""


def timed(fn, *args):
    """(seconds, result) of one call. Collects garbage first (untimed) so every run starts
    from a clean heap and no run pays for the previous run's cyclic garbage."""
    gc.collect()
    t0 = time.perf_counter()
    r = fn(*args)
    return time.perf_counter() - t0, r


def median_ms(samples) -> float:
    return statistics.median(samples) * 1e3


def spread(samples) -> str:
    return f"min {min(samples) * 1e3:.3g} / max {max(samples) * 1e3:.3g} ms over {len(samples)}"


def fmt_ms(ms: float) -> str:
    return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"


def close(a: float, b: float, rel: float = 1e-9, scale: float = 0.0) -> bool:
    """|a - b| <= rel * max(|a|, |b|, scale); `scale` (e.g. the largest gradient) keeps
    values that are nearly cancelled sums from failing on rounding alone."""
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
