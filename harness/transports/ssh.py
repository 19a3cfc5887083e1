"""Linux boards over SSH (paramiko): commands, streaming, SFTP into the artifact store.

```yaml
# device_configs/rk3588.yaml
name: rk3588
transport: ssh
host: 192.168.1.42
port: 22
user: bench
key_file: ~/.ssh/id_ed25519   # else the SSH agent's keys, else ~/.ssh/id_{ed25519,ecdsa,rsa}
known_hosts: ~/.ssh/known_hosts  # default
jump_host: bench@lab-gw:22      # optional ProxyJump ([user@]host[:port], same keys)
workdir: ~/.cache/devicebench/device
```

Protocols: SSH (RFC 4251-4254; `direct-tcpip` channels for the jump host, RFC 4254 section 7.2)
and SFTP v3 (draft-ietf-secsh-filexfer-02, OpenSSH's `posix-rename@openssh.com`).

One connection serves the whole run. sshd starts every exec request in a new session
(OpenSSH session.c calls setsid() for the child), so the remote shell's `$$` is the process
group of everything the command starts: the wrapper prints it first, and a timeout or Ctrl-C
kills that group over a second channel. Every argument is `shlex.quote`d. A password is only
used if the config names an environment variable holding it (`password_env`), never stored.
"""

from __future__ import annotations

import errno
import os
import select
import shlex
import socket
import stat as stat_mod
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import paramiko

from . import hostkeys
from .base import (CommandResult, CommandTimeout, DeviceUnavailable, FileStat, TransferError)

KEEPALIVE_S = 15
CONNECT_TIMEOUT_S = 10.0
WINDOW = 1 << 27           # large windows keep a fast link busy (paramiko's default is 2 MiB)
SFTP_REQUEST = 255 * 1024  # OpenSSH's sftp-server accepts messages up to 256 KiB
FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr")
# First stdout line: the session's process group. No `exec`: sh waits and exits with the
# command's status, 128+N when a signal killed it (paramiko ignores SSH "exit-signal").
_WRAP = 'echo "$$"; "$@"'


class AuthFailed(DeviceUnavailable):
    """The server refused every credential we had."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    user: str

    @property
    def entry(self) -> str:
        return hostkeys.host_entry(self.host, self.port)


def parse_jump(spec: str, default_user: str) -> Endpoint:
    """`[user@]host[:port]`, as ssh's ProxyJump takes it."""
    user, _, rest = spec.rpartition("@")
    host, port = rest, 22
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        port = int(tail[1:]) if tail.startswith(":") else 22
    elif rest.count(":") == 1:
        host, _, p = rest.partition(":")
        port = int(p)
    return Endpoint(host, port, user or default_user)


def remote_command(argv: Sequence[str], env: dict[str, str] | None = None) -> str:
    """The shell line sent to sshd: prints the process group, then runs the quoted argv."""
    words = ["exec", "sh", "-c", _WRAP, "sh"]
    if env:
        words += ["env"] + [f"{k}={v}" for k, v in env.items()]
    return shlex.join(words + list(argv))


def _local_user() -> str:
    import getpass
    return getpass.getuser()


class _Stream:
    """Lines of a remote command (stdout and stderr merged) as they arrive."""

    def __init__(self, owner: "SshTransport", chan: paramiko.Channel, pgid: int | None,
                 rest: bytes):
        self._owner, self._chan, self.pgid, self._buf = owner, chan, pgid, rest

    def __iter__(self) -> Iterator[str]:
        while True:
            while b"\n" in self._buf:
                line, _, self._buf = self._buf.partition(b"\n")
                yield line.decode(errors="replace")
            data = self._chan.recv(65536)
            if not data:
                break
            self._buf += data
        if self._buf:
            yield self._buf.decode(errors="replace")
            self._buf = b""
        if not self._owner._t.is_active():
            raise self._owner._lost("while streaming")

    def stop(self) -> None:
        self._owner._kill(self.pgid)
        self._chan.close()


