"""The Transport protocol: how commands and bytes reach a device (DESIGN.md "Transport").

Every plug-in (local, adb, ssh) implements this; nothing above it knows which one it talks to.
Commands are argv lists; a plug-in that needs a shell joins them with `shlex.join`, never by
pasting strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence


class TransportError(Exception):
    """Base of the typed transport errors."""


class DeviceUnavailable(TransportError):
    """The device cannot be reached (or vanished mid-run)."""


class CommandTimeout(TransportError):
    """A command ran past its timeout; its process group was killed."""

    def __init__(self, argv: Sequence[str], timeout: float, stdout: str = "", stderr: str = ""):
        super().__init__(f"command timed out after {timeout:g} s: {argv[0] if argv else ''}")
        self.argv = list(argv)
        self.timeout = timeout
        self.stdout = stdout
        self.stderr = stderr


class TransferError(TransportError):
    """A push or pull did not complete."""


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime: float


class StreamHandle(Protocol):
    def __iter__(self) -> Iterator[str]: ...
    def stop(self) -> None: ...


class Transport(Protocol):
    name: str
    bytes_sent: int

    def run(self, argv: Sequence[str], timeout: float | None = None,
            env: dict[str, str] | None = None) -> CommandResult: ...
    def stream(self, argv: Sequence[str], env: dict[str, str] | None = None) -> StreamHandle: ...
    def push(self, local: Path, remote: str) -> None: ...
    def pull(self, remote: str, local: Path) -> None: ...
    def stat(self, remote: str) -> FileStat | None: ...
    def exists(self, remote: str) -> bool: ...
    def device_time(self) -> float: ...
    def close(self) -> None: ...
