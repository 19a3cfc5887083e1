"""A sampled trace: the device-clock time of every tick and one column per channel.

Stored compactly per channel: float32 seconds since the channel's first sample (`t0` kept as a
float64) and float32 values, each byte-shuffled (the four byte planes stored one after another,
so the slowly changing high bytes compress to almost nothing) and zlib-compressed. Channels
of one sampler share their tick times: the times are stored once and the others point at them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .channels import Channel


def pack(a: np.ndarray) -> bytes:
    raw = np.ascontiguousarray(a, dtype="<f4").view(np.uint8).reshape(-1, 4)
    return zlib.compress(raw.T.tobytes(), 1)


def unpack(blob: bytes, n: int) -> np.ndarray:
    planes = np.frombuffer(zlib.decompress(blob), dtype=np.uint8).reshape(4, n)
    return planes.T.copy().view("<f4").reshape(n)


@dataclass
class Series:
    """One channel's samples on the device clock (`t` absolute seconds, float64)."""

    name: str
    unit: str
    t: np.ndarray
    v: np.ndarray
    kind: str = "custom"
    meta: dict[str, Any] = field(default_factory=dict)

    def at_or_before(self, t: float) -> float | None:
        i = int(np.searchsorted(self.t, t, side="right")) - 1
        return float(self.v[i]) if 0 <= i < len(self.v) else None

    def between(self, a: float, b: float) -> "Series":
        m = (self.t >= a) & (self.t <= b)
        return Series(self.name, self.unit, self.t[m], self.v[m], self.kind, self.meta)


@dataclass
class Trace:
    series: dict[str, Series]
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_ticks(cls, channels: list[Channel], times: list[float],
                   rows: list[list[float]]) -> "Trace":
        t = np.asarray(times, dtype=np.float64)
        m = np.asarray(rows, dtype=np.float64).reshape(len(times), len(channels))
        out, warnings = {}, []
        for j, ch in enumerate(channels):
            col = m[:, j]
            ok = ~np.isnan(col)
            if not ok.any():
                warnings.append(f"channel {ch.name}: no readable sample; skipped")
                continue
            out[ch.name] = Series(ch.name, ch.unit, t[ok], col[ok], ch.kind, dict(ch.meta))
        return cls(out, warnings)

    def start(self) -> float | None:
        starts = [float(s.t[0]) for s in self.series.values() if len(s.t)]
        return min(starts) if starts else None
