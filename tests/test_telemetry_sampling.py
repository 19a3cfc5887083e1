"""The sampler on the local transport over a fake sysfs tree that a background writer changes:
heating to a trip point, a frequency cap, battery current in mA with positive discharge sign."""

from __future__ import annotations

import time

import numpy as np
import pytest

from harness.analysis.energy import energy_metrics, mean_power
from harness.analysis.throttle import analyze
from harness.telemetry.session import Sampler, discover, place_sampler
from harness.telemetry.settings import TelemetryConfig
from harness.telemetry.trace import Trace, pack, unpack
from harness.transports.local import LocalTransport
from sysfs_fixture import FakeSysfs, Heater


@pytest.fixture
def fs(tmp_path) -> FakeSysfs:
    return FakeSysfs(tmp_path / "root")


def test_pack_roundtrip_is_float32_exact():
    a = np.array([0.0, 0.1, 1e-3, 3599.99, -2.5], dtype=np.float64)
    assert np.array_equal(unpack(pack(a), len(a)), a.astype(np.float32))


def test_heating_run_is_traced_capped_and_costed(fs, tmp_path, env):
    tr = LocalTransport()
    script = place_sampler(tr, str(tmp_path / "dev"))
    disc = discover(tr, script, str(fs.root), TelemetryConfig())
    heater = Heater(fs, start_c=70.0, step_s=0.05, idle_steps=8, idle_ma=300, load_ma=800)
    sampler = Sampler(tr, script, disc.channels, 20)
    assert sampler.wait_first()
    b0 = tr.device_time()
    time.sleep(0.4)  # baseline: heater not started yet, battery at its initial 500 mA
    b1 = tr.device_time()
    heater.start()
    m0 = tr.device_time()
    while heater.capped_at is None:
        time.sleep(0.02)
    time.sleep(0.3)
    m1 = tr.device_time()
    heater.stop()
    trace = sampler.stop()

    temp = trace.series["temp_cpu_1_0_usr_c"]
    assert temp.v[0] == 35.0 or temp.v[0] >= 70.0  # sampled values are the file's, scaled
    assert temp.v.max() >= 78.0 and np.all(np.diff(trace.series["temp_cpu_1_0_usr_c"].t) > 0)
    cap = trace.series["freq_max_cpu4_mhz"]
    assert cap.v[0] == 3000.0 and cap.v[-1] == 2200.0
    bat = trace.series["power_battery_mw"]
    assert set(np.round(bat.v, 3)) <= {1950.0, 1170.0, 3120.0}  # 500/300/800 mA x 3.9 V
    assert trace.series["power_vdd_in_mw"].v[0] == 6000.0

    phases = [{"phase": "baseline", "start": b0, "end": b1},
              {"phase": "decode", "start": m0, "end": m1}]
    rep = analyze(trace, phases, [{"case": {"phase": "decode", "test": "tg8"},
                                   "samples": {"tokens_per_s": [100.0, 97.0, 80.0]}}])
    kinds = [e["kind"] for e in rep.events]
    assert "freq_cap" in kinds and "trip_crossed" in kinds and "perf_drop" in kinds
    cap_ev = next(e for e in rep.events if e["kind"] == "freq_cap")
    assert cap_ev["detail"].startswith("CPU big cluster capped 3.0 -> 2.2 GHz at ")
    assert 0 < cap_ev["t_s"] < m1 - m0 + 0.1
    assert rep.flags == ["throttled"]
    assert rep.summary.startswith("throttled after ")
    assert "CPU big cluster capped 3.0 -> 2.2 GHz at 7" in rep.summary

    base = mean_power(bat, b0, b1)
    assert base == pytest.approx(1950.0, rel=1e-6)
    extra, baseline = energy_metrics(trace, phases, {"phase": "decode"},
                                     {"tokens_per_s": 50.0})
    assert baseline == pytest.approx(1950.0, rel=1e-6)
    avg = extra["avg_power_mw"]
    assert 1170.0 <= avg <= 3120.0
    assert extra["energy_mj_per_token"] == pytest.approx(max(avg - 1950.0, 0) / 50.0)


