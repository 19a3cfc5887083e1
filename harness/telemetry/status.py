"""Android's thermal status (PowerManager THERMAL_STATUS_*: none .. shutdown) during a run.

`dumpsys thermalservice` is a binder call, not a file, so the shell sampler cannot read it;
instead the host polls it every `telemetry.thermal_status_s` seconds (default 5 on adb devices)
through the transport and keeps (device time, status) as the `thermal_status` series. Parsed by
harness.probes.android.parse_thermalservice. Likewise a Raspberry Pi's firmware throttling
bits (`vcgencmd get_throttled`, polled when the discovery finds `vcgencmd`; `rpi_throttled`).
"""

from __future__ import annotations

import re
import threading
from typing import Callable, Sequence

from ..transports.base import Transport
from .trace import Series

DUMPSYS = ("dumpsys", "thermalservice")


def parse_android_status(text: str) -> float | None:
    from ..probes.android import parse_thermalservice
    status = parse_thermalservice(text).get("thermal_status")
    return None if status is None else float(status)


def parse_get_throttled(text: str) -> float | None:
    """`throttled=0x50005` (Raspberry Pi firmware, `vcgencmd get_throttled`) -> the bit mask."""
    m = re.search(r"throttled=(0x[0-9a-fA-F]+|\d+)", text)
    return float(int(m.group(1), 0)) if m else None


# vcgencmd get_throttled bits (Raspberry Pi documentation, "vcgencmd" section)
RPI_BITS = {0x1: "under-voltage", 0x2: "arm frequency capped", 0x4: "throttled",
            0x8: "soft temperature limit"}


class StatusPoller(threading.Thread):
    """Polls one command every `period_s` s; keeps (device time, parsed value) points."""

    def __init__(self, transport: Transport, period_s: float, argv: Sequence[str] = DUMPSYS,
                 parse: Callable[[str], float | None] = parse_android_status,
                 name: str = "thermal_status", label: str = "Android thermal status"):
        super().__init__(daemon=True)
        self.transport, self.period_s, self.argv = transport, period_s, list(argv)
        self.parse, self.series_name, self.label = parse, name, label
        self.points: list[tuple[float, float]] = []
        self.warning: str | None = None
        self._halt = threading.Event()

    def poll_once(self) -> bool:
        t = self.transport.device_time()
        res = self.transport.run(self.argv, timeout=max(10.0, self.period_s))
        value = self.parse(res.stdout) if res.exit_code == 0 else None
        if value is None:
            self.warning = (f"{' '.join(self.argv)}: no {self.label} (exit {res.exit_code}); "
                            "not polled")
            return False
        self.points.append((t, value))
        return True

    def run(self) -> None:
        try:
            while self.poll_once() and not self._halt.wait(self.period_s):
                pass
        except Exception as exc:  # the device went away: keep what was read
            self.warning = f"{self.label} polling stopped: {exc}"

    def stop(self) -> Series | None:
        self._halt.set()
        self.join(timeout=15)
        if not self.points:
            return None
        import numpy as np
        t, v = zip(*self.points)
        return Series(self.series_name, "", np.asarray(t), np.asarray(v), self.series_name,
                      {"label": self.label})
