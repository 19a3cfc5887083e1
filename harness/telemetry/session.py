"""Run the on-device sampler for the measured phases and collect its lines into a Trace.

`sampler.sh` is package data, pushed once through the artifact store (by hash, like a model),
and started with `Transport.stream()`; a reader thread parses `S <uptime> <values...>` lines as
they arrive. Stopping kills the remote process group. A channel that reads `NA` is reported once
(as a warning the run records as an event) and its missing samples are skipped.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

from ..artifacts import artifact_for, place
from ..transports.base import Transport
from .channels import Channel, Discovery, channels_from_listing, parse_listing
from .settings import TelemetryConfig
from .trace import Trace

SAMPLER = Path(__file__).with_name("sampler.sh")


def place_sampler(transport: Transport, workdir: str) -> str:
    remote, _ = place(transport, workdir, artifact_for(SAMPLER, "tool"))
    return remote


def discover(transport: Transport, script: str, root: str, cfg: TelemetryConfig) -> Discovery:
    res = transport.run(["sh", script, "discover", root], timeout=60)
    return channels_from_listing(parse_listing(res.stdout), cfg, root)


def parse_tick(line: str, n: int) -> tuple[float, list[float], list[int]] | None:
    """(uptime, values, indices of NA columns) of one sampler line, or None for noise."""
    parts = line.split()
    if len(parts) != n + 2 or parts[0] != "S":
        return None
    try:
        up = float(parts[1])
    except ValueError:
        return None
    vals, bad = [], []
    for i, p in enumerate(parts[2:]):
        try:
            vals.append(float(p))
        except ValueError:
            vals.append(math.nan)
            bad.append(i)
    return up, vals, bad


class Sampler:
    """One background sampler process on the device; `stop()` returns the Trace."""

    def __init__(self, transport: Transport, script: str, channels: list[Channel],
                 interval_ms: int):
        self.channels = channels
        self._files = sorted({f for c in channels for f in c.files})
        self._index = {f: i for i, f in enumerate(self._files)}
        self._times: list[float] = []
        self._raw: list[list[float]] = []
        self._noise: list[str] = []
        self._unreadable: set[str] = set()
        self._first = threading.Event()
        argv = ["sh", script, "sample", f"{interval_ms / 1000:g}", *self._files]
        self._handle = transport.stream(argv)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._handle:
                tick = parse_tick(line, len(self._files))
                if tick is None:
                    if line and not line.startswith("#") and len(self._noise) < 5:
                        self._noise.append(line.strip()[:200])
                    continue
                up, vals, bad = tick
                for i in bad:
                    self._unreadable.add(self._files[i])
                self._times.append(up)
                self._raw.append(vals)
                self._first.set()
        except Exception as exc:  # the device went away: keep what was read
            self._noise.append(f"sampler stream ended: {exc}")
        finally:
            self._first.set()

    def wait_first(self, timeout: float = 5.0) -> bool:
        return self._first.wait(timeout)

    def wait_until(self, device_t: float, timeout: float) -> bool:
        """Wait for a tick at or after `device_t`, so the last phase is covered to its end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._thread.is_alive():
            if self._times and self._times[-1] >= device_t:
                return True
            time.sleep(0.01)
        return bool(self._times) and self._times[-1] >= device_t

    def stop(self) -> Trace:
        try:
            self._handle.stop()
        except Exception as exc:
            self._noise.append(f"sampler stop: {exc}")
        self._thread.join(timeout=5)
        rows = []
        for raw in list(self._raw):
            row = []
            for c in self.channels:
                v = c.scale
                for f in c.files:
                    v *= raw[self._index[f]]
                row.append(v)
            rows.append(row)
        trace = Trace.from_ticks(self.channels, self._times[:len(rows)], rows)
        for c in self.channels:
            bad = [f for f in c.files if f in self._unreadable]
            if bad and c.name in trace.series:
                trace.warnings.append(f"channel {c.name}: {bad[0]} unreadable at times; "
                                      "those samples skipped")
        trace.warnings += [f"sampler: {x}" for x in self._noise]
        return trace


def telemetry_config(device: Any) -> TelemetryConfig:
    cfg = getattr(device, "telemetry", None)
    if isinstance(cfg, TelemetryConfig):
        return cfg
    return TelemetryConfig.model_validate(cfg or {})
