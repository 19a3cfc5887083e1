"""This host as a device.

```yaml
# device_configs/local.yaml
name: local
transport: local
workdir: ~/.cache/devicebench/device
```

Commands run as subprocesses in their own session, so a timeout kills the whole process group
(a runner that forks helpers leaves nothing behind). The device clock is CLOCK_BOOTTIME, the same
clock `/proc/uptime` shows on a board or phone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator, Sequence

from .base import CommandResult, CommandTimeout, FileStat, TransferError


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class _Stream:
    def __init__(self, proc: subprocess.Popen):
        self._proc = proc

    def __iter__(self) -> Iterator[str]:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            yield line.rstrip("\n")
        self._proc.wait()

    def stop(self) -> None:
        _kill_group(self._proc)
        self._proc.wait()


class LocalTransport:
    name = "local"

    def __init__(self) -> None:
        self.bytes_sent = 0

    def run(self, argv: Sequence[str], timeout: float | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        try:
            proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, errors="replace", start_new_session=True,
                                    env={**os.environ, **(env or {})})
        except OSError as exc:  # as a shell on adb/ssh reports it: 127 not found, 126 not exec
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            return CommandResult(code, "", f"{argv[0]}: {exc.strerror}\n")
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            raise CommandTimeout(argv, timeout or 0, out, err) from None
        except BaseException:
            _kill_group(proc)
            proc.wait()
            raise
        return CommandResult(proc.returncode, out, err)

    def stream(self, argv: Sequence[str], env: dict[str, str] | None = None) -> _Stream:
        proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", start_new_session=True,
                                env={**os.environ, **(env or {})})
        return _Stream(proc)

    def push(self, local: Path, remote: str) -> None:
        dest = Path(remote)
        tmp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, tmp)
            shutil.copymode(local, tmp)
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise TransferError(f"push {local} -> {remote}: {exc}") from exc
        self.bytes_sent += dest.stat().st_size

    def pull(self, remote: str, local: Path) -> None:
        try:
            shutil.copyfile(remote, local)
        except OSError as exc:
            raise TransferError(f"pull {remote} -> {local}: {exc}") from exc

    def stat(self, remote: str) -> FileStat | None:
        try:
            st = os.stat(remote)
        except OSError:
            return None
        return FileStat(st.st_size, st.st_mtime)

    def exists(self, remote: str) -> bool:
        return os.path.exists(remote)

    def device_time(self) -> float:
        return time.clock_gettime(time.CLOCK_BOOTTIME)

    def close(self) -> None:
        pass
