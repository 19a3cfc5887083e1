"""Channels: which sensor files to sample and how raw values become DESIGN.md units.

Discovery runs `sampler.sh discover ROOT` once (a `PATH=VALUE` listing of the standard sysfs
places: thermal zones, cpufreq policies, devfreq, power_supply, hwmon) and turns the listing into
channels here, on the host, as a pure function that tests can feed any listing. A channel's
value is `scale x product(raw file values)`, so battery power is one channel over two files.
Kernel ABI: Documentation/ABI/testing/sysfs-class-thermal, sysfs-devices-system-cpu (cpufreq),
sysfs-class-devfreq, sysfs-class-power, Documentation/hwmon/sysfs-interface.rst.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .settings import TelemetryConfig


def slug(text: str) -> str:
    """DESIGN.md naming: lower case, anything not a letter or digit becomes `_`."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


@dataclass(frozen=True)
class Channel:
    name: str
    unit: str
    files: tuple[str, ...]
    scale: float = 1.0
    kind: str = "custom"  # thermal | cpufreq | cpufreq_max | devfreq | devfreq_max | battery | rail
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Discovery:
    channels: list[Channel]
    warnings: list[str]
    battery: dict[str, Any] | None = None  # units and sign used, and where they came from
    odpm: bool = False  # Pixel ODPM energy counters present (polled, see odpm.py)
    vcgencmd: bool = False  # Raspberry Pi firmware tool present (throttling bits, status.py)
    tegrastats: bool = False  # a Jetson with `tegrastats` on PATH (tegrastats.py)
    state: dict[str, Any] = field(default_factory=dict)  # battery level, charging, start temps


