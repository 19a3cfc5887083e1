"""Android probe parsers on real captures (../shared/samples/android), exact expected numbers."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLES
from harness.probes import android, cpufreq

A = SAMPLES / "android"


def _meta(name: str) -> dict:
    return json.loads((A / f"{name}.meta.json").read_text())


def test_getprop_full_dump_counts_multiline_values():
    name = "getprop_full_oneplus11_cph2451_sm8550_android13"
    props = android.parse_getprop((A / f"{name}.txt").read_text())
    exp = _meta(name)["expected"]
    assert len(props) == exp["num_properties"] == 1365
    for k, v in exp["key_properties"].items():
        assert props[k] == v
    assert props["persist.sys.boot.reason.history"] == (
        "reboot,,1676299019\nreboot,,1676298706\nreboot,factory_reset,1672549238\nreboot,154893")
    assert props["persist.sys.boot.reason"] == ""
    assert props["persist.sys.brand.oplus"] == "true"  # the line after the multi-line value
    assert android.soc_of(props) == "QTI SM8550"


def test_soc_falls_back_to_board_platform_then_hardware():
    assert android.soc_of({"ro.board.platform": "kalama", "ro.hardware": "qcom"}) == "kalama"
    assert android.soc_of({"ro.hardware": "qcom"}) == "qcom"
    assert android.soc_of({}) is None


@pytest.mark.parametrize("name", ["dumpsys_battery_android14_capacity_level",
                                  "dumpsys_battery_old_minimal_2016",
                                  "dumpsys_battery_samsung_sec_extras"])
def test_dumpsys_battery_fields_and_units(name):
    b = android.parse_dumpsys_battery((A / f"{name}.txt").read_text())
    exp = _meta(name)["expected"]
    for k, v in exp["fields"].items():
        assert b["fields"][k] == v, k
    assert b["level_pct"] == exp["derived"]["level_pct"]
    assert b["temperature_c"] == exp["derived"]["temperature_c"]
    assert b["voltage_mv"] == exp["derived"]["voltage_mv"]


def test_dumpsys_battery_derived_names():
    b = android.parse_dumpsys_battery(
        (A / "dumpsys_battery_android14_capacity_level.txt").read_text())
    assert (b["status"], b["status_name"], b["health_name"]) == (4, "not_charging", "overheat")
    assert b["plugged"] == ["ac"]
    assert b["temperature_raw"] == 180 and b["charge_counter_uah"] == 3376000
    assert "current_ma" not in b


def test_dumpsys_battery_samsung_extras_stop_at_block_end():
    b = android.parse_dumpsys_battery(
        (A / "dumpsys_battery_samsung_sec_extras.txt").read_text())
    assert b["current_ma"] == 0 and b["status_name"] == "full" and b["plugged"] == ["usb"]
    assert b["fields"]["Charge counter"] == "2967000"  # first occurrence, not the lower-case one
    for key in ("USE_FAKE_BATTERY", "mSavedBatteryAsoc", "LLB CAL", "BatteryInfoBackUp"):
        assert key not in b["fields"]
    assert b["temperature_c"] == 30.9


def test_dumpsys_battery_old_prompt_line_ignored():
    b = android.parse_dumpsys_battery((A / "dumpsys_battery_old_minimal_2016.txt").read_text())
    assert len(b["fields"]) == 11 and b["status_name"] == "charging"
    assert b["plugged"] == ["ac"] and b["voltage_mv"] == 0


def test_thermalservice_flattened_samsung_a52():
    name = "dumpsys_thermalservice_samsung_a52_5g_android12_flattened"
    t = android.parse_thermalservice((A / f"{name}.txt").read_text())
    exp = _meta(name)["expected"]
    assert t["is_status_override"] is exp["is_status_override"]
    assert t["thermal_status"] == exp["thermal_status"] == 0
    assert t["thermal_status_name"] == "none"
    assert t["hal_ready"] is True and t["hal_connection"] == exp["hal_connection"]
    assert t["cached_temperatures"] == exp["cached_temperatures"]
    assert t["current_temperatures_from_hal"] == exp["current_temperatures_from_hal"]
    assert t["cooling_devices"] == [] and t["static_thresholds"] == []
    assert t["temperatures_by_type"]["cpu"] == {"AP": 25.6}
    assert t["temperatures_by_type"]["skin"] == {"LRB": 24.7, "LRF": 24.7, "LRP": 24.7}
    assert t["temperatures_by_type"]["battery"] == {"BAT": 23.8, "SUBBAT": 0.0, "SUBBATRAW": 0.0}


def test_thermalservice_indented_with_cooling_devices_and_thresholds():
    # the same dump with its real tab indentation restored, plus HAL cooling/threshold lines
    flat = (A / "dumpsys_thermalservice_samsung_a52_5g_android12_flattened.txt").read_text()
    lines = []
    for ln in flat.splitlines():
        top = ln.endswith(":") or ln.startswith(("IsStatusOverride", "Thermal Status",
                                                 "HAL Ready"))
        lines.append(ln if top else "\t" + ln)
        if ln == "Current cooling devices from HAL:":
            lines.append("\tCoolingDevice{mValue=2, mType=2, mName=thermal-cpufreq-0}")
        if ln == "Temperature static thresholds from HAL:":
            lines.append("\tTemperatureThreshold{mType=0, mName=AP, "
                         "mHotThrottlingThresholds=[NaN, 45.0, 50.0], "
                         "mColdThrottlingThresholds=[NaN, NaN, NaN]}")
    t = android.parse_thermalservice("\n".join(lines))
    assert t["thermal_status"] == 0 and len(t["current_temperatures_from_hal"]) == 9
    assert t["cooling_devices"] == [{"name": "thermal-cpufreq-0", "value": 2.0, "type": 2}]
    th = t["static_thresholds"][0]
    assert th["name"] == "AP" and th["mHotThrottlingThresholds"] == "[NaN, 45.0, 50.0]"


def test_power_awake():
    assert android.parse_dumpsys_power_awake("  mWakefulness=Awake\n") is True
    assert android.parse_dumpsys_power_awake("mWakefulness=Asleep\nDisplay Power: state=ON") \
        is False
    assert android.parse_dumpsys_power_awake("Display Power: state=OFF") is False
    assert android.parse_dumpsys_power_awake("") is None


def test_cpufreq_policies_from_grep_lines():
    text = "\n".join([
        "/sys/devices/system/cpu/cpufreq/policy0/related_cpus:0 1 2 3",
        "/sys/devices/system/cpu/cpufreq/policy0/cpuinfo_max_freq:1704000",
        "/sys/devices/system/cpu/cpufreq/policy0/cpuinfo_min_freq:324000",
        "/sys/devices/system/cpu/cpufreq/policy4/related_cpus:4 5 6 7",
        "/sys/devices/system/cpu/cpufreq/policy4/cpuinfo_max_freq:2367000",
        "/sys/devices/system/cpu/cpufreq/policy8/related_cpus:8",
        "/sys/devices/system/cpu/cpufreq/policy8/cpuinfo_max_freq:2914000",
        "/sys/devices/system/cpu/cpufreq/policy8/scaling_governor:sched_pixel",
    ])
    c = android.parse_cpufreq_policies(text)
    assert [x["policy"] for x in c] == [0, 4, 8]
    assert c[0]["cpus"] == [0, 1, 2, 3] and c[0]["max_mhz"] == 1704.0 and c[0]["min_khz"] == 324000
    assert c[2] == {"policy": 8, "cpus": [8], "max_khz": 2914000, "max_mhz": 2914.0,
                    "governor": "sched_pixel"}
    assert cpufreq.parse_cpu_list("0-3,6") == [0, 1, 2, 3, 6]


def test_probe_sections_round_trip():
    getprop = (A / "getprop_full_oneplus11_cph2451_sm8550_android13.txt").read_text()
    battery = (A / "dumpsys_battery_samsung_sec_extras.txt").read_text()
    thermal = (A / "dumpsys_thermalservice_samsung_a52_5g_android12_flattened.txt").read_text()
    S = android.SECTION
    text = (f"{S}getprop\n{getprop}{S}meminfo\nMemTotal:       15728640 kB\nMemFree: 1 kB\n"
            f"{S}cpufreq\n/x/policy0/related_cpus:0 1 2\n/x/policy0/cpuinfo_max_freq:2016000\n"
            f"{S}battery\n{battery}{S}thermal\n{thermal}{S}power\n  mWakefulness=Awake\n"
            f"{S}tools\ntaskset\nsvc\n")
    p = android.parse_probe(text)
    assert p["manufacturer"] == "OnePlus" and p["model"] == "CPH2451"
    assert p["soc"] == "QTI SM8550" and p["abi"] == "arm64-v8a"
    assert p["abilist"] == ["arm64-v8a", "armeabi-v7a", "armeabi"]
    assert (p["android_release"], p["sdk"]) == ("13", 33)
    assert p["ram_kb"] == 15728640
    assert p["cpu_clusters"] == [{"policy": 0, "cpus": [0, 1, 2], "max_khz": 2016000,
                                  "max_mhz": 2016.0}]
    assert p["battery"]["level"] == 100 and p["battery"]["temperature_c"] == 30.9
    assert p["thermal_status"] == 0 and p["awake"] is True
    assert p["tools"] == ["taskset", "svc"]


def test_probe_command_quotes_sysfs_root():
    cmd = android.probe_command("/tmp/a b'c")
    assert "'/tmp/a b'\"'\"'c/sys/devices/system/cpu/cpufreq'/policy*" in cmd
