"""Channel discovery on a fake sysfs tree, via the real sampler script under dash."""

from __future__ import annotations

import subprocess

import pytest

from harness.telemetry.channels import battery_units, channels_from_listing, parse_listing, slug
from harness.telemetry.session import SAMPLER, parse_tick
from harness.telemetry.settings import TelemetryConfig
from sysfs_fixture import FakeSysfs


def listing(root) -> dict[str, str]:
    out = subprocess.run(["sh", str(SAMPLER), "discover", str(root)], capture_output=True,
                         text=True, check=True).stdout
    assert out.rstrip().endswith("END")
    return parse_listing(out)


@pytest.fixture
def fs(tmp_path) -> FakeSysfs:
    return FakeSysfs(tmp_path / "root")


def test_discovers_every_kind_with_design_names(fs):
    d = channels_from_listing(listing(fs.root), TelemetryConfig(), str(fs.root))
    by = {c.name: c for c in d.channels}
    assert sorted(by) == sorted([
        "temp_cpu_1_0_usr_c", "temp_gpuss_0_usr_c", "temp_battery_c",
        "freq_cpu0_mhz", "freq_max_cpu0_mhz", "freq_cpu4_mhz", "freq_max_cpu4_mhz",
        "freq_gpu_mhz", "freq_max_gpu_mhz", "battery_level_pct", "power_battery_mw",
        "current_battery_ma",
        "power_vdd_in_mw", "power_vdd_cpu_gpu_cv_mw"])  # NC and "sum of shunt" skipped
    cpu = by["temp_cpu_1_0_usr_c"]
    assert cpu.meta["trips"] == [{"temp_c": 75.0, "type": "passive"},
                                 {"temp_c": 110.0, "type": "critical"}]
    assert by["freq_max_cpu4_mhz"].meta["label"] == "CPU big cluster"
    assert by["freq_max_cpu0_mhz"].meta["label"] == "CPU little cluster"
    # battery: 500 mA (>0 while Discharging -> positive discharge sign) x 3.9 V in uV
    bat = by["power_battery_mw"]
    assert d.battery == {"supply": "battery", "current_unit": "mA", "voltage_unit": "uV",
                         "discharge": "positive", "sign_from": "status",
                         "units_from": "magnitude"}
    assert bat.scale * 500 * 3900000 == pytest.approx(1950.0)
    assert by["power_vdd_in_mw"].scale * 1200 * 5000 == pytest.approx(6000.0)
    assert d.state["battery_level_pct"] == 87 and d.state["charging_state"] == "Discharging"
    assert d.state["start_temps_c"]["temp_cpu_1_0_usr_c"] == 35.0


def test_config_filters_and_overrides(fs):
    cfg = TelemetryConfig.model_validate({
        "zones": ["cpu-1-0-usr", "nosuchzone"], "exclude": ["freq_cpu0_mhz"],
        "channels": [{"name": "temp_gpu_c", "path": "sys/class/thermal/thermal_zone1/temp",
                      "scale": 0.001, "unit": "C"}],
        "battery": {"current_unit": "uA", "voltage_unit": "uV", "discharge": "negative"}})
    d = channels_from_listing(listing(fs.root), cfg, str(fs.root))
    names = {c.name for c in d.channels}
    assert "temp_gpuss_0_usr_c" not in names and "temp_cpu_1_0_usr_c" in names
    assert "freq_cpu0_mhz" not in names and "temp_gpu_c" in names
    assert d.warnings == ["thermal zone 'nosuchzone' not found; skipped"]
    assert d.battery["discharge"] == "negative" and d.battery["sign_from"] == "config"
    bat = next(c for c in d.channels if c.name == "power_battery_mw")
    assert bat.scale == pytest.approx(-1e-9)


@pytest.mark.parametrize("current,voltage,status,expect", [
    (-450000, 3850000, "Discharging", ("uA", "uV", "negative", "status")),
    (450, 3850, "Discharging", ("mA", "mV", "positive", "status")),
    (-800, 4100000, "Charging", ("mA", "uV", "positive", "status")),
    (120000, 4000000, "Full", ("uA", "uV", "negative", "default")),
])
def test_battery_unit_and_sign_detection(current, voltage, status, expect):
    u = battery_units(current, voltage, status, TelemetryConfig())
    assert (u["current_unit"], u["voltage_unit"], u["discharge"], u["sign_from"]) == expect


