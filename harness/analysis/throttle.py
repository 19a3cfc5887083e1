"""Throttling from a run's trace: frequency caps, trip points, thermal status, falling perf.

A cpufreq policy's `scaling_max_freq` (and a devfreq device's `max_freq`) drops when a thermal
governor caps it, so a falling max is a cap. Events are `{t_s, kind, detail}` with `t_s` in
seconds since the first measured phase started (device clock); the first cap also yields the
run's one-line summary, e.g. "throttled after 41 s: CPU big cluster capped 3.0 -> 2.2 GHz at 78 C".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..telemetry.trace import Trace

# PowerManager THERMAL_STATUS_* (harness.probes.android.THERMAL_STATUS)
STATUS = {0: "none", 1: "light", 2: "moderate", 3: "severe", 4: "critical", 5: "emergency",
          6: "shutdown"}
MEASURED_SKIP = {"push", "baseline", "condition"}
PERF_DROP = 0.05  # last repetition this much below the first counts as falling performance
MAX_EVENTS_PER_CHANNEL = 20


@dataclass
class ThrottleReport:
    events: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    summary: str | None = None


def origin(phases: list[dict], trace: Trace | None = None) -> float:
    """Start of the first measured phase on the device clock (the t_s = 0 of events)."""
    starts = [p["start"] for p in phases if p.get("phase") not in MEASURED_SKIP]
    if starts:
        return float(min(starts))
    t = trace.start() if trace else None
    return float(t) if t is not None else 0.0


def _fmt_freq(mhz: float) -> str:
    return f"{mhz / 1000:.1f} GHz" if mhz >= 1000 else f"{mhz:.0f} MHz"


def _fmt_change(a: float, b: float) -> str:
    """'3.0 -> 2.2 GHz' (the unit once when both sides share it)."""
    fa, fb = _fmt_freq(a), _fmt_freq(b)
    if fa.split()[1] == fb.split()[1]:
        return f"{fa.split()[0]} -> {fb}"
    return f"{fa} -> {fb}"


def _temp_at(trace: Trace, t: float, unit: str) -> float | None:
    """The hottest zone related to the capped unit (cpu/gpu/npu in its name), else any zone."""
    thermal = [s for s in trace.series.values() if s.kind == "thermal"]
    key = "cpu" if unit.startswith("cpu") else unit
    related = [s for s in thermal if key in s.name] or thermal
    vals = [v for v in (s.at_or_before(t) for s in related) if v is not None]
    return max(vals) if vals else None


def _caps(trace: Trace, t0: float) -> list[dict]:
    out = []
    for s in trace.series.values():
        if s.kind not in ("cpufreq_max", "devfreq_max") or len(s.v) < 2:
            continue
        label = s.meta.get("label", s.name)
        unit = s.meta.get("unit", "")
        n = 0
        for i in np.nonzero(np.diff(s.v))[0]:
            before, after, t = float(s.v[i]), float(s.v[i + 1]), float(s.t[i + 1])
            temp = _temp_at(trace, t, unit)
            at = f" at {temp:.0f} C" if temp is not None else ""
            kind = "freq_cap" if after < before else "freq_cap_released"
            verb = "capped" if after < before else "released"
            out.append({"t_s": round(t - t0, 3), "kind": kind,
                        "detail": f"{label} {verb} {_fmt_change(before, after)}{at}",
                        "channel": s.name})
            n += 1
            if n >= MAX_EVENTS_PER_CHANNEL:
                break
    return out


def _trips(trace: Trace, t0: float) -> list[dict]:
    out = []
    for s in trace.series.values():
        for trip in s.meta.get("trips", []) if s.kind == "thermal" else []:
            above = s.v >= trip["temp_c"]
            if not above.any():
                continue
            i = int(np.argmax(above))
            if i == 0:
                out.append({"t_s": round(float(s.t[0]) - t0, 3), "kind": "trip_above_at_start",
                            "detail": f"{s.name} already at {s.v[0]:.1f} C, above its "
                                      f"{trip.get('type') or ''} trip {trip['temp_c']:g} C",
                            "channel": s.name})
            else:
                out.append({"t_s": round(float(s.t[i]) - t0, 3), "kind": "trip_crossed",
                            "detail": f"{s.name} crossed its {trip.get('type') or ''} trip "
                                      f"{trip['temp_c']:g} C ({s.v[i]:.1f} C)".replace("  ", " "),
                            "channel": s.name})
    return out


def _status(trace: Trace, t0: float) -> list[dict]:
    out = []
    for s in trace.series.values():
        if s.kind != "thermal_status":
            continue
        for i in np.nonzero(np.diff(s.v))[0]:
            a, b = int(s.v[i]), int(s.v[i + 1])
            out.append({"t_s": round(float(s.t[i + 1]) - t0, 3), "kind": "thermal_status",
                        "detail": f"thermal status {STATUS.get(a, a)} -> {STATUS.get(b, b)}",
                        "channel": s.name, "rising": b > a})
    return out


def _rpi(trace: Trace, t0: float) -> list[dict]:
    """Raspberry Pi firmware bits (vcgencmd get_throttled): a newly set low bit is an event."""
    from ..telemetry.status import RPI_BITS
    out = []
    s = trace.series.get("rpi_throttled")
    if s is None:
        return out
    prev = 0
    for t, v in zip(s.t.tolist(), s.v.tolist()):
        now = int(v) & 0xF
        new = now & ~prev
        if new:
            names = ", ".join(n for bit, n in RPI_BITS.items() if new & bit)
            out.append({"t_s": round(t - t0, 3), "kind": "rpi_throttled",
                        "detail": f"Raspberry Pi firmware: {names}", "channel": s.name,
                        "capped": bool(new & 0xE)})
        prev = now
    return out


def _perf(results: Iterable[Any], phases: list[dict], t0: float) -> list[dict]:
    """Per-repetition samples (e.g. llama-bench samples_ts) falling from first to last."""
    ends = {p["phase"]: p["end"] for p in phases if "end" in p}
    out = []
    for r in results:
        case, samples = r["case"], r.get("samples") or {}
        for metric, vals in samples.items():
            if len(vals) < 3 or not vals[0]:
                continue
            higher_better = not metric.startswith("latency")
            first, last = float(vals[0]), float(vals[-1])
            drop = (first - last) / first if higher_better else (last - first) / first
            if drop >= PERF_DROP:
                phase = case.get("phase", "")
                t = ends.get(phase, t0)
                out.append({"t_s": round(t - t0, 3), "kind": "perf_drop",
                            "detail": f"{phase} {case.get('test', '')} {metric} fell "
                                      f"{drop:.0%} across {len(vals)} repetitions "
                                      f"({first:.4g} -> {last:.4g})".replace("  ", " ")})
    return out


def _throttling(e: dict) -> bool:
    """Events that mean the device is slowing itself down (not just warm)."""
    return (e["kind"] in ("freq_cap", "perf_drop")
            or (e["kind"] == "thermal_status" and e.get("rising", False))
            or (e["kind"] == "rpi_throttled" and e.get("capped", False)))


def _sustained(results: list[dict], phases: list[dict], t0: float) -> list[dict]:
    """--sustained runs: the same test's throughput falling from the first iteration to the last."""
    ends = {p["phase"]: p["end"] for p in phases if "end" in p}
    groups: dict[tuple, list[tuple[int, float, str]]] = {}
    for r in results:
        case, metrics = r["case"], r.get("metrics") or {}
        if "iteration" in case and metrics.get("tokens_per_s"):
            key = (str(case.get("phase", "")).split("#")[0], case.get("test", ""))
            groups.setdefault(key, []).append((case["iteration"], metrics["tokens_per_s"],
                                               case.get("phase", "")))
    out = []
    for (phase, test), pts in groups.items():
        pts.sort()
        if len(pts) < 3:
            continue
        first, last = pts[0][1], pts[-1][1]
        drop = (first - last) / first
        if drop >= PERF_DROP:
            out.append({"t_s": round(ends.get(pts[-1][2], t0) - t0, 3), "kind": "perf_drop",
                        "detail": f"{phase} {test} tokens_per_s fell {drop:.0%} over "
                                  f"{len(pts)} iterations ({first:.4g} -> {last:.4g})"})
    return out


def analyze(trace: Trace, phases: list[dict], results: Iterable[dict]) -> ThrottleReport:
    """`results`: dicts with `case` and `samples` ({metric: [per-repetition values]})."""
    t0 = origin(phases, trace)
    caps = _caps(trace, t0)
    events = sorted(caps + _trips(trace, t0) + _status(trace, t0) + _rpi(trace, t0),
                    key=lambda e: e["t_s"])
    stressed = bool(events)
    results = list(results)
    perf = (_perf(results, phases, t0) + _sustained(results, phases, t0)) if stressed else []
    report = ThrottleReport(sorted(events + perf, key=lambda e: e["t_s"]))
    if any(_throttling(e) for e in events) or perf:
        report.flags.append("throttled")
        first = next((e for e in caps if e["kind"] == "freq_cap"), None) or \
            next(e for e in report.events if _throttling(e))  # a cap names its cause best
        report.summary = f"throttled after {max(first['t_s'], 0):.0f} s: {first['detail']}"
        report.events.append({"t_s": first["t_s"], "kind": "throttled",
                              "detail": report.summary})
        report.events.sort(key=lambda e: e["t_s"])
    return report
