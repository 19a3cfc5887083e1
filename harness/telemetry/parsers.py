"""Parsers for saved telemetry text: `bench parse tegrastats|dumpsys-battery|dumpsys-thermal|
getprop|npu-load FILE`. One Result row per sample (`case` holds its index and timestamp when the
tool printed one), DESIGN.md channel names as metrics. Pure functions; noise lines between
samples (shell prompts, other programs' output) are skipped.

Formats: NVIDIA tegrastats (Jetson Linux Developer Guide, "tegrastats Utility"; TX2/Nano/Xavier
with unit-less cur/avg mW rails and `POM_*` names, Orin JetPack 5+ with `mW` suffixes, JetPack 6
with a leading `MM-DD-YYYY HH:MM:SS` timestamp); AOSP `dumpsys battery` / `dumpsys
thermalservice` / `getprop` (parsed by harness.probes.android); Rockchip RKNPU debugfs
`/sys/kernel/debug/rknpu/load` ("NPU load:  Core0: 63%, ..." or single-core "NPU load:  45%");
Pixel ODPM `energy_value` (`odpm`, see odpm.py).
"""

from __future__ import annotations

import re
from typing import Callable

from ..results import ParseError, Result
from .channels import slug
from .odpm import parse_odpm

# --- tegrastats ------------------------------------------------------------------------------

_TS = re.compile(r"(\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2})\s+(?=RAM )")
_RAM = re.compile(r"\bRAM (\d+)/(\d+)MB")
_SWAP = re.compile(r"\bSWAP (\d+)/(\d+)MB")
_CPU = re.compile(r"\bCPU \[([^\]]*)\]")
_CORE = re.compile(r"^(\d+)%@(\d+)$")
_FREQ = re.compile(r"\b([A-Z][A-Z0-9]*)_FREQ (\d+)%(?:@\[?([\d,]+)\]?)?")
_PLAIN_FREQ = re.compile(r"\b(VIC|APE|NVENC|NVDEC|NVJPG|NVJPG1|OFA|PVA0)(?:_FREQ)? (\d+)(?=\s|$)")
_TEMP = re.compile(r"(?<!\S)([A-Za-z][\w]*)@(-?\d+(?:\.\d+)?)C(?=\s|$)")
_RAIL = re.compile(r"(?<!\S)([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?=\s|$)")
FREQ_UNITS = {"GR3D": "gpu", "EMC": "emc"}
INVALID_TEMP_C = -200  # Orin prints -256C for a sensor that is switched off


def parse_tegrastats_line(line: str) -> tuple[dict, dict[str, float]] | None:
    """(case, metrics) of one tegrastats line, or None for a line that is not a sample."""
    m = _RAM.search(line)
    if not m:
        return None
    case: dict = {}
    ts = _TS.search(line)
    if ts:
        case["timestamp"] = ts.group(1)
    metrics: dict[str, float] = {"mem_used_mb": float(m.group(1)),
                                 "mem_total_mb": float(m.group(2))}
    sw = _SWAP.search(line)
    if sw:
        metrics["swap_used_mb"] = float(sw.group(1))
    cpu = _CPU.search(line)
    if cpu:
        off = []
        for i, core in enumerate(cpu.group(1).split(",")):
            cm = _CORE.match(core.strip())
            if cm:
                metrics[f"load_cpu{i}_pct"] = float(cm.group(1))
                metrics[f"freq_cpu{i}_mhz"] = float(cm.group(2))
            else:
                off.append(i)
        if off:
            case["cpus_off"] = off
    for fm in _FREQ.finditer(line):
        unit = FREQ_UNITS.get(fm.group(1), slug(fm.group(1)))
        metrics[f"load_{unit}_pct"] = float(fm.group(2))
        if fm.group(3):
            freqs = [float(x) for x in fm.group(3).split(",") if x]
            metrics[f"freq_{unit}_mhz"] = max(freqs)
    for pm in _PLAIN_FREQ.finditer(line):
        metrics[f"freq_{slug(pm.group(1))}_mhz"] = float(pm.group(2))
    for tm in _TEMP.finditer(line):
        value = float(tm.group(2))
        name = f"temp_{slug(tm.group(1))}_c"
        if value <= INVALID_TEMP_C:
            case.setdefault("invalid", {})[name] = value
        else:
            metrics[name] = value
    rail_part = line[cpu.end():] if cpu else line  # rails come after the CPU list
    for rm in _RAIL.finditer(rail_part):
        name = rm.group(1)
        if name in ("RAM", "SWAP", "IRAM"):
            continue
        metrics[f"power_{slug(name)}_mw"] = float(rm.group(2))
        metrics[f"power_{slug(name)}_avg_mw"] = float(rm.group(3))
    return case, metrics


def parse_tegrastats(text: str) -> list[Result]:
    rows = []
    for line in text.splitlines():
        got = parse_tegrastats_line(line)
        if got:
            case, metrics = got
            rows.append(Result({"index": len(rows), **case}, metrics))
    if not rows:
        raise ParseError("no tegrastats sample line (RAM used/totalMB ...) in the text")
    return rows


