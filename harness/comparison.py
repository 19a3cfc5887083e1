"""`bench compare A B`: resolve each side (run id, suite run `sNN`, baseline name) to its runs,
match cases, and give every matched case and metric a verdict (`analysis.verdict`).

Cases are matched by job key (a suite's device/runner/model/params) plus the result's test
(`pp512`, `tg128`, ...). Two single runs are matched by test alone: the user chose the pair.
Cases only one side has are listed under `missing`, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .analysis.verdict import ThresholdTable, Thresholds, result_verdicts, run_flags
from .job import BadInput


@dataclass
class Side:
    label: str                      # "run 3", "s12", "baseline nightly (s12)"
    runs: dict[str, dict[str, Any]]  # job key -> stored run (run_dict)
    suite_spec: dict[str, Any] | None = None
    failed: list[str] = field(default_factory=list)


def _plain_key(run: dict[str, Any]) -> str:
    from .suites import job_key

    model = (run.get("model") or "").rsplit(".", 1)[0]
    params = {k: str(v) for k, v in (run.get("job") or {}).get("params", {}).items()}
    return job_key(run["device"], run["runner"], model, params)


def _suite_side(s, suite_run_id: int, label: str) -> Side:
    from results_db.store import run_dict
    from results_db.suites import SuiteRun, members

    sr = s.get(SuiteRun, suite_run_id)
    if sr is None:
        raise BadInput(f"{label}: no suite run s{suite_run_id}")
    runs = {k: run_dict(r) for k, r in members(s, suite_run_id).items()}
    failed = [k for k, r in runs.items() if r["status"] != "ok"]
    return Side(label, runs, sr.spec.get("suite"), failed)


def _runs_side(s, run_ids: list[int], label: str) -> Side:
    from results_db.store import load_run, run_dict

    runs: dict[str, dict[str, Any]] = {}
    for rid in run_ids:
        run = load_run(s, rid)
        if run is None:
            raise BadInput(f"{label}: no run {rid}")
        d = run_dict(run)
        runs[_plain_key(d)] = d
    return Side(label, runs, None, [k for k, r in runs.items() if r["status"] != "ok"])


def resolve_side(s, token: str) -> Side:
    """A run id (`3`), a suite run (`s12`) or a baseline name."""
    from results_db.suites import get_baseline

    t = token.strip()
    if t.isdigit():
        return _runs_side(s, [int(t)], f"run {t}")
    if t[:1] in "sS" and t[1:].isdigit():
        return _suite_side(s, int(t[1:]), f"s{int(t[1:])}")
    b = get_baseline(s, t)
    if b is None:
        from results_db.suites import list_baselines
        known = ", ".join(x.name for x in list_baselines(s)) or "none"
        raise BadInput(f"{token!r}: not a run id, a suite run (sNN) or a baseline name "
                       f"(baselines: {known})")
    if b.suite_run_id is not None:
        side = _suite_side(s, b.suite_run_id, f"baseline {b.name} (s{b.suite_run_id})")
    else:
        side = _runs_side(s, b.run_ids, f"baseline {b.name} (runs {b.run_ids})")
    return side


def thresholds_of(spec: dict[str, Any] | None) -> ThresholdTable:
    """The suite's `thresholds:` (a `default` entry plus per-metric ones) as a table."""
    th = dict((spec or {}).get("thresholds") or {})
    default = Thresholds().merged(th.pop("default", None))
    return ThresholdTable(default, th)


def _result_key(case: dict[str, Any]) -> str:
    parts = [str(case.get("test") or case.get("phase") or "")]
    parts += [f"{k}={case[k]}" for k in ("backend", "delegate", "batch") if k in case]
    return " ".join(parts)


def _case(job_key: str, run: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    c = result["case"]
    out = {"key": job_key, "device": run["device"], "runner": run["runner"],
           "model": run.get("model"), "test": c.get("test"), "phase": c.get("phase")}
    if job_key.count("/") >= 3:
        out["model_label"] = job_key.split("/")[2]
    out["params"] = (run.get("job") or {}).get("params", {})
    return out


def compare_sides(a: Side, b: Side, table: ThresholdTable | None = None) -> dict[str, Any]:
    """`{"comparisons": [...], "missing": [...], "failed": [...]}` (DESIGN.md CLI contract,
    plus what could not be compared)."""
    table = table or thresholds_of(b.suite_spec or a.suite_spec)
    single = len(a.runs) == 1 and len(b.runs) == 1 and a.suite_spec is None \
        and b.suite_spec is None
    if single:
        a_runs = {"": next(iter(a.runs.values()))}
        b_runs = {"": next(iter(b.runs.values()))}
    else:
        a_runs, b_runs = a.runs, b.runs

    def index(runs: dict[str, dict]) -> dict[tuple[str, str], tuple[dict, dict]]:
        out = {}
        for key, run in runs.items():
            for r in run["results"]:
                out[(key, _result_key(r["case"]))] = (run, r)
        return out

    ia, ib = index(a_runs), index(b_runs)
    comparisons, missing = [], []
    for ck, (brun, bres) in ib.items():
        if ck not in ia:
            missing.append({"case": _case(ck[0], brun, bres), "missing_in": "baseline"})
            continue
        arun, ares = ia[ck]
        flags = run_flags(arun, "baseline") + run_flags(brun, "candidate")
        for v in result_verdicts(ares, bres, table, flags):
            comparisons.append({"case": _case(ck[0], brun, bres), **v.to_dict()})
    for ck, (arun, ares) in ia.items():
        if ck not in ib:
            missing.append({"case": _case(ck[0], arun, ares), "missing_in": "candidate"})
    # whole jobs with no results on one side (a run that failed before measuring anything)
    for key in sorted(set(a_runs) - set(b_runs)):
        if not a_runs[key]["results"]:
            missing.append({"case": {"key": key}, "missing_in": "candidate"})
    for key in sorted(set(b_runs) - set(a_runs)):
        if not b_runs[key]["results"]:
            missing.append({"case": {"key": key}, "missing_in": "baseline"})
    return {"baseline": a.label, "candidate": b.label, "comparisons": comparisons,
            "missing": missing,
            "failed": [{"side": "baseline", "key": k} for k in a.failed]
            + [{"side": "candidate", "key": k} for k in b.failed]}


def any_regressed(result: dict[str, Any]) -> bool:
    return any(c["verdict"] == "regressed" for c in result["comparisons"])
