"""The sustained-performance figure: throughput per phase over time, above the temperatures and
the CPU/GPU frequencies (current solid, cap dashed) on the same device-clock axis, so a drop in
tokens/s can be read against the cap that caused it. `bench trace RUN --format png`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..job import BadInput
from .trace import Trace

PERF_METRICS = ("tokens_per_s", "latency_avg_ms")


def parse_duration(text: str, option: str) -> float:
    """`90s`, `10m`, `1h`, `1.5h` or plain seconds -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise BadInput(f"{option} {text!r}: expected a duration such as 90s, 10m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def sustained_figure(trace: Trace, phases: list[dict], results: list[dict[str, Any]],
                     origin: float, path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_p, ax_t, ax_f) = plt.subplots(3, 1, sharex=True, figsize=(10, 8))
    mid = {p["phase"]: (p["start"] + p["end"]) / 2 - origin for p in phases if "end" in p}
    curves: dict[str, list[tuple[float, float]]] = {}
    for r in results:
        metric = next((m for m in PERF_METRICS if m in r["metrics"]), None)
        phase = r["case"].get("phase", "")
        if metric and phase in mid:
            label = f"{phase.split('#')[0]} {r['case'].get('test', '')} {metric}".strip()
            curves.setdefault(label, []).append((mid[phase], r["metrics"][metric]))
    for label, pts in curves.items():
        pts.sort()
        ax_p.plot([x for x, _ in pts], [y for _, y in pts], "o-", label=label)
    ax_p.set_ylabel("performance")
    for s in trace.series.values():
        x = s.t - origin
        if s.kind == "thermal":
            ax_t.plot(x, s.v, label=s.name)
        elif s.kind in ("cpufreq", "devfreq"):
            ax_f.plot(x, s.v, label=s.name)
        elif s.kind in ("cpufreq_max", "devfreq_max"):
            ax_f.plot(x, s.v, "--", label=s.name)
    ax_t.set_ylabel("temperature (C)")
    ax_f.set_ylabel("frequency (MHz)")
    ax_f.set_xlabel("seconds since the first measured phase (device clock)")
    for ax in (ax_p, ax_t, ax_f):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
