"""Telemetry parsers on the real samples, with the numbers their metas list; fuzzed for crashes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from conftest import SAMPLES, bench_json, bench
from harness.results import ParseError
from harness.telemetry.channels import slug
from harness.telemetry.parsers import PARSERS, parse_npu_load, parse_tegrastats

TEGRA = sorted((SAMPLES / "tegrastats").glob("*.txt"))


def meta(path):
    return json.loads(path.with_suffix("").with_suffix(".meta.json").read_text()
                      if path.name.endswith(".meta.json") else
                      path.with_name(path.stem + ".meta.json").read_text())


@pytest.mark.parametrize("path", TEGRA, ids=lambda p: p.stem)
def test_tegrastats_every_generation_matches_meta(path):
    exp = meta(path)["expected"]
    rows = parse_tegrastats(path.read_text())
    assert len(rows) == exp["num_lines"]
    for i, (row, want) in enumerate(zip(rows, exp["lines"])):
        m = row.metrics
        assert row.case["index"] == i
        assert m["mem_used_mb"] == want["ram"]["used_mb"]
        assert m["mem_total_mb"] == want["ram"]["total_mb"]
        assert m["swap_used_mb"] == want["swap"]["used_mb"]
        off = []
        for k, core in enumerate(want["cpu"]):
            if core == "off":
                off.append(k)
                assert f"freq_cpu{k}_mhz" not in m
            else:
                assert m[f"load_cpu{k}_pct"] == core["load_pct"]
                assert m[f"freq_cpu{k}_mhz"] == core["freq_mhz"]
        assert row.case.get("cpus_off", []) == off
        assert (m["load_emc_pct"], m["freq_emc_mhz"]) == (want["emc"]["load_pct"],
                                                          want["emc"]["freq_mhz"])
        assert (m["load_gpu_pct"], m["freq_gpu_mhz"]) == (want["gr3d"]["load_pct"],
                                                          want["gr3d"]["freq_mhz"])
        assert m["freq_ape_mhz"] == want["ape_mhz"]
        if "vic_freq" in want:
            assert m["freq_vic_mhz"] == want["vic_freq"]
        temps = {k: v for k, v in m.items() if k.startswith("temp_")}
        assert temps == {f"temp_{slug(z)}_c": v for z, v in want["temps_c"].items()}
        for rail, v in want["power_rails"].items():
            assert m[f"power_{slug(rail)}_mw"] == v["cur"]
            assert m[f"power_{slug(rail)}_avg_mw"] == v["avg"]
        assert len([k for k in m if k.startswith("power_")]) == 2 * len(want["power_rails"])


def test_tegrastats_jetpack6_timestamp_and_irregular_spacing():
    # JetPack 6 format (Jetson Linux r36 tegrastats): a leading timestamp, lower-case zones,
    # GR3D over two GPCs, a switched-off sensor at -256C; 0.5 s then 2 s apart, noise between.
    text = ("06-12-2026 21:00:00.0 junk\n"
            "06-12-2026 21:00:00 RAM 4069/62841MB (lfb 3x4MB) SWAP 0/31421MB (cached 0MB) "
            "CPU [1%@729,2%@729,off] EMC_FREQ 1%@2133 GR3D_FREQ 47%@[1300,1300] "
            "cpu@48.5C soc2@45.031C cv0@-256C tj@49.2C VDD_GPU_SOC 2391mW/2391mW "
            "VIN_SYS_5V0 4120mW/4120mW\n"
            "$ other program output 12/34\n"
            "06-12-2026 21:00:02 RAM 4070/62841MB (lfb 3x4MB) SWAP 0/31421MB (cached 0MB) "
            "CPU [3%@1190,2%@729,off] EMC_FREQ 1%@2133 GR3D_FREQ 0%@[306,306] "
            "cpu@49C soc2@45C cv0@-256C tj@49.5C VDD_GPU_SOC 1200mW/1795mW "
            "VIN_SYS_5V0 3900mW/4010mW\n")
    a, b = parse_tegrastats(text)
    assert a.case == {"index": 0, "timestamp": "06-12-2026 21:00:00", "cpus_off": [2],
                      "invalid": {"temp_cv0_c": -256.0}}
    assert b.case["timestamp"] == "06-12-2026 21:00:02"
    assert a.metrics["freq_gpu_mhz"] == 1300 and a.metrics["load_gpu_pct"] == 47
    assert a.metrics["temp_cpu_c"] == 48.5 and a.metrics["temp_soc2_c"] == 45.031
    assert "temp_cv0_c" not in a.metrics
    assert b.metrics["power_vdd_gpu_soc_mw"] == 1200 and b.metrics["power_vdd_gpu_soc_avg_mw"] == 1795
    assert b.metrics["power_vin_sys_5v0_mw"] == 3900


def test_npu_load_three_cores_and_overflow_anomaly():
    ok = parse_npu_load((SAMPLES / "rknn/npu_load_orangepi5_rk3588_three_core.txt").read_text())
    assert [r.metrics for r in ok] == [{"load_npu_core0_pct": 63, "load_npu_core1_pct": 65,
                                        "load_npu_core2_pct": 64}]
    bad = parse_npu_load((SAMPLES / "rknn/npu_load_rk3588_overflow_anomaly.txt").read_text())
    assert bad[0].metrics == {"load_npu_core0_pct": 99, "load_npu_core1_pct": 99}
    assert bad[0].case["invalid"] == {"load_npu_core2_pct": 429496}
    single = parse_npu_load("NPU load:  45%\nNPU load:  0%\n")
    assert [r.metrics for r in single] == [{"load_npu_pct": 45}, {"load_npu_pct": 0}]


@pytest.mark.parametrize("name,level,volt,temp", [
    ("dumpsys_battery_android14_capacity_level", 80, 4200, 18.0),
    ("dumpsys_battery_old_minimal_2016", 89, 0, 0.0),
    ("dumpsys_battery_samsung_sec_extras", 100, 4312, 30.9),
])
def test_dumpsys_battery_samples(name, level, volt, temp):
    path = SAMPLES / "android" / f"{name}.txt"
    d = meta(path)["expected"]["derived"]
    assert (d["level_pct"], d["voltage_mv"], d["temperature_c"]) == (level, volt, temp)
    (row,) = PARSERS["dumpsys-battery"](path.read_text())
    assert row.metrics["battery_level_pct"] == level
    assert row.metrics["voltage_battery_mv"] == volt
    assert row.metrics["temp_battery_c"] == temp
    if "samsung" in name:
        assert row.metrics["current_battery_ma"] == 0
        assert row.metrics["charge_counter_battery_mah"] == 2967.0
        assert row.case["plugged"] == "usb"


def test_dumpsys_battery_periodic_capture_gives_one_row_per_dump():
    one = (SAMPLES / "android/dumpsys_battery_android14_capacity_level.txt").read_text()
    rows = PARSERS["dumpsys-battery"](one + one.replace("level: 80", "level: 79"))
    assert [r.case["index"] for r in rows] == [0, 1]
    assert [r.metrics["battery_level_pct"] for r in rows] == [80, 79]


def test_dumpsys_thermal_sample():
    path = SAMPLES / "android/dumpsys_thermalservice_samsung_a52_5g_android12_flattened.txt"
    exp = meta(path)["expected"]
    (row,) = PARSERS["dumpsys-thermal"](path.read_text())
    assert row.metrics["thermal_status"] == exp["thermal_status"] == 0
    want = {f"temp_{slug(t['name'])}_c": t["value_c"]
            for t in exp["current_temperatures_from_hal"]}
    assert {k: v for k, v in row.metrics.items() if k.startswith("temp_")} == want
    assert row.metrics["temp_ap_c"] == 25.6 and row.case["types"]["temp_ap_c"] == "cpu"


def test_getprop_sample():
    path = SAMPLES / "android/getprop_full_oneplus11_cph2451_sm8550_android13.txt"
    exp = meta(path)["expected"]
    (row,) = PARSERS["getprop"](path.read_text())
    assert row.metrics == {"property_count": exp["num_properties"], "android_sdk": 33}
    assert row.case["model"] == "CPH2451" and row.case["soc"] == "QTI SM8550"
    assert row.case["abi"] == "arm64-v8a"


def test_bench_parse_cli(tmp_path):
    f = SAMPLES / "rknn/npu_load_rk3588_overflow_anomaly.txt"
    out = bench_json("parse", "npu-load", str(f))
    assert out["runner"] == "npu-load"
    assert out["results"][0]["metrics"] == {"load_npu_core0_pct": 99, "load_npu_core1_pct": 99}
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here\n")
    p = bench("parse", "tegrastats", str(empty), check=2)
    assert p.stderr.startswith("error: ") and "tegrastats" in p.stderr
    p = bench("parse", "nosuch", str(empty), check=2)
    assert "npu-load" in p.stderr and "llama.cpp" in p.stderr


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(PARSERS)), st.lists(st.sampled_from(
    ["RAM 1/2MB", "CPU [", "off,", "5%@", "12", "]", "GR3D_FREQ", "99%@[1,", "X@-3.5C",
     "VDD_IN", "5299mW/", "NPU load:", "Core0:", "429496%", "[a]: [b", "]", "level: ",
     "Thermal Status: ", "Temperature{mValue=", "Current Battery Service state:", "\n", " ",
     "IsStatusOverride:", "mType=x"]), max_size=40), st.text(max_size=60))
def test_parsers_never_crash(name, parts, noise):
    text = "".join(parts) + noise
    try:
        rows = PARSERS[name](text)
    except ParseError:
        return
    for r in rows:
        assert all(isinstance(v, float) or isinstance(v, int) for v in r.metrics.values())


def test_odpm_sample_two_meters():
    path = SAMPLES / "android/odpm_iio_energy_value_pixel6_two_devices.txt"
    exp = meta(path)["expected"]
    rows = PARSERS["odpm"](path.read_text())
    assert [r.case for r in rows] == [{"index": 0, "t_ms": 349894}, {"index": 1, "t_ms": 359458}]
    got = {(r.case["t_ms"], k): v for r in rows for k, v in r.metrics.items()}
    want = {(x["t_ms"], f"energy_{slug(x['rail'])}_mj"): x["energy_uws"] / 1000
            for x in exp["rails"]}
    assert got == want and len(got) == 16
