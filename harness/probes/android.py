"""Parsers for what an Android device prints about itself, and the one-round-trip probe.

Pure functions over text (tested on real captures in ../shared/samples/android):
`getprop` ([key]: [value], values may span lines), `dumpsys battery` (AOSP BatteryService dump:
voltage in mV, temperature in tenths of a degree C), `dumpsys thermalservice` (Android 10+
ThermalManagerService dump: `Temperature{mValue=.., mType=.., mName=.., mStatus=..}` lines),
`dumpsys power` (wakefulness), and cpufreq policies as `path:value` lines (what
`grep -H . /sys/devices/system/cpu/cpufreq/policy*/...` prints).

`probe_command()` builds a single shell command that prints all of them in `@@section` blocks;
`parse_probe()` splits and parses that output, so discovery costs one adb round trip per device.
"""

from __future__ import annotations

import re
from typing import Any

from . import cpufreq

# --- getprop ---------------------------------------------------------------------------------

_PROP_START = re.compile(r"^\[([^\]]+)\]: \[(.*)$")


def parse_getprop(text: str) -> dict[str, str]:
    """`[key]: [value]` lines; a value without its closing `]` continues on the next lines."""
    props: dict[str, str] = {}
    key: str | None = None
    buf: list[str] = []
    for line in text.splitlines():
        if key is not None:
            buf.append(line)
            if line.endswith("]"):
                props[key] = "\n".join(buf)[:-1]
                key = None
            continue
        m = _PROP_START.match(line.rstrip("\r"))
        if not m:
            continue
        k, rest = m.group(1), m.group(2)
        if rest.endswith("]"):
            props[k] = rest[:-1]
        else:
            key, buf = k, [rest]
    if key is not None:  # truncated output: keep what was there
        props[key] = "\n".join(buf)
    return props


# --- dumpsys battery -------------------------------------------------------------------------

# android.os.BatteryManager BATTERY_STATUS_* and BATTERY_HEALTH_* constants
BATTERY_STATUS = {1: "unknown", 2: "charging", 3: "discharging", 4: "not_charging", 5: "full"}
BATTERY_HEALTH = {1: "unknown", 2: "good", 3: "overheat", 4: "dead", 5: "over_voltage",
                  6: "unspecified_failure", 7: "cold"}
_PLUGGED = (("AC powered", "ac"), ("USB powered", "usb"), ("Wireless powered", "wireless"),
            ("Dock powered", "dock"))


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_dumpsys_battery(text: str) -> dict[str, Any]:
    """The indented `key: value` block under "Current Battery Service state:".

    Vendor lines after the block (Samsung's unindented SEC_FEATURE lines, BatteryInfoBackUp)
    are ignored. Returns `fields` (raw strings, first occurrence of each key) and the derived
    numbers: `level` (percent of `scale`), `status`, `plugged`, `voltage_mv`, `temperature_raw`
    (tenths of a degree), `temperature_c`, `current_ma` when the vendor prints "current now".
    """
    lines = text.splitlines()
    start = next((i + 1 for i, ln in enumerate(lines)
                  if ln.strip() == "Current Battery Service state:"), 0)
    fields: dict[str, str] = {}
    for ln in lines[start:]:
        if not ln.strip():
            continue
        if start and not ln[:1].isspace():
            break  # end of the standard (indented) block
        key, sep, value = ln.strip().partition(":")
        if sep and key and key not in fields:
            fields[key] = value.strip()
    out: dict[str, Any] = {"fields": fields}
    level, scale = _int(fields.get("level")), _int(fields.get("scale"))
    if level is not None:
        out["level"] = level
        out["level_pct"] = level * 100 / scale if scale else float(level)
    status = _int(fields.get("status"))
    if status is not None:
        out["status"] = status
        out["status_name"] = BATTERY_STATUS.get(status, str(status))
    health = _int(fields.get("health"))
    if health is not None:
        out["health"] = health
        out["health_name"] = BATTERY_HEALTH.get(health, str(health))
    out["plugged"] = [name for key, name in _PLUGGED if fields.get(key) == "true"]
    volt = _int(fields.get("voltage"))
    if volt is not None:
        out["voltage_mv"] = volt
    temp = _int(fields.get("temperature"))
    if temp is not None:
        out["temperature_raw"] = temp
        out["temperature_c"] = temp / 10
    current = _int(fields.get("current now"))
    if current is not None:
        out["current_ma"] = current
    counter = _int(fields.get("Charge counter"))
    if counter is not None:
        out["charge_counter_uah"] = counter
    return out


