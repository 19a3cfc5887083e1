"""Issue 2's speed figures, each a ratio against a baseline measured in the same run.

- harness overhead: `bench run` vs the same llama-bench commands run directly (interleaved pairs)
- cached re-run: bytes pushed by the second run of the same model
- start-up: median wall time of `bench --help` and `bench runs`, and the heavy modules they
  import (`python -X importtime`, `harness.clikit.HEAVY_MODULES`)
Run with `make bench`.
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

PAIRS = int(os.environ.get("PAIRS", "5"))


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, text=True, capture_output=True, check=True)
    return time.perf_counter() - t0, p.stdout


def main() -> None:
    llama_bench = os.environ["LLAMA_BENCH"]
    tmp = Path(tempfile.mkdtemp(prefix="bench-foundation-"))
    env = {**os.environ, "BENCH_HOME": str(tmp / "home"), "BENCH_DB": f"sqlite:///{tmp}/r.db",
           "BENCH_CONFIG_DIR": str(tmp / "cfg")}
    (tmp / "cfg").mkdir()
    (tmp / "cfg" / "local.yaml").write_text(f"name: local\ntransport: local\nworkdir: {tmp}/dev\n")
    cli = [sys.executable, "-m", "harness.cli"]
    model = tmp / "m.gguf"
    subprocess.run([*cli, "models", "synth", "--params", "150M", "--quant", "q4_0", "-o",
                    str(model)], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "runners", "add", "llama.cpp", "--abi", f"linux-{os.uname().machine}",
                    llama_bench], env=env, check=True, capture_output=True)
    reps, p, n = "5", "512", "128"
    run = [*cli, "run", "--device", "local", "--runner", "llama.cpp", "--model", str(model),
           "--param", f"p={p}", "--param", f"n={n}", "--repetitions", reps, "--json"]
    direct = [[llama_bench, "-m", str(model), "-r", reps, "-o", "jsonl", "-p", p, "-n", "0"],
              [llama_bench, "-m", str(model), "-r", reps, "-o", "jsonl", "-p", "0", "-n", n]]
    _, out = timed(run, env)  # first run pushes; not timed in the pairs
    first_bytes = json.loads(out)["bytes_pushed"]
    ratios, second_bytes = [], []
    for _ in range(PAIRS):
        tb, out = timed(run, env)
        second_bytes.append(json.loads(out)["bytes_pushed"])
        td = sum(timed(c, env)[0] for c in direct)
        ratios.append(tb / td)
        print(f"  pair: bench run {tb:.2f} s, direct {td:.2f} s, ratio {tb / td:.3f}")
    print(f"harness overhead: median ratio {statistics.median(ratios):.3f} over {PAIRS} pairs "
          f"(target <= 1.10)")
    print(f"cached re-run: first run pushed {first_bytes / 1e6:.1f} MB, later runs "
          f"{max(second_bytes)} bytes (target 0)")
    from harness.clikit import imported_heavy
    for argv in (["--help"], ["runs"]):
        times = [timed([*cli, *argv], env)[0] for _ in range(7)]
        log = subprocess.run([sys.executable, "-X", "importtime", "-m", "harness.cli", *argv],
                             env=env, text=True, capture_output=True, check=True).stderr
        heavy = imported_heavy(log)
        print(f"start-up `bench {' '.join(argv)}`: median {statistics.median(times):.3f} s "
              f"(target < 0.3 s); heavy modules imported: {', '.join(heavy) or 'none'} "
              f"(target none)")


if __name__ == "__main__":
    main()
