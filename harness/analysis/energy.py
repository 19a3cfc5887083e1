"""Energy from a run's power trace: each measured phase's average power minus an idle baseline.

The baseline is the mean power over the `baseline` phase (the sampler running, the device idle,
just before the first measured phase; `telemetry.baseline_s` in the device config). For a phase
with throughput `tokens_per_s`, energy per token = net power / tokens per second (mW / (1/s) =
mJ); with a latency, energy per inference = net power x latency. llama.cpp's prefill and decode
are separate invocations, so each gets its own `energy_mj_per_token`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..telemetry.trace import Series, Trace

TOTAL_RAILS = ("vdd_in", "vin", "in", "total", "sys", "vdd_sys", "system")


def power_series(trace: Trace) -> Series | None:
    """Total power: an external meter, the battery, a board input rail, else the sum of rails."""
    power = [s for s in trace.series.values()
             if s.name.startswith("power_") and s.unit == "mW" and s.kind != "rail_avg"]
    for s in power:
        if s.kind == "meter":  # an external meter measures the whole device best
            return s
    for s in power:
        if s.kind == "battery" or s.name == "power_battery_mw":
            return s
    for name in TOTAL_RAILS:
        for s in power:
            if s.name == f"power_{name}_mw":
                return s
    if not power:
        return None
    t = power[0].t
    total = sum(np.interp(t, s.t, s.v) for s in power)
    return Series("power_total_mw", "mW", t, np.asarray(total), "rail")


def mean_power(s: Series, a: float, b: float) -> float | None:
    """Time-weighted mean over [a, b] (trapezoid on the samples inside, held at the edges)."""
    if b <= a or len(s.t) == 0:
        return None
    inside = (s.t > a) & (s.t < b)
    t = np.concatenate(([a], s.t[inside], [b]))
    v = np.interp(t, s.t, s.v)
    if len(s.t[inside]) == 0 and (a > s.t[-1] or b < s.t[0]):
        return None
    return float(np.sum((v[1:] + v[:-1]) * np.diff(t)) / 2 / (b - a))


def energy_metrics(trace: Trace, phases: list[dict], case: dict[str, Any],
                   metrics: dict[str, float]) -> tuple[dict[str, float], float | None]:
    """New metrics for one result row, and the baseline power used (mW)."""
    s = power_series(trace)
    if s is None:
        return {}, None
    by_phase = {p["phase"]: p for p in phases}
    base = by_phase.get("baseline")
    baseline = mean_power(s, base["start"], base["end"]) if base else None
    ph = by_phase.get(case.get("phase", ""))
    if ph is None:
        return {}, baseline
    avg = mean_power(s, ph["start"], ph["end"])
    if avg is None:
        return {}, baseline
    net = max(avg - (baseline or 0.0), 0.0)
    out = {"avg_power_mw": avg}
    if metrics.get("tokens_per_s"):
        out["energy_mj_per_token"] = net / metrics["tokens_per_s"]
    elif metrics.get("latency_avg_ms"):
        out["energy_mj_per_inference"] = net * metrics["latency_avg_ms"] / 1000
    return out, baseline