# --- dumpsys thermalservice ------------------------------------------------------------------

# android.os.Temperature TYPE_* constants (frameworks/base/core/java/android/os/Temperature.java)
TEMPERATURE_TYPES = {-1: "unknown", 0: "cpu", 1: "gpu", 2: "battery", 3: "skin", 4: "usb_port",
                     5: "power_amplifier", 6: "bcl_voltage", 7: "bcl_current",
                     8: "bcl_percentage", 9: "npu", 10: "tpu", 11: "display", 12: "modem",
                     13: "soc", 14: "wifi", 15: "camera", 16: "flashlight", 17: "speaker",
                     18: "ambient", 19: "pogo"}
# PowerManager THERMAL_STATUS_* constants
THERMAL_STATUS = {0: "none", 1: "light", 2: "moderate", 3: "severe", 4: "critical",
                  5: "emergency", 6: "shutdown"}

_OBJ = re.compile(r"(Temperature|CoolingDevice|TemperatureThreshold)\{(.*)\}")
_SECTIONS = {"Cached temperatures:": "cached_temperatures",
             "Current temperatures from HAL:": "current_temperatures_from_hal",
             "Current cooling devices from HAL:": "cooling_devices",
             "Temperature static thresholds from HAL:": "static_thresholds"}


def _obj_fields(body: str) -> dict[str, str]:
    """`mValue=25.6, mType=0, mHot=[1.0, 2.0]` -> {"mValue": "25.6", ...} (brackets kept whole)."""
    out: dict[str, str] = {}
    for m in re.finditer(r"(\w+)=(\[[^\]]*\]|[^,]*)", body):
        out[m.group(1)] = m.group(2).strip()
    return out


def _float(value: str | None) -> float | None:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def parse_thermalservice(text: str) -> dict[str, Any]:
    """Thermal status, temperatures (cached and from the HAL), cooling devices, thresholds.

    Works with the indented dump and with flattened copies (indentation lost). Adds
    `temperatures_by_type`: {type name: {sensor name: °C}}, from the HAL list when present,
    else from the cached list.
    """
    out: dict[str, Any] = {k: [] for k in _SECTIONS.values()}
    section: str | None = None
    pending_hal = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if pending_hal:
            out["hal_connection"] = line
            pending_hal = False
            continue
        if line in _SECTIONS:
            section = _SECTIONS[line]
            continue
        m = _OBJ.search(line)
        if m and section:
            f = _obj_fields(m.group(2))
            if m.group(1) == "Temperature":
                out[section].append({"name": f.get("mName"), "value_c": _float(f.get("mValue")),
                                     "type": _int(f.get("mType")),
                                     "status": _int(f.get("mStatus"))})
            elif m.group(1) == "CoolingDevice":
                out[section].append({"name": f.get("mName"), "value": _float(f.get("mValue")),
                                     "type": _int(f.get("mType"))})
            else:
                out[section].append({"name": f.get("mName"), "type": _int(f.get("mType")),
                                     **{k: v for k, v in f.items()
                                        if k not in ("mName", "mType")}})
            continue
        key, sep, value = line.partition(":")
        value = value.strip()
        if not sep:
            continue
        section = None
        if key == "IsStatusOverride":
            out["is_status_override"] = value == "true"
        elif key == "Thermal Status":
            out["thermal_status"] = _int(value)
            out["thermal_status_name"] = THERMAL_STATUS.get(_int(value) or 0, value)
        elif key == "HAL Ready":
            out["hal_ready"] = value == "true"
        elif key == "HAL connection":
            if value:
                out["hal_connection"] = value
            else:
                pending_hal = True
    temps = out["current_temperatures_from_hal"] or out["cached_temperatures"]
    by_type: dict[str, dict[str, float]] = {}
    for t in temps:
        tname = TEMPERATURE_TYPES.get(t["type"], str(t["type"]))
        if t["value_c"] is not None:
            by_type.setdefault(tname, {})[t["name"]] = t["value_c"]
    out["temperatures_by_type"] = by_type
    return out


