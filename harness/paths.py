"""Where devicebench keeps its files on the host (BENCH_HOME), and the default DB."""

from __future__ import annotations

import os
from pathlib import Path


def bench_home() -> Path:
    env = os.environ.get("BENCH_HOME")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "devicebench"


def default_db_url() -> str:
    return os.environ.get("BENCH_DB") or f"sqlite:///{bench_home() / 'results.db'}"
