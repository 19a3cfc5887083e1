"""How good are the default verdicts? Simulated A/A and A/B comparisons from measured noise.

    .venv/bin/python benchmarks/verdicts.py [--trials 2000] [--llama-bench PATH]

1. Noise model. Per-repetition tokens/s are measured here (the real llama-bench on this host,
   a synthetic 8M q4_0 GGUF, decode and prefill, 10 repetitions, a few invocations) and read
   from every per-repetition sample in ../shared/samples (llama-bench json/jsonl/csv/sql
   `samples_ts`). Each set is standardized, z = (x - mean) / std, and the z's are pooled: the
   *shape* of real benchmark noise (skew, tails). A simulated side at a chosen CV is
   mu * (1 + CV * z*) with z* drawn from the pooled shape by a smoothed bootstrap (resample,
   add N(0, h^2) with h = 0.25, rescale to unit variance) so that draws do not tie.
2. For CV 1..5% and the defaults (10 repetitions a side, `harness.analysis.verdict.DEFAULTS`),
   run `decide()` -- the exact function `bench compare` uses -- on A/A pairs (same
   distribution) and A/B pairs (candidate slower by a factor), and print the false-regression
   rate, the detection rate of a 5% slowdown, and the smallest slowdown detected in >= 95% of
   trials.

Targets (issue 7): a 5% slowdown detected in >= 95% of trials at CV 2%, and A/A false
regressions <= 2% at every CV from 1 to 5%.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.analysis.verdict import DEFAULTS, HIGHER_IS_BETTER, Thresholds, decide  # noqa: E402
from harness.runners import llama_parse  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples"
CVS = (0.01, 0.02, 0.03, 0.04, 0.05)
REPS = 10


def find_llama_bench(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    if os.environ.get("LLAMA_BENCH"):
        return Path(os.environ["LLAMA_BENCH"])
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "devicebench"
    found = sorted((cache / "build").glob("*/llama-bench"))
    if not found:
        sys.exit("no llama-bench: run `make setup` or pass --llama-bench")
    return found[-1]


def local_sets(binary: Path, invocations: int) -> list[list[float]]:
    """Per-repetition tokens/s from the real llama-bench on this host."""
    from harness.models.synth import synth_llama

    out = []
    with tempfile.TemporaryDirectory() as d:
        model = Path(d) / "m.gguf"
        synth_llama(model, 8_000_000, "q4_0")
        for _ in range(invocations):
            for test in (["-p", "0", "-n", "32"], ["-p", "64", "-n", "0"]):
                p = subprocess.run([str(binary), "-m", str(model), "-r", str(REPS), "-t", "1",
                                    "-o", "jsonl", *test], capture_output=True, text=True,
                                   check=True)
                out += [r.samples["tokens_per_s"] for r in llama_parse.parse(p.stdout)
                        if r.samples.get("tokens_per_s")]
    return out


def shared_sets() -> list[list[float]]:
    out = []
    for path in sorted((SAMPLES / "llama_bench").glob("*.txt")):
        try:
            results = llama_parse.parse(path.read_text(errors="replace"))
        except ValueError:
            continue
        out += [r.samples["tokens_per_s"] for r in results
                if len(r.samples.get("tokens_per_s") or []) >= 3]
    return out


def pooled_shape(sets: list[list[float]]) -> np.ndarray:
    zs = []
    for s in sets:
        x = np.asarray(s, float)
        if x.size >= 3 and x.std(ddof=1) > 0:
            zs.append((x - x.mean()) / x.std(ddof=1))
    return np.concatenate(zs)


class NoiseModel:
    def __init__(self, z: np.ndarray, h: float = 0.25, seed: int = 7):
        self.z, self.h = z, h
        self.rng = np.random.default_rng(seed)
        self.scale = 1 / np.sqrt(z.var() + h * h)  # smoothed draws have unit variance

    def draw(self, n: int, cv: float, mu: float = 100.0) -> list[float]:
        z = (self.rng.choice(self.z, n) + self.h * self.rng.standard_normal(n)) * self.scale
        return list(mu * (1 + cv * z))


def rates(model: NoiseModel, cv: float, slowdown: float, trials: int,
          th: Thresholds = DEFAULTS) -> dict[str, float]:
    counts = {"regressed": 0, "improved": 0, "noisy": 0, "unchanged": 0}
    for _ in range(trials):
        a = model.draw(REPS, cv)
        b = model.draw(REPS, cv, 100.0 * (1 - slowdown))
        counts[decide(a, b, HIGHER_IS_BETTER, th)[0]] += 1
    return {k: v / trials for k, v in counts.items()}


def smallest_detected(model: NoiseModel, cv: float, trials: int,
                      th: Thresholds = DEFAULTS) -> float | None:
    for step in range(1, 41):  # 0.5% .. 20%
        s = step * 0.005
        if rates(model, cv, s, trials, th)["regressed"] >= 0.95:
            return s
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--scan-trials", type=int, default=600)
    ap.add_argument("--invocations", type=int, default=3)
    ap.add_argument("--llama-bench")
    ap.add_argument("--min-effect", type=float, help="try another min_effect than the default")
    ap.add_argument("--alpha", type=float, help="try another alpha than the default")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    th = DEFAULTS.merged({k: v for k, v in (("min_effect", args.min_effect),
                                            ("alpha", args.alpha)) if v is not None})

    local = local_sets(find_llama_bench(args.llama_bench), args.invocations)
    shared = shared_sets()
    z = pooled_shape(local + shared)
    skew = float(((z - z.mean()) ** 3).mean() / z.std() ** 3)
    kurt = float(((z - z.mean()) ** 4).mean() / z.std() ** 4 - 3)

    def cvs(sets):
        return [round(100 * float(np.std(s, ddof=1) / np.mean(s)), 2) for s in sets]

    print(f"noise model: {len(local)} local llama-bench sets (CV % {cvs(local)}), "
          f"{len(shared)} shared sample sets (CV % {cvs(shared)})")
    print(f"  pooled standardized residuals: n={z.size}, skewness {skew:+.2f}, "
          f"excess kurtosis {kurt:+.2f}")
    print(f"{'defaults' if th == DEFAULTS else 'settings'}: {REPS} repetitions a side, "
          f"min_effect {th.min_effect:.1%}, max_cv {th.max_cv:.0%}, alpha {th.alpha}")
    model = NoiseModel(z)
    rows = []
    print(f"{'CV':>4}  {'A/A false regr.':>15}  {'A/A noisy':>9}  {'5% slowdown detected':>20}"
          f"  {'smallest slowdown detected 95%':>30}")
    for cv in CVS:
        aa = rates(model, cv, 0.0, args.trials, th)
        ab = rates(model, cv, 0.05, args.trials, th)
        small = smallest_detected(model, cv, args.scan_trials, th)
        rows.append({"cv": cv, "aa_false_regression": aa["regressed"], "aa_noisy": aa["noisy"],
                     "detect_5pct": ab["regressed"], "smallest_95": small})
        print(f"{cv:>4.0%}  {aa['regressed']:>15.2%}  {aa['noisy']:>9.1%}  "
              f"{ab['regressed']:>20.1%}  {('%.1f%%' % (100 * small)) if small else '> 20%':>30}")
    at2 = next(r for r in rows if r["cv"] == 0.02)
    worst_fa = max(r["aa_false_regression"] for r in rows)
    ok1, ok2 = at2["detect_5pct"] >= 0.95, worst_fa <= 0.02
    print(f"target: 5% slowdown at CV 2% detected {at2['detect_5pct']:.1%} (>= 95%: "
          f"{'met' if ok1 else 'MISSED'}); worst A/A false regression {worst_fa:.2%} "
          f"(<= 2%: {'met' if ok2 else 'MISSED'})")
    if args.json:
        print(json.dumps({"rows": rows, "targets_met": ok1 and ok2}))


if __name__ == "__main__":
    main()
