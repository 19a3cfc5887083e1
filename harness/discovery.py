"""`bench devices`: configured devices merged with the phones the adb server knows.

Every adb device is listed with its state (`device`, `offline`, `unauthorized`, ...; the last
ones with the fix in one line). Devices in state `device` are probed in parallel threads, one
shell round trip each (`harness.probes.android.probe_command`). A config matches a phone by its
`serial`; a phone with no config is listed under its serial and is usable as `--device SERIAL`
with generic Android defaults (`android_config`). No adb server reachable: discovery is skipped
with a note, never an error.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .config import DeviceConfig
from .transports.base import DeviceUnavailable

PROBE_TIMEOUT_S = 20.0


@dataclass
class Discovery:
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def adb_states(server: str | None = None) -> dict[str, str] | None:
    """serial -> state from the adb server; None when no server is reachable."""
    from .transports import adb
    if not adb.server_reachable(server):
        return None
    return {i.serial: i.state for i in adb.client(server, 5).list()}


def probe(serial: str, server: str | None = None, sysfs_root: str = "/") -> dict[str, Any]:
    """Properties of one phone in one shell round trip."""
    from .probes.android import parse_probe, probe_command
    from .transports import adb
    from adbutils.errors import AdbError
    dev = adb.client(server, PROBE_TIMEOUT_S).device(serial)
    try:
        raw = dev.shell(probe_command(sysfs_root), timeout=PROBE_TIMEOUT_S, rstrip=False)
    except (AdbError, OSError) as exc:
        raise DeviceUnavailable(f"adb device {serial}: {exc}") from None
    return parse_probe(raw)


def android_abi(abi: str | None) -> str | None:
    """`arm64-v8a` -> `android-arm64-v8a`, the ABI name runner binaries are registered under."""
    return f"android-{abi}" if abi else None


def android_config(serial: str, server: str | None = None) -> DeviceConfig:
    """A phone with no config: generic Android defaults, ABI from `ro.product.cpu.abi`."""
    cfg = DeviceConfig(name=serial, transport="adb", serial=serial)
    return with_abi(cfg)


def with_abi(cfg: DeviceConfig) -> DeviceConfig:
    """Fill an adb config's ABI from the phone when the config does not give one."""
    if cfg.transport != "adb" or cfg.abi:
        return cfg
    from .transports import adb
    from adbutils.errors import AdbError
    serial = cfg.serial or cfg.name
    try:
        abi = adb.client(cfg.adb.server, PROBE_TIMEOUT_S).device(serial).shell(
            "getprop ro.product.cpu.abi", timeout=PROBE_TIMEOUT_S).strip()
    except (AdbError, OSError) as exc:
        raise DeviceUnavailable(f"adb device {serial}: {exc}") from None
    return cfg.model_copy(update={"abi": android_abi(abi) or None})


def _row(cfg: DeviceConfig | None, serial: str | None, state: str) -> dict[str, Any]:
    from .artifacts import host_abi
    from .transports.adb import FIX
    row: dict[str, Any] = {
        "name": cfg.name if cfg else serial, "transport": cfg.transport if cfg else "adb",
        "configured": cfg is not None, "serial": serial, "state": state,
        "abi": (cfg.abi or (host_abi() if cfg.transport == "local" else None)) if cfg else None,
        "soc": cfg.soc if cfg else None,
        "memory_bandwidth_gbps": cfg.memory_bandwidth_gbps if cfg else None,
    }
    if state in FIX:
        row["fix"] = FIX[state]
    return row


