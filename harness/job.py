"""The Job: everything needed to run one benchmark, serializable so another host can run it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Job(BaseModel):
    device: str
    runner: str
    model: str  # local path (or sha256 of a stored artifact)
    params: dict[str, str] = Field(default_factory=dict)
    repetitions: int = Field(default=5, ge=1)
    warmup: int = Field(default=1, ge=0)
    telemetry: bool = True
    timeout_s: float = Field(default=1800, gt=0)
    conditioning: dict[str, Any] = Field(default_factory=dict)
    sustained_s: float | None = Field(default=None, gt=0)  # repeat the phases this long


class BadInput(ValueError):
    """User input that cannot be run (exit code 2); the message is one line naming what's wrong."""
