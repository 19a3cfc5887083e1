"""Trace exports: a long CSV/parquet table, and Chrome trace-event JSON for ui.perfetto.dev.

The JSON follows the Trace Event Format (Google's "Trace Event Format" document, also read by
Perfetto): one counter track per channel (`ph: C`), one complete slice per phase (`ph: X`), and
instant events (`ph: i`) for the run's throttling events. Timestamps are microseconds on the
device clock, so phases and samples line up exactly as measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .trace import Trace


def frame(trace: Trace):
    import pandas as pd

    parts = [pd.DataFrame({"t_s": s.t, "channel": s.name, "unit": s.unit, "value": s.v})
             for s in trace.series.values()]
    if not parts:
        return pd.DataFrame(columns=["t_s", "channel", "unit", "value"])
    return pd.concat(parts, ignore_index=True).sort_values(["t_s", "channel"], kind="stable")


def perfetto(trace: Trace, phases: list[dict], events: list[dict], origin: float,
             title: str) -> dict[str, Any]:
    pid = 1
    out: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": pid, "args": {"name": title}},
        {"name": "thread_name", "ph": "M", "pid": pid, "tid": 1, "args": {"name": "phases"}},
        {"name": "thread_name", "ph": "M", "pid": pid, "tid": 2, "args": {"name": "events"}},
    ]
    for p in phases:
        if "start" in p and "end" in p:
            out.append({"name": p["phase"], "cat": "phase", "ph": "X", "pid": pid, "tid": 1,
                        "ts": round(p["start"] * 1e6, 3),
                        "dur": round((p["end"] - p["start"]) * 1e6, 3)})
    for e in events:
        out.append({"name": e["kind"], "cat": "event", "ph": "i", "s": "p", "pid": pid,
                    "tid": 2, "ts": round((origin + e["t_s"]) * 1e6, 3),
                    "args": {"detail": e.get("detail", "")}})
    for s in trace.series.values():
        label = f"{s.name}"
        for t, v in zip(s.t.tolist(), s.v.tolist()):
            out.append({"name": label, "ph": "C", "pid": pid, "ts": round(t * 1e6, 3),
                        "args": {s.unit or "value": v}})
    return {"traceEvents": out, "displayTimeUnit": "ms"}


def write(trace: Trace, fmt: str, path: Path, phases: list[dict], events: list[dict],
          origin: float, title: str) -> int:
    """Write the export; returns the number of samples written."""
    n = sum(len(s.t) for s in trace.series.values())
    if fmt == "csv":
        frame(trace).to_csv(path, index=False)
    elif fmt == "parquet":
        frame(trace).to_parquet(path, index=False)
    elif fmt == "perfetto":
        path.write_text(json.dumps(perfetto(trace, phases, events, origin, title)))
    else:
        raise ValueError(fmt)
    return n
