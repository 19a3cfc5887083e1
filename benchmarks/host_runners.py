"""Host runners' figures, each a ratio against a baseline measured in the same run.

For LiteRT, ncnn and MNN on the same tiny MLP (features 256, hidden 1024 x 3):
- harness overhead: wall time of `bench run --device local` vs `python hostbench.py` run
  directly with the same arguments (interleaved pairs)
- measurement agreement: the stored latency_median_ms vs the direct run's median
- cached re-run: bytes pushed by a second run (target 0)
Run with `.venv/bin/python benchmarks/host_runners.py` (PAIRS=3 by default).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.models import tiny
from harness.runners.host import SCRIPT

PAIRS = int(os.environ.get("PAIRS", "3"))
REPS, WARMUP, THREADS = "200", "5", "1"


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, text=True, capture_output=True, check=True)
    return time.perf_counter() - t0, p.stdout


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-host-"))
    env = {**os.environ, "BENCH_HOME": str(tmp / "home"), "BENCH_DB": f"sqlite:///{tmp}/r.db",
           "BENCH_CONFIG_DIR": str(tmp / "cfg")}
    (tmp / "cfg").mkdir()
    (tmp / "cfg" / "local.yaml").write_text(f"name: local\ntransport: local\nworkdir: {tmp}/dev\n")
    shape = dict(features=256, hidden=1024, layers=3, outputs=64)
    param, weights = tiny.ncnn_mlp(tmp / "mlp.param", **shape)
    models = {"tflite": (tiny.tflite_mlp(tmp / "mlp.tflite", **shape), "litert", []),
              "ncnn": (param, "ncnn", ["--weights", str(weights)]),
              "mnn": (tiny.mnn_mlp(tmp / "mlp.mnn", **shape), "mnn", [])}
    cli = [sys.executable, "-m", "harness.cli"]
    for runner, (model, framework, extra) in models.items():
        common = ["--repetitions", REPS, "--warmup", WARMUP]
        run = [*cli, "run", "--device", "local", "--runner", runner, "--model", str(model),
               *common, "--param", f"threads={THREADS}", "--json"]
        direct = [sys.executable, str(SCRIPT), framework, "--model", str(model), *common,
                  "--threads", THREADS, *extra]
        _, out = timed(run, env)  # first run pushes; not timed in the pairs
        first = json.loads(out)
        ratios, extra_s, agree, later_bytes = [], [], [], []
        for _ in range(PAIRS):
            tb, out = timed(run, env)
            stored = json.loads(out)
            later_bytes.append(stored["bytes_pushed"])
            td, dout = timed(direct, env)
            ratios.append(tb / td)
            extra_s.append(tb - td)
            direct_median = json.loads(dout.strip().splitlines()[-1])["latency_median_ms"]
            agree.append(stored["results"][0]["metrics"]["latency_median_ms"] / direct_median)
        print(f"{runner}: {first['runner_version']}, median latency "
              f"{first['results'][0]['metrics']['latency_median_ms']:.4f} ms")
        print(f"  harness overhead: median wall-time ratio bench/direct "
              f"{statistics.median(ratios):.3f} over {PAIRS} pairs, "
              f"+{statistics.median(extra_s):.2f} s (CLI start-up, DB, hashing)")
        print(f"  measurement agreement: stored/direct median latency "
              f"{statistics.median(agree):.3f}")
        print(f"  cached re-run: first run pushed {first['bytes_pushed']} bytes, later runs "
              f"{max(later_bytes)} bytes (target 0)")


if __name__ == "__main__":
    main()
