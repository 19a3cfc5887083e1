"""Suite runs, their membership (expanded job key -> run) and named baselines.

Tables are created by migration 0003. A member row is written when a job's run starts, so a
suite killed mid-job still links the interrupted run; `bench suite resume` re-runs every key
whose run is not `ok` and points the key at the new run (the failed one stays in `runs`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .models import Base, Run


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SuiteRun(Base):
    __tablename__ = "suite_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    file: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|failed|interrupted
    baseline: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    members: Mapped[list["SuiteMember"]] = relationship(back_populates="suite_run",
                                                        cascade="all, delete-orphan",
                                                        order_by="SuiteMember.id")


class SuiteMember(Base):
    __tablename__ = "suite_members"
    __table_args__ = (UniqueConstraint("suite_run_id", "job_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    suite_run_id: Mapped[int] = mapped_column(ForeignKey("suite_runs.id", ondelete="CASCADE"),
                                              index=True)
    job_key: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    suite_run: Mapped[SuiteRun] = relationship(back_populates="members")
    run: Mapped[Run] = relationship()


class Baseline(Base):
    __tablename__ = "baselines"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    suite_run_id: Mapped[int | None] = mapped_column(ForeignKey("suite_runs.id"))
    run_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


def link(s: Session, suite_run_id: int, job_key: str, run_id: int) -> None:
    """Point a job key of a suite run at a run (insert or replace a failed attempt)."""
    m = s.scalar(select(SuiteMember).where(SuiteMember.suite_run_id == suite_run_id,
                                           SuiteMember.job_key == job_key))
    if m is None:
        s.add(SuiteMember(suite_run_id=suite_run_id, job_key=job_key, run_id=run_id))
    else:
        m.run_id = run_id


def members(s: Session, suite_run_id: int) -> dict[str, Run]:
    q = select(SuiteMember).where(SuiteMember.suite_run_id == suite_run_id)
    return {m.job_key: m.run for m in s.scalars(q)}


def finish(sr: SuiteRun, status: str) -> None:
    sr.status = status
    sr.finished_at = _now()


def set_baseline(s: Session, name: str, suite_run_id: int | None, run_ids: list[int]) -> Baseline:
    b = s.scalar(select(Baseline).where(Baseline.name == name))
    if b is None:
        b = Baseline(name=name)
        s.add(b)
    b.suite_run_id, b.run_ids, b.created_at = suite_run_id, list(run_ids), _now()
    s.flush()
    return b


def get_baseline(s: Session, name: str) -> Baseline | None:
    return s.scalar(select(Baseline).where(Baseline.name == name))


def list_baselines(s: Session) -> list[Baseline]:
    return list(s.scalars(select(Baseline).order_by(Baseline.name)))


def list_suite_runs(s: Session, name: str | None = None) -> list[SuiteRun]:
    q = select(SuiteRun).order_by(SuiteRun.id)
    if name:
        q = q.where(SuiteRun.name == name)
    return list(s.scalars(q))
