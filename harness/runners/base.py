"""The Runner protocol: one module per framework (DESIGN.md "Runner").

A runner says which files a job needs on the device, which command lines to run (one per
phase, so prefill and decode are timed separately), and how to read the tool's output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..config import DeviceConfig
from ..job import Job
from ..results import Result


@dataclass(frozen=True)
class Invocation:
    phase: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


class Runner(Protocol):
    name: str
    binary: str  # the tool's program name (what `bench runners add` registers)

    def check_model(self, model: Path) -> str: ...
    def invocations(self, device: DeviceConfig, job: Job, binary: str,
                    model: str) -> list[Invocation]: ...
    def parse(self, stdout: str, stderr: str = "") -> list[Result]: ...
