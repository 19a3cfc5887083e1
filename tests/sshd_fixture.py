"""A real OpenSSH sshd on a loopback port, with its own host key and an authorized test key.

Started as `/usr/sbin/sshd -D -e -f <generated config>` (Debian package openssh-server, installed
by scripts/system_deps.sh). Works as root (CI, this machine) and as a normal user (sshd then runs
without privilege separation and only lets that user in). The board's /proc and /sys come from
a fake tree (the device's sysfs_root) made by `fake_board`.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sample_helpers import SAMPLES

SSHD = "/usr/sbin/sshd"


def keygen(path: Path, kind: str = "ed25519") -> Path:
    if not path.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", path.name, "-f",
                        str(path)], check=True)
    return path


def fingerprint(pub: Path) -> str:
    """SHA256 fingerprint as `ssh-keygen -l` prints it (the reference our output must match)."""
    return subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)], check=True,
                          capture_output=True, text=True).stdout.split()[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


@dataclass
class Sshd:
    dir: Path
    host_key: Path | None = None
    user: str = field(default_factory=getpass.getuser)
    port: int = 0
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host_key = keygen(self.host_key or self.dir / "host_ed25519")
        self.client_key = keygen(self.dir / "client_ed25519")
        (self.dir / "authorized_keys").write_text(
            Path(f"{self.client_key}.pub").read_text())
        os.chmod(self.dir / "authorized_keys", 0o600)

    def config(self) -> Path:
        cfg = self.dir / "sshd_config"
        cfg.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}",
            "StrictModes no", "UsePAM no", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password", f"AllowUsers {self.user}",
            "AllowTcpForwarding yes", "Subsystem sftp internal-sftp", "LogLevel ERROR",
            "MaxSessions 50", "MaxStartups 50", ""]))
        return cfg

    def start(self) -> "Sshd":
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege-separation dir
        for _ in range(5):
            self.port = free_port()
            log = open(self.dir / "sshd.log", "ab")
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config())],
                                         stdout=log, stderr=log, start_new_session=True)
            if self._wait_listening():
                return self
            self.stop()
        raise RuntimeError(f"sshd did not start: {(self.dir / 'sshd.log').read_text()[-2000:]}")

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def kill_all(self) -> None:
        """The board vanishes: sshd and every session it started die at once."""
        if self.proc is None:
            return
        for pid in [self.proc.pid] + _descendants(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def stop(self) -> None:
        self.kill_all()
        self.proc = None


def known_hosts_line(sshd: Sshd) -> str:
    kind, b64 = Path(f"{sshd.host_key}.pub").read_text().split()[:2]
    return f"[127.0.0.1]:{sshd.port} {kind} {b64}\n"


def device_yaml(sshd: Sshd, *, name: str = "board", known_hosts: Path, workdir: Path,
                sysfs_root: Path | None = None, key: Path | None = None, abi: str | None = None,
                extra: str = "") -> str:
    lines = [f"name: {name}", "transport: ssh", "host: 127.0.0.1", f"port: {sshd.port}",
             f"user: {sshd.user}", f"key_file: {key or sshd.client_key}",
             f"known_hosts: {known_hosts}", f"workdir: {workdir}",
             f"abi: {abi or 'linux-' + os.uname().machine}"]
    if sysfs_root is not None:
        lines.append(f"sysfs_root: {sysfs_root}")
    return "\n".join(lines) + "\n" + extra


# --- fake board trees (what a board's /proc, /sys, /etc and vendor tools show) ---------------

def _write(root: Path, rel: str, text: str | bytes, mode: int | None = None) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    if mode is not None:
        os.chmod(p, mode)


def _cpufreq(root: Path, policies: dict[int, tuple[str, int]]) -> None:
    for pol, (cpus, khz) in policies.items():
        base = f"sys/devices/system/cpu/cpufreq/policy{pol}"
        _write(root, f"{base}/related_cpus", cpus + "\n")
        _write(root, f"{base}/cpuinfo_max_freq", f"{khz}\n")


RKNPU_LOAD = SAMPLES / "rknn" / "npu_load_orangepi5_rk3588_three_core.txt"


def fake_board(root: Path, kind: str, npu_load: Path = RKNPU_LOAD) -> Path:
    """A tree shaped like a real board's; values are what those boards report (the rk3588's
    NPU load file is a real capture from ../shared/samples/rknn)."""
    if kind == "jetson":
        _write(root, "proc/device-tree/model", b"NVIDIA Jetson Orin Nano Developer Kit\0")
        _write(root, "proc/device-tree/compatible",
               b"nvidia,p3768-0000+p3767-0005\0nvidia,p3767-0005\0nvidia,tegra234\0")
        _write(root, "etc/nv_tegra_release",
               "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, "
               "DATE: Wed Jan  8 01:49:37 UTC 2025\n# KERNEL_VARIANT: oot\n")
        _write(root, "etc/os-release", 'PRETTY_NAME="Ubuntu 22.04.5 LTS"\nID=ubuntu\n')
        _write(root, "proc/sys/kernel/osrelease", "5.15.148-tegra\n")
        _write(root, "proc/meminfo", "MemTotal:        7802168 kB\nMemFree:  100 kB\n")
        _cpufreq(root, {0: ("0 1 2 3", 1510400), 4: ("4 5", 1510400)})
        _write(root, "usr/bin/nvpmodel",
               "#!/bin/sh\n[ \"$1\" = -q ] && printf 'NV Power Mode: 15W\\n0\\n'\n", 0o755)
    elif kind == "pi":
        _write(root, "proc/device-tree/model", b"Raspberry Pi 5 Model B Rev 1.0\0")
        _write(root, "proc/device-tree/compatible", b"raspberrypi,5-model-b\0brcm,bcm2712\0")
        _write(root, "etc/os-release",
               'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')
        _write(root, "proc/sys/kernel/osrelease", "6.6.51+rpt-rpi-2712\n")
        _write(root, "proc/meminfo", "MemTotal:        8245456 kB\n")
        _cpufreq(root, {0: ("0 1 2 3", 2400000)})
        _write(root, "usr/bin/vcgencmd",
               "#!/bin/sh\n[ \"$1\" = get_throttled ] && echo throttled=0x50005\n", 0o755)
    elif kind == "rk3588":
        _write(root, "proc/device-tree/model", b"Orange Pi 5\0")
        _write(root, "proc/device-tree/compatible",
               b"rockchip,rk3588s-orangepi-5\0rockchip,rk3588\0")
        _write(root, "etc/os-release", 'PRETTY_NAME="Orange Pi 1.1.8 Jammy"\nID=ubuntu\n')
        _write(root, "proc/sys/kernel/osrelease", "5.10.110-rockchip-rk3588\n")
        _write(root, "proc/meminfo", "MemTotal:        16117600 kB\n")
        _cpufreq(root, {0: ("0 1 2 3", 1800000), 4: ("4 5", 2256000), 6: ("6 7", 2256000)})
        _write(root, "sys/kernel/debug/rknpu/load", npu_load.read_text())
    else:
        raise ValueError(kind)
    return root


# --- pytest fixtures (imported by the SSH test modules) --------------------------------------


@pytest.fixture
def no_agent(monkeypatch):
    """Tests use only the keys their configs name: a developer's ssh-agent must not answer."""
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture
def sshd(tmp_path, no_agent):
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


@pytest.fixture
def trusted(sshd, tmp_path) -> Path:
    """A known_hosts file that already holds the test server's key."""
    kh = tmp_path / "known_hosts"
    kh.write_text(known_hosts_line(sshd))
    return kh
