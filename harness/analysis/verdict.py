"""Regression verdicts per case and metric: improved / regressed / unchanged / noisy.

A change is reported only when three things agree:
1. the rank test (Mann-Whitney U on the per-repetition samples) says the two sides differ
   (p < alpha);
2. the candidate/baseline ratio moved by at least the metric's minimum effect, in the
   direction the metric's table entry calls good or bad. The ratio is the Hodges-Lehmann
   estimate (median of all pairwise ratios), the estimator that goes with the rank test; the
   reported `baseline`/`candidate` are each side's median;
3. the noise check: when either side's coefficient of variation is above `max_cv`, or there are
   too few samples for the test to ever reach `alpha`, a non-significant result is `noisy` (with
   what to do about it), never a silent `unchanged`. A significant, large change is still
   reported as regressed/improved under noise, with the noise noted.

Defaults (`DEFAULTS`) were tuned with `benchmarks/verdicts.py` (see README "Nightly suites"):
at 10 repetitions a side they detect a true 5% slowdown in >= 95% of trials at CV 2% while an
A/A comparison raises a false regression in <= 2% of trials up to CV 5%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Sequence

from . import stats

HIGHER_IS_BETTER, LOWER_IS_BETTER = 1, -1

# The one table of metric directions (DESIGN.md metric names). Metrics not listed (dispersion
# such as *_std_*, counts) get no verdict.
DIRECTION: dict[str, int] = {
    "tokens_per_s": HIGHER_IS_BETTER,
    "prefill_tokens_per_s": HIGHER_IS_BETTER,
    "decode_tokens_per_s": HIGHER_IS_BETTER,
    "bandwidth_gbps": HIGHER_IS_BETTER,
    "bandwidth_utilization": HIGHER_IS_BETTER,
    "latency_avg_ms": LOWER_IS_BETTER,
    "latency_min_ms": LOWER_IS_BETTER,
    "latency_max_ms": LOWER_IS_BETTER,
    "latency_median_ms": LOWER_IS_BETTER,
    "latency_p90_ms": LOWER_IS_BETTER,
    "init_ms": LOWER_IS_BETTER,
    "first_inference_ms": LOWER_IS_BETTER,
    "warmup_avg_ms": LOWER_IS_BETTER,
    "peak_memory_mb": LOWER_IS_BETTER,
    "energy_mj_per_inference": LOWER_IS_BETTER,
    "energy_mj_per_token": LOWER_IS_BETTER,
    "avg_power_mw": LOWER_IS_BETTER,
}

# Metrics that restate another one of the same result (same repetitions): compared through it.
ALIAS: dict[str, str] = {"prefill_tokens_per_s": "tokens_per_s",
                         "decode_tokens_per_s": "tokens_per_s"}
DERIVED = {"bandwidth_gbps", "bandwidth_utilization"}  # decode tokens/s x model bytes

FLAGS_NOTED = ("throttled", "started_hot")

VERDICTS = ("improved", "regressed", "unchanged", "noisy")


@dataclass(frozen=True)
class Thresholds:
    min_effect: float = 0.03   # relative change of the median that counts (see module doc)
    max_cv: float = 0.05       # above this a side is too noisy to call "unchanged"
    alpha: float = 0.01        # rank-test significance level

    def merged(self, overrides: dict[str, float] | None) -> "Thresholds":
        return replace(self, **(overrides or {}))


DEFAULTS = Thresholds()


@dataclass
class ThresholdTable:
    """Suite thresholds: a default plus per-metric overrides (`thresholds:` in a suite file)."""

    default: Thresholds = DEFAULTS
    per_metric: dict[str, dict[str, float]] = field(default_factory=dict)

    def for_metric(self, metric: str) -> Thresholds:
        return self.default.merged(self.per_metric.get(metric))


@dataclass
class Verdict:
    metric: str
    baseline: float | None      # median of the baseline samples
    candidate: float | None     # median of the candidate samples
    ratio: float | None         # candidate / baseline: Hodges-Lehmann (median pairwise ratio)
    p_value: float | None
    verdict: str
    n_baseline: int = 0
    n_candidate: int = 0
    cv_baseline: float | None = None
    cv_candidate: float | None = None
    ci: tuple[float, float] | None = None
    note: str = ""
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci else None
        return d


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def decide(a: Sequence[float], b: Sequence[float], direction: int,
           th: Thresholds = DEFAULTS) -> tuple[str, float | None, float, str]:
    """(verdict, p_value, ratio, note) for baseline samples `a` and candidate samples `b`."""
    ratio = stats.hodges_lehmann_ratio(a, b) if all(a) else float("inf")
    cva, cvb = stats.cv(a), stats.cv(b)
    notes = []
    noisy_sides = [f"{side} CV {_pct(c)} > {_pct(th.max_cv)}"
                   for side, c in (("baseline", cva), ("candidate", cvb))
                   if c is not None and c > th.max_cv]
    if noisy_sides:
        notes.append("; ".join(noisy_sides) + ": raise repetitions or cool down between runs")
    too_few = stats.min_p_value(len(a), len(b)) >= th.alpha
    if too_few:
        notes.append(f"{len(a)} baseline / {len(b)} candidate samples cannot reach "
                     f"p < {th.alpha}: raise repetitions (>= 5 a side)")
        p = None
    else:
        p = stats.mann_whitney_p(a, b)
    change = (ratio - 1) * direction  # > 0 better, < 0 worse
    if p is not None and p < th.alpha and abs(change) >= th.min_effect:
        return ("improved" if change > 0 else "regressed"), p, ratio, "; ".join(notes)
    if noisy_sides or too_few:
        return "noisy", p, ratio, "; ".join(notes)
    return "unchanged", p, ratio, ""


def compare_samples(metric: str, a: Sequence[float], b: Sequence[float],
                    th: Thresholds = DEFAULTS, flags: Sequence[str] = (),
                    with_ci: bool = True) -> Verdict:
    """The verdict for one case and metric, from each side's per-repetition samples."""
    direction = DIRECTION.get(metric, HIGHER_IS_BETTER)
    verdict, p, ratio, note = decide(a, b, direction, th)
    v = Verdict(metric, stats.median(a), stats.median(b), ratio, p, verdict, len(a), len(b),
                stats.cv(a), stats.cv(b), note=note, flags=list(flags))
    if with_ci and len(a) >= 2 and len(b) >= 2:
        v.ci = stats.bootstrap_ratio_ci(a, b)
    if flags:
        v.note = "; ".join(x for x in (v.note, f"flagged: {', '.join(flags)} "
                                       "(heat, not code, may explain a change)") if x)
    return v


