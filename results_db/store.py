"""Writes and reads of runs. A run row exists from the start and results are committed per
invocation, so a run that fails halfway keeps what it measured."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import Artifact, Device, ResultRow, Run, Sample


def get_or_create_device(s: Session, name: str, transport: str, abi: str | None,
                         soc: str | None, properties: dict[str, Any]) -> Device:
    dev = s.scalar(select(Device).where(Device.name == name))
    if dev is None:
        dev = Device(name=name, transport=transport)
        s.add(dev)
    dev.abi, dev.soc, dev.properties = abi, soc, properties
    s.flush()
    return dev


def get_or_create_artifact(s: Session, sha256: str, **fields: Any) -> Artifact:
    art = s.scalar(select(Artifact).where(Artifact.sha256 == sha256))
    if art is None:
        art = Artifact(sha256=sha256, **fields)
        s.add(art)
        s.flush()
    return art


def add_results(s: Session, run: Run, results: Iterable[Any]) -> None:
    for r in results:
        row = ResultRow(case=r.case, metrics=r.metrics)
        row.samples = [Sample(metric=k, values=list(v)) for k, v in r.samples.items()]
        run.results.append(row)


def finish(run: Run, status: str, reason: str | None = None, error: str | None = None) -> None:
    run.status, run.reason, run.error = status, reason, error
    run.finished_at = datetime.now(timezone.utc)


def load_run(s: Session, run_id: int) -> Run | None:
    return s.scalar(select(Run).where(Run.id == run_id).options(
        selectinload(Run.results).selectinload(ResultRow.samples),
        selectinload(Run.device), selectinload(Run.model)))


def run_dict(run: Run) -> dict[str, Any]:
    """The stored run as the CLI contract's JSON (id, status, error, device, runner, results...)."""
    return {
        "id": run.id, "status": run.status, "reason": run.reason, "error": run.error,
        "device": run.device.name, "runner": run.runner,
        "model": run.model.name if run.model else None,
        "model_sha256": run.model.sha256 if run.model else None,
        "quantization": run.model.quantization if run.model else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "job": run.job, "phases": run.phases, "flags": run.flags, "events": run.events,
        "device_state": run.device_state, "bytes_pushed": run.bytes_pushed,
        "harness_version": run.harness_version, "runner_version": run.runner_version,
        "results": [{"case": r.case, "metrics": r.metrics,
                     "samples": {x.metric: x.values for x in r.samples}} for r in run.results],
    }


def list_runs(s: Session, device: str | None = None, runner: str | None = None,
              limit: int = 20) -> list[dict[str, Any]]:
    q = select(Run).options(selectinload(Run.device), selectinload(Run.model),
                            selectinload(Run.results)).order_by(Run.id.desc()).limit(limit)
    if device:
        q = q.join(Device).where(Device.name == device)
    if runner:
        q = q.where(Run.runner == runner)
    return [{"id": r.id, "started_at": r.started_at.isoformat(), "device": r.device.name,
             "runner": r.runner, "model": r.model.name if r.model else None,
             "quantization": r.model.quantization if r.model else None, "status": r.status,
             "reason": r.reason, "error": r.error, "n_results": len(r.results)}
            for r in s.scalars(q)]
