"""Synthetic GGUF models: shape/size checks via GGUFReader, and a real llama-bench run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import pytest

import gguf
from harness.models.synth import choose_dims, count_params, parse_params, synth_llama

TARGET = 20_000_000


def _reader_params(path: Path) -> int:
    r = gguf.GGUFReader(path)
    return sum(int(np.prod([int(x) for x in t.shape])) for t in r.tensors)


def _llama_bench() -> Path | None:
    env = os.environ.get("LLAMA_BENCH")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    p = Path(cache) / "devicebench" / "build" / f"llama-cpp-python-0.3.36-{platform.machine()}" / "llama-bench"
    return p if p.exists() else None


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("synth")
    return {q: synth_llama(d / f"m20_{q}.gguf", TARGET, q) for q in ("f16", "q8_0", "q4_0")}


def test_parse_params():
    assert parse_params("50M") == 50_000_000
    assert parse_params("1.5B") == 1_500_000_000
    assert parse_params("500k") == 500_000
    assert parse_params("12_000") == 12_000
    assert parse_params(7) == 7
    for bad in ("", "M", "10X", "-5M", "0"):
        with pytest.raises(ValueError):
            parse_params(bad)


@pytest.mark.parametrize("target", ["1M", "5M", "20M", "100M", "1B", "7B"])
def test_choose_dims_close(target):
    n = parse_params(target)
    d = choose_dims(n)
    got = count_params(d["n_vocab"], d["n_embd"], d["n_layer"], d["n_ff"], d["n_head_kv"])
    assert abs(got - n) / n < 0.03
    assert d["n_embd"] % 64 == 0 and d["n_ff"] % 32 == 0 and d["n_embd"] % d["n_head"] == 0


@pytest.mark.parametrize("quant", ["f16", "q8_0", "q4_0"])
def test_synth_readback(models, quant):
    info = models[quant]
    assert info.quant == quant
    assert info.size_bytes == info.path.stat().st_size
    n = _reader_params(info.path)
    assert n == info.params
    assert abs(n - TARGET) / TARGET < 0.10

    r = gguf.GGUFReader(info.path)
    arch = r.fields["general.architecture"]
    assert bytes(arch.parts[arch.data[0]]).decode() == "llama"
    want = {"f16": gguf.GGMLQuantizationType.F16, "q8_0": gguf.GGMLQuantizationType.Q8_0,
            "q4_0": gguf.GGMLQuantizationType.Q4_0}[quant]
    for t in r.tensors:
        expected = gguf.GGMLQuantizationType.F32 if len(t.shape) == 1 else want
        assert t.tensor_type == expected, t.name
    # bytes per weight: f16 2, q8_0 34/32, q4_0 18/32 (+ small header / f32 norms)
    bpw = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}[quant]
    assert info.size_bytes == pytest.approx(n * bpw, rel=0.02)


def test_size_order(models):
    assert models["q4_0"].size_bytes < models["q8_0"].size_bytes < models["f16"].size_bytes


def test_f32_and_reproducible(tmp_path):
    a = synth_llama(tmp_path / "a.gguf", "1M", "f32", seed=3)
    b = synth_llama(tmp_path / "b.gguf", "1M", "f32", seed=3)
    assert a.params == _reader_params(a.path)
    assert a.size_bytes == pytest.approx(a.params * 4, rel=0.02)
    ra, rb = gguf.GGUFReader(a.path), gguf.GGUFReader(b.path)
    for ta, tb in zip(ra.tensors, rb.tensors):
        assert np.array_equal(ta.data, tb.data)


@pytest.mark.parametrize("quant", ["f16", "q8_0", "q4_0"])
def test_llama_bench_runs(models, quant):
    bench = _llama_bench()
    if bench is None:
        pytest.skip("llama-bench not found: set LLAMA_BENCH or run scripts/build_llama_bench.sh")
    info = models[quant]
    proc = subprocess.run(
        [str(bench), "-m", str(info.path), "-p", "16", "-n", "8", "-r", "1", "-t", "2", "-o", "json"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = json.loads(proc.stdout)
    assert {(r["n_prompt"], r["n_gen"]) for r in rows} == {(16, 0), (0, 8)}
    for r in rows:
        assert r["model_n_params"] == _reader_params(info.path) == info.params
        assert r["avg_ts"] > 0
