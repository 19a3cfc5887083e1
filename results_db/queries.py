"""Reads for analysis, as pandas DataFrames (one row per result x metric)."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import ResultRow, Run


def results_frame(s: Session, run_ids: Sequence[int]):
    import pandas as pd

    rows = []
    q = (select(ResultRow).where(ResultRow.run_id.in_(list(run_ids)))
         .options(selectinload(ResultRow.run).selectinload(Run.device),
                  selectinload(ResultRow.run).selectinload(Run.model)))
    for r in s.scalars(q):
        for metric, value in r.metrics.items():
            rows.append({"run_id": r.run_id, "device": r.run.device.name, "runner": r.run.runner,
                         "model": r.run.model.name if r.run.model else None,
                         "quantization": r.run.model.quantization if r.run.model else None,
                         "test": r.case.get("test"), "case": r.case, "metric": metric,
                         "value": value})
    return pd.DataFrame(rows, columns=["run_id", "device", "runner", "model", "quantization",
                                       "test", "case", "metric", "value"])