def compare_values(metric: str, a: float, b: float, flags: Sequence[str] = ()) -> Verdict:
    """One value a side (a runner without per-repetition samples): no test, so `noisy`."""
    ratio = b / a if a else None
    return Verdict(metric, a, b, ratio, None, "noisy", 1, 1, flags=list(flags),
                   note="no per-repetition samples: the runner reports one value per run, "
                        "so no statistics are possible")


def result_verdicts(base: dict, cand: dict, table: ThresholdTable | None = None,
                    flags: Sequence[str] = ()) -> list[Verdict]:
    """Verdicts for every comparable metric of one matched result pair.

    `base`/`cand` are stored results (`{"case", "metrics", "samples"}`). A metric is compared
    with statistics when both sides have its samples (or its alias's); a result without any
    samples is compared value by value (`noisy`); summary metrics of a result that has samples
    (e.g. llama-bench's latency_avg_ms next to its tokens/s samples) restate the same
    repetitions and are skipped, as are aliases and derived metrics.
    """
    table = table or ThresholdTable()
    sa, sb = base.get("samples") or {}, cand.get("samples") or {}
    has_samples = bool(sa) and bool(sb)
    out: list[Verdict] = []
    for metric, bval in cand["metrics"].items():
        if metric not in DIRECTION or metric in DERIVED or metric not in base["metrics"]:
            continue
        if metric in ALIAS and ALIAS[metric] in cand["metrics"]:
            continue
        src = metric if metric in sa and metric in sb else ALIAS.get(metric)
        if has_samples and src in sa and src in sb and sa[src] and sb[src]:
            out.append(compare_samples(metric, sa[src], sb[src], table.for_metric(metric),
                                       flags))
        elif not has_samples:
            out.append(compare_values(metric, base["metrics"][metric], bval, flags))
    return out


def run_flags(run: dict, side: str) -> list[str]:
    """`candidate:throttled` style flags of a stored run (see `FLAGS_NOTED`)."""
    return [f"{side}:{f}" for f in (run.get("flags") or []) if f in FLAGS_NOTED]
