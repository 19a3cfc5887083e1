"""A suite's `cooldown:` drives the telemetry conditioning (the device config's `conditioning:`
names): the wait, its outcome and the `started_hot` flag are in each run of the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import bench, bench_json
from harness.config import ConfigError
from harness.suites import expand, load_suite
from sysfs_fixture import FakeSysfs

SUITE = ("name: cool\ndevices: [sensed]\nrunners: [llama.cpp]\n"
         "models:\n  - {name: tiny, synth: {params: 8M, quant: q4_0}}\n"
         "params: {p: [8], n: [4], t: [1]}\nrepetitions: 1\nwarmup: 0\ntelemetry: false\n")


def test_cooldown_keys_are_the_conditioning_names(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SUITE + "cooldown: {pause_s: 3, below_c: 40, timeout_s: 120}\n")
    (job,) = expand(load_suite(path))
    assert job.job.conditioning == {"below_c": 40.0, "timeout_s": 120.0}
    assert job.job.telemetry is True  # the wait reads zones through the sampler
    path.write_text(SUITE + "cooldown: {pause_s: 3}\n")
    (job,) = expand(load_suite(path))
    assert job.job.conditioning == {} and job.job.telemetry is False


def test_old_name_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SUITE + "cooldown: {max_temp_c: 40}\n")
    with pytest.raises(ConfigError, match=r"s\.yaml:10: field 'cooldown\.max_temp_c'"):
        load_suite(path)


def test_suite_cooldown_is_recorded_in_the_run(registered, env, tmp_path: Path) -> None:
    fs = FakeSysfs(tmp_path / "sysfs")  # every zone at 35 C
    (Path(env["BENCH_CONFIG_DIR"]) / "sensed.yaml").write_text(
        f"name: sensed\ntransport: local\nworkdir: {tmp_path / 'device'}\n"
        f"sysfs_root: {fs.root}\ntelemetry: {{interval_ms: 100, baseline_s: 0}}\n"
        "conditioning: {zones: [cpu-1-0-usr], timeout_s: 300}\n")
    path = tmp_path / "cool.yaml"  # 35 C never gets below 30: the suite's timeout ends the wait
    path.write_text(SUITE + "cooldown: {below_c: 30, timeout_s: 0.5, poll_s: 0.1}\n")
    bench("suite", "run", str(path), "--json")
    (listed,) = bench_json("runs")["runs"]
    run = bench_json("show", str(listed["id"]))
    assert run["status"] == "ok"
    cond = run["device_state"]["conditioning"]
    assert cond["outcome"] == "timeout" and cond["started_hot"] is True
    assert cond["start_temps_c"] == {"cpu-1-0-usr": 35.0}
    assert 0.5 <= cond["waited_s"] < 30  # the suite's 0.5 s, not the device's 300 s
    assert "started_hot" in run["flags"]
    (phase,) = [p for p in run["phases"] if p["phase"] == "condition"]
    assert phase["end"] - phase["start"] >= 0.45
