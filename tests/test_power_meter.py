"""The CSV power meter plug-in: a logger thread appends lines (the outermost edge: the meter
itself), the meter tails them, and its host-clock samples are moved onto the device clock."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from harness.job import BadInput
from harness.power import make_meter, measure_offset
from harness.telemetry.recorder import Recorder
from harness.telemetry.settings import TelemetryConfig
from harness.transports.local import LocalTransport


class Logger(threading.Thread):
    def __init__(self, path, header: str, row, period=0.02):
        super().__init__(daemon=True)
        self.path, self.row, self.period = path, row, period
        self.stop_event = threading.Event()
        path.write_text(header + "0,0,0\n")  # a stale line from before start() must not count
        self.n = 0

    def run(self):
        while not self.stop_event.wait(self.period):
            self.n += 1
            with open(self.path, "a") as f:
                f.write(self.row(self.n) + "\n")

    def stop(self):
        self.stop_event.set()
        self.join()


def test_offset_matches_boottime_vs_wall_clock():
    tr = LocalTransport()
    off, unc = measure_offset(tr.device_time)
    direct = time.clock_gettime(time.CLOCK_BOOTTIME) - time.time()
    assert unc < 0.05 and abs(off - direct) < 0.05 + unc


def test_csv_meter_with_timestamps_and_current_voltage(tmp_path):
    log = tmp_path / "meter.csv"
    lg = Logger(log, "t,ma,mv\n", lambda n: f"{time.time():.6f},{100 * n},{5000}")
    m = make_meter({"kind": "csv", "path": str(log), "time_column": "t",
                    "current_column": "ma", "voltage_column": "mv"})
    m.start()
    time.sleep(0.05)
    t_start = time.time()
    lg.start()
    time.sleep(0.3)
    lg.stop()
    samples = m.stop()
    assert len(samples) == lg.n and lg.n >= 3
    assert [p for _, p in samples] == [100 * k * 5000 / 1000 for k in range(1, lg.n + 1)]
    assert all(t >= t_start for t, _ in samples)


def test_csv_meter_headerless_stamped_on_arrival(tmp_path):
    log = tmp_path / "m.csv"
    log.write_text("")
    m = make_meter({"kind": "csv", "path": str(log), "power_column": 0, "power_scale": 1000})
    m.start()
    with open(log, "a") as f:
        f.write("1.5\nnot,a,number\n2.25\n")
    time.sleep(0.2)
    t1 = time.time()
    samples = m.stop()
    assert [p for _, p in samples] == [1500.0, 2250.0] and all(t <= t1 for t, _ in samples)


def test_bad_meter_config():
    with pytest.raises(BadInput, match="unknown"):
        make_meter({"kind": "monsoon", "path": "x"})
    with pytest.raises(BadInput, match="power_column"):
        make_meter({"kind": "csv", "path": "x"})


def test_recorder_aligns_meter_to_device_clock(tmp_path, env):
    log = tmp_path / "meter.csv"
    lg = Logger(log, "epoch,mw\n", lambda n: f"{time.time():.6f},{2000 + n}")

    class Dev:
        sysfs_root = str(tmp_path / "empty")
        telemetry = TelemetryConfig(baseline_s=0, meter={"kind": "csv", "path": str(log),
                                           "time_column": "epoch", "power_column": "mw"})
        conditioning = {}

    class Job:
        conditioning = {}

    tr = LocalTransport()
    rec = Recorder(tr, Dev(), Job(), str(tmp_path / "dev"))
    phases: list[dict] = []
    rec.prepare(phases)
    lg.start()
    d0 = tr.device_time()
    time.sleep(0.3)
    d1 = tr.device_time()
    lg.stop()
    from results_db.engine import open_db
    from results_db.models import Device, Run
    from results_db.traces import load_trace
    sessions = open_db(env["BENCH_DB"])
    with sessions() as s:
        run = Run(device=Device(name="d", transport="local"), runner="x", harness_version="0")
        s.add(run)
        s.commit()
        rec.finish(s, run, phases)
        s.commit()
        ser = load_trace(s, run.id).series["power_meter_mw"]
        assert run.device_state["meter"]["kind"] == "csv"
        assert run.device_state["meter"]["samples"] == lg.n
        assert any(e["detail"].startswith("no telemetry channels") for e in run.events)
    assert np.all(ser.t >= d0 - 0.05) and np.all(ser.t <= d1 + 0.05)
    assert ser.v[0] == 2001.0