def discover(configs: dict[str, DeviceConfig], server: str | None = None) -> Discovery:
    """All rows; each configured phone is looked up on its own `adb.server` (default: env)."""
    out = Discovery()
    servers = {server} | {c.adb.server for c in configs.values() if c.transport == "adb"}
    by_server: dict[str | None, dict[str, str]] = {}
    for srv in sorted(servers, key=str):
        try:
            found = adb_states(srv)
        except DeviceUnavailable as exc:  # a server that answers but fails the listing
            found = {}
            out.notes.append(str(exc))
        if found is None:
            from .transports.adb import server_address
            host, port = server_address(srv)
            out.notes.append(f"adb: no server reachable at {host}:{port}, phones not discovered "
                             "(`adb start-server` to list them)")
        by_server[srv] = found or {}
    states = by_server[server]
    by_serial = {c.serial: c for c in configs.values() if c.transport == "adb" and c.serial}
    for cfg in configs.values():
        if cfg.transport == "adb":
            serial = cfg.serial or cfg.name
            out.rows.append(_row(cfg, serial, by_server[cfg.adb.server].get(serial, "absent")))
        elif cfg.transport == "local":
            out.rows.append(_row(cfg, None, "device"))
        else:
            out.rows.append(_row(cfg, None, "configured"))
    for serial, state in sorted(states.items()):
        if serial not in by_serial and serial not in configs:
            out.rows.append(_row(None, serial, state))
    todo = [r for r in out.rows
            if (r["transport"] == "adb" and r["state"] == "device") or r["transport"] == "ssh"]

    def one(row: dict[str, Any]) -> None:
        cfg = configs.get(row["name"]) if row["configured"] else None
        if row["transport"] == "ssh":  # a board: state with its fix, properties in one probe
            from .boards import ssh_status
            row.update(ssh_status(configs[row["name"]]))
            row["soc"] = row["soc"] or row.get("properties", {}).get("soc")
            return
        try:
            props = probe(row["serial"], cfg.adb.server if cfg else server,
                          cfg.sysfs_root if cfg else "/")
        except DeviceUnavailable as exc:
            row["error"] = str(exc)
            return
        row["properties"] = props
        row["abi"] = row["abi"] or android_abi(props.get("abi"))
        row["soc"] = row["soc"] or props.get("soc")

    if todo:
        with ThreadPoolExecutor(max_workers=min(16, len(todo))) as pool:
            list(pool.map(one, todo))
    return out


def resolve_device(configs: dict[str, DeviceConfig], name: str) -> DeviceConfig:
    """`--device NAME`: a config (adb ones get their ABI from the phone if unset), else a
    serial the adb server knows (generic Android defaults); else BadInput naming the known."""
    from .job import BadInput
    by_serial = {c.serial: c for c in configs.values() if c.serial}
    cfg = configs.get(name) or by_serial.get(name)
    if cfg is not None:
        if cfg.transport == "adb":  # refuse early (no run stored) when the phone is not ready
            serial = cfg.serial or cfg.name
            states = adb_states(cfg.adb.server)
            state = (states or {}).get(serial, "absent") if states is not None else None
            if state is None:
                raise DeviceUnavailable(f"device {cfg.name}: no adb server reachable "
                                        "(`adb start-server`)")
            if state != "device":
                from .transports.adb import state_error
                raise state_error(serial, state)
        return with_abi(cfg)
    try:
        states = adb_states() or {}
    except DeviceUnavailable:
        states = {}
    if name in states:
        if states[name] != "device":
            from .transports.adb import state_error
            raise state_error(name, states[name])
        return android_config(name)
    known = sorted(configs) + [f"{s} (adb)" for s in sorted(states)]
    raise BadInput(f"unknown device {name!r} (known: {', '.join(known)})")


def summary(row: dict[str, Any]) -> str:
    """One line of a device's probed properties for the `bench devices` table."""
    p = row.get("properties")
    if not p:
        return row.get("fix") or row.get("error") or row.get("detail") or ""
    if row["transport"] == "ssh":
        return ", ".join(str(x) for x in (p.get("model"), p.get("os"), p.get("kernel"),
                                          p.get("ram_mb") and f"{p['ram_mb']} MB RAM") if x)
    parts = [" ".join(x for x in (p.get("manufacturer"), p.get("model")) if x)]
    if p.get("android_release"):
        parts.append(f"Android {p['android_release']} (SDK {p.get('sdk')})")
    if p.get("cpu_clusters"):
        parts.append("+".join(str(len(c["cpus"])) for c in p["cpu_clusters"]) + " cores @ " +
                     "/".join(f"{c.get('max_mhz', 0) / 1000:.2f}" for c in p["cpu_clusters"])
                     + " GHz")
    if p.get("ram_kb"):
        parts.append(f"{p['ram_kb'] / 2**20:.1f} GiB")
    b = p.get("battery") or {}
    if b.get("level") is not None:
        parts.append(f"battery {b['level']}% {b.get('temperature_c')}°C {b.get('status_name')}")
    if p.get("thermal_status") is not None:
        from .probes.android import THERMAL_STATUS
        parts.append(f"thermal {THERMAL_STATUS.get(p['thermal_status'], p['thermal_status'])}")
    if p.get("awake") is False:
        parts.append("asleep")
    return ", ".join(x for x in parts if x)
