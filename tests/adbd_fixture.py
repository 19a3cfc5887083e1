"""Test fixtures for Android: the real adb server, and a fake phone speaking the adb wire protocol.

`AdbServer` starts the real `adb -P PORT nodaemon server` with a private HOME. `FakeAdbd` is the
device side of AOSP's adb protocol over TCP (protocol.txt: 24-byte headers, CNXN/AUTH/OPEN/OKAY/
WRTE/CLSE, one WRTE in flight per stream until OKAY), the server reaching it through
`adb connect 127.0.0.1:PORT`. Services: `shell:` (v1, stdout and stderr merged, no exit code),
`shell,v2[,args]:` (shell_protocol.h packets: id u8, len u32le; 1 stdout, 2 stderr, 3 exit) and
`sync:` (SYNC.TXT: STAT, LIST, SEND, RECV, QUIT). It advertises exactly the features it
implements (`shell_v2` only when v2 is on, `fixed_push_mkdir` because SEND makes parent dirs).

Commands run with /bin/sh in a sandbox folder: device paths `/data/local/tmp`, `/sys`, `/proc/
meminfo` are rewritten into the sandbox (in commands and sync paths), `getprop`, `dumpsys`,
`settaskprofile` and `svc` are scripts in the sandbox's bin/ serving real captured outputs
(../shared/samples/android) and logging their calls. Like adbd, every shell starts in its own
session, and closing a stream does not kill a non-pty command.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

A_CNXN, A_AUTH, A_OPEN, A_OKAY, A_WRTE, A_CLSE = (
    0x4E584E43, 0x48545541, 0x4E45504F, 0x59414B4F, 0x45545257, 0x45534C43)
A_VERSION = 0x01000001
MAX_DATA = 256 * 1024
AUTH_TOKEN, AUTH_SIGNATURE, AUTH_RSAPUBLICKEY = 1, 2, 3


def free_port() -> int:
    """An ephemeral loopback port, never in the 5555-5585 range the adb server scans."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not 5554 <= port <= 5586:
            return port


class AdbServer:
    """The real adb server on a free port, private HOME (its own adbkey), stopped on close."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.home = workdir / "adb-home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "HOME": str(self.home), "ANDROID_ADB_SERVER_PORT": str(self.port)}
        self.log = open(workdir / "adb-server.log", "wb")
        self.proc = subprocess.Popen(["adb", "-P", str(self.port), "nodaemon", "server"],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("adb server did not start")

    def adb(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
        return subprocess.run(["adb", "-P", str(self.port), *args], env=self.env, text=True,
                              capture_output=True, timeout=timeout)

    def wait_state(self, serial: str, state: str, timeout: float = 10) -> str:
        got = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.adb("devices").stdout
            got = next((ln.split()[1] for ln in out.splitlines()[1:]
                        if ln.split()[:1] == [serial]), "")
            if got == state:
                return got
            time.sleep(0.05)
        return got

    def close(self) -> None:
        os.killpg(self.proc.pid, 9)
        self.proc.wait()
        self.log.close()


def _msg(cmd: int, a0: int, a1: int, data: bytes = b"") -> bytes:
    return struct.pack("<6I", cmd, a0, a1, len(data), 0, cmd ^ 0xFFFFFFFF) + data


class _Stream:
    """One open service: outgoing WRTEs wait for the server's OKAY (one in flight)."""

    def __init__(self, conn: "_Conn", local: int, remote: int):
        self.conn, self.local, self.remote = conn, local, remote
        self.acked = threading.Event()
        self.acked.set()
        self.lock = threading.Lock()
        self.closed = False
        self.inbox: queue.Queue[bytes | None] = queue.Queue()
        self.proc: subprocess.Popen | None = None

    def write(self, data: bytes) -> bool:
        with self.lock:
            for i in range(0, len(data), self.conn.max_data):
                if self.closed:
                    return False
                self.acked.wait()
                if self.closed:
                    return False
                self.acked.clear()
                if not self.conn.send(_msg(A_WRTE, self.local, self.remote,
                                           data[i:i + self.conn.max_data])):
                    return False
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.acked.set()
            self.inbox.put(None)
            self.conn.send(_msg(A_CLSE, self.local, self.remote))