def test_slug_and_tick_parsing():
    assert slug("VDD_CPU_GPU_CV") == "vdd_cpu_gpu_cv" and slug("CPU@47.9C") == "cpu_47_9c"
    up, vals, bad = parse_tick("S 12.5 35000 NA 7", 3)
    assert up == 12.5 and vals[0] == 35000 and vals[2] == 7 and bad == [1]
    assert parse_tick("sh: can't open", 3) is None
    assert parse_tick("S 12.5 1 2", 3) is None


def test_sampler_reports_unreadable_as_na(fs, tmp_path):
    gone = tmp_path / "gone"
    p = subprocess.Popen(["sh", str(SAMPLER), "sample", "0.05",
                          str(fs.path("sys/class/thermal/thermal_zone0/temp")), str(gone)],
                         stdout=subprocess.PIPE, text=True)
    header = p.stdout.readline()
    tick = p.stdout.readline()
    p.kill()
    p.wait()
    assert header.startswith("# devicebench-sampler 2")
    up, vals, bad = parse_tick(tick, 2)
    assert vals[0] == 35000 and bad == [1] and up > 0


@pytest.mark.parametrize("env,mode", [({}, "read"), ({"DEVICEBENCH_SAMPLER_REEXEC": "1"}, "sleep")])
def test_sampler_waits_without_forking_where_the_shell_can(fs, env, mode, tmp_path):
    import os
    import shutil
    if mode == "read" and not (shutil.which("bash") or shutil.which("mksh")):
        pytest.skip("no shell with read -t here")
    if mode == "sleep" and not os.path.realpath(shutil.which("sh")).endswith("dash"):
        pytest.skip("sh is not dash: it may wait with read -t itself")
    script = tmp_path / "s" / "sampler.sh"  # a writable folder beside it holds the FIFO
    script.parent.mkdir()
    shutil.copy(SAMPLER, script)
    p = subprocess.Popen(["sh", str(script), "sample", "0.05",
                          str(fs.path("sys/class/thermal/thermal_zone0/temp"))],
                         stdout=subprocess.PIPE, text=True, env={**os.environ, **env})
    header = p.stdout.readline().split()
    ticks = [parse_tick(p.stdout.readline(), 1) for _ in range(3)]
    p.kill()
    p.wait()
    assert header[-1] == mode
    ups = [t[0] for t in ticks]
    assert all(t[1] == [35000.0] for t in ticks) and ups == sorted(ups) and ups[2] - ups[0] >= 0.08
    assert list((tmp_path / "s").iterdir()) == [script]  # the FIFO is unlinked once opened


SHELLS = [s for s in (["dash"], ["mksh"], ["busybox", "sh"], ["bash"])
          if __import__("shutil").which(s[0])]


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: " ".join(s))
def test_sampler_same_under_every_shell(fs, shell):
    """dash (Debian), mksh (Android's /system/bin/sh), busybox ash (boards), bash."""
    import os
    ref = subprocess.run(["sh", str(SAMPLER), "discover", str(fs.root)], capture_output=True,
                         text=True).stdout
    got = subprocess.run([*shell, str(SAMPLER), "discover", str(fs.root)],
                         capture_output=True, text=True).stdout
    assert got == ref and len(parse_listing(got)) == 39
    temp = str(fs.path("sys/class/thermal/thermal_zone0/temp"))
    p = subprocess.Popen([*shell, str(SAMPLER), "sample", "0.05", temp, "/nonexistent"],
                         stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "DEVICEBENCH_SAMPLER_REEXEC": "1"})
    header = p.stdout.readline().split()
    ticks = [parse_tick(p.stdout.readline(), 2) for _ in range(2)]
    p.kill()
    p.wait()
    assert header[:3] == ["#", "devicebench-sampler", "2"]
    assert header[-1] == ("sleep" if shell == ["dash"] else "read")
    assert [(t[1][0], t[2]) for t in ticks] == [(35000.0, [1])] * 2
