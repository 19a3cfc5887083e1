"""Android's thermal status (PowerManager THERMAL_STATUS_*: none .. shutdown) during a run.

`dumpsys thermalservice` is a binder call, not a file, so the shell sampler cannot read it;
instead the host polls it every `telemetry.thermal_status_s` seconds (default 5 on adb devices)
through the transport and keeps (device time, status) as the `thermal_status` series. Parsed by
harness.probes.android.parse_thermalservice.
"""

from __future__ import annotations

import threading
from typing import Sequence

from ..transports.base import Transport
from .trace import Series

DUMPSYS = ("dumpsys", "thermalservice")


class StatusPoller(threading.Thread):
    def __init__(self, transport: Transport, period_s: float, argv: Sequence[str] = DUMPSYS):
        super().__init__(daemon=True)
        self.transport, self.period_s, self.argv = transport, period_s, list(argv)
        self.points: list[tuple[float, float]] = []
        self.warning: str | None = None
        self._halt = threading.Event()

    def poll_once(self) -> bool:
        from ..probes.android import parse_thermalservice

        t = self.transport.device_time()
        res = self.transport.run(self.argv, timeout=max(10.0, self.period_s))
        status = parse_thermalservice(res.stdout).get("thermal_status") if \
            res.exit_code == 0 else None
        if status is None:
            self.warning = (f"{' '.join(self.argv)}: no thermal status (exit {res.exit_code}); "
                            "not polled")
            return False
        self.points.append((t, float(status)))
        return True

    def run(self) -> None:
        try:
            while self.poll_once() and not self._halt.wait(self.period_s):
                pass
        except Exception as exc:  # the device went away: keep what was read
            self.warning = f"thermal status polling stopped: {exc}"

    def stop(self) -> Series | None:
        self._halt.set()
        self.join(timeout=15)
        if not self.points:
            return None
        import numpy as np
        t, v = zip(*self.points)
        return Series("thermal_status", "", np.asarray(t), np.asarray(v), "thermal_status",
                      {"label": "Android thermal status"})
