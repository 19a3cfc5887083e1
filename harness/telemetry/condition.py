"""Conditioning: before measuring, wait until chosen thermal zones are cool or stable.

Criteria (device config `conditioning:`, overridable per job): every zone below `below_c`, or
every zone's slope |dT/dt| over the last `window_s` under `max_slope_c_per_min`; whichever is
met first ends the wait; `timeout_s` bounds it. A run that times out, or starts above `hot_c`,
is flagged `started_hot` (measured anyway: the flag says so rather than hiding it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .settings import ConditioningConfig


@dataclass
class Conditioned:
    waited_s: float
    outcome: str  # below | stable | timeout | skipped
    start_temps_c: dict[str, float] = field(default_factory=dict)
    started_hot: bool = False

    def to_dict(self) -> dict:
        return {"waited_s": round(self.waited_s, 3), "outcome": self.outcome,
                "start_temps_c": self.start_temps_c, "started_hot": self.started_hot}


def _slope_per_min(hist: list[tuple[float, dict[str, float]]], zone: str) -> float | None:
    pts = [(t, v[zone]) for t, v in hist if zone in v]
    if len(pts) < 2 or pts[-1][0] - pts[0][0] <= 0:
        return None
    return (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0]) * 60


def condition(read: Callable[[], dict[str, float]], cfg: ConditioningConfig,
              clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> Conditioned:
    """`read()` returns {zone type: temperature C} for the chosen zones."""
    t_start = clock()
    temps = read()
    if cfg.below_c is None and cfg.max_slope_c_per_min is None:
        hot = cfg.hot_c is not None and any(v > cfg.hot_c for v in temps.values())
        return Conditioned(0.0, "skipped", temps, hot)
    hist: list[tuple[float, dict[str, float]]] = [(t_start, temps)]
    outcome = "timeout"
    while True:
        now = clock()
        if temps and cfg.below_c is not None and all(v < cfg.below_c for v in temps.values()):
            outcome = "below"
            break
        if cfg.max_slope_c_per_min is not None and now - hist[0][0] >= cfg.window_s * 0.999:
            slopes = [_slope_per_min(hist, z) for z in temps]
            if slopes and all(s is not None and abs(s) <= cfg.max_slope_c_per_min
                              for s in slopes):
                outcome = "stable"
                break
        if now - t_start >= cfg.timeout_s:
            break
        sleep(cfg.poll_s)
        temps = read()
        now = clock()
        hist.append((now, temps))
        hist = [h for h in hist if h[0] >= now - cfg.window_s]
    hot = outcome == "timeout" or (cfg.hot_c is not None
                                   and any(v > cfg.hot_c for v in temps.values()))
    return Conditioned(clock() - t_start, outcome, temps, hot)
