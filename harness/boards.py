"""SSH boards for `bench devices` (harness/discovery.py calls `ssh_status` in parallel): state
(with the fix when it is not reachable), properties from one probe round trip per board; and
the host-key trust step.

States: `reachable`, `unreachable`, `unknown-host-key`, `host-key-changed`, `auth-failed`,
`config-error`; `detail` holds the one-line reason and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import ConfigError, DeviceConfig
from .transports.base import DeviceUnavailable


@dataclass(frozen=True)
class OfferedKey:
    hop: str        # "jump" or "target"
    entry: str      # known_hosts name, e.g. [10.0.0.5]:2222
    key: Any        # paramiko.PKey
    verdict: str    # known | unknown | changed


def ssh_status(device: DeviceConfig) -> dict[str, Any]:
    """Connect (host key verified), run the board probe, close. Never raises for a bad board."""
    from .probes.board import parse_probe, probe_script
    from .transports.hostkeys import HostKeyChanged, UnknownHostKey
    from .transports.ssh import AuthFailed, SshTransport
    try:
        t = SshTransport(device)
    except UnknownHostKey as exc:
        return {"state": "unknown-host-key", "detail": str(exc)}
    except HostKeyChanged as exc:
        return {"state": "host-key-changed", "detail": str(exc)}
    except AuthFailed as exc:
        return {"state": "auth-failed", "detail": str(exc)}
    except ConfigError as exc:
        return {"state": "config-error", "detail": str(exc)}
    except DeviceUnavailable as exc:
        return {"state": "unreachable", "detail": str(exc)}
    try:
        res = t.shell(probe_script(device.sysfs_root), timeout=30)
        return {"state": "reachable", "properties": parse_probe(res.stdout)}
    except DeviceUnavailable as exc:
        return {"state": "unreachable", "detail": str(exc)}
    finally:
        t.close()


def offered_keys(device: DeviceConfig) -> list[OfferedKey]:
    """The host key each hop presents, hop by hop; a jump host must be trusted to go further."""
    from .transports import hostkeys
    from .transports.ssh import SshTransport
    if device.transport != "ssh":
        raise ConfigError(f"device {device.name}: transport {device.transport} has no host keys")
    t = SshTransport(device, connect=False)
    out: list[OfferedKey] = []
    try:
        hops = ([("jump", t.jump)] if t.jump else []) + [("target", t.target)]
        for hop, ep in hops:
            via = t.connect_jump() if hop == "target" else None
            pt = t.handshake(ep, t.open_socket(ep, via))
            key = pt.get_remote_server_key()
            pt.close()
            out.append(OfferedKey(hop, ep.entry, key,
                                  hostkeys.verdict(t.known_hosts, ep.entry, key)))
            if out[-1].verdict != "known":
                break  # the caller records it, then asks again for the next hop
    finally:
        t.close()
    return out


def record_key(device: DeviceConfig, offered: OfferedKey, replace: bool = False) -> str:
    from .transports import hostkeys
    return hostkeys.record(device.name, hostkeys.known_hosts_path(device.known_hosts),
                           offered.entry, offered.key, replace=replace)
