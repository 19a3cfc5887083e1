"""A native runner end to end: the ai-edge-litert wheel's `litert-benchmark` tool registered as
the tflite binary for this host, run by `bench run --device local`, its real output parsed and
stored; and a native run whose output is not the tool's fails with reason parse_error."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import bench, bench_json
from harness.models import tiny

HOST_ABI = f"linux-{ {'arm64': 'aarch64'}.get(os.uname().machine, os.uname().machine)}"
LITERT_BENCHMARK = Path(sys.executable).with_name("litert-benchmark")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return tiny.tflite_mlp(tmp_path / "mlp.tflite")


def test_litert_benchmark_as_native_tflite_binary(env, model: Path) -> None:
    assert LITERT_BENCHMARK.is_file(), "ai-edge-litert's litert-benchmark script is missing"
    bench("runners", "add", "tflite", "--abi", HOST_ABI, str(LITERT_BENCHMARK))
    run = bench_json("run", "--device", "local", "--runner", "tflite", "--model", str(model),
                     "--repetitions", "6", "--warmup", "2", "--param", "num_threads=2")
    assert run["status"] == "ok", run["error"]
    assert run["job"]["runner_mode"] == "native"
    assert run["job"]["runner_binary"] == "litert-benchmark"
    (row,) = run["results"]
    case, m = row["case"], row["metrics"]
    assert case == {"model": "mlp.tflite", "accelerators": case["accelerators"], "threads": 2,
                    "fully_accelerated": True, "warmup_runs": 2, "runs": 6,
                    "phase": "benchmark"}
    assert "CPU" in case["accelerators"]
    assert m["latency_min_ms"] <= m["latency_median_ms"] <= m["latency_max_ms"]
    assert m["latency_min_ms"] <= m["latency_avg_ms"] <= m["latency_max_ms"]
    assert m["init_ms"] > 0 and m["model_size_mb"] >= 0


def test_unknown_param_for_litert_benchmark_exit_2(env, model: Path) -> None:
    bench("runners", "add", "tflite", "--abi", HOST_ABI, str(LITERT_BENCHMARK))
    p = bench("run", "--device", "local", "--runner", "tflite", "--model", str(model),
              "--param", "use_hexagon=1", check=2)
    assert "--param use_hexagon: not a tflite (litert-benchmark) parameter (known: " in p.stderr
    assert "num_threads" in p.stderr and "Traceback" not in p.stderr


def test_output_that_is_not_the_tools_fails_the_run_with_parse_error(env, model: Path,
                                                                     tmp_path: Path) -> None:
    # a real program standing where benchmark_model should be: it runs, prints no results
    fake = tmp_path / "benchmark_model"
    fake.write_text("#!/bin/sh\necho STARTING!\necho \"Graph: [$1]\"\n")
    fake.chmod(0o755)
    bench("runners", "add", "tflite", "--abi", HOST_ABI, str(fake))
    run = bench_json("run", "--device", "local", "--runner", "tflite", "--model", str(model),
                     check=None)
    assert run["status"] == "failed"
    assert "no benchmark_model results found" in (run["error"] or "")
