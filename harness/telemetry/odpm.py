"""Pixel On-Device Power Monitor (ODPM): per-rail cumulative energy from the PMICs' IIO nodes,
`/sys/bus/iio/devices/iio:deviceN/energy_value` (Pixel 6 and later; the same counters back
`dumpsys android.hardware.power.stats`). Lines: `t=<ms since boot>` then
`CHn(T=<ms>)[RAIL_NAME], <energy in uWs>`. Power = delta energy / delta time.

The files are multi-line, so the host polls them (`telemetry.odpm_s`, default 1 s when present)
with one `cat` per poll rather than the per-tick shell sampler.
"""

from __future__ import annotations

import re
import shlex
import threading

import numpy as np

from ..results import ParseError, Result
from ..transports.base import Transport
from .channels import slug
from .trace import Series

_CH = re.compile(r"CH(\d+)\(T=(\d+)\)\[([^\]]+)\],\s*(\d+)")


def parse_energy_value(text: str) -> list[tuple[str, float, float]]:
    """(rail, t in s since boot, cumulative energy in mJ) for every channel line."""
    return [(m.group(3), int(m.group(2)) / 1000, int(m.group(4)) / 1000)
            for m in _CH.finditer(text)]


def parse_odpm(text: str) -> list[Result]:
    """`bench parse odpm FILE`: one row per meter reading (a `t=` block), `energy_<rail>_mj`."""
    rows: list[Result] = []
    cur: dict | None = None
    for line in text.splitlines():
        m = re.match(r"^\s*t=(\d+)\s*$", line)
        if m:
            cur = {"case": {"index": len(rows), "t_ms": int(m.group(1))}, "metrics": {}}
            rows.append(Result(cur["case"], cur["metrics"]))
            continue
        ch = _CH.search(line)
        if ch:
            if cur is None or int(ch.group(2)) != cur["case"]["t_ms"]:
                cur = {"case": {"index": len(rows), "t_ms": int(ch.group(2))}, "metrics": {}}
                rows.append(Result(cur["case"], cur["metrics"]))
            cur["metrics"][f"energy_{slug(ch.group(3))}_mj"] = int(ch.group(4)) / 1000
    rows = [r for r in rows if r.metrics]
    for i, r in enumerate(rows):
        r.case["index"] = i
    if not rows:
        raise ParseError("no ODPM `CHn(T=ms)[RAIL], energy` lines in the text")
    return rows


def odpm_argv(sysfs_root: str) -> list[str]:
    base = shlex.quote(sysfs_root.rstrip("/") + "/sys/bus/iio/devices")
    return ["sh", "-c", f"cat {base}/iio:device*/energy_value"]


class OdpmPoller(threading.Thread):
    def __init__(self, transport: Transport, sysfs_root: str, period_s: float):
        super().__init__(daemon=True)
        self.transport, self.period_s = transport, period_s
        self.argv = odpm_argv(sysfs_root)
        self.points: dict[str, list[tuple[float, float]]] = {}
        self.warning: str | None = None
        self._halt = threading.Event()

    def poll_once(self) -> bool:
        res = self.transport.run(self.argv, timeout=max(10.0, self.period_s))
        got = parse_energy_value(res.stdout)
        if not got:
            self.warning = "ODPM energy_value: nothing readable; not polled"
            return False
        for rail, t, mj in got:
            self.points.setdefault(rail, []).append((t, mj))
        return True

    def run(self) -> None:
        try:
            while self.poll_once() and not self._halt.wait(self.period_s):
                pass
        except Exception as exc:
            self.warning = f"ODPM polling stopped: {exc}"

    def stop(self) -> list[Series]:
        """Per rail: `energy_<rail>_mj` (cumulative) and `power_<rail>_mw` (between readings)."""
        self._halt.set()
        self.join(timeout=15)
        out = []
        for rail, pts in self.points.items():
            t, e = (np.asarray(x, dtype=float) for x in zip(*sorted(set(pts))))
            meta = {"label": rail, "source": "odpm"}
            out.append(Series(f"energy_{slug(rail)}_mj", "mJ", t, e, "energy", meta))
            if len(t) >= 2:
                dt = np.diff(t)
                ok = dt > 0
                p = np.diff(e)[ok] / dt[ok]  # mJ/s = mW, stamped at the end of each interval
                out.append(Series(f"power_{slug(rail)}_mw", "mW", t[1:][ok], p, "rail", meta))
        return out
