"""`bench history`: one case's metric across suite runs, with change points.

A case is selected by device, runner, test and metric (optionally model label, suite name and
params); each matching job key is its own series. A suite run contributes the median of the
case's per-repetition samples (the stored value when there are none). Change points come from
`analysis.stats.change_points` (binary segmentation: a step of at least `min_effect` that is
larger than 3x the scatter within the two levels, with >= 2 suite runs on each side), and each
is reported as the first suite run of the new level.
"""

from __future__ import annotations

from typing import Any

from .analysis import stats


def collect(s, device: str | None, runner: str | None, test: str | None, metric: str,
            model: str | None = None, suite: str | None = None,
            params: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Job key -> points in suite-run order ({suite_run, started_at, median, std, n})."""
    from results_db.store import run_dict
    from results_db.suites import list_suite_runs, members

    out: dict[str, list[dict[str, Any]]] = {}
    for sr in list_suite_runs(s, suite):
        for key, run in members(s, sr.id).items():
            d, r, m, p = (key.split("/", 3) + ["", "", "", ""])[:4]
            if (device and d != device) or (runner and r != runner) or (model and m != model):
                continue
            kv = dict(x.split("=", 1) for x in p.split(",") if "=" in x)
            if params and any(kv.get(k) != str(v) for k, v in params.items()):
                continue
            if run.status != "ok":
                continue
            for res in run_dict(run)["results"]:
                if test and (res["case"].get("test") or res["case"].get("phase")) != test:
                    continue
                if metric not in res["metrics"]:
                    continue
                xs = res["samples"].get(metric) or []
                if not xs and metric in ("prefill_tokens_per_s", "decode_tokens_per_s"):
                    xs = res["samples"].get("tokens_per_s") or []
                value = stats.median(xs) if xs else res["metrics"][metric]
                std = (stats.cv(xs) or 0.0) * (sum(xs) / len(xs)) if len(xs) > 1 else 0.0
                name = f"{key} {res['case'].get('test') or res['case'].get('phase')}"
                out.setdefault(name, []).append({
                    "suite_run": f"s{sr.id}", "suite": sr.name,
                    "started_at": sr.started_at.isoformat() if sr.started_at else None,
                    "run_id": run.id, "median": value, "std": std, "n": len(xs)})
    return out


def analyze(points: list[dict[str, Any]], min_effect: float = 0.05) -> list[dict[str, Any]]:
    cps = stats.change_points([p["median"] for p in points], min_effect=min_effect)
    return [{"suite_run": points[c.index]["suite_run"], "index": c.index, "before": c.before,
             "after": c.after, "ratio": c.ratio} for c in cps]


def history(s, metric: str, min_effect: float = 0.05, **selector: Any) -> dict[str, Any]:
    series = collect(s, metric=metric, **selector)
    return {"metric": metric, "series": [
        {"case": name, "points": pts, "change_points": analyze(pts, min_effect)}
        for name, pts in series.items()]}
