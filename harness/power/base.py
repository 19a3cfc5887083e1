"""The power-meter interface and clock alignment.

A meter samples on the host's wall clock (time.time(): the clock an external logger stamps
its lines with); the device's clock is what every phase and sampler tick uses. The offset
between them is measured by round trips: device time minus the midpoint of the host times
around the call, keeping the round trip with the smallest delay (its half is the uncertainty).
"""

from __future__ import annotations

import time
from typing import Callable, Protocol


class PowerMeter(Protocol):
    name: str

    def start(self) -> None: ...
    def stop(self) -> list[tuple[float, float]]:
        """(host wall-clock seconds, power mW) for every sample since start()."""
        ...


def measure_offset(device_time: Callable[[], float], rounds: int = 5,
                   clock: Callable[[], float] = time.time) -> tuple[float, float]:
    """(device clock - host clock, uncertainty) in seconds."""
    best: tuple[float, float] | None = None
    for _ in range(rounds):
        h0 = clock()
        d = device_time()
        h1 = clock()
        cand = (d - (h0 + h1) / 2, (h1 - h0) / 2)
        if best is None or cand[1] < best[1]:
            best = cand
    assert best is not None
    return best
