"""Shared fixtures: an isolated BENCH_HOME and DB per test, the real llama-bench, real models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"


def _llama_bench() -> Path:
    env = os.environ.get("LLAMA_BENCH")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "devicebench" / "build"
    found = sorted(cache.glob("*/llama-bench"))
    if not found:
        pytest.fail("no llama-bench: run `make test` (it builds one) or set LLAMA_BENCH")
    return found[-1]


@pytest.fixture(scope="session")
def llama_bench() -> Path:
    return _llama_bench()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from harness.models.synth import synth_llama
    path = tmp_path_factory.mktemp("models") / "tiny q4.gguf"
    synth_llama(path, 8_000_000, "q4_0")
    return path


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    home = tmp_path / "home"
    cfg = tmp_path / "configs"
    cfg.mkdir()
    (cfg / "local.yaml").write_text(
        f"name: local\ntransport: local\nworkdir: {tmp_path / 'device'}\n"
        "memory_bandwidth_gbps: 50\n")
    e = {"BENCH_HOME": str(home), "BENCH_DB": f"sqlite:///{tmp_path / 'r.db'}",
         "BENCH_CONFIG_DIR": str(cfg)}
    for k, v in e.items():
        monkeypatch.setenv(k, v)
    return {**e, "device_dir": str(tmp_path / "device")}


def bench(*args: str, check: int | None = 0) -> subprocess.CompletedProcess:
    """The real CLI in a child process, as a user or CI script runs it."""
    p = subprocess.run([sys.executable, "-m", "harness.cli", *args], text=True,
                       capture_output=True, cwd=REPO)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def bench_json(*args: str, check: int | None = 0) -> dict:
    p = bench(*args, "--json", check=check)
    return json.loads(p.stdout)


@pytest.fixture
def registered(env, llama_bench) -> Path:
    bench("runners", "add", "llama.cpp", "--abi", f"linux-{os.uname().machine}", str(llama_bench))
    return llama_bench
