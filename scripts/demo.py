"""make demo: one small llama model at F16, Q8_0 and Q4_0 through `bench run` on this host.

Quantization shrinks the weights; decode is memory-bound, so tokens/s rises as bytes fall.
Results go to the default DB; a table is printed and a PNG written to out/demo.png.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

BENCH = [sys.executable, "-m", "harness.cli"]
OUT = Path("out")


def bench(*args: str) -> str:
    return subprocess.run([*BENCH, *args], check=True, text=True, stdout=subprocess.PIPE).stdout


def main() -> None:
    console = Console()
    OUT.mkdir(exist_ok=True)
    rows, run_ids = [], []
    for quant in ("f16", "q8_0", "q4_0"):
        model = OUT / f"demo-60M-{quant}.gguf"
        if not model.exists():
            console.print(bench("models", "synth", "--params", "60M", "--quant", quant,
                                "-o", str(model)).strip())
        console.print(f"running {model.name} ...")
        run = json.loads(bench("run", "--device", "local", "--runner", "llama.cpp",
                               "--model", str(model), "--param", "p=128", "--param", "n=64",
                               "--repetitions", "3", "--json"))
        run_ids.append(str(run["id"]))
        m = {k: v for r in run["results"] for k, v in r["metrics"].items()}
        rows.append((model.name, run.get("quantization") or quant,
                     model.stat().st_size / 2**20, m.get("prefill_tokens_per_s"),
                     m.get("decode_tokens_per_s"), m.get("bandwidth_gbps")))
    t = Table("model", "quant", "size (MiB)", "pp t/s", "tg t/s", "achieved GB/s",
              title="llama.cpp on this host (bench run --device local)")
    for name, q, size, pp, tg, bw in rows:
        t.add_row(name, q, f"{size:.1f}", f"{pp:.1f}" if pp else "-", f"{tg:.1f}" if tg else "-",
                  f"{bw:.1f}" if bw else "-")
    console.print(t)
    console.print(bench("plot", *run_ids, "--metric", "tokens_per_s", "-o",
                        str(OUT / "demo.png")).strip())


if __name__ == "__main__":
    main()
