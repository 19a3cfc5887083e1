"""Content-addressed artifacts: files are named by sha256, on the host and on every device.

A device keeps each artifact at `<workdir>/store/<sha256>/<name>`; if it is already there with
the right size, nothing is sent. Pushes go to a temporary name first (the transport renames),
so a partial push is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .paths import bench_home
from .transports.base import Transport


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256: str
    size: int
    kind: str = "model"  # model | runner | lib

    @property
    def name(self) -> str:
        return self.path.name


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _hash_cache() -> Path:
    return bench_home() / "hash-cache.json"


def artifact_for(path: Path, kind: str = "model") -> Artifact:
    """Hash a file, remembering (path, size, mtime) so a big model is hashed once."""
    path = path.resolve()
    st = path.stat()
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"
    cache_file = _hash_cache()
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    digest = cache.get(key)
    if digest is None:
        digest = sha256_file(path)
        cache[key] = digest
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(cache))
            os.replace(tmp, cache_file)
        except OSError:
            pass
    return Artifact(path, digest, st.st_size, kind)


def remote_path(workdir: str, art: Artifact) -> str:
    return f"{workdir.rstrip('/')}/store/{art.sha256}/{art.name}"


def place(transport: Transport, workdir: str, art: Artifact) -> tuple[str, bool]:
    """Put an artifact on the device unless it is there; returns (remote path, pushed?)."""
    dest = remote_path(workdir, art)
    st = transport.stat(dest)
    if st is not None and st.size == art.size:
        return dest, False
    transport.push(art.path, dest)
    return dest, True


# --- runner binary registry (files in BENCH_HOME, not DB rows: every --db sees the same) ---

@dataclass
class RunnerBinary:
    runner: str
    abi: str
    name: str
    sha256: str
    libs: list[dict[str, str]] = field(default_factory=list)


def host_abi() -> str:
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(),
                                                          platform.machine().lower())
    return f"linux-{machine}"


class RunnerRegistry:
    def __init__(self, home: Path | None = None):
        self.home = home or bench_home()
        self.index = self.home / "runners.json"

    def _load(self) -> list[dict]:
        try:
            return json.loads(self.index.read_text())
        except (OSError, ValueError):
            return []

    def list(self) -> list[RunnerBinary]:
        return [RunnerBinary(**e) for e in self._load()]

    def _store(self, path: Path) -> dict[str, str]:
        art = artifact_for(path, "runner")
        dest = self.home / "store" / art.sha256 / path.name
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.partial")
            shutil.copy2(path, tmp)
            os.replace(tmp, dest)
        return {"name": path.name, "sha256": art.sha256}

    def add(self, runner: str, abi: str, binary: Path, libs: list[Path] = ()) -> RunnerBinary:
        main = self._store(binary)
        entry = RunnerBinary(runner, abi, main["name"], main["sha256"],
                             [self._store(p) for p in libs])
        entries = [e for e in self._load() if not (e["runner"] == runner and e["abi"] == abi)]
        entries.append(asdict(entry))
        self.index.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.index.with_suffix(".tmp")
        tmp.write_text(json.dumps(entries, indent=1))
        os.replace(tmp, self.index)
        return entry

    def find(self, runner: str, abi: str) -> RunnerBinary | None:
        for e in self.list():
            if e.runner == runner and e.abi == abi:
                return e
        return None

    def file(self, sha256: str, name: str) -> Path:
        return self.home / "store" / sha256 / name