def parse_listing(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        path, sep, value = line.partition("=")
        if sep and path.startswith("/"):
            out[path] = value.strip()
    return out


def _num(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _group(listing: dict[str, str], pattern: str) -> dict[str, dict[str, str]]:
    """{instance dir: {file name: value}} for paths matching `pattern` (which captures the dir)."""
    rx = re.compile(pattern)
    groups: dict[str, dict[str, str]] = {}
    for path, value in listing.items():
        m = rx.search(path)
        if m:
            groups.setdefault(m.group(1), {})[path.rsplit("/", 1)[1]] = value
    return dict(sorted(groups.items(), key=lambda kv: _natural(kv[0])))


def _natural(s: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s)]


def _thermal(listing, cfg: TelemetryConfig, state: dict) -> list[Channel]:
    out, seen = [], set()
    for zdir, files in _group(listing, r"^(.*/thermal_zone\d+)/[^/]+$").items():
        ztype, raw = files.get("type"), _num(files.get("temp"))
        if ztype is None or raw is None:
            continue
        if cfg.zones is not None and ztype not in cfg.zones:
            continue
        scale = 0.001 if abs(raw) >= 200 else 1.0  # a few old kernels report whole degrees
        name = f"temp_{slug(ztype)}_c"
        if name in seen:
            name = f"temp_{slug(ztype)}_{zdir.rsplit('thermal_zone', 1)[1]}_c"
        seen.add(name)
        trips = []
        for f, v in files.items():
            m = re.fullmatch(r"trip_point_(\d+)_temp", f)
            t = _num(v)
            if m and t is not None and t > 0:
                trips.append({"temp_c": t * scale,
                              "type": files.get(f"trip_point_{m.group(1)}_type", "")})
        trips.sort(key=lambda x: x["temp_c"])
        state.setdefault("start_temps_c", {})[name] = raw * scale
        out.append(Channel(name, "C", (f"{zdir}/temp",), scale, "thermal",
                           {"zone": ztype, "trips": trips}))
    return out


CLUSTER_LABELS = {1: ["CPU"], 2: ["CPU little cluster", "CPU big cluster"],
                  3: ["CPU little cluster", "CPU big cluster", "CPU prime cluster"]}


def _cpufreq(listing) -> list[Channel]:
    policies = _group(listing, r"^(.*/cpufreq/policy\d+)/[^/]+$")
    rows = []
    for pdir, files in policies.items():
        cpus = (files.get("related_cpus") or "").split()
        first = cpus[0] if cpus else pdir.rsplit("policy", 1)[1]
        top = _num(files.get("cpuinfo_max_freq")) or _num(files.get("scaling_max_freq")) or 0
        rows.append((pdir, files, f"cpu{first}", top))
    ranks = sorted({r[3] for r in rows})
    labels = CLUSTER_LABELS.get(len(ranks), [f"CPU cluster {i}" for i in range(len(ranks))])
    out = []
    for pdir, files, unit, top in rows:
        meta = {"unit": unit, "label": labels[ranks.index(top)], "cpuinfo_max_mhz": top / 1000}
        if "scaling_cur_freq" in files:
            out.append(Channel(f"freq_{unit}_mhz", "MHz", (f"{pdir}/scaling_cur_freq",), 1e-3,
                               "cpufreq", meta))
        if "scaling_max_freq" in files:
            out.append(Channel(f"freq_max_{unit}_mhz", "MHz", (f"{pdir}/scaling_max_freq",),
                               1e-3, "cpufreq_max", meta))
    return out


def _devfreq_unit(dev: str) -> str:
    low = dev.lower()
    for key, unit in (("gpu", "gpu"), ("mali", "gpu"), ("kgsl", "gpu"), ("npu", "npu")):
        if key in low:
            return unit
    return slug(dev)


def _devfreq(listing) -> list[Channel]:
    out, seen = [], set()
    for ddir, files in _group(listing, r"^(.*/class/devfreq/[^/]+)/[^/]+$").items():
        dev = ddir.rsplit("/", 1)[1]
        unit = _devfreq_unit(dev)
        if unit in seen:
            unit = slug(dev)
        seen.add(unit)
        meta = {"unit": unit, "device": dev, "label": unit.upper()}
        if "cur_freq" in files:
            out.append(Channel(f"freq_{unit}_mhz", "MHz", (f"{ddir}/cur_freq",), 1e-6,
                               "devfreq", meta))
        if "max_freq" in files:
            out.append(Channel(f"freq_max_{unit}_mhz", "MHz", (f"{ddir}/max_freq",), 1e-6,
                               "devfreq_max", meta))
    return out


def battery_units(current: float, voltage: float, status: str, cfg: TelemetryConfig
                  ) -> dict[str, Any]:
    """Units and discharge sign of a battery's current_now/voltage_now.

    Android's convention (BatteryManager.BATTERY_PROPERTY_CURRENT_NOW) is microamps, negative
    while discharging, but vendors differ. Without a config: a current of 10000 or more cannot
    be milliamps on a phone (10 A), so it is microamps; voltage above 100000 is microvolts; the
    sign is read against the `status` file (Discharging with a positive current = positive
    discharge sign); if the status says nothing, Android's negative convention is assumed.
    This is the first guess from one reading; with a `charge_counter` the run's trace settles
    it (battery.refine), and `units_from` / `sign_from` say which method decided.
    """
    b = cfg.battery
    cu = b.current_unit or ("uA" if abs(current) >= 10000 else "mA")
    vu = b.voltage_unit or ("uV" if abs(voltage) >= 100000 else "mV")
    if b.discharge:
        sign, how = b.discharge, "config"
    elif status.lower() == "discharging" and current != 0:
        sign, how = ("positive" if current > 0 else "negative"), "status"
    elif status.lower() == "charging" and current != 0:
        sign, how = ("negative" if current > 0 else "positive"), "status"
    else:
        sign, how = "negative", "default"
    units_from = "config" if b.current_unit and b.voltage_unit else "magnitude"
    return {"current_unit": cu, "voltage_unit": vu, "discharge": sign, "sign_from": how,
            "units_from": units_from}


_TO_MW = {("uA", "uV"): 1e-9, ("mA", "mV"): 1e-3, ("uA", "mV"): 1e-6, ("mA", "uV"): 1e-6}


def _battery(listing, cfg: TelemetryConfig, state: dict) -> tuple[list[Channel], dict | None]:
    out, info = [], None
    for sdir, files in _group(listing, r"^(.*/class/power_supply/[^/]+)/[^/]+$").items():
        if files.get("type", "").lower() != "battery":
            continue
        supply = slug(sdir.rsplit("/", 1)[1])
        rail = "battery" if info is None else supply
        if "capacity" in files:
            state.setdefault("battery_level_pct", _num(files["capacity"]))
            out.append(Channel(f"battery_level_pct" if rail == "battery" else
                               f"battery_level_{rail}_pct", "%", (f"{sdir}/capacity",), 1.0,
                               "battery_level"))
        if "status" in files:
            state.setdefault("charging_state", files["status"])
        cur, volt = _num(files.get("current_now")), _num(files.get("voltage_now"))
        if cur is None or volt is None:
            continue
        units = battery_units(cur, volt, files.get("status", ""), cfg)
        scale = _TO_MW[(units["current_unit"], units["voltage_unit"])]
        if units["discharge"] == "negative":
            scale = -scale  # report power drawn from the battery as positive
        info = info or {"supply": sdir.rsplit("/", 1)[1], **units}
        out.append(Channel(f"power_{rail}_mw", "mW",
                           (f"{sdir}/current_now", f"{sdir}/voltage_now"), scale, "battery",
                           {"label": "battery", **units}))
        if rail == "battery":  # raw until battery.refine() converts it (mA, discharge > 0)
            out.append(Channel("current_battery_ma", "mA", (f"{sdir}/current_now",), 1.0,
                               "battery_current"))
            if _num(files.get("charge_counter")) is not None:  # uAh
                out.append(Channel("charge_counter_battery_mah", "mAh",
                                   (f"{sdir}/charge_counter",), 1e-3, "charge_counter"))
    return out, info


def _hwmon(listing) -> list[Channel]:
    out = []
    for hdir, files in _group(listing, r"^(.*/class/hwmon/hwmon\d+)/[^/]+$").items():
        chip = files.get("name", hdir.rsplit("/", 1)[1])
        for f in sorted(files, key=_natural):
            m = re.fullmatch(r"curr(\d+)_input", f)
            if not m or f"in{m.group(1)}_input" not in files:
                continue
            k = m.group(1)
            label = files.get(f"in{k}_label", f"{chip}_{k}")
            if "sum" in label.lower() or label.strip().upper() in ("NC", "N/C"):
                continue
            out.append(Channel(f"power_{slug(label)}_mw", "mW",
                               (f"{hdir}/curr{k}_input", f"{hdir}/in{k}_input"), 1e-3, "rail",
                               {"label": label, "chip": chip}))
    return out


def _custom(cfg: TelemetryConfig, root: str) -> list[Channel]:
    out = []
    for spec in cfg.channels:
        path = spec.path if spec.path.startswith("/proc/") else \
            root.rstrip("/") + "/" + spec.path.lstrip("/")
        out.append(Channel(spec.name, spec.unit, (path,), spec.scale, "custom"))
    return out


def channels_from_listing(listing: dict[str, str], cfg: TelemetryConfig, root: str = "/"
                          ) -> Discovery:
    state: dict[str, Any] = {}
    chans: list[Channel] = []
    info = None
    if cfg.discover:
        chans += _thermal(listing, cfg, state)
        chans += _cpufreq(listing)
        chans += _devfreq(listing)
        bat, info = _battery(listing, cfg, state)
        chans += bat
        chans += _hwmon(listing)
    custom = _custom(cfg, root)
    names = {c.name for c in custom}
    chans = [c for c in chans if c.name not in names] + custom
    warnings = []
    if cfg.zones is not None:
        found = {c.meta.get("zone") for c in chans if c.kind == "thermal"}
        warnings += [f"thermal zone {z!r} not found; skipped" for z in cfg.zones
                     if z not in found]
    chans = [c for c in chans if c.name not in set(cfg.exclude)]
    if info:
        state["battery"] = info
    odpm = cfg.discover and any(p.endswith("/energy_value") and v.startswith("t=")
                                for p, v in listing.items())
    jetson = any(p.endswith("/etc/nv_tegra_release") or
                 (p.endswith("/sys/devices/soc0/family") and "tegra" in v.lower())
                 for p, v in listing.items())
    return Discovery(chans, warnings, info, odpm=odpm, state=state,
                     vcgencmd="/tool/vcgencmd" in listing,
                     tegrastats=jetson and "/tool/tegrastats" in listing)