# --- RKNPU load ------------------------------------------------------------------------------

_NPU = re.compile(r"NPU load:\s*(.*)$")
_NPU_CORE = re.compile(r"(Core\d+):\s*(\d+)%")


def parse_npu_load(text: str) -> list[Result]:
    """Per-core NPU load. A value over 100 % (the driver's counter-underflow anomaly, e.g.
    429496 %) is not a load: it is left out of the metrics and listed in `case["invalid"]`."""
    rows = []
    for line in text.splitlines():
        m = _NPU.search(line)
        if not m:
            continue
        values = [(f"load_npu_{c.lower()}_pct", float(v))
                  for c, v in _NPU_CORE.findall(m.group(1))]
        if not values:
            single = re.match(r"\s*(\d+)%", m.group(1))
            if not single:
                continue
            values = [("load_npu_pct", float(single.group(1)))]
        case: dict = {"index": len(rows)}
        metrics = {}
        for name, v in values:
            if 0 <= v <= 100:
                metrics[name] = v
            else:
                case.setdefault("invalid", {})[name] = v
        rows.append(Result(case, metrics))
    if not rows:
        raise ParseError("no 'NPU load:' line in the text (/sys/kernel/debug/rknpu/load)")
    return rows


# --- Android (parsers from harness.probes.android) --------------------------------------------

def _split(text: str, header: str) -> list[str]:
    """Several dumps in one file (periodic capture): split at each dump's header line."""
    parts = re.split(rf"^(?=\s*{re.escape(header)})", text, flags=re.M)
    dumps = [p for p in parts if header in p]
    return dumps or [text]


def parse_battery(text: str) -> list[Result]:
    from ..probes.android import parse_dumpsys_battery

    rows = []
    for dump in _split(text, "Current Battery Service state:"):
        b = parse_dumpsys_battery(dump)
        if not b["fields"]:
            continue
        metrics: dict[str, float] = {}
        if "level_pct" in b:
            metrics["battery_level_pct"] = float(b["level_pct"])
        if "voltage_mv" in b:
            metrics["voltage_battery_mv"] = float(b["voltage_mv"])
        if "temperature_c" in b:
            metrics["temp_battery_c"] = float(b["temperature_c"])
        if "current_ma" in b:
            metrics["current_battery_ma"] = float(b["current_ma"])
        if "charge_counter_uah" in b:
            metrics["charge_counter_battery_mah"] = b["charge_counter_uah"] / 1000
        case = {"index": len(rows), "status": b.get("status_name"),
                "plugged": ",".join(b.get("plugged", [])) or "none"}
        rows.append(Result(case, metrics))
    if not rows:
        raise ParseError("no `dumpsys battery` block (key: value lines) in the text")
    return rows


def parse_thermal(text: str) -> list[Result]:
    from ..probes.android import TEMPERATURE_TYPES, parse_thermalservice

    rows = []
    for dump in _split(text, "IsStatusOverride:"):
        t = parse_thermalservice(dump)
        temps = t["current_temperatures_from_hal"] or t["cached_temperatures"]
        if "thermal_status" not in t and not temps:
            continue
        metrics: dict[str, float] = {}
        if t.get("thermal_status") is not None:
            metrics["thermal_status"] = float(t["thermal_status"])
        types = {}
        for x in temps:
            if x["value_c"] is not None and x["name"]:
                name = f"temp_{slug(x['name'])}_c"
                metrics.setdefault(name, x["value_c"])
                types[name] = TEMPERATURE_TYPES.get(x["type"], str(x["type"]))
        rows.append(Result({"index": len(rows), "thermal_status": t.get("thermal_status_name"),
                            "types": types}, metrics))
    if not rows:
        raise ParseError("no `dumpsys thermalservice` output (Thermal Status / "
                         "Temperature{...}) in the text")
    return rows


def parse_getprop_rows(text: str) -> list[Result]:
    from ..probes.android import parse_getprop, soc_of

    props = parse_getprop(text)
    if not props:
        raise ParseError("no `[key]: [value]` getprop lines in the text")
    case = {"index": 0, "manufacturer": props.get("ro.product.manufacturer"),
            "model": props.get("ro.product.model"), "soc": soc_of(props),
            "abi": props.get("ro.product.cpu.abi"),
            "android_release": props.get("ro.build.version.release"),
            "fingerprint": props.get("ro.build.fingerprint")}
    metrics = {"property_count": float(len(props))}
    sdk = props.get("ro.build.version.sdk", "")
    if sdk.isdigit():
        metrics["android_sdk"] = float(sdk)
    return [Result(case, metrics)]


PARSERS: dict[str, Callable[[str], list[Result]]] = {
    "tegrastats": parse_tegrastats,
    "dumpsys-battery": parse_battery,
    "dumpsys-thermal": parse_thermal,
    "getprop": parse_getprop_rows,
    "npu-load": parse_npu_load,
    "odpm": parse_odpm,
}
