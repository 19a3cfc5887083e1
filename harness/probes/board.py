"""What a Linux board is: model, SoC, kernel, OS, CPU clusters, RAM and its family's extras.

All probes of one device run as ONE `sh` script (one SSH round trip) that prints sectioned
output (`@@name` lines); `parse_probe` is a pure function of that text. Files are read under the
device's `sysfs_root` (tests point it at a fake tree; vendor tools are then looked up under
`<root>/usr/bin` first). Sources of the formats:
- `/proc/device-tree/{model,compatible}`: NUL-terminated strings (Devicetree Specification,
  "Standard Properties": compatible, model).
- cpufreq policies: `harness/probes/cpufreq.py` (shared with the Android probe).
- `/etc/nv_tegra_release` (`# R36 (release), REVISION: 4.3, ...`) and `nvpmodel -q`
  (`NV Power Mode: 15W` then the mode id): NVIDIA Jetson Linux Developer Guide, "Platform Power
  and Performance"; L4T -> JetPack from NVIDIA's JetPack SDK archive page.
- `vcgencmd get_throttled` (`throttled=0x50005`): Raspberry Pi documentation,
  computers/os.adoc "get_throttled" (bit table in `THROTTLED_BITS`).
- `/sys/kernel/debug/rknpu/load` (`NPU load:  Core0: 63%, ...`, root only): Rockchip RKNPU
  driver; parsed by `harness.telemetry.parsers.parse_npu_load` into `npu_load` (per-core %),
  an out-of-range value (the driver's counter-underflow anomaly) into `npu_load_invalid`;
  kept raw (`npu_load_raw`) only when it is not in that format.
- `ax_run_model`: Axera pulsar2-docs, other_tools/ax_run_model.rst (presence and version).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from . import cpufreq

SECTIONS = ("model", "compatible", "kernel", "machine", "os_release", "meminfo", "cpufreq",
            "nv_tegra_release", "nvpmodel", "throttled", "npu_load", "rknpu_version",
            "ax_run_model")

# Raspberry Pi documentation, `vcgencmd get_throttled`: bit -> flag.
THROTTLED_BITS = {
    0: "under_voltage_now", 1: "arm_freq_capped_now", 2: "throttled_now",
    3: "soft_temp_limit_now", 16: "under_voltage_since_boot",
    17: "arm_freq_capped_since_boot", 18: "throttled_since_boot",
    19: "soft_temp_limit_since_boot",
}

# Jetson Linux (L4T) release -> JetPack (NVIDIA JetPack SDK archive).
L4T_TO_JETPACK = {
    "32.4.3": "4.4", "32.4.4": "4.4.1", "32.5.0": "4.5", "32.5.1": "4.5.1", "32.6.1": "4.6",
    "32.7.1": "4.6.1", "32.7.2": "4.6.2", "32.7.3": "4.6.3", "32.7.4": "4.6.4",
    "32.7.5": "4.6.5", "32.7.6": "4.6.6", "35.1.0": "5.0.2", "35.2.1": "5.1",
    "35.3.1": "5.1.1", "35.4.1": "5.1.2", "35.5.0": "5.1.3", "35.6.0": "5.1.4",
    "35.6.1": "5.1.5", "36.2.0": "6.0 DP", "36.3.0": "6.0", "36.4.0": "6.1", "36.4.3": "6.2",
    "36.4.4": "6.2.1", "38.2.0": "7.0",
}


def probe_script(sysfs_root: str = "/") -> str:
    """The one shell script that prints every section. Only `sysfs_root` varies (quoted)."""
    root = sysfs_root.rstrip("/")
    return "\n".join([
        f"R={shlex.quote(root)}",
        '[ -n "$R" ] && PATH="$R/usr/bin:$R/usr/sbin:$R/bin:$PATH"',
        'has() { command -v "$1" >/dev/null 2>&1; }',
        "s() { echo; echo \"@@$1\"; }",
        "s model; tr -d '\\000' < \"$R/proc/device-tree/model\" 2>/dev/null",
        "s compatible; tr '\\000' '\\n' < \"$R/proc/device-tree/compatible\" 2>/dev/null",
        's kernel; cat "$R/proc/sys/kernel/osrelease" 2>/dev/null',
        "s machine; uname -m",
        's os_release; cat "$R/etc/os-release" 2>/dev/null',
        "s meminfo; grep -E '^(MemTotal|MemAvailable):' \"$R/proc/meminfo\" 2>/dev/null",
        "s cpufreq; " + cpufreq.listing(root_var="R"),
        's nv_tegra_release; cat "$R/etc/nv_tegra_release" 2>/dev/null',
        "s nvpmodel; has nvpmodel && nvpmodel -q 2>&1",
        "s throttled; has vcgencmd && vcgencmd get_throttled 2>&1",
        's npu_load; cat "$R/sys/kernel/debug/rknpu/load" 2>/dev/null',
        's rknpu_version; cat "$R/sys/kernel/debug/rknpu/version" 2>/dev/null',
        "s ax_run_model; has ax_run_model && { command -v ax_run_model; "
        "ax_run_model --version 2>&1 | head -n 5; }",
        "s end; true",
    ])


def split_sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    name = None
    buf: list[str] = []
    for line in text.splitlines():
        m = re.fullmatch(r"@@(\w+)", line.strip())
        if m:
            if name:
                out[name] = "\n".join(buf).strip()
            name, buf = m.group(1), []
        elif name:
            buf.append(line)
    if name and name != "end":
        out[name] = "\n".join(buf).strip()
    return out


def decode_throttled(value: int | str) -> dict[str, bool]:
    """`throttled=0x50005` (or its int) -> every documented flag, now and since boot."""
    if isinstance(value, str):
        m = re.search(r"0x[0-9a-fA-F]+|\d+", value.split("=")[-1])
        if not m:
            raise ValueError(f"not a get_throttled value: {value!r}")
        value = int(m.group(0), 0)
    return {flag: bool(value >> bit & 1) for bit, flag in THROTTLED_BITS.items()}


parse_cpu_list = cpufreq.parse_cpu_list


def parse_l4t(text: str) -> dict[str, str] | None:
    m = re.search(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)", text)
    if not m:
        return None
    rev = m.group(2).split(".")
    l4t = ".".join([m.group(1)] + rev + ["0"] * (2 - len(rev)))
    out = {"l4t": l4t}
    jp = L4T_TO_JETPACK.get(l4t)
    if jp:
        out["jetpack"] = jp
    board = re.search(r"BOARD:\s*([^,]+)", text)
    if board:
        out["board"] = board.group(1).strip()
    return out


def npu_load(text: str) -> dict[str, Any]:
    """The RKNPU load file -> `npu_load` {channel: %} and `npu_load_invalid` (values > 100 %)."""
    from ..results import ParseError
    from ..telemetry.parsers import parse_npu_load
    try:
        row = parse_npu_load(text)[-1]
    except ParseError:
        return {"npu_load_raw": text.splitlines()[0].strip()}
    out: dict[str, Any] = {"npu_load": dict(row.metrics)}
    if row.case.get("invalid"):
        out["npu_load_invalid"] = dict(row.case["invalid"])
    return out


def _os_pretty(text: str) -> str | None:
    fields = dict(re.findall(r'^(\w+)="?(.*?)"?$', text, re.M))
    return fields.get("PRETTY_NAME") or fields.get("NAME")


def parse_probe(text: str) -> dict[str, Any]:
    """The probe script's output -> board properties (absent facts are left out)."""
    sec = split_sections(text)
    info: dict[str, Any] = {}
    if sec.get("model"):
        info["model"] = sec["model"].strip("\0 \n")
    compat = [c for c in sec.get("compatible", "").splitlines() if c.strip()]
    if compat:
        info["compatible"] = compat
        info["soc"] = compat[-1]  # most generic last: e.g. rockchip,rk3588 / nvidia,tegra234
    for key in ("kernel", "machine"):
        if sec.get(key):
            info[key] = sec[key].splitlines()[0].strip()
    if sec.get("os_release"):
        info["os"] = _os_pretty(sec["os_release"])
    mem = dict(re.findall(r"^(\w+):\s+(\d+)\s*kB", sec.get("meminfo", ""), re.M))
    if "MemTotal" in mem:
        info["ram_mb"] = round(int(mem["MemTotal"]) / 1024)
    clusters = cpufreq.parse_policies(sec.get("cpufreq", ""))
    if clusters:
        info["cpu_clusters"] = clusters
    l4t = parse_l4t(sec.get("nv_tegra_release", ""))
    if l4t:
        info["jetson"] = l4t
    m = re.search(r"NV Power Mode:\s*(.+)\n\s*(\d+)", sec.get("nvpmodel", "") + "\n")
    if m:
        info["power_mode"] = {"name": m.group(1).strip(), "id": int(m.group(2))}
    thr = sec.get("throttled", "")
    if "throttled=" in thr:
        raw = thr.split("throttled=")[1].split()[0]
        info["throttled"] = {"raw": raw, **decode_throttled(raw)}
    if sec.get("npu_load"):
        info.update(npu_load(sec["npu_load"]))
    if sec.get("rknpu_version"):
        info["rknpu_version"] = sec["rknpu_version"].splitlines()[0].strip()
    ax = sec.get("ax_run_model", "")
    if ax:
        lines = ax.splitlines()
        entry: dict[str, Any] = {"path": lines[0].strip()}
        ver = re.search(r"ver(?:sion)?\s*[:=]?\s*v?(\d+(?:\.\d+)+\w*)", ax, re.I)
        if ver:
            entry["version"] = ver.group(1)
        info["ax_run_model"] = entry
    return info
