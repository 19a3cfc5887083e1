"""Transport plug-ins, registered in one place: adding one is adding a module and a line here."""

from __future__ import annotations

from typing import Callable

from .base import (CommandResult, CommandTimeout, DeviceUnavailable, Transport, TransferError,
                   TransportError)

__all__ = ["open_transport", "KNOWN", "CommandResult", "CommandTimeout", "DeviceUnavailable",
           "Transport", "TransferError", "TransportError"]


def _local(device) -> Transport:
    from .local import LocalTransport
    return LocalTransport()


def _adb(device) -> Transport:
    from .adb import AdbTransport
    return AdbTransport(device.serial or device.name, device.adb, device.affinity)


def _ssh(device) -> Transport:
    from .ssh import SshTransport
    return SshTransport(device)


KNOWN: dict[str, Callable] = {"local": _local, "adb": _adb, "ssh": _ssh}


def open_transport(device) -> Transport:
    """Open the transport a device config names."""
    try:
        factory = KNOWN[device.transport]
    except KeyError:
        raise DeviceUnavailable(
            f"device {device.name}: transport {device.transport!r} is not available here "
            f"(known: {', '.join(sorted(KNOWN))})") from None
    return factory(device)
