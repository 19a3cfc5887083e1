"""Jetson `tegrastats --interval N` as the live streamer. The device's outermost edge, the
`tegrastats` binary, is a script on the local device's PATH that replays a real sample file
(../shared/samples/tegrastats) line by line at the requested interval, noise lines included."""

from __future__ import annotations

import csv
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLES, bench, bench_json
from harness.telemetry.channels import channels_from_listing
from harness.telemetry.settings import TelemetryConfig
from harness.telemetry.tegrastats import TegrastatsStream
from harness.transports.local import LocalTransport

NANO = SAMPLES / "tegrastats/jetson_nano_l4t32_pom_multiline_with_app_noise.txt"
ORIN = SAMPLES / "tegrastats/jetson_orin_nx16_jp5_mw_units.txt"


def fake_tegrastats(bindir: Path, sample: Path) -> Path:
    """A `tegrastats` that honours `--interval MS` and replays `sample` until killed."""
    bindir.mkdir(parents=True, exist_ok=True)
    exe = bindir / "tegrastats"
    exe.write_text(f"""#!/bin/sh
ms=1000
[ "$1" = --interval ] && ms=$2
s=$(awk "BEGIN {{ print $ms / 1000 }}")
while :; do
  while IFS= read -r line; do
    printf '%s\\n' "$line"
    case "$line" in *RAM*) sleep "$s" ;; esac
  done < {sample}
done
""")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_stream_replays_every_line_on_the_device_clock(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    fake_tegrastats(bindir, NANO)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    tr = LocalTransport()
    t0 = tr.device_time()
    s = TegrastatsStream(tr, 30, offset_s=t0 - time.monotonic())
    assert s.wait_first(timeout=5)
    time.sleep(0.5)
    series = {x.name: x for x in s.stop()}
    t1 = tr.device_time()
    assert s.lines >= 6 and s.noise >= 5  # app output between samples is skipped, counted
    pin = series["power_pom_5v_in_mw"]
    n = len(pin.v)
    assert list(pin.v) == ([1057.0, 1015.0, 1057.0] * n)[:n]  # sample order, exact values
    assert list(series["power_pom_5v_in_avg_mw"].v) == ([1057.0, 1036.0, 1043.0] * n)[:n]
    assert pin.kind == "rail" and series["power_pom_5v_in_avg_mw"].kind == "rail_avg"
    assert list(series["freq_cpu1_mhz"].v) == ([102.0, 102.0, 204.0] * n)[:n]
    assert series["freq_cpu1_mhz"].kind == "cpufreq"
    assert list(series["temp_thermal_c"].v) == ([29.5, 29.5, 29.25] * n)[:n]
    assert series["temp_cpu_c"].kind == "thermal" and series["temp_cpu_c"].unit == "C"
    assert series["freq_gpu_mhz"].kind == "devfreq" and set(series["freq_gpu_mhz"].v) == {76.0}
    assert t0 <= pin.t[0] and pin.t[-1] <= t1 and np.all(np.diff(pin.t) > 0)
    assert np.median(np.diff(pin.t)) >= 0.02  # paced by --interval 30, not one burst


def test_discovery_selects_tegrastats_only_on_a_jetson():
    base = {"/tool/tegrastats": "1"}
    on = channels_from_listing({**base, "/r/etc/nv_tegra_release": "# R35 (release)"},
                               TelemetryConfig(), "/r")
    soc = channels_from_listing({**base, "/r/sys/devices/soc0/family": "Tegra"},
                                TelemetryConfig(), "/r")
    pc = channels_from_listing({**base, "/r/sys/devices/soc0/family": "jep106:0426"},
                               TelemetryConfig(), "/r")
    assert on.tegrastats and soc.tegrastats and not pc.tegrastats
    assert not channels_from_listing({"/r/etc/nv_tegra_release": "# R35"},
                                     TelemetryConfig(), "/r").tegrastats


def test_run_on_a_jetson_stores_tegrastats_traces(registered, tiny_model, env, tmp_path,
                                                  monkeypatch):
    bindir = tmp_path / "bin"
    fake_tegrastats(bindir, ORIN)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    root = tmp_path / "jetson-root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/nv_tegra_release").write_text("# R35 (release), REVISION: 4.1\n")
    z = root / "sys/class/thermal/thermal_zone0"
    z.mkdir(parents=True)
    (z / "type").write_text("cpu-thermal\n")
    (z / "temp").write_text("47937\n")
    cfg = Path(env["BENCH_CONFIG_DIR"]) / "orin.yaml"
    cfg.write_text(f"name: orin\ntransport: local\nworkdir: {tmp_path / 'device'}\n"
                   f"sysfs_root: {root}\ntelemetry:\n  interval_ms: 50\n  baseline_s: 0.3\n")
    run = bench_json("run", "--device", "orin", "--runner", "llama.cpp", "--model",
                     str(tiny_model), "--param", "p=32", "--param", "n=8", "--param", "t=1",
                     "--repetitions", "2")
    assert run["status"] == "ok", run["error"]
    st = run["device_state"]["tegrastats"]
    assert st["clock"] == "stamped on arrival" and st["lines"] >= 3 and st["interval_ms"] == 50
    chans = run["device_state"]["channels"]
    for name in ("power_vdd_in_mw", "power_vdd_cpu_gpu_cv_mw", "power_vdd_soc_mw",
                 "temp_tj_c", "freq_cpu0_mhz", "freq_gpu_mhz", "temp_cpu_thermal_c"):
        assert name in chans  # tegrastats beside the sysfs sampler (cpu-thermal zone)
    out = tmp_path / "trace.csv"
    bench("trace", str(run["id"]), "--format", "csv", "-o", str(out))
    rows = list(csv.DictReader(out.open()))
    vals: dict[str, set[float]] = {}
    for r in rows:  # long format: t_s, channel, unit, value
        vals.setdefault(r["channel"], set()).add(float(r["value"]))
    assert vals["power_vdd_in_mw"] == {5299.0} and vals["power_vdd_soc_mw"] == {1424.0}
    assert vals["power_vdd_cpu_gpu_cv_mw"] == {773.0}
    assert vals["temp_tj_c"] == {48.875} and vals["temp_cv2_c"] == {45.75}
    assert vals["freq_cpu3_mhz"] == {729.0} and vals["freq_emc_mhz"] == {2133.0}
    assert vals["freq_gpu_mhz"] == {611.0} and vals["freq_vic_mhz"] == {729.0}
    assert "freq_cpu4_mhz" not in vals  # "off" cores print no frequency
    assert "temp_cpu_thermal_c" in vals  # the sh sampler's sysfs zone, same run
    decode = next(r for r in run["results"] if r["case"].get("phase") == "decode")
    assert decode["metrics"]["avg_power_mw"] == pytest.approx(5299.0)  # VDD_IN is the total
