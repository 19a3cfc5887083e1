"""Android phones through the adb server, with adbutils for the server connection.

```yaml
# device_configs/pixel-8.yaml
name: pixel-8
transport: adb
serial: 37281FDJH00A1B        # USB serial, or host:port for Wi-Fi debugging
workdir: /data/local/tmp/devicebench
adb: {connect: false}         # see harness/transports/adb_settings.py
```

Protocols (AOSP packages/modules/adb): the smart-socket host services (`host-serial:<s>:...`,
`host:connect:`, `host:devices`) in `SERVICES.TXT`, the device shell services `shell:` (v1: one
merged stream, no exit code) and `shell,v2:` (packets `id u8, len u32le, data`; id 1 stdout,
2 stderr, 3 exit) in `shell_protocol.h`, and the file protocol (STAT/SEND/RECV) in `SYNC.TXT`.

Every command runs in a wrapper shell that first prints its pid. adbd starts each shell in its
own session, so that pid is the process group: a timeout kills `-pid` from a second shell
(closing the stream alone leaves a non-pty command running). On shell v1 the exit code comes
from a marker the wrapper prints right after the command's output (`printf '<marker>%d\\n'
$?`), so output without a trailing newline is kept byte for byte.

Pushes go to `<dest>.partial-<random>` over sync, then `mv -f` to the final name: a push cut
short never leaves a file under the name `place()` checks. The file mode is the host file's
(executables stay executable).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import socket
import struct
import time
from pathlib import Path
from typing import Iterator, Sequence

from .adb_settings import AdbSettings
from .base import CommandResult, CommandTimeout, DeviceUnavailable, FileStat, TransferError

SYNC_CHUNK = 64 * 1024  # SYNC.TXT: DATA chunks are at most 64k
FIX = {
    "unauthorized": "unlock the phone and accept the USB debugging prompt "
                    "(or revoke authorizations in Developer options and reconnect)",
    "offline": "reconnect the cable or run `adb reconnect`; on Wi-Fi re-run `adb connect`",
    "no permissions": "add a udev rule for the phone's USB vendor id (plugdev group)",
    "absent": "plug the phone in (or `adb connect host:port` for Wi-Fi) and check the config's "
              "serial against `adb devices`",
    "recovery": "reboot the phone into Android",
    "bootloader": "reboot the phone into Android",
    "sideload": "reboot the phone into Android",
}


def server_address(setting: str | None) -> tuple[str, int]:
    """`host:port` from the config, else ANDROID_ADB_SERVER_HOST/PORT, else 127.0.0.1:5037."""
    if setting:
        host, _, port = setting.rpartition(":")
        return host or "127.0.0.1", int(port)
    return (os.environ.get("ANDROID_ADB_SERVER_HOST", "127.0.0.1"),
            int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037")))


def server_reachable(setting: str | None = None, timeout: float = 0.5) -> bool:
    """Checked before adbutils is used: its client would start a server of its own."""
    try:
        socket.create_connection(server_address(setting), timeout).close()
        return True
    except OSError:
        return False


def client(setting: str | None = None, timeout: float = 10.0):
    import adbutils
    if not server_reachable(setting):
        host, port = server_address(setting)
        raise DeviceUnavailable(f"no adb server at {host}:{port} (start one with "
                                f"`adb start-server`, or set adb.server / ANDROID_ADB_SERVER_PORT)")
    host, port = server_address(setting)
    return adbutils.AdbClient(host=host, port=port, socket_timeout=timeout)


def state_error(serial: str, state: str) -> DeviceUnavailable:
    fix = FIX.get(state, "check `adb devices`")
    return DeviceUnavailable(f"adb device {serial} is {state}: {fix}")


def build_command(argv: Sequence[str] | str, env: dict[str, str] | None = None,
                  prefix: Sequence[str] = ()) -> str:
    """argv (quoted word by word) with `K=V` assignments; a str is taken as shell text."""
    body = argv if isinstance(argv, str) else shlex.join([*prefix, *argv])
    for k in env or {}:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
            raise ValueError(f"environment variable name {k!r} is not a shell identifier")
    assign = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    return f"{assign} {body}" if assign else body


def _hold_marker(buf: bytes, marker: bytes) -> tuple[bytes, bytes]:
    """Split v1 output into (safe to pass on, held back): the exit marker, or the longest end
    of `buf` that may be its beginning, stays held; a complete line is never delayed."""
    i = buf.find(marker)
    if i >= 0:
        return buf[:i], buf[i:]
    for k in range(min(len(marker) - 1, len(buf)), 0, -1):
        if buf.endswith(marker[:k]):
            return buf[:-k], buf[-k:]
    return buf, b""


class _Shell:
    """One shell session: reads until exit, splitting the pid line and (v1) the exit marker."""

    def __init__(self, transport: "AdbTransport", command: str, preamble: str = ""):
        self.t = transport
        self.marker = f"__devicebench_{secrets.token_hex(6)}:"
        pre = f"echo {self.marker}$$; {preamble}"
        if transport.v2:
            script = f"{pre}{command}"
        else:
            script = f"{pre}{command}; printf '{self.marker}%d\\n' $?"
        self.conn = transport._open(("shell,v2,raw:" if transport.v2 else "shell:") + script)
        self.sock: socket.socket = self.conn.conn
        self.pid: int | None = None
        self.exit_code: int | None = None
        self._buf = b""
        self._head = b""  # stdout before the pid line is complete

    def _chunks(self, deadline: float | None) -> Iterator[tuple[int, bytes]]:
        """(stream id, bytes) as they arrive: 1 stdout, 2 stderr; sets exit_code at the end."""
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            data = self.sock.recv(1 << 16)
            if not data:
                return
            if not self.t.v2:
                yield 1, data
                continue
            self._buf += data
            while len(self._buf) >= 5:
                kind, n = self._buf[0], struct.unpack("<I", self._buf[1:5])[0]
                if len(self._buf) < 5 + n:
                    break
                payload, self._buf = self._buf[5:5 + n], self._buf[5 + n:]
                if kind == 3:
                    self.exit_code = payload[0] if payload else 0
                    return
                if kind in (1, 2):
                    yield kind, payload

    def read(self, deadline: float | None) -> Iterator[tuple[int, bytes]]:
        """Chunks with the pid line removed (and, on v1, the exit marker parsed off the end)."""
        pid_seen = False
        tail = b""  # v1: held back so a marker split across reads is still found
        mark = self.marker.encode()
        for kind, data in self._chunks(deadline):
            if kind == 1 and not pid_seen:
                self._head += data
                if b"\n" not in self._head:
                    continue
                line, _, data = self._head.partition(b"\n")
                if line.startswith(mark):
                    self.pid = int(line[len(mark):] or 0)
                else:
                    data = line + b"\n" + data
                pid_seen = True
            if kind == 1 and not self.t.v2:
                out, tail = _hold_marker(tail + data, mark)
                if out:
                    yield 1, out
                continue
            if data:
                yield kind, data
        if not pid_seen and self._head:
            if self.t.v2:
                yield 1, self._head
            else:
                tail = self._head
        if not self.t.v2:
            i = tail.rfind(mark)
            if i >= 0:
                try:
                    self.exit_code = int(tail[i + len(mark):].strip())
                except ValueError:
                    self.exit_code = None
                tail = tail[:i]
            if tail:
                yield 1, tail

    def kill(self) -> None:
        if self.pid:
            self.t.kill_group(self.pid)

    def close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass


class _Stream:
    def __init__(self, shell: _Shell):
        self._shell = shell

    def __iter__(self) -> Iterator[str]:
        pending = b""
        try:
            for _kind, data in self._shell.read(None):
                pending += data
                *lines, pending = pending.split(b"\n")
                for ln in lines:
                    yield ln.decode(errors="replace")
        except OSError:
            if self._shell.t.alive():
                return
            raise DeviceUnavailable(f"adb device {self._shell.t.serial} vanished") from None
        if pending:
            yield pending.decode(errors="replace")

    def stop(self) -> None:
        self._shell.kill()
        self._shell.close()


class AdbTransport:
    name = "adb"

    def __init__(self, serial: str, settings: AdbSettings | None = None,
                 affinity: str | None = None, timeout: float = 10.0):
        from adbutils.errors import AdbError
        self.serial = serial
        self.settings = settings or AdbSettings()
        self.bytes_sent = 0
        self.round_trips = 0  # device services opened (shell and sync sessions)
        self.affinity = affinity
        self.preamble = ""
        self._client = client(self.settings.server, timeout)
        try:
            self._client.server_version()
            if self.settings.connect and ":" in serial:
                answer = self._client.connect(serial, timeout=timeout)
                if "connected" not in answer:
                    raise DeviceUnavailable(f"adb connect {serial}: {answer.strip()}")
            self._dev = self._client.device(serial)
            state = self.state()
            if state != "device":
                raise state_error(serial, state)
            self.features = set(filter(None, self._dev.get_features().split(",")))
        except AdbError as exc:
            raise DeviceUnavailable(f"adb device {serial}: {exc}") from None
        self.v2 = "shell_v2" in self.features
        self._clock_offset = self._measure_clock()

    # -- plumbing --------------------------------------------------------------------------

    def state(self) -> str:
        """The server's view: device, offline, unauthorized, ... or `absent`."""
        from adbutils.errors import AdbError
        try:
            for info in self._client.list():
                if info.serial == self.serial:
                    return info.state
        except (AdbError, OSError):
            return "absent"
        return "absent"

    def alive(self, settle_s: float = 3.0) -> bool:
        """Still `device`? A stream can end a moment before the server notices the phone left."""
        deadline = time.monotonic() + settle_s
        while self.state() == "device":
            if time.monotonic() >= deadline:
                return True
            time.sleep(0.2)
        return False

    def _lost(self, what: str) -> DeviceUnavailable:
        state = "device" if self.alive() else self.state()
        if state == "device":
            return DeviceUnavailable(f"adb device {self.serial}: {what}")
        return DeviceUnavailable(f"adb device {self.serial} vanished during {what} "
                                 f"(now {state})")

    def _open(self, service: str):
        from adbutils.errors import AdbError
        self.round_trips += 1
        try:
            c = self._dev.open_transport()
            c.send_command(service)
            c.check_okay()
        except (AdbError, OSError) as exc:
            raise self._lost(f"opening {service.split(':', 1)[0]}: {exc}") from None
        return c

    def _measure_clock(self) -> float:
        """Device CLOCK_BOOTTIME (/proc/uptime) minus host monotonic, taken once at connect."""
        t0 = time.monotonic()
        res = self._run_raw("cat /proc/uptime", 30)
        t1 = time.monotonic()
        try:
            up = float(res.stdout.split()[0])
        except (IndexError, ValueError):
            return 0.0
        return up - (t0 + t1) / 2

    def kill_group(self, pid: int) -> None:
        try:
            # the group when the shell leads one (adbd's setsid), else the shell's children
            self._run_raw(f"kill -9 -{pid} 2>/dev/null || {{ pkill -9 -P {pid}; kill -9 {pid}; }}"
                          " 2>/dev/null", 15)
        except Exception:  # noqa: BLE001 - best effort, the device may be gone
            pass

    def _run_raw(self, command: str, timeout: float | None, preamble: str = "") -> CommandResult:
        shell = _Shell(self, command, preamble)
        deadline = time.monotonic() + timeout if timeout else None
        out: list[bytes] = []
        err: list[bytes] = []
        try:
            for kind, data in shell.read(deadline):
                (out if kind == 1 else err).append(data)
        except socket.timeout:
            shell.kill()
            shell.close()
            raise CommandTimeout([command], timeout or 0, b"".join(out).decode(errors="replace"),
                                 b"".join(err).decode(errors="replace")) from None
        except OSError as exc:
            shell.close()
            raise self._lost(f"shell: {exc}") from None
        shell.close()
        stdout = b"".join(out).decode(errors="replace")
        stderr = b"".join(err).decode(errors="replace")
        if shell.exit_code is None:
            if not self.alive():
                raise DeviceUnavailable(f"adb device {self.serial} vanished during a command "
                                        f"(now {self.state()})")
            return CommandResult(255, stdout, stderr + "\n(shell ended without an exit code)")
        return CommandResult(shell.exit_code, stdout, stderr)

    # -- Transport protocol ----------------------------------------------------------------

    def _prefix(self) -> list[str]:
        return ["taskset", self.affinity] if self.affinity else []

    def run(self, argv: Sequence[str] | str, timeout: float | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        try:
            return self._run_raw(build_command(argv, env, self._prefix()), timeout,
                                 self.preamble)
        except CommandTimeout as exc:
            raise CommandTimeout([argv] if isinstance(argv, str) else argv, exc.timeout,
                                 exc.stdout, exc.stderr) from None

    def stream(self, argv: Sequence[str] | str, env: dict[str, str] | None = None) -> _Stream:
        return _Stream(_Shell(self, build_command(argv, env, self._prefix()), self.preamble))

    def _sync(self):
        return self._open("sync:")

    @staticmethod
    def _read_exact(sock: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionResetError("sync stream closed")
            buf += chunk
        return buf

    def stat(self, remote: str) -> FileStat | None:
        c = self._sync()
        try:
            path = remote.encode()
            c.conn.sendall(b"STAT" + struct.pack("<I", len(path)) + path)
            head = self._read_exact(c.conn, 16)
        except OSError as exc:
            raise self._lost(f"stat {remote}: {exc}") from None
        finally:
            c.close()
        if head[:4] != b"STAT":
            raise TransferError(f"stat {remote}: unexpected reply {head[:4]!r}")
        mode, size, mtime = struct.unpack("<III", head[4:])
        if mode == 0:
            return None
        return FileStat(size, float(mtime))

    def exists(self, remote: str) -> bool:
        return self.stat(remote) is not None

    def push(self, local: Path, remote: str) -> None:
        local = Path(local)
        tmp = f"{remote}.partial-{secrets.token_hex(4)}"
        parent = remote.rsplit("/", 1)[0] or "/"
        mode = local.stat().st_mode & 0o777
        if "fixed_push_mkdir" not in self.features:
            self._check(self._run_raw(f"mkdir -p {shlex.quote(parent)}", 60), "mkdir")
        c = self._sync()
        sent = 0
        try:
            spec = f"{tmp},{0o100000 | mode}".encode()
            sock = c.conn
            sock.settimeout(None)
            sock.sendall(b"SEND" + struct.pack("<I", len(spec)) + spec)
            buf = bytearray(8 + SYNC_CHUNK)  # one DATA request per send, no per-chunk copies
            buf[:4] = b"DATA"
            view = memoryview(buf)
            with open(local, "rb", buffering=0) as f:
                while True:
                    n = f.readinto(view[8:])
                    if not n:
                        break
                    struct.pack_into("<I", buf, 4, n)
                    sock.sendall(view[:8 + n])
                    sent += n
            sock.sendall(b"DONE" + struct.pack("<I", int(local.stat().st_mtime)))
            reply = self._read_exact(sock, 8)
            if reply[:4] == b"FAIL":
                n = struct.unpack("<I", reply[4:])[0]
                raise TransferError(f"push {local} -> {remote}: "
                                    f"{self._read_exact(sock, n).decode(errors='replace')}")
            if reply[:4] != b"OKAY":
                raise TransferError(f"push {local} -> {remote}: unexpected reply {reply[:4]!r}")
        except OSError as exc:
            if not self.alive():
                raise self._lost(f"push of {local.name} ({sent} bytes sent)") from None
            raise TransferError(f"push {local} -> {remote}: {exc}") from None
        finally:
            c.close()
        q = shlex.quote
        chmod = f" && chmod {mode:o} {q(remote)}" if mode & 0o111 else ""  # executables stay so
        self._check(self._run_raw(f"mv -f {q(tmp)} {q(remote)}{chmod}", 60), "rename")
        self.bytes_sent += sent

    def _check(self, res: CommandResult, what: str) -> None:
        if res.exit_code != 0:
            raise TransferError(f"{what} on {self.serial} failed ({res.exit_code}): "
                                f"{(res.stdout + res.stderr).strip()[-300:]}")

    def pull(self, remote: str, local: Path) -> None:
        c = self._sync()
        local = Path(local)
        part = local.with_name(f".{local.name}.partial")
        try:
            path = remote.encode()
            sock = c.conn
            sock.settimeout(None)
            sock.sendall(b"RECV" + struct.pack("<I", len(path)) + path)
            with open(part, "wb") as f:
                while True:
                    head = self._read_exact(sock, 8)
                    n = struct.unpack("<I", head[4:])[0]
                    if head[:4] == b"DATA":
                        f.write(self._read_exact(sock, n))
                    elif head[:4] == b"DONE":
                        break
                    elif head[:4] == b"FAIL":
                        raise TransferError(f"pull {remote}: "
                                            f"{self._read_exact(sock, n).decode(errors='replace')}")
                    else:
                        raise TransferError(f"pull {remote}: unexpected reply {head[:4]!r}")
            os.replace(part, local)
        except OSError as exc:
            part.unlink(missing_ok=True)
            if not self.alive():
                raise self._lost(f"pull of {remote}") from None
            raise TransferError(f"pull {remote} -> {local}: {exc}") from None
        finally:
            part.unlink(missing_ok=True)
            c.close()

    def prepare(self) -> tuple[dict, list[dict]]:
        """Awake check, task profile, affinity (see adb_prepare.py); recorded by execute()."""
        from .adb_prepare import prepare
        return prepare(self)

    def device_time(self) -> float:
        """The device's CLOCK_BOOTTIME, from the offset measured at connect (no round trip)."""
        return time.monotonic() + self._clock_offset

    def close(self) -> None:
        pass
