"""Store and load a run's telemetry traces (one compressed row per channel)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import TraceRow


def save_trace(s: Session, run_id: int, trace) -> int:
    """Write every series of `trace` (harness.telemetry.trace.Trace); returns bytes stored."""
    from harness.telemetry.trace import pack

    s.execute(delete(TraceRow).where(TraceRow.run_id == run_id))
    total = 0
    shared: list[tuple[str, np.ndarray]] = []  # channels of one sampler share their tick times
    for ser in trace.series.values():
        t0 = float(ser.t[0])
        meta = dict(ser.meta)
        same = next((name for name, t in shared if len(t) == len(ser.t)
                     and np.array_equal(t, ser.t)), None)
        if same is None:
            shared.append((ser.name, ser.t))
            tblob = pack(ser.t - t0)
        else:
            meta["t_from"], tblob = same, b""
        row = TraceRow(run_id=run_id, channel=ser.name, unit=ser.unit, kind=ser.kind, t0=t0,
                       n=len(ser.t), t=tblob, values=pack(ser.v), meta=meta)
        total += len(row.t) + len(row.values)
        s.add(row)
    return total


def load_trace(s: Session, run_id: int):
    from harness.telemetry.trace import Series, Trace, unpack

    series = {}
    for r in s.scalars(select(TraceRow).where(TraceRow.run_id == run_id)
                       .order_by(TraceRow.id)):
        meta = dict(r.meta or {})
        src = meta.pop("t_from", None)
        t = series[src].t if src in series else r.t0 + unpack(r.t, r.n).astype(np.float64)
        series[r.channel] = Series(r.channel, r.unit, t, unpack(r.values, r.n).astype(np.float64),
                                   r.kind, meta)
    return Trace(series)
