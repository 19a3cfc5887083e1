"""SSH host-key checks against an OpenSSH `known_hosts` file: verify, describe, record.

Nothing is ever added silently: an unknown key is refused until `bench devices trust NAME`
records it, and a changed key is refused until `--replace` is given explicitly. Entries follow
OpenSSH's format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `[host]:port` for non-22 ports and
hashed `|1|salt|hash` names are honoured (paramiko's `HostKeys` does the matching).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .base import DeviceUnavailable

# ssh-keygen -l prints the key family in parentheses.
_FAMILY = {"ssh-ed25519": "ED25519", "ssh-rsa": "RSA", "ecdsa-sha2-nistp256": "ECDSA",
           "ecdsa-sha2-nistp384": "ECDSA", "ecdsa-sha2-nistp521": "ECDSA"}
# Host-key algorithms a known key of a given type can be negotiated with.
_ALGOS = {"ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]}


class UnknownHostKey(DeviceUnavailable):
    """The server's key is not in known_hosts (refused until trusted)."""


class HostKeyChanged(DeviceUnavailable):
    """known_hosts holds a different key of the same type for this host."""


def host_entry(host: str, port: int) -> str:
    """The name OpenSSH writes in known_hosts for host:port."""
    return host if port == 22 else f"[{host}]:{port}"


def known_hosts_path(configured: str | None) -> Path:
    return Path(os.path.expanduser(configured or "~/.ssh/known_hosts"))


@dataclass(frozen=True)
class KeyInfo:
    entry: str
    key_type: str
    bits: int
    fingerprint: str  # SHA256:<base64, no padding>, as ssh-keygen -l prints it
    base64: str

    @property
    def family(self) -> str:
        return _FAMILY.get(self.key_type, self.key_type.upper())

    def line(self) -> str:
        """Same layout as `ssh-keygen -l -f known_hosts`."""
        return f"{self.bits} {self.fingerprint} {self.entry} ({self.family})"

    def short(self) -> str:
        return f"{self.family} {self.fingerprint}"


def describe(entry: str, key) -> KeyInfo:
    return KeyInfo(entry, key.get_name(), key.get_bits(), key.fingerprint, key.get_base64())


def _load(path: Path):
    import paramiko
    keys = paramiko.HostKeys()
    if path.is_file():
        keys.load(str(path))
    return keys


def known_keys(path: Path, entry: str) -> dict:
    """key type -> paramiko key for the host, from known_hosts (hashed names included)."""
    found = _load(path).lookup(entry)
    return dict(found) if found else {}


def preferred_algorithms(path: Path, entry: str, offered: list[str]) -> list[str]:
    """Host-key algorithms with the types already known for this host first (as ssh does)."""
    first: list[str] = []
    for key_type in known_keys(path, entry):
        first += _ALGOS.get(key_type, [key_type])
    first = [a for a in first if a in offered]
    return first + [a for a in offered if a not in first]


def verdict(path: Path, entry: str, key) -> str:
    """'known', 'unknown' or 'changed' for the key a server presented."""
    known = known_keys(path, entry)
    old = known.get(key.get_name())
    if old is None:
        return "unknown"
    return "known" if old == key else "changed"


def check(device: str, path: Path, entry: str, key) -> None:
    """Raise unless the key is the one known_hosts records for this host."""
    info = describe(entry, key)
    v = verdict(path, entry, key)
    if v == "unknown":
        raise UnknownHostKey(
            f"device {device}: host key of {entry} is not known ({info.short()}, not in {path}); "
            f"check the fingerprint and run `bench devices trust {device}`")
    if v == "changed":
        old = describe(entry, known_keys(path, entry)[key.get_name()])
        raise HostKeyChanged(
            f"device {device}: HOST KEY CHANGED for {entry}: {path} has {old.short()}, the server "
            f"offers {info.short()}; refusing to connect (possible man-in-the-middle). If the "
            f"board was reinstalled, verify it and run `bench devices trust {device} --replace`")


def _line_matches(line: str, entry: str, key_type: str) -> bool:
    import paramiko
    fields = line.split()
    if len(fields) < 3 or line.lstrip().startswith(("#", "@")) or fields[1] != key_type:
        return False
    for name in fields[0].split(","):
        if name.startswith("|1|"):
            salt = name.split("|")[2]
            if paramiko.HostKeys.hash_host(entry, salt) == name:
                return True
        elif name == entry:
            return True
    return False


def record(device: str, path: Path, entry: str, key, replace: bool = False) -> str:
    """Write the key for the host; returns 'added', 'replaced' or 'already known'."""
    v = verdict(path, entry, key)
    if v == "known":
        return "already known"
    if v == "changed" and not replace:
        check(device, path, entry, key)  # raises HostKeyChanged with both fingerprints
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lines = path.read_text().splitlines() if path.is_file() else []
    if v == "changed":
        lines = [ln for ln in lines if not _line_matches(ln, entry, key.get_name())]
    lines.append(f"{entry} {key.get_name()} {key.get_base64()}")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text("\n".join(lines) + "\n")
    if path.exists():
        os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)
    return "replaced" if v == "changed" else "added"
