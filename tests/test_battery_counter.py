"""Battery current unit and sign decided against the charge counter: fake sysfs trees whose
background writer drains `charge_counter` (uAh) consistently with `current_now`, one in mA with
a positive discharge sign (and a status file that says nothing useful), one in uA with a negative
discharge sign at a magnitude that the one-reading guess takes for mA."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import bench_json
from harness.telemetry.battery import counter_verdict, refine
from harness.telemetry.session import Sampler, discover, place_sampler
from harness.telemetry.settings import BatterySpec, TelemetryConfig
from harness.telemetry.trace import Series, Trace
from harness.transports.local import LocalTransport
from sysfs_fixture import FakeSysfs, write

BAT = "sys/class/power_supply/battery"


class Drainer(threading.Thread):
    """Holds `current_now` at `raw` and lowers `charge_counter` by what that current drains
    (`ua` microamps of discharge) over the real elapsed time, as a fuel gauge does."""

    def __init__(self, fs: FakeSysfs, raw: int, ua: float, start_uah: int = 3_000_000):
        super().__init__(daemon=True)
        self.fs, self.raw, self.ua = fs, raw, ua
        self.q = float(start_uah)
        write(fs.path(f"{BAT}/current_now"), raw)
        write(fs.path(f"{BAT}/charge_counter"), start_uah)
        self.stop_event = threading.Event()

    def run(self) -> None:
        last = time.monotonic()
        while not self.stop_event.wait(0.01):
            now = time.monotonic()
            self.q -= self.ua * (now - last) / 3600.0
            last = now
            write(self.fs.path(f"{BAT}/charge_counter"), int(self.q))

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


def test_ua_negative_decided_by_counter_not_by_magnitude(tmp_path):
    fs = FakeSysfs(tmp_path / "root")
    write(fs.path(f"{BAT}/status"), "Discharging")
    drain = Drainer(fs, raw=-9000, ua=9000.0)  # 9 mA in uA: "< 10000, so mA" would be wrong
    tr = LocalTransport()
    script = place_sampler(tr, str(tmp_path / "dev"))
    disc = discover(tr, script, str(fs.root), TelemetryConfig())
    assert disc.battery["current_unit"] == "mA" and disc.battery["units_from"] == "magnitude"
    drain.start()
    sampler = Sampler(tr, script, disc.channels, 20)
    assert sampler.wait_first()
    time.sleep(3.0)
    trace = sampler.stop()
    drain.stop()
    info = dict(disc.battery)
    assert refine(trace, info, BatterySpec()) is None
    assert (info["current_unit"], info["discharge"]) == ("uA", "negative")
    assert info["units_from"] == info["sign_from"] == "charge_counter"
    assert info["charge_counter_ratio"] == pytest.approx(1.0, rel=0.25)
    assert set(np.round(trace.series["current_battery_ma"].v, 6)) == {9.0}
    assert set(np.round(trace.series["power_battery_mw"].v, 6)) == {35.1}  # 9 mA x 3.9 V


def test_ma_positive_run_records_counter_method(registered, tiny_model, env, tmp_path):
    fs = FakeSysfs(tmp_path / "phone-sysfs", battery_ma=True)  # 500 mA, discharge positive
    write(fs.path(f"{BAT}/status"), "Not charging")  # the status file cannot tell the sign
    cfg = Path(env["BENCH_CONFIG_DIR"]) / "mphone.yaml"
    cfg.write_text(f"name: mphone\ntransport: local\nworkdir: {tmp_path / 'device'}\n"
                   f"sysfs_root: {fs.root}\n"
                   "telemetry:\n  interval_ms: 20\n  baseline_s: 1.0\n")
    drain = Drainer(fs, raw=500, ua=500_000.0)
    drain.start()
    try:
        run = bench_json("run", "--device", "mphone", "--runner", "llama.cpp", "--model",
                         str(tiny_model), "--param", "p=32", "--param", "n=8", "--param", "t=1")
    finally:
        drain.stop()
    assert run["status"] == "ok", run["error"]
    b = run["device_state"]["battery"]
    assert (b["current_unit"], b["discharge"]) == ("mA", "positive")
    assert b["sign_from"] == "charge_counter" and b["units_from"] == "charge_counter"
    assert b["charge_counter_ratio"] == pytest.approx(-1000.0, rel=0.25)
    decode = next(r for r in run["results"] if r["case"].get("phase") == "decode")
    assert decode["metrics"]["avg_power_mw"] == pytest.approx(1950.0)  # 500 mA x 3.9 V, > 0


def _series(name, t, v):
    return Series(name, "", np.asarray(t, float), np.asarray(v, float))


def test_counter_that_does_not_move_falls_back_to_status():
    t = np.arange(0, 2, 0.1)
    trace = Trace({"current_battery_ma": _series("current_battery_ma", t, [450.0] * len(t)),
                   "charge_counter_battery_mah": _series("c", t, [3000.0] * len(t)),
                   "power_battery_mw": _series("p", t, [1755.0] * len(t))})
    info = {"current_unit": "mA", "voltage_unit": "uV", "discharge": "positive",
            "sign_from": "status", "units_from": "magnitude"}
    note = refine(trace, info, BatterySpec())
    assert note and "changed 0 times" in note and info["sign_from"] == "status"
    assert list(trace.series["power_battery_mw"].v) == [1755.0] * len(t)


def test_counter_ratio_neither_ua_nor_ma_is_inconclusive():
    t = np.arange(0, 10, 0.5)
    cur = _series("i", t, [-100.0] * len(t))  # 100 raw units for 10 s = 0.278 unit-h
    cnt = _series("c", t, 3000.0 - t / 3600.0)  # 2.78 uAh in 10 s: ratio 10
    verdict, why = counter_verdict(cur, cnt)
    assert verdict is None and "neither uA nor mA" in why
    cnt = _series("c", t, 3000.0 - 100.0 * t / 3600.0)  # mAh falling as 100 mA: ratio 1000
    verdict, _ = counter_verdict(cur, cnt)
    assert verdict["current_unit"] == "mA" and verdict["discharge"] == "negative"
    assert verdict["ratio"] == pytest.approx(1000.0, rel=1e-6)