class _Reader:
    """Blocking reads of exact sizes over the WRTE payloads of a stream."""

    def __init__(self, stream: _Stream):
        self.s, self.buf = stream, bytearray()

    def read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.s.inbox.get()
            if chunk is None:
                raise EOFError
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class _Conn:
    def __init__(self, dev: "FakeAdbd", sock: socket.socket):
        self.dev, self.sock = dev, sock
        self.max_data = MAX_DATA
        self.send_lock = threading.Lock()
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1
        self.alive = True

    def send(self, data: bytes) -> bool:
        try:
            with self.send_lock:
                self.sock.sendall(data)
            return True
        except OSError:
            self.alive = False
            return False

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    def serve(self) -> None:
        try:
            while self.alive:
                cmd, a0, a1, n, _crc, _magic = struct.unpack("<6I", self._recv_exact(24))
                data = self._recv_exact(n) if n else b""
                self.handle(cmd, a0, a1, data)
        except (EOFError, OSError):
            pass
        finally:
            self.alive = False
            for s in list(self.streams.values()):
                s.closed = True
                s.acked.set()
                s.inbox.put(None)

    def handle(self, cmd: int, a0: int, a1: int, data: bytes) -> None:
        dev = self.dev
        if cmd == A_CNXN:
            self.max_data = min(a1 or MAX_DATA, MAX_DATA)
            if dev.auth == "silent":
                return  # never answers: the server keeps it offline
            if dev.auth == "never":
                self.send(_msg(A_AUTH, AUTH_TOKEN, 0, os.urandom(20)))
                return
            self.send(_msg(A_CNXN, A_VERSION, MAX_DATA, dev.banner().encode()))
        elif cmd == A_AUTH:
            if a0 == AUTH_SIGNATURE:  # no key is ever accepted: ask again
                self.send(_msg(A_AUTH, AUTH_TOKEN, 0, os.urandom(20)))
            # AUTH_RSAPUBLICKEY: a real phone would now show the prompt; nobody accepts it
        elif cmd == A_OPEN:
            local = self.next_id
            self.next_id += 1
            stream = _Stream(self, local, a0)
            self.streams[local] = stream
            service = data.rstrip(b"\0").decode(errors="replace")
            dev.services.append(service)
            run = dev.service_for(stream, service)
            if run is None:
                del self.streams[local]
                self.send(_msg(A_CLSE, 0, a0))
                return
            self.send(_msg(A_OKAY, local, a0))  # before the service may write to the stream
            threading.Thread(target=run, daemon=True).start()
        elif cmd == A_OKAY:
            s = self.streams.get(a1)
            if s:
                s.remote = a0
                s.acked.set()
        elif cmd == A_WRTE:
            s = self.streams.get(a1)
            if s:
                s.inbox.put(data)
                self.send(_msg(A_OKAY, a1, a0))
        elif cmd == A_CLSE:
            s = self.streams.pop(a1, None)
            if s:
                s.closed = True
                s.acked.set()
                s.inbox.put(None)


SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "android"


