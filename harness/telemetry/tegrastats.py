"""Jetson: `tegrastats --interval MS` as a live telemetry streamer, beside the sh sampler.

Selected by the device config, or by discovery when `tegrastats` is on the device's PATH and
the board is a Jetson (`/etc/nv_tegra_release` or `/sys/devices/soc0/family` = Tegra, under
the device's `sysfs_root`):

```yaml
telemetry:
  tegrastats: auto   # auto (default) | on | off
```

The tool is NVIDIA's (Jetson Linux Developer Guide, "tegrastats Utility"); each line is parsed
by `parsers.parse_tegrastats_line`, so every generation's format (TX2 to Orin, `POM_*` and
`VDD_*` rails, with or without `mW`) is handled in one place.

Clock: every line is stamped **on arrival**, with the host's monotonic clock shifted onto the
device clock by an offset measured just before the stream starts (round trips of
`Transport.device_time()`, the same method as external power meters). JetPack 6 lines also
begin with a wall-clock `MM-DD-YYYY HH:MM:SS` stamp; it is not used for the time axis because
its one-second resolution is coarser than the sampling interval (it stays visible in
`bench parse tegrastats`). tegrastats prints a line as soon as it samples, so the arrival
stamp lags the sample by the transport's latency (the offset's uncertainty is recorded).
"""

from __future__ import annotations

import re
import threading
import time
from typing import Callable

import numpy as np

from ..transports.base import Transport
from .parsers import parse_tegrastats_line
from .trace import Series

_CPU_FREQ = re.compile(r"^freq_cpu\d+_mhz$")


def series_kind(name: str) -> tuple[str, str]:
    """(kind, unit) of a tegrastats metric, in the trace's vocabulary (channels.Channel.kind)."""
    if name.startswith("temp_"):
        return "thermal", "C"
    if name.startswith("power_"):
        return ("rail_avg" if name.endswith("_avg_mw") else "rail"), "mW"
    if _CPU_FREQ.match(name):
        return "cpufreq", "MHz"
    if name.startswith("freq_"):
        return "devfreq", "MHz"
    if name.startswith("load_"):
        return "load", "%"
    return "memory", "MB"


class TegrastatsStream:
    """One `tegrastats --interval MS` process; `stop()` returns its Series (device clock)."""

    def __init__(self, transport: Transport, interval_ms: int, offset_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.offset_s, self._clock = offset_s, clock
        self._cols: dict[str, tuple[list[float], list[float]]] = {}
        self._last: float | None = None
        self.lines = 0
        self.noise = 0
        self.error: str | None = None
        self._first = threading.Event()
        self._handle = transport.stream(["tegrastats", "--interval", str(int(interval_ms))])
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._handle:
                t = self._clock() + self.offset_s
                got = parse_tegrastats_line(line)
                if got is None:
                    self.noise += bool(line.strip())
                    continue
                for name, v in got[1].items():
                    ts, vs = self._cols.setdefault(name, ([], []))
                    ts.append(t)
                    vs.append(v)
                self._last = t
                self.lines += 1
                self._first.set()
        except Exception as exc:  # the device went away: keep what was read
            self.error = f"tegrastats stream ended: {exc}"
        finally:
            self._first.set()

    def wait_first(self, timeout: float) -> bool:
        return self._first.wait(timeout) and self.lines > 0

    def wait_until(self, device_t: float, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._thread.is_alive():
            if self._last is not None and self._last >= device_t:
                return True
            time.sleep(0.01)
        return self._last is not None and self._last >= device_t

    def stop(self) -> list[Series]:
        try:
            self._handle.stop()
        except Exception as exc:
            self.error = self.error or f"tegrastats stop: {exc}"
        self._thread.join(timeout=5)
        out = []
        for name, (ts, vs) in sorted(self._cols.items()):
            kind, unit = series_kind(name)
            meta = {"source": "tegrastats"}
            if kind == "thermal":
                meta.update(zone=name[5:-2], trips=[])
            elif kind in ("cpufreq", "devfreq"):
                meta["unit"] = name[5:-4]
            out.append(Series(name, unit, np.asarray(ts, dtype=np.float64),
                              np.asarray(vs, dtype=np.float64), kind, meta))
        return out