def test_unreadable_channel_reported_once_and_skipped(fs, tmp_path, env):
    tr = LocalTransport()
    script = place_sampler(tr, str(tmp_path / "dev"))
    disc = discover(tr, script, str(fs.root), TelemetryConfig())
    sampler = Sampler(tr, script, disc.channels, 20)
    assert sampler.wait_first()
    gpu = fs.path("sys/class/devfreq/3d00000.gpu/cur_freq")
    time.sleep(0.1)
    gpu.unlink()
    time.sleep(0.15)
    trace = sampler.stop()
    warns = [w for w in trace.warnings if "freq_gpu_mhz" in w]
    assert len(warns) == 1 and "unreadable" in warns[0]
    g = trace.series["freq_gpu_mhz"]
    assert len(g.v) < len(trace.series["freq_cpu0_mhz"].v) and set(g.v) == {585.0}


def test_no_cap_no_flag():
    t = np.arange(0, 5, 0.1)
    from harness.telemetry.trace import Series
    trace = Trace({"freq_max_cpu4_mhz": Series("freq_max_cpu4_mhz", "MHz", t,
                                                np.full_like(t, 3000.0), "cpufreq_max",
                                                {"label": "CPU big cluster", "unit": "cpu4"})})
    rep = analyze(trace, [{"phase": "decode", "start": 0.0, "end": 5.0}],
                  [{"case": {"phase": "decode"}, "samples": {"tokens_per_s": [10, 9, 8]}}])
    assert rep.events == [] and rep.flags == [] and rep.summary is None


def test_trace_storage_roundtrip_shares_tick_times(env):
    from harness.telemetry.trace import Series
    from results_db.engine import open_db
    from results_db.models import Device, Run, TraceRow
    from results_db.traces import load_trace, save_trace
    t = 1234.5 + np.arange(1000) * 0.01
    tr = Trace({"a": Series("a", "C", t, np.linspace(30, 80, 1000), "thermal",
                            {"trips": [{"temp_c": 75.0, "type": "passive"}]}),
                "b": Series("b", "MHz", t.copy(), np.full(1000, 2200.0), "cpufreq_max"),
                "c": Series("c", "mW", t[::2], np.arange(500.0), "battery")})
    sessions = open_db(env["BENCH_DB"])
    with sessions() as s:
        run = Run(device=Device(name="d", transport="local"), runner="x", harness_version="0")
        s.add(run)
        s.commit()
        save_trace(s, run.id, tr)
        s.commit()
        rows = {r.channel: r for r in s.query(TraceRow).filter_by(run_id=run.id)}
        assert rows["b"].t == b"" and rows["b"].meta == {"t_from": "a"} and rows["c"].t != b""
        back = load_trace(s, run.id)
    assert list(back.series) == ["a", "b", "c"]
    for name, ser in tr.series.items():
        got = back.series[name]
        assert np.allclose(got.t, ser.t, atol=2e-4) and got.unit == ser.unit
        assert np.array_equal(got.v, ser.v.astype(np.float32))
    assert back.series["a"].meta == {"trips": [{"temp_c": 75.0, "type": "passive"}]}


@pytest.mark.parametrize("with_power", [True, False])
def test_default_idle_baseline_only_when_power_is_measured(tmp_path, env, with_power):
    from harness.telemetry.recorder import DEFAULT_BASELINE_S, Recorder
    fs = FakeSysfs(tmp_path / "root")
    cfg = TelemetryConfig(interval_ms=50) if with_power else \
        TelemetryConfig(interval_ms=50, exclude=["power_battery_mw", "power_vdd_in_mw",
                                                 "power_vdd_cpu_gpu_cv_mw"])

    class Dev:
        sysfs_root = str(fs.root)
        telemetry = cfg
        conditioning = {}
        transport = "local"

    class Job:
        conditioning = {}

    rec = Recorder(LocalTransport(), Dev(), Job(), str(tmp_path / "dev"))
    phases: list[dict] = []
    rec.prepare(phases)
    rec.sampler.stop()
    if with_power:
        (b,) = phases
        assert b["phase"] == "baseline"
        assert DEFAULT_BASELINE_S <= b["end"] - b["start"] < DEFAULT_BASELINE_S + 1
    else:
        assert phases == []
