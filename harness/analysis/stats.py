"""Statistics on per-repetition samples: dispersion, rank test, bootstrap interval, change points.

Pure functions over lists of floats (numpy/scipy imported inside), so they are cheap to call
from the verdict simulation in `benchmarks/verdicts.py`.
References: scipy.stats.mannwhitneyu (two-sided, asymptotic with continuity correction above
8 samples a side, exact below); binary segmentation as in Scott & Knott (1974).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        raise ValueError("median of no samples")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def cv(xs: Sequence[float]) -> float | None:
    """Coefficient of variation (sample std / mean); None below 2 samples or at mean 0."""
    n = len(xs)
    if n < 2:
        return None
    mean = sum(xs) / n
    if mean == 0:
        return None
    var = sum((x - mean) ** 2 for x in xs) / (n - 1)
    return math.sqrt(var) / abs(mean)


def min_p_value(n1: int, n2: int) -> float:
    """Smallest two-sided p-value a rank test can reach with n1 and n2 samples (2 / C(n1+n2, n1)).

    With 3 + 3 samples it is 0.1: no difference can ever be significant at 0.05, so a verdict
    from such samples must say so instead of passing silently.
    """
    if n1 < 1 or n2 < 1:
        return 1.0
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value; 1.0 when every value is identical."""
    from scipy.stats import mannwhitneyu

    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(mannwhitneyu(b, a, alternative="two-sided").pvalue)


def hodges_lehmann_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """Median of all pairwise ratios b_j / a_i: the Hodges-Lehmann shift estimate (on the ratio
    scale) that goes with the rank test. For 10 + 10 repetitions it scatters less than
    median(b) / median(a), most for light-tailed noise (seen in real llama-bench repetitions),
    and it is exactly k when b is a scaled by k."""
    import numpy as np

    xa = np.asarray(a, float)
    return float(np.median(np.outer(np.asarray(b, float), 1 / xa)))


def bootstrap_ratio_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95,
                       n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of median(b) / median(a), resampling each side."""
    import numpy as np

    rng = np.random.default_rng(seed)
    xa, xb = np.asarray(a, float), np.asarray(b, float)
    ma = np.median(rng.choice(xa, (n_boot, xa.size)), axis=1)
    mb = np.median(rng.choice(xb, (n_boot, xb.size)), axis=1)
    ok = ma != 0
    ratios = mb[ok] / ma[ok]
    lo, hi = np.quantile(ratios, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


@dataclass(frozen=True)
class ChangePoint:
    index: int          # first position of the new level
    before: float       # mean level before the step
    after: float        # mean level after it

    @property
    def ratio(self) -> float:
        return self.after / self.before if self.before else math.inf


def change_points(values: Sequence[float], min_effect: float = 0.05, min_size: int = 2,
                  k_sigma: float = 3.0) -> list[ChangePoint]:
    """Steps in a series by binary segmentation.

    Split the segment where the two sides' means differ most; keep the split when the step is
    at least `min_effect` of the level before it AND larger than `k_sigma` times the pooled
    standard deviation within the two sides (a step, not scatter); then look for further steps
    on each side. `min_size` points on each side are needed, so a one-night outlier is not a
    step. Returns the change points in order of position.
    """
    xs = list(values)
    found: list[ChangePoint] = []

    def mean(v: Sequence[float]) -> float:
        return sum(v) / len(v)

    def sse(v: Sequence[float]) -> float:
        m = mean(v)
        return sum((x - m) ** 2 for x in v)

    def split(lo: int, hi: int) -> None:
        if hi - lo < 2 * min_size:
            return
        best, best_gap = None, 0.0
        for k in range(lo + min_size, hi - min_size + 1):
            left, right = xs[lo:k], xs[k:hi]
            # weight by sizes (the likelihood-ratio statistic of a mean shift)
            gap = abs(mean(right) - mean(left)) * math.sqrt(len(left) * len(right) / (hi - lo))
            if gap > best_gap:
                best, best_gap = k, gap
        if best is None:
            return
        left, right = xs[lo:best], xs[best:hi]
        before, after = mean(left), mean(right)
        dof = len(left) + len(right) - 2
        pooled = math.sqrt((sse(left) + sse(right)) / dof) if dof > 0 else 0.0
        step = abs(after - before)
        if before == 0 or step / abs(before) < min_effect or step <= k_sigma * pooled:
            return
        found.append(ChangePoint(best, before, after))
        split(lo, best)
        split(best, hi)

    split(0, len(xs))
    return sorted(found, key=lambda c: c.index)