# --- dumpsys power ---------------------------------------------------------------------------

def parse_dumpsys_power_awake(text: str) -> bool | None:
    """True if the device is awake (mWakefulness=Awake, or the display is on); None if unsaid."""
    m = re.search(r"mWakefulness=(\w+)", text)
    if m:
        return m.group(1) == "Awake"
    m = re.search(r"Display Power: state=(\w+)", text)
    if m:
        return m.group(1) == "ON"
    m = re.search(r"mScreenOn=(\w+)", text)
    if m:
        return m.group(1) == "true"
    return None


# --- cpufreq (harness/probes/cpufreq.py, shared with the board probe) -------------------------

parse_cpufreq_policies = cpufreq.parse_policies


def parse_meminfo_total_kb(text: str) -> int | None:
    m = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.M)
    return int(m.group(1)) if m else None


# --- the one-round-trip probe ----------------------------------------------------------------

SECTION = "@@devicebench:"


def probe_command(sysfs_root: str = "/") -> str:
    """One shell command printing getprop, meminfo, cpufreq, battery, thermal and power state.

    Each block starts with `@@devicebench:<name>`; a missing tool leaves its block empty.
    """
    parts = [
        ("getprop", "getprop"),
        ("meminfo", "cat /proc/meminfo"),
        ("cpufreq", cpufreq.listing(sysfs_root)),
        ("battery", "dumpsys battery"),
        ("thermal", "dumpsys thermalservice"),
        ("power", "dumpsys power | grep -E 'mWakefulness=|Display Power: state='"),
        ("tools", "for t in taskset settaskprofile svc; do command -v $t >/dev/null 2>&1 "
                  "&& echo $t; done"),
    ]
    return "; ".join(f"echo {SECTION}{name}; {{ {cmd}; }} 2>/dev/null" for name, cmd in parts)


def split_sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    name: str | None = None
    buf: list[str] = []
    for line in text.splitlines():
        if line.startswith(SECTION):
            if name is not None:
                out[name] = "\n".join(buf)
            name, buf = line[len(SECTION):].strip(), []
        elif name is not None:
            buf.append(line)
    if name is not None:
        out[name] = "\n".join(buf)
    return out


def soc_of(props: dict[str, str]) -> str | None:
    """`QTI SM8550` from ro.soc.*; before Android 12, ro.board.platform / ro.hardware."""
    man, model = props.get("ro.soc.manufacturer"), props.get("ro.soc.model")
    if model:
        return f"{man} {model}" if man else model
    return props.get("ro.board.platform") or props.get("ro.hardware") or None


def parse_probe(text: str) -> dict[str, Any]:
    """The properties `bench devices` shows, from `probe_command()` output."""
    sec = split_sections(text)
    props = parse_getprop(sec.get("getprop", ""))
    sdk = _int(props.get("ro.build.version.sdk"))
    abilist = [a for a in props.get("ro.product.cpu.abilist", "").split(",") if a]
    abi = props.get("ro.product.cpu.abi") or (abilist[0] if abilist else None)
    out: dict[str, Any] = {
        "manufacturer": props.get("ro.product.manufacturer"),
        "model": props.get("ro.product.model"),
        "soc": soc_of(props),
        "abi": abi,
        "abilist": abilist or ([abi] if abi else []),
        "android_release": props.get("ro.build.version.release"),
        "sdk": sdk,
        "fingerprint": props.get("ro.build.fingerprint"),
        "ram_kb": parse_meminfo_total_kb(sec.get("meminfo", "")),
        "cpu_clusters": parse_cpufreq_policies(sec.get("cpufreq", "")),
        "tools": sec.get("tools", "").split(),
    }
    if sec.get("battery", "").strip():
        b = parse_dumpsys_battery(sec["battery"])
        out["battery"] = {k: b.get(k) for k in ("level", "status_name", "temperature_c",
                                                 "voltage_mv", "plugged")}
    if sec.get("thermal", "").strip():
        t = parse_thermalservice(sec["thermal"])
        out["thermal_status"] = t.get("thermal_status")
    out["awake"] = parse_dumpsys_power_awake(sec.get("power", ""))
    return out
