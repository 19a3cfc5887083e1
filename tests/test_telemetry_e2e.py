"""`bench run` with the sampler on the local device over a fake sysfs tree, the real llama-bench
working while a background writer heats the SoC into a frequency cap and raises battery draw."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import bench, bench_json
from sysfs_fixture import FakeSysfs, Heater


def _llama_running(workdir: Path) -> bool:
    """A llama-bench started from this test's device workdir (argv[0] is in its store)."""
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if argv0.startswith(str(workdir).encode()) and argv0.endswith(b"/llama-bench"):
                return True
    return False


class HeatOnLoad(Heater):
    """Idle (300 mA) until llama-bench starts, then heats and draws 800 mA."""

    def __init__(self, fs, workdir: Path, **kw):
        super().__init__(fs, **kw)
        self.workdir = workdir

    def run(self) -> None:
        self.fs.set_battery_ma(self.idle_ma)
        while not self.stop_event.is_set() and not _llama_running(self.workdir):
            self.stop_event.wait(0.01)
        super().run()


def _device(env, tmp_path, name: str, extra: str = "") -> FakeSysfs:
    fs = FakeSysfs(tmp_path / f"{name}-sysfs")
    fs.set_temp("cpu-1-0-usr", 70)
    cfg = Path(env["BENCH_CONFIG_DIR"]) / f"{name}.yaml"
    cfg.write_text(f"name: {name}\ntransport: local\nworkdir: {tmp_path / 'device'}\n"
                   f"sysfs_root: {fs.root}\n"
                   "telemetry:\n  interval_ms: 50\n  baseline_s: 0.6\n" + extra)
    return fs


def test_heating_run_is_throttled_costed_and_exported(registered, tiny_model, env, tmp_path):
    fs = _device(env, tmp_path, "hotphone")
    heater = HeatOnLoad(fs, tmp_path / "device", start_c=70.0, step_s=0.01, idle_ma=300,
                        load_ma=800)
    heater.start()
    try:
        run = bench_json("run", "--device", "hotphone", "--runner", "llama.cpp", "--model",
                         str(tiny_model), "--param", "p=256", "--param", "n=32", "--param", "t=1",
                         "--repetitions", "3")
    finally:
        heater.stop()
    assert run["status"] == "ok", run["error"]
    assert [p["phase"] for p in run["phases"]] == ["push", "baseline", "prefill", "decode"]
    assert "throttled" in run["flags"] and "started_hot" not in run["flags"]
    caps = [e for e in run["events"] if e["kind"] == "freq_cap"]
    assert caps, run["events"]
    m = re.fullmatch(r"CPU big cluster capped 3\.0 -> 2\.2 GHz at (\d+) C", caps[0]["detail"])
    assert m and 78 <= int(m.group(1)) <= 90  # the heater caps at 78 C and keeps heating
    summary = run["device_state"]["throttle_summary"]
    assert summary.startswith("throttled after ") and "capped 3.0 -> 2.2 GHz" in summary
    assert any(e["kind"] == "throttled" and e["detail"] == summary for e in run["events"])
    assert any(e["kind"] == "trip_crossed" and "75 C" in e["detail"] for e in run["events"])
    st = run["device_state"]
    assert st["battery"]["current_unit"] == "mA" and st["battery"]["discharge"] == "positive"
    assert st["battery"]["sign_from"] == "status"  # no charge counter in this tree
    assert st["battery_level_pct"] == 87 and st["charging_state"] == "Discharging"
    assert st["start_temps_c"]["temp_cpu_1_0_usr_c"] == 70.0
    assert st["baseline_power_mw"] == pytest.approx(1170.0, rel=0.01)  # 300 mA x 3.9 V
    by = {r["case"]["phase"]: r["metrics"] for r in run["results"]}
    for phase, tps in (("prefill", "prefill_tokens_per_s"), ("decode", "decode_tokens_per_s")):
        m = by[phase]
        assert 1170.0 <= m["avg_power_mw"] <= 3120.0
        net = m["avg_power_mw"] - st["baseline_power_mw"]
        assert m["energy_mj_per_token"] == pytest.approx(max(net, 0) / m["tokens_per_s"])
    assert bench_json("show", str(run["id"]))["flags"] == run["flags"]

    out = tmp_path / "t.json"
    bench("trace", str(run["id"]), "--format", "perfetto", "-o", str(out))
    events = json.loads(out.read_text())["traceEvents"]
    slices = {e["name"]: e for e in events if e["ph"] == "X"}
    assert set(slices) == {"push", "baseline", "prefill", "decode"}
    assert slices["decode"]["ts"] == pytest.approx(
        next(p for p in run["phases"] if p["phase"] == "decode")["start"] * 1e6, abs=1)
    counters = {e["name"] for e in events if e["ph"] == "C"}
    assert {"temp_cpu_1_0_usr_c", "freq_max_cpu4_mhz", "power_battery_mw"} <= counters
    assert any(e["ph"] == "i" and e["name"] == "freq_cap" for e in events)
    caps_mhz = [e["args"]["MHz"] for e in events if e["ph"] == "C"
                and e["name"] == "freq_max_cpu4_mhz"]
    assert caps_mhz[0] == 3000.0 and caps_mhz[-1] == 2200.0

    c = tmp_path / "t.csv"
    bench("trace", str(run["id"]), "--format", "csv", "-o", str(c))
    rows = list(csv.DictReader(c.open()))
    assert set(rows[0]) == {"t_s", "channel", "unit", "value"}
    pq = tmp_path / "t.parquet"
    bench("trace", str(run["id"]), "--format", "parquet", "-o", str(pq))
    df = pd.read_parquet(pq)
    assert len(df) == len(rows) and set(df.channel) == {r["channel"] for r in rows}


