"""Typed tables. Schema changes go through an Alembic migration (results_db/migrations)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    transport: Mapped[str] = mapped_column(String(20))
    abi: Mapped[str | None] = mapped_column(String(64))
    soc: Mapped[str | None] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Artifact(Base):
    __tablename__ = "artifacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str | None] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    quantization: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    model_artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"))
    runner: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|failed
    reason: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    job: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    phases: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    device_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    harness_version: Mapped[str] = mapped_column(String(40))
    runner_version: Mapped[str | None] = mapped_column(String(200))
    bytes_pushed: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    device: Mapped[Device] = relationship()
    model: Mapped[Artifact | None] = relationship()
    results: Mapped[list["ResultRow"]] = relationship(back_populates="run",
                                                      cascade="all, delete-orphan",
                                                      order_by="ResultRow.id")


class ResultRow(Base):
    __tablename__ = "results"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    case: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, float]] = mapped_column(JSON)
    run: Mapped[Run] = relationship(back_populates="results")
    samples: Mapped[list["Sample"]] = relationship(cascade="all, delete-orphan")


class Sample(Base):
    """Per-iteration values a runner reports (e.g. llama-bench samples_ts)."""

    __tablename__ = "samples"
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"),
                                           index=True)
    metric: Mapped[str] = mapped_column(String(80))
    values: Mapped[list[float]] = mapped_column(JSON)


class TraceRow(Base):
    """One telemetry channel of a run: compressed float32 arrays, not one row per sample
    (harness/telemetry/trace.py packs them; `t` is seconds since `t0` on the device clock)."""

    __tablename__ = "traces"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    t0: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column()
    t: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Campaign(Base):
    """A power campaign (harness/campaign.py): its spec, and one CampaignRun per job repetition,
    so an interrupted campaign resumes where it stopped."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    spec_sha256: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|done|failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CampaignRun(Base):
    __tablename__ = "campaign_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    job_index: Mapped[int] = mapped_column()
    repetition: Mapped[int] = mapped_column()
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))


from . import suites as _suites  # noqa: E402,F401  (suite_runs, suite_members, baselines on Base)