class SshTransport:
    name = "ssh"

    def __init__(self, device, connect_timeout: float = CONNECT_TIMEOUT_S, connect: bool = True):
        if not device.host:
            from ..config import ConfigError
            raise ConfigError(f"device {device.name}: transport ssh needs 'host'")
        self.device = device
        self.bytes_sent = 0
        self.timeout = connect_timeout
        self.known_hosts = hostkeys.known_hosts_path(device.known_hosts)
        self.target = Endpoint(device.host, device.port or 22, device.user or _local_user())
        self.jump = parse_jump(device.jump_host, self.target.user) if device.jump_host else None
        self._jump_t: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._home: str | None = None
        self._offset: float | None = None
        self._t: paramiko.Transport | None = self._connect() if connect else None

    # --- connection -------------------------------------------------------------------------

    def _fail(self, msg: str) -> DeviceUnavailable:
        return DeviceUnavailable(f"device {self.device.name}: {msg}")

    def _lost(self, during: str) -> DeviceUnavailable:
        return self._fail(f"connection to {self.target.entry} lost {during}")

    def open_socket(self, ep: Endpoint, via: paramiko.Transport | None = None):
        if via is not None:
            try:
                return via.open_channel("direct-tcpip", (ep.host, ep.port), ("127.0.0.1", 0),
                                        timeout=self.timeout)
            except (paramiko.SSHException, OSError) as exc:
                raise self._fail(f"jump host {self.jump.entry} cannot reach {ep.entry}: "
                                 f"{exc}") from None
        try:
            return socket.create_connection((ep.host, ep.port), timeout=self.timeout)
        except OSError as exc:
            raise self._fail(f"cannot reach {ep.entry}: {exc.strerror or exc}") from None

    def handshake(self, ep: Endpoint, sock) -> paramiko.Transport:
        """Key exchange only: the server's host key is then available, nothing is trusted yet."""
        t = paramiko.Transport(sock, default_window_size=WINDOW)
        opts = t.get_security_options()
        opts.key_types = hostkeys.preferred_algorithms(self.known_hosts, ep.entry,
                                                       list(opts.key_types))
        opts.ciphers = [c for c in FAST_CIPHERS if c in opts.ciphers] + \
            [c for c in opts.ciphers if c not in FAST_CIPHERS]
        t.banner_timeout = t.auth_timeout = self.timeout
        try:
            t.start_client(timeout=self.timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            t.close()
            raise self._fail(f"SSH handshake with {ep.entry} failed: {exc}") from None
        return t

    def _open(self, ep: Endpoint, via: paramiko.Transport | None) -> paramiko.Transport:
        t = self.handshake(ep, self.open_socket(ep, via))
        try:
            hostkeys.check(self.device.name, self.known_hosts, ep.entry,
                           t.get_remote_server_key())
            self._auth(t, ep)
        except BaseException:
            t.close()
            raise
        t.set_keepalive(KEEPALIVE_S)
        return t

    def connect_jump(self) -> paramiko.Transport | None:
        """The verified, authenticated jump-host connection (None without a jump host)."""
        if self.jump is not None and self._jump_t is None:
            self._jump_t = self._open(self.jump, None)
        return self._jump_t

    def _connect(self) -> paramiko.Transport:
        self.connect_jump()
        try:
            return self._open(self.target, self._jump_t)
        except BaseException:
            if self._jump_t is not None:
                self._jump_t.close()
            raise

    def _keys(self) -> list[tuple[str, paramiko.PKey]]:
        from ..config import ConfigError
        keys: list[tuple[str, paramiko.PKey]] = []
        kf = self.device.key_file
        if kf:
            path = Path(os.path.expanduser(kf))
            try:
                keys.append((f"key {kf}", paramiko.PKey.from_path(path)))
            except FileNotFoundError:
                raise ConfigError(f"device {self.device.name}: key_file {kf}: no such file") \
                    from None
            except paramiko.PasswordRequiredException:
                raise ConfigError(f"device {self.device.name}: key_file {kf} is encrypted: "
                                  f"load it into the SSH agent (ssh-add {kf})") from None
            except (ValueError, paramiko.SSHException) as exc:
                raise ConfigError(f"device {self.device.name}: key_file {kf}: "
                                  f"not a private key ({exc})") from None
        try:
            for k in paramiko.Agent().get_keys():
                keys.append((f"agent key {k.fingerprint}", k))
        except paramiko.SSHException:
            pass
        if not kf:
            for name in ("id_ed25519", "id_ecdsa", "id_rsa"):
                path = Path.home() / ".ssh" / name
                try:
                    keys.append((f"key ~/.ssh/{name}", paramiko.PKey.from_path(path)))
                except (OSError, ValueError, paramiko.SSHException):
                    pass
        return keys

    def _auth(self, t: paramiko.Transport, ep: Endpoint) -> None:
        try:
            t.auth_none(ep.user)
            return
        except paramiko.BadAuthenticationType as exc:
            allowed = list(exc.allowed_types)
        except paramiko.SSHException as exc:
            raise self._fail(f"authentication with {ep.entry} failed: {exc}") from None
        tried: list[str] = []
        if "publickey" in allowed:
            for label, key in self._keys():
                tried.append(label)
                try:
                    t.auth_publickey(ep.user, key)
                except paramiko.AuthenticationException:
                    continue
                except paramiko.SSHException as exc:
                    raise self._fail(f"authentication with {ep.entry} failed: {exc}") from None
                if t.is_authenticated():
                    return
        env_name = self.device.password_env
        if env_name and "password" in allowed:
            secret = os.environ.get(env_name)
            if secret is None:
                from ..config import ConfigError
                raise ConfigError(f"device {self.device.name}: password_env {env_name}: "
                                  "environment variable is not set")
            tried.append(f"the password from ${env_name}")
            try:
                t.auth_password(ep.user, secret)
                if t.is_authenticated():
                    return
            except paramiko.AuthenticationException:
                pass
        what = ", ".join(tried) or "no key (no key_file, no agent keys, no ~/.ssh/id_*)"
        raise AuthFailed(f"device {self.device.name}: authentication failed for user {ep.user} "
                         f"at {ep.entry} with {what} (server accepts: {', '.join(allowed)})")

    # --- commands ---------------------------------------------------------------------------

    def _exec(self, cmd: str, combine: bool = False) -> paramiko.Channel:
        if not self._t.is_active():
            raise self._lost("before the command")
        try:
            chan = self._t.open_session(timeout=self.timeout)
            chan.set_combine_stderr(combine)
            chan.exec_command(cmd)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            if self._dead(exc):
                raise self._lost("opening a channel") from None
            raise self._fail(f"cannot start a command: {exc}") from None
        return chan

    @staticmethod
    def _split_pgid(out: bytearray) -> tuple[int | None, bytearray] | None:
        if b"\n" not in out:
            return None
        first, _, rest = bytes(out).partition(b"\n")
        try:
            return int(first), bytearray(rest)
        except ValueError:
            return None, out

    def _kill(self, pgid: int | None) -> None:
        """TERM, then KILL, the remote process group, over a fresh channel."""
        if pgid is None or self._t is None or not self._t.is_active():
            return
        script = (f"kill -s TERM -- -{pgid} 2>/dev/null; sleep 0.2; "
                  f"kill -s KILL -- -{pgid} 2>/dev/null; true")
        try:
            chan = self._exec(shlex.join(["sh", "-c", script]))
            chan.recv_exit_status()
            chan.close()
        except DeviceUnavailable:
            pass

    def run(self, argv: Sequence[str], timeout: float | None = None,
            env: dict[str, str] | None = None) -> CommandResult:
        chan = self._exec(remote_command(argv, env))
        deadline = time.monotonic() + timeout if timeout else None
        out, err = bytearray(), bytearray()
        pgid: int | None = None
        have_pgid = False
        try:
            while True:
                while chan.recv_ready():
                    out += chan.recv(1 << 16)
                while chan.recv_stderr_ready():
                    err += chan.recv_stderr(1 << 16)
                if not have_pgid:
                    split = self._split_pgid(out)
                    if split is not None:
                        pgid, out = split
                        have_pgid = True
                if chan.exit_status_ready() and not chan.recv_ready() \
                        and not chan.recv_stderr_ready():
                    break
                if deadline is not None and time.monotonic() > deadline:
                    self._kill(pgid)
                    chan.close()
                    raise CommandTimeout(argv, timeout or 0, out.decode(errors="replace"),
                                         err.decode(errors="replace"))
                select.select([chan], [], [], 0.05)
        except KeyboardInterrupt:
            self._kill(pgid)
            chan.close()
            raise
        except (paramiko.SSHException, OSError, EOFError):
            raise self._lost(f"during {argv[0] if argv else 'a command'}") from None
        code = chan.recv_exit_status()
        chan.close()
        if not self._t.is_active() or (code == -1 and self._dead(EOFError())):
            raise self._lost(f"during {argv[0] if argv else 'a command'}")
        return CommandResult(code, out.decode(errors="replace"), err.decode(errors="replace"))

    def stream(self, argv: Sequence[str], env: dict[str, str] | None = None) -> _Stream:
        chan = self._exec(remote_command(argv, env), combine=True)
        buf = b""
        while b"\n" not in buf:
            data = chan.recv(65536)
            if not data:
                break
            buf += data
        first, _, rest = buf.partition(b"\n")
        try:
            pgid: int | None = int(first)
        except ValueError:
            pgid, rest = None, buf
        return _Stream(self, chan, pgid, rest)

    def shell(self, script: str, timeout: float | None = None) -> CommandResult:
        """Run a fixed `sh` script (built from quoted parts by the caller) in one round trip."""
        return self.run(["sh", "-c", script], timeout=timeout)

    # --- files ------------------------------------------------------------------------------

    def home(self) -> str:
        if self._home is None:
            self._home = self._sftp_client().normalize(".")
        return self._home

    def expand(self, path: str) -> str:
        """`~/x` -> `<remote home>/x` (SFTP and quoted argv do no tilde expansion)."""
        if path == "~" or path.startswith("~/"):
            return self.home() + path[1:]
        return path

    def _sftp_client(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            try:
                self._sftp = paramiko.SFTPClient.from_transport(self._t, window_size=WINDOW)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                if self._dead(exc):
                    raise self._lost("opening SFTP") from None
                raise TransferError(f"device {self.device.name}: SFTP unavailable: {exc}") \
                    from None
        return self._sftp

    def _dead(self, exc: BaseException | None = None) -> bool:
        """Is the connection gone? After an I/O error the transport thread may take a moment
        to notice the closed socket, so give it up to a second before saying no."""
        if isinstance(exc, (EOFError, OSError, paramiko.SSHException)):
            deadline = time.monotonic() + 1.0
            while self._t.is_active() and time.monotonic() < deadline:
                time.sleep(0.05)
        return not self._t.is_active()

    def _transfer_error(self, what: str, exc: BaseException) -> Exception:
        if self._dead(exc):
            return self._lost(what)
        return TransferError(f"device {self.device.name}: {what}: {exc}")

    def push(self, local: Path, remote: str) -> None:
        remote = self.expand(remote)
        parent, _, name = remote.rpartition("/")
        res = self.run(["mkdir", "-p", "--", parent or "/"])
        if res.exit_code != 0:
            raise TransferError(f"device {self.device.name}: mkdir {parent}: "
                                f"{res.stderr.strip()}")
        tmp = f"{parent}/.{name}.partial-{uuid.uuid4().hex[:8]}"
        sftp = self._sftp_client()
        size = 0
        try:
            with open(local, "rb") as src, sftp.open(tmp, "wb") as dst:
                dst.MAX_REQUEST_SIZE = SFTP_REQUEST
                dst.set_pipelined(True)
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
                    size += len(chunk)
            sftp.chmod(tmp, os.stat(local).st_mode & 0o777)
            sftp.posix_rename(tmp, remote)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) and not Path(local).exists():
                raise TransferError(f"push {local}: no such file") from None
            self._discard(tmp)
            raise self._transfer_error(f"push {local} -> {remote}", exc) from None
        except (paramiko.SSHException, EOFError) as exc:
            self._discard(tmp)
            raise self._transfer_error(f"push {local} -> {remote}", exc) from None
        self.bytes_sent += size

    def _discard(self, tmp: str) -> None:
        try:
            if self._t.is_active() and self._sftp is not None:
                self._sftp.remove(tmp)
        except (OSError, paramiko.SSHException, EOFError):
            pass

    def pull(self, remote: str, local: Path) -> None:
        remote = self.expand(remote)
        local = Path(local)
        tmp = local.with_name(f".{local.name}.partial-{os.getpid()}")
        try:
            self._sftp_client().get(remote, str(tmp))
            os.replace(tmp, local)
        except (OSError, paramiko.SSHException, EOFError) as exc:
            tmp.unlink(missing_ok=True)
            raise self._transfer_error(f"pull {remote} -> {local}", exc) from None

    def stat(self, remote: str) -> FileStat | None:
        remote = self.expand(remote)
        try:
            st = self._sftp_client().stat(remote)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.EACCES) or (exc.errno is None
                                                             and not self._dead(exc)):
                return None
            raise self._transfer_error(f"stat {remote}", exc) from None
        except (paramiko.SSHException, EOFError) as exc:
            raise self._transfer_error(f"stat {remote}", exc) from None
        if st.st_mode is not None and stat_mod.S_ISDIR(st.st_mode):
            return FileStat(0, float(st.st_mtime or 0))
        return FileStat(int(st.st_size or 0), float(st.st_mtime or 0))

    def exists(self, remote: str) -> bool:
        return self.stat(remote) is not None

    def _read_uptime(self) -> str:
        """/proc/uptime over the SFTP session the run uses anyway (one request, no new shell)."""
        try:
            with self._sftp_client().open("/proc/uptime", "r") as f:
                return f.read(128).decode()
        except (OSError, TransferError, paramiko.SSHException, EOFError) as exc:
            if self._dead(exc):
                raise self._lost("reading /proc/uptime") from None
            return self.run(["cat", "/proc/uptime"], timeout=self.timeout).stdout

    def _clock_offset(self) -> float:
        """Device uptime minus host monotonic time, from one /proc/uptime read (RTT midpoint)."""
        if self._offset is None:
            self._sftp_client()
            t0 = time.monotonic()
            text = self._read_uptime()
            t1 = time.monotonic()
            try:
                self._offset = float(text.split()[0]) - (t0 + t1) / 2
            except (IndexError, ValueError):
                raise self._fail(f"cannot read /proc/uptime: {text.strip()!r}") from None
        return self._offset

    def device_time(self) -> float:
        """The board's uptime clock (CLOCK_BOOTTIME); phase marks cost no round trip."""
        return time.monotonic() + self._clock_offset()

    def close(self) -> None:
        for c in (self._sftp, self._t, self._jump_t):
            if c is not None:
                try:
                    c.close()
                except Exception:  # closing a dead connection must not mask the real error
                    pass