def test_failed_run_keeps_trace_and_hot_start_is_flagged(registered, tiny_model, env, tmp_path):
    _device(env, tmp_path, "warm", "conditioning:\n  below_c: 50\n  timeout_s: 0.5\n"
                                   "  poll_s: 0.1\n")
    p = bench("run", "--device", "warm", "--runner", "llama.cpp", "--model", str(tiny_model),
              "--param", "p=16", "--param", "n=0", "--param", "ctk=bogus", "--json", check=1)
    run = json.loads(p.stdout)
    assert run["status"] == "failed" and run["reason"] == "runner_exit"
    assert "started_hot" in run["flags"]
    cond = run["device_state"]["conditioning"]
    assert cond["outcome"] == "timeout" and cond["start_temps_c"]["cpu-1-0-usr"] == 70.0
    assert [p["phase"] for p in run["phases"]][:3] == ["push", "condition", "baseline"]
    out = tmp_path / "f.csv"
    bench("trace", str(run["id"]), "--format", "csv", "-o", str(out))
    assert "temp_cpu_1_0_usr_c" in out.read_text()


def test_trace_errors(env, tmp_path):
    p = bench("trace", "999", "-o", str(tmp_path / "x.json"), check=2)
    assert p.stderr.startswith("error: no run 999")


def test_sustained_run_repeats_phases_and_plots(registered, tiny_model, env, tmp_path):
    fs = _device(env, tmp_path, "sus")
    heater = HeatOnLoad(fs, tmp_path / "device", start_c=70.0, step_s=0.01, idle_ma=300,
                        load_ma=800)
    heater.start()
    try:
        run = bench_json("run", "--device", "sus", "--runner", "llama.cpp", "--model",
                         str(tiny_model), "--param", "p=0", "--param", "n=16", "--param", "t=1",
                         "--repetitions", "2", "--sustained", "2s")
    finally:
        heater.stop()
    assert run["status"] == "ok", run["error"]
    names = [p["phase"] for p in run["phases"] if p["phase"].startswith("decode")]
    assert len(names) >= 2 and names[:2] == ["decode", "decode#2"]
    iters = [r["case"]["iteration"] for r in run["results"]]
    assert iters == list(range(1, len(names) + 1))
    dec = [p for p in run["phases"] if p["phase"].startswith("decode")]
    assert dec[-1]["end"] - dec[0]["start"] >= 2.0 - 0.5  # ran for about the duration
    assert all("energy_mj_per_token" in r["metrics"] for r in run["results"])
    png = tmp_path / "s.png"
    bench("trace", str(run["id"]), "--format", "png", "-o", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    p = bench("run", "--device", "sus", "--runner", "llama.cpp", "--model", str(tiny_model),
              "--sustained", "ten minutes", check=2)
    assert "--sustained 'ten minutes'" in p.stderr


def test_sustained_perf_drop_is_an_event():
    import numpy as np
    from harness.analysis.throttle import analyze
    from harness.telemetry.trace import Series, Trace
    t = np.arange(0.0, 10.0, 0.5)
    cap = np.where(t < 4, 3000.0, 2200.0)
    tr = Trace({"freq_max_cpu4_mhz": Series("freq_max_cpu4_mhz", "MHz", t, cap, "cpufreq_max",
                                            {"label": "CPU big cluster", "unit": "cpu4"})})
    phases = [{"phase": "decode" if k == 1 else f"decode#{k}", "start": 2.0 * k - 2,
               "end": 2.0 * k - 0.5} for k in range(1, 6)]
    results = [{"case": {"phase": p["phase"], "test": "tg16", "iteration": k + 1},
                "metrics": {"tokens_per_s": v}, "samples": {}}
               for k, (p, v) in enumerate(zip(phases, [100.0, 99.0, 80.0, 79.0, 78.0]))]
    rep = analyze(tr, phases, results)
    drops = [e["detail"] for e in rep.events if e["kind"] == "perf_drop"]
    assert drops == ["decode tg16 tokens_per_s fell 22% over 5 iterations (100 -> 78)"]
    assert rep.summary == "throttled after 4 s: CPU big cluster capped 3.0 -> 2.2 GHz"
