"""Telemetry for one run, as execute() drives it: prepare (discover, condition, baseline, start
the sampler) before the first measured phase, finish (stop, store, analyze) after the last one,
also when the run fails, so a failed run keeps its trace.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from ..transports.base import Transport
from .channels import Discovery
from .condition import condition
from .session import Sampler, discover, place_sampler, telemetry_config
from .settings import ConditioningConfig

DEFAULT_BASELINE_S = 2.0


def _conditioning(device: Any, job: Any) -> ConditioningConfig:
    base = device.conditioning.model_dump(exclude_unset=True) if hasattr(
        device.conditioning, "model_dump") else dict(device.conditioning or {})
    return ConditioningConfig.model_validate({**base, **(job.conditioning or {})})


class Recorder:
    def __init__(self, transport: Transport, device: Any, job: Any, workdir: str,
                 notify: Callable[[str], None] = lambda _p: None):
        self.transport, self.device, self.job = transport, device, job
        self.workdir, self.notify = workdir, notify
        self.cfg = telemetry_config(device)
        self.sampler: Sampler | None = None
        self.meter: Any = None
        self.status: Any = None
        self.odpm: Any = None
        self.rpi: Any = None
        self.tegra: Any = None
        self.offset: tuple[float, float] = (0.0, 0.0)
        self.discovery: Discovery | None = None
        self.events: list[dict] = []
        self.flags: list[str] = []
        self.state: dict[str, Any] = {}

    def _warn(self, msg: str) -> None:
        self.events.append({"t_s": 0.0, "kind": "telemetry_warning", "detail": msg})

    def prepare(self, phases: list[dict]) -> None:
        root = self.device.sysfs_root
        script = place_sampler(self.transport, self.workdir)
        disc = discover(self.transport, script, root, self.cfg)
        self.discovery = disc
        for w in disc.warnings:
            self._warn(w)
        self.state.update(disc.state)
        cond = _conditioning(self.device, self.job)
        zones = cond.zones

        def read_temps() -> dict[str, float]:
            """{zone type: C} of the chosen zones, from one discovery listing."""
            d = discover(self.transport, script, root, self.cfg)
            now = d.state.get("start_temps_c", {})
            return {c.meta["zone"]: now[c.name] for c in d.channels
                    if c.kind == "thermal" and c.name in now
                    and (zones is None or c.meta["zone"] in zones)}

        if cond.below_c is not None or cond.max_slope_c_per_min is not None or cond.hot_c:
            self.notify("condition")
            start = self.transport.device_time()
            result = condition(read_temps, cond)
            phases.append({"phase": "condition", "start": start,
                           "end": self.transport.device_time()})
            self.state["conditioning"] = result.to_dict()
            if result.waited_s > 0:  # temperatures (and battery) as measuring starts
                self.state.update(discover(self.transport, script, root, self.cfg).state)
            if result.started_hot:
                self.flags.append("started_hot")
        period = self.cfg.thermal_status_s
        if period is None:
            period = 5.0 if getattr(self.device, "transport", "") == "adb" else 0.0
        if period > 0:
            from .status import StatusPoller
            self.status = StatusPoller(self.transport, period)
            self.status.start()
        if disc.vcgencmd and self.cfg.vcgencmd_s > 0:
            from .status import StatusPoller, parse_get_throttled
            self.rpi = StatusPoller(self.transport, self.cfg.vcgencmd_s,
                                    ["vcgencmd", "get_throttled"], parse_get_throttled,
                                    "rpi_throttled", "Raspberry Pi throttling")
            self.rpi.start()
        if disc.odpm and self.cfg.odpm_s > 0:
            from .odpm import OdpmPoller
            self.odpm = OdpmPoller(self.transport, root, self.cfg.odpm_s)
            self.odpm.start()
        if self.cfg.meter:
            from ..power import make_meter, measure_offset
            self.meter = make_meter(self.cfg.meter)
            self.offset = measure_offset(self.transport.device_time)
            self.meter.start()
        if self.cfg.tegrastats == "on" or (self.cfg.tegrastats == "auto" and disc.tegrastats):
            self._start_tegrastats()
        if disc.channels:
            self.sampler = Sampler(self.transport, script, disc.channels, self.cfg.interval_ms)
            if not self.sampler.wait_first(timeout=10):
                self._warn("sampler printed nothing within 10 s")
        elif self.tegra is None:
            self._warn(f"no telemetry channels found under {root}; sampler not started")
        baseline = self.cfg.baseline_s
        if baseline is None:  # idle power is only worth waiting for when power is measured
            power = any(c.name.startswith("power_") for c in disc.channels) or bool(self.tegra)
            baseline = DEFAULT_BASELINE_S if (power or self.meter or self.odpm) else 0.0
        if self._active() and baseline > 0:
            self.notify("baseline")
            start = self.transport.device_time()
            time.sleep(baseline)
            phases.append({"phase": "baseline", "start": start,
                           "end": self.transport.device_time()})

    def _active(self) -> bool:
        return bool(self.sampler or self.meter or self.status or self.odpm or self.rpi
                    or self.tegra)

    def _start_tegrastats(self) -> None:
        from ..power import measure_offset
        from .tegrastats import TegrastatsStream

        off, unc = measure_offset(self.transport.device_time, clock=time.monotonic)
        try:
            self.tegra = TegrastatsStream(self.transport, self.cfg.interval_ms, off)
        except Exception as exc:  # e.g. `tegrastats: on` on a device without it
            self._warn(f"tegrastats could not start: {exc}; skipped")
            return
        self.state["tegrastats"] = {"interval_ms": self.cfg.interval_ms,
                                    "clock": "stamped on arrival", "offset_uncertainty_s": unc}
        if not self.tegra.wait_first(timeout=10):
            self._warn(f"tegrastats printed no sample line within 10 s"
                       f"{': ' + self.tegra.error if self.tegra.error else ''}")
            self.tegra.stop()
            self.tegra = None

    def _stop_tegrastats(self, trace: Any, end: float | None) -> None:
        if end is not None:
            self.tegra.wait_until(end, timeout=max(1.0, 3 * self.cfg.interval_ms / 1000))
        kept, shadowed = 0, []
        for ser in self.tegra.stop():
            if ser.name in trace.series:  # the sysfs reading of the same sensor wins
                shadowed.append(ser.name)
            else:
                trace.series[ser.name] = ser
                kept += 1
        self.state["tegrastats"].update(lines=self.tegra.lines, channels=kept,
                                        shadowed_by_sysfs=shadowed)
        if self.tegra.error:
            self._warn(self.tegra.error)
        self.tegra = None

    def finish(self, s, run, phases: list[dict]) -> None:
        """Stop sampling, store the trace, add events/flags/energy to the run (in session s)."""
        from results_db.traces import save_trace

        from ..analysis.energy import energy_metrics
        from ..analysis.throttle import analyze

        from .trace import Series, Trace

        if not self._active():
            self._store(run)
            return
        ends = [p["end"] for p in phases if "end" in p]
        if self.sampler and ends:
            self.sampler.wait_until(max(ends), timeout=max(1.0, 3 * self.cfg.interval_ms / 1000))
        trace = self.sampler.stop() if self.sampler else Trace({})
        self.sampler = None
        if self.tegra is not None:
            self._stop_tegrastats(trace, max(ends) if ends else None)
        if self.rpi is not None:
            ser = self.rpi.stop()
            if ser is not None:
                trace.series[ser.name] = ser
            if self.rpi.warning:
                self._warn(self.rpi.warning)
            self.rpi = None
        if self.odpm is not None:
            for ser in self.odpm.stop():
                trace.series[ser.name] = ser
            if self.odpm.warning:
                self._warn(self.odpm.warning)
            self.odpm = None
        if self.status is not None:
            ser = self.status.stop()
            if ser is not None:
                trace.series[ser.name] = ser
            if self.status.warning:
                self._warn(self.status.warning)
            self.status = None
        if self.meter is not None:
            samples = sorted(self.meter.stop())
            off, unc = self.offset
            self.state["meter"] = {"kind": self.meter.name, "offset_s": off,
                                   "offset_uncertainty_s": unc, "samples": len(samples)}
            if samples:
                t, v = zip(*samples)
                trace.series["power_meter_mw"] = Series(
                    "power_meter_mw", "mW", np.asarray(t) + off, np.asarray(v), "meter",
                    {"label": f"{self.meter.name} meter", "offset_s": off})
            else:
                self._warn(f"power meter {self.meter.name}: no samples")
            self.meter = None
        if self.discovery and self.discovery.battery:
            from .battery import refine
            info = dict(self.state.get("battery") or self.discovery.battery)
            note = refine(trace, info, self.cfg.battery)
            self.state["battery"] = info
            if note:
                self._warn(note)
        for w in trace.warnings:
            self._warn(w)
        self.state["trace_bytes"] = save_trace(s, run.id, trace)
        self.state["channels"] = sorted(trace.series)
        results = [{"case": r.case, "metrics": r.metrics,
                    "samples": {x.metric: x.values for x in r.samples}} for r in run.results]
        report = analyze(trace, phases, results)
        self.events += report.events
        self.flags += report.flags
        if report.summary:
            self.state["throttle_summary"] = report.summary
        for row in run.results:
            extra, baseline = energy_metrics(trace, phases, row.case, row.metrics)
            if extra:
                row.metrics = {**row.metrics, **extra}
            if baseline is not None:
                self.state["baseline_power_mw"] = baseline
        self._store(run)

    def _store(self, run) -> None:
        run.events = list(run.events or []) + self.events
        run.flags = sorted(set(run.flags or []) | set(self.flags))
        run.device_state = {**(run.device_state or {}), **self.state}