class FakeAdbd:
    """A phone on 127.0.0.1:port; `serial` is what `adb devices` shows for it."""

    def __init__(self, root: Path, *, v2: bool = True, auth: str = "ok",
                 props: str | None = None, battery: str | None = None,
                 thermal: str | None = None, power: str = "  mWakefulness=Awake\n",
                 cpufreq: dict[int, tuple[str, int]] | None = None, mem_kb: int = 7_864_320,
                 tools: tuple[str, ...] = ("settaskprofile", "svc"), abi: str | None = None):
        """`abi`: report this ABI (getprop ro.product.cpu.abi/abilist) instead of the props'
        own, e.g. the host's for a phone that runs host binaries, as an x86_64 emulator does."""
        self.root = root
        self.v2, self.auth = v2, auth
        self.services: list[str] = []
        self.sync_bytes_received = 0
        root.mkdir(parents=True, exist_ok=True)
        (root / "data" / "local" / "tmp").mkdir(parents=True, exist_ok=True)
        bin_dir = root / "bin"
        bin_dir.mkdir(exist_ok=True)
        files = {
            "props.txt": props if props is not None else
            (SAMPLES / "getprop_full_oneplus11_cph2451_sm8550_android13.txt").read_text(),
            "battery.txt": battery if battery is not None else
            (SAMPLES / "dumpsys_battery_android14_capacity_level.txt").read_text(),
            "thermal.txt": thermal if thermal is not None else
            (SAMPLES / "dumpsys_thermalservice_samsung_a52_5g_android12_flattened.txt")
            .read_text(),
            "power.txt": power,
        }
        if abi is not None:
            files["props.txt"] = re.sub(r"^\[ro\.product\.cpu\.abi(list)?\]: \[.*?\]$",
                                        lambda m: f"[ro.product.cpu.abi{m.group(1) or ''}]: "
                                                  f"[{abi}]", files["props.txt"], flags=re.M)
        for name, text in files.items():
            (root / name).write_text(text)
        self.props = root / "props.txt"
        scripts = {
            "getprop": f'if [ $# -eq 0 ]; then cat "{root}/props.txt"; else '
                       f'sed -n "s/^\\[$1\\]: \\[\\(.*\\)\\]$/\\1/p" "{root}/props.txt"; fi',
            "dumpsys": f'case "$1" in battery) cat "{root}/battery.txt";; '
                       f'thermalservice) cat "{root}/thermal.txt";; '
                       f'power) cat "{root}/power.txt";; *) exit 1;; esac',
            "settaskprofile": f'echo "$@" >> "{root}/settaskprofile.log"',
            "svc": f'echo "$@" >> "{root}/svc.log"',
        }
        for name, body in scripts.items():
            if name in ("getprop", "dumpsys") or name in tools:
                p = bin_dir / name
                p.write_text(f"#!/bin/sh\n{body}\n")
                p.chmod(0o755)
        base = root / "sys" / "devices" / "system" / "cpu" / "cpufreq"
        for n, (cpus, max_khz) in (cpufreq or {0: ("0 1 2 3", 2016000),
                                               4: ("4 5 6", 2803200),
                                               7: ("7", 3187200)}).items():
            d = base / f"policy{n}"
            d.mkdir(parents=True, exist_ok=True)
            (d / "related_cpus").write_text(cpus + "\n")
            (d / "cpuinfo_max_freq").write_text(f"{max_khz}\n")
            (d / "scaling_governor").write_text("schedutil\n")
            (d / "scaling_cur_freq").write_text(f"{max_khz}\n")
            (d / "scaling_max_freq").write_text(f"{max_khz}\n")
        # thermal zones with the types of a real phone (Xperia XZ1 Compact sample), 35.0 °C
        zones = re.findall(r"^(?!lilac)(\S+)$", (SAMPLES / "thermal_zone_types_sony_xperia_"
                                                  "xz1_compact_lilac_partial.txt").read_text(), re.M)
        for i, ztype in enumerate(zones[:6]):
            z = root / "sys" / "class" / "thermal" / f"thermal_zone{i}"
            z.mkdir(parents=True, exist_ok=True)
            (z / "type").write_text(ztype + "\n")
            (z / "temp").write_text(f"{35000 + 100 * i}\n")
        bat = root / "sys" / "class" / "power_supply" / "battery"
        bat.mkdir(parents=True, exist_ok=True)
        for name, value in (("type", "Battery"), ("status", "Discharging"), ("capacity", "80"),
                            ("current_now", "-350000"), ("voltage_now", "4200000")):
            (bat / name).write_text(value + "\n")
        # a config's `sysfs_root: /data/local/tmp/sysroot` reaches the same fake tree from
        # scripts run on the phone (the rewrite only sees command lines, not script bodies)
        (root / "data" / "local" / "tmp" / "sysroot").symlink_to(root)
        (root / "proc").mkdir(exist_ok=True)
        (root / "proc" / "meminfo").write_text(f"MemTotal:       {mem_kb} kB\n"
                                               "MemFree:         1048576 kB\n")
        self._rewrite = re.compile(r"(?<![\w./-])/(data/local/tmp|sys|proc/meminfo)"
                                   r"(?=[/\s'\";|&)]|$)")
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = free_port()
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(8)
        self.port = port
        self.serial = f"127.0.0.1:{port}"
        self.conns: list[_Conn] = []
        self.procs: list[subprocess.Popen] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    # -- device side -----------------------------------------------------------------------

    def banner(self) -> str:
        features = ["fixed_push_mkdir"] + (["shell_v2"] if self.v2 else [])
        text = self.props.read_text()

        def prop(key: str) -> str:
            m = re.search(rf"^\[{re.escape(key)}\]: \[(.*)\]$", text, re.M)
            return m.group(1) if m else "fake"
        name, model, device = (prop(f"ro.product.{k}") for k in ("name", "model", "device"))
        return (f"device::ro.product.name={name};ro.product.model={model};"
                f"ro.product.device={device};features={','.join(features)}")

    def map_path(self, path: str) -> str:
        return self._rewrite.sub(lambda m: f"{self.root}/{m.group(1)}", path)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(self, sock)
            self.conns.append(conn)
            threading.Thread(target=conn.serve, daemon=True).start()

    def service_for(self, stream: _Stream, service: str):
        """The function serving an OPEN, or None for a service this phone does not offer."""
        if service.startswith("shell"):
            head, _, command = service.partition(":")
            v2 = "v2" in head.split(",")[1:]
            if v2 and not self.v2:
                return None
            return lambda: self._shell(stream, command, v2)
        if service == "sync:":
            return lambda: self._sync(stream)
        return None

    def _shell(self, stream: _Stream, command: str, v2: bool) -> None:
        env = {"PATH": f"{self.root}/bin:/usr/bin:/bin", "HOME": str(self.root),
               "TMPDIR": f"{self.root}/data/local/tmp"}
        proc = subprocess.Popen(["/bin/sh", "-c", self.map_path(command)], cwd=self.root,
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE if v2 else subprocess.STDOUT,
                                start_new_session=True)
        stream.proc = proc
        self.procs.append(proc)
        threading.Thread(target=self._stdin, args=(stream, proc, v2), daemon=True).start()

        def pump(fd, kind: int) -> None:
            while True:
                data = os.read(fd, stream.conn.max_data - 5)
                if not data:
                    return
                if stream.closed:
                    continue  # the host went away: drain so the command is not blocked
                stream.write(struct.pack("<BI", kind, len(data)) + data if v2 else data)

        pumps = [threading.Thread(target=pump, args=(proc.stdout.fileno(), 1), daemon=True)]
        if v2:
            pumps.append(threading.Thread(target=pump, args=(proc.stderr.fileno(), 2),
                                          daemon=True))
        for t in pumps:
            t.start()
        for t in pumps:
            t.join()
        code = proc.wait()
        if v2 and not stream.closed:
            stream.write(struct.pack("<BIB", 3, 1, code & 0xFF if code >= 0 else 128 - code))
        stream.close()

    def _stdin(self, stream: _Stream, proc: subprocess.Popen, v2: bool) -> None:
        buf = b""
        while True:
            chunk = stream.inbox.get()
            if chunk is None:
                break
            if not v2:
                continue
            buf += chunk
            while len(buf) >= 5:
                kind, n = buf[0], struct.unpack("<I", buf[1:5])[0]
                if len(buf) < 5 + n:
                    break
                buf = buf[5 + n:]
                if kind == 4:
                    proc.stdin.close()
        try:
            proc.stdin.close()
        except OSError:
            pass

    def _sync(self, stream: _Stream) -> None:
        r = _Reader(stream)
        try:
            while True:
                cmd = r.read(4)
                n = struct.unpack("<I", r.read(4))[0]
                arg = r.read(n).decode(errors="replace")
                if cmd == b"QUIT":
                    break
                if cmd == b"STAT":
                    try:
                        st = os.stat(self.map_path(arg))
                        stream.write(b"STAT" + struct.pack("<III", st.st_mode, st.st_size,
                                                           int(st.st_mtime)))
                    except OSError:
                        stream.write(b"STAT" + bytes(12))
                elif cmd == b"LIST":
                    out = bytearray()
                    path = self.map_path(arg)
                    for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
                        st = os.lstat(os.path.join(path, name))
                        nb = name.encode()
                        out += b"DENT" + struct.pack("<IIII", st.st_mode, st.st_size,
                                                     int(st.st_mtime), len(nb)) + nb
                    stream.write(bytes(out) + b"DONE" + bytes(16))
                elif cmd == b"SEND":
                    self._recv_file(stream, r, arg)
                elif cmd == b"RECV":
                    self._send_file(stream, arg)
                else:
                    msg = f"unknown sync request {cmd!r}".encode()
                    stream.write(b"FAIL" + struct.pack("<I", len(msg)) + msg)
                    break
        except EOFError:
            pass
        stream.close()

    def _recv_file(self, stream: _Stream, r: _Reader, arg: str) -> None:
        path, _, mode = arg.rpartition(",")
        dest = self.map_path(path)
        failed = None
        try:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            f = open(dest, "wb")
        except OSError as exc:
            failed, f = str(exc), None
        while True:
            kind = r.read(4)
            n = struct.unpack("<I", r.read(4))[0]
            if kind == b"DONE":
                break
            data = r.read(n)
            self.sync_bytes_received += n
            if f:
                f.write(data)
        if f:
            f.close()
            os.chmod(dest, int(mode or 0o100644) & 0o7777)  # decimal, as adb sends it
        if failed:
            msg = failed.encode()
            stream.write(b"FAIL" + struct.pack("<I", len(msg)) + msg)
        else:
            stream.write(b"OKAY" + bytes(4))

    def _send_file(self, stream: _Stream, arg: str) -> None:
        try:
            with open(self.map_path(arg), "rb") as f:
                while chunk := f.read(64 * 1024):
                    stream.write(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
            stream.write(b"DONE" + bytes(4))
        except OSError as exc:
            msg = str(exc).encode()
            stream.write(b"FAIL" + struct.pack("<I", len(msg)) + msg)

    # -- lifecycle -------------------------------------------------------------------------

    def kill(self) -> None:
        """The phone vanishes: listener and connections dropped, its processes die with it."""
        self._stopped = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for c in self.conns:
            c.alive = False
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.sock.close()
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass


def pixel8_props() -> str:
    """A Pixel 8 property set (values as Google's factory images for shiba/husky print them)."""
    props = {
        "ro.product.manufacturer": "Google", "ro.product.model": "Pixel 8",
        "ro.product.brand": "google", "ro.product.name": "shiba", "ro.product.device": "shiba",
        "ro.soc.manufacturer": "Google", "ro.soc.model": "Tensor G3",
        "ro.board.platform": "zuma", "ro.hardware": "shiba",
        "ro.product.cpu.abi": "arm64-v8a", "ro.product.cpu.abilist": "arm64-v8a",
        "ro.build.version.release": "14", "ro.build.version.sdk": "34",
        "ro.build.fingerprint": "google/shiba/shiba:14/AP2A.240805.005/12025142:user/release-keys",
    }
    return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items()))


def make_tmp_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="fake-adbd-"))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
