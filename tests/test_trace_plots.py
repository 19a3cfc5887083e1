"""Telemetry over time, throttling shaded: one figure (`harness.plots.telemetry_timeline`) for
`bench trace RUN --format png` and the suite report's HTML; runs on the local device over a
fake sysfs tree that a background writer heats into a frequency cap (tests/sysfs_fixture.py)."""

from __future__ import annotations

import io
import re
import struct

import numpy as np

from conftest import bench, bench_json
from harness.plots import telemetry_timeline, throttle_spans
from harness.telemetry.trace import Series, Trace
from test_telemetry_e2e import HeatOnLoad, _device

SHADE = np.array([250, 229, 229]) / 255  # PALETTE red at alpha 0.12 over white


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def shaded_fraction(data: bytes) -> float:
    import matplotlib.image as mpimg

    px = mpimg.imread(io.BytesIO(data), format="png")[:, :, :3]
    return float(np.mean(np.all(np.abs(px - SHADE) < 2 / 255, axis=2)))


def test_throttle_spans_from_events():
    ev = [{"t_s": 2.0, "kind": "freq_cap", "channel": "freq_max_cpu4_mhz"},
          {"t_s": 3.0, "kind": "trip_crossed", "channel": "temp_cpu_c"},
          {"t_s": 5.0, "kind": "freq_cap_released", "channel": "freq_max_cpu4_mhz"},
          {"t_s": 6.0, "kind": "thermal_status", "channel": "s", "rising": True,
           "detail": "thermal status none -> light"},
          {"t_s": 7.5, "kind": "thermal_status", "channel": "s", "rising": False,
           "detail": "thermal status light -> none"},
          {"t_s": 8.0, "kind": "freq_cap", "channel": "freq_max_gpu_mhz"}]
    assert throttle_spans(ev, 10.0) == [(2.0, 5.0), (6.0, 7.5), (8.0, 10.0)]
    perf_only = [{"t_s": 4.0, "kind": "perf_drop"}, {"t_s": 4.0, "kind": "throttled"}]
    assert throttle_spans(perf_only, 9.0) == [(4.0, 9.0)]
    assert throttle_spans([{"t_s": 1.0, "kind": "trip_crossed", "channel": "x"}], 9.0) == []


def test_timeline_draws_nothing_without_sensor_channels():
    t = np.arange(3.0)
    tr = Trace({"mem_used_mb": Series("mem_used_mb", "MB", t, t, "memory")})
    assert telemetry_timeline(tr, [], [], [], 0.0, "x", io.BytesIO()) is False


def test_heated_run_png_is_shaded(registered, tiny_model, env, tmp_path):
    fs = _device(env, tmp_path, "hotphone")
    heater = HeatOnLoad(fs, tmp_path / "device", start_c=70.0, step_s=0.01)
    heater.start()
    try:
        run = bench_json("run", "--device", "hotphone", "--runner", "llama.cpp", "--model",
                         str(tiny_model), "--param", "p=64", "--param", "n=16", "--param", "t=1",
                         "--repetitions", "2")
    finally:
        heater.stop()
    assert run["status"] == "ok" and "throttled" in run["flags"], run
    png = tmp_path / "run.png"
    bench("trace", str(run["id"]), "--format", "png", "-o", str(png))
    data = png.read_bytes()
    w, h = png_size(data)
    assert (w, h) == (990, 1100)  # 9 x 10 in at 110 dpi: performance, temp, freq, power rows
    assert 30_000 < len(data) < 1_000_000
    # the throttled span is shaded (how wide depends on when the cap landed on a loaded
    # machine; the width for a known span is checked on a constructed trace below)
    assert shaded_fraction(data) > 0


def test_unthrottled_trace_has_no_shade():
    t = np.linspace(0, 5, 50)
    tr = Trace({"temp_cpu_c": Series("temp_cpu_c", "C", t, 40 + t, "thermal"),
                "freq_cpu0_mhz": Series("freq_cpu0_mhz", "MHz", t, 0 * t + 1800, "cpufreq")})
    buf = io.BytesIO()
    assert telemetry_timeline(tr, [], [], [], 0.0, "cool run", buf)
    assert shaded_fraction(buf.getvalue()) == 0.0
    buf = io.BytesIO()
    telemetry_timeline(tr, [], [{"t_s": 2.0, "kind": "freq_cap", "channel": "f"}], [], 0.0,
                       "capped run", buf)
    assert shaded_fraction(buf.getvalue()) > 0.05


def test_suite_report_embeds_thermal_timelines(registered, env, tmp_path):
    fs = _device(env, tmp_path, "hotphone")
    suite = tmp_path / "hot.yaml"
    suite.write_text("name: hot\ndevices: [hotphone]\nrunners: [llama.cpp]\nmodels:\n"
                     "  - {name: tiny-q4_0, synth: {params: 8M, quant: q4_0}}\n"
                     "  - {name: tiny-q8_0, synth: {params: 8M, quant: q8_0}}\n"
                     "params: {p: [32], n: [8], t: [1]}\nrepetitions: 2\nwarmup: 0\n"
                     "telemetry: true\n")
    heater = HeatOnLoad(fs, tmp_path / "device", start_c=70.0, step_s=0.01)
    heater.start()
    try:
        out = bench_json("suite", "run", str(suite))
    finally:
        heater.stop()
    assert out["status"] == "ok", out
    page = tmp_path / "r.html"
    bench("report", out["suite_run"], "--format", "html", "-o", str(page))
    html = page.read_text()
    imgs = re.findall(r"<img alt='([^']*)' src=\"data:image/png;base64,iVBORw0KGgo", html)
    assert len(imgs) == html.count('src="data:image/png;base64,')
    timelines = [a for a in imgs if a.startswith("thermal, frequency and power over time: ")]
    keys = [j["key"] for j in out["jobs"]]
    assert len(timelines) == 2 and all(any(k in a for a in timelines) for k in keys)
    # a job's timeline says "throttled (shaded)" exactly when its run was flagged throttled
    # (the heater caps the first job at least, unless a loaded machine delays it)
    flagged = {j["key"] for j in out["jobs"]
               if "throttled" in bench_json("show", str(j["run_id"]))["flags"]}
    marked = {k for k in keys for a in timelines if k in a and a.endswith(", throttled (shaded)")}
    assert marked == flagged
    assert "energy per token by quantization" in imgs  # both quantizations measured energy
    md = tmp_path / "r.md"
    bench("report", out["suite_run"], "--format", "md", "-o", str(md))
    assert "base64" not in md.read_text()
