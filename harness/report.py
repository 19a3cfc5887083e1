"""Suite run reports: `bench report SUITE_RUN --format html|md|junit|json -o PATH`.

`build` gathers one suite run's jobs, per-case medians and spreads, and (with a baseline) the
verdicts; the renderers turn that one dict into: JSON; Markdown short enough for a pull-request
comment; JUnit XML with one testcase per case (a regression is a `<failure>` whose message has
the numbers, noisy is `<skipped>`, a failed job is an `<error>`), which any CI renders
(schema: the Ant JUnit XML format as read by Jenkins/GitLab); HTML as one self-contained file
with the figures embedded as base64 PNG.
"""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any

from .analysis import stats
from .analysis.verdict import ALIAS


def _spread(xs: list[float]) -> float:
    """Half the interquartile-ish spread used for error bars: std of the repetitions."""
    if len(xs) < 2:
        return 0.0
    m = sum(xs) / len(xs)
    return (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5


def build(s, suite_run_id: int, baseline: str | None = None) -> dict[str, Any]:
    from results_db.models import Device
    from results_db.store import run_dict
    from results_db.suites import SuiteRun, members
    from sqlalchemy import select

    from .comparison import compare_sides, resolve_side
    from .job import BadInput

    sr = s.get(SuiteRun, suite_run_id)
    if sr is None:
        raise BadInput(f"no suite run s{suite_run_id}")
    runs = {k: run_dict(r) for k, r in members(s, suite_run_id).items()}
    planned = sr.spec.get("jobs", [])
    jobs, results = [], []
    for key in planned:
        run = runs.get(key)
        jobs.append({"key": key, "run_id": run["id"] if run else None,
                     "status": run["status"] if run else "not run",
                     "reason": run["reason"] if run else None,
                     "error": run["error"] if run else None,
                     "flags": run["flags"] if run else []})
        if not run:
            continue
        for r in run["results"]:
            for metric, value in r["metrics"].items():
                xs = r["samples"].get(metric) or r["samples"].get(ALIAS.get(metric, "")) or []
                results.append({"key": key, "device": run["device"], "runner": run["runner"],
                                "model_label": key.split("/")[2] if key.count("/") >= 3
                                else run["model"], "quantization": run["quantization"],
                                "test": r["case"].get("test") or r["case"].get("phase"),
                                "metric": metric, "value": value,
                                "median": stats.median(xs) if xs else value,
                                "std": _spread(xs), "cv": stats.cv(xs), "samples": xs,
                                "model_size_bytes": r["case"].get("model_size_bytes")})
    bw = {}
    for d in s.scalars(select(Device).where(Device.name.in_({r["device"] for r in runs.values()}))):
        if (d.properties or {}).get("memory_bandwidth_gbps"):
            bw[d.name] = float(d.properties["memory_bandwidth_gbps"])
    baseline = baseline or sr.baseline
    comparison = None
    if baseline:
        comparison = compare_sides(resolve_side(s, baseline), resolve_side(s, f"s{sr.id}"))
    verdicts = [c["verdict"] for c in (comparison or {}).get("comparisons", [])]
    return {
        "suite_run": {"id": sr.id, "label": f"s{sr.id}", "name": sr.name, "file": sr.file,
                      "status": sr.status, "baseline": baseline,
                      "started_at": sr.started_at.isoformat() if sr.started_at else None,
                      "finished_at": sr.finished_at.isoformat() if sr.finished_at else None},
        "jobs": jobs, "results": results, "bandwidth_gbps": bw, "comparison": comparison,
        "summary": {"jobs": len(planned), "ok": sum(j["status"] == "ok" for j in jobs),
                    "failed": sum(j["status"] not in ("ok",) for j in jobs),
                    **{v: verdicts.count(v) for v in ("regressed", "improved", "noisy",
                                                      "unchanged")},
                    "missing": len((comparison or {}).get("missing", []))},
    }


# --------------------------------------------------------------------------- text helpers

def _fmt(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def _case_name(c: dict[str, Any]) -> str:
    return f"{c.get('key', '')} {c.get('test') or c.get('phase') or ''}".strip()


def _p(p: float | None) -> str:
    return "-" if p is None else f"{p:.2g}"


def _verdict_line(c: dict[str, Any]) -> str:
    p = _p(c["p_value"])
    ratio = "-" if c["ratio"] is None else f"{c['ratio']:.3f}"
    return (f"{c['metric']} {c['verdict']}: {_fmt(c['baseline'])} -> {_fmt(c['candidate'])} "
            f"(ratio {ratio}, p={p}, n={c['n_baseline']}/{c['n_candidate']})"
            + (f"; {c['note']}" if c.get("note") else ""))


def to_json(rep: dict[str, Any]) -> str:
    return json.dumps(rep, indent=2, default=str)


def to_markdown(rep: dict[str, Any]) -> str:
    sr, sm = rep["suite_run"], rep["summary"]
    icon = "❌" if sm["regressed"] or sm["failed"] else ("⚠️" if sm["noisy"] else "✅")
    out = [f"### {icon} devicebench suite `{sr['name']}` ({sr['label']}): {sr['status']}", ""]
    line = f"{sm['ok']}/{sm['jobs']} jobs ok"
    if rep["comparison"]:
        line += (f" · vs `{sr['baseline']}`: **{sm['regressed']} regressed**, "
                 f"{sm['improved']} improved, {sm['noisy']} noisy, {sm['unchanged']} unchanged"
                 + (f", {sm['missing']} missing" if sm["missing"] else ""))
    out += [line, ""]
    if rep["comparison"]:
        changed = [c for c in rep["comparison"]["comparisons"] if c["verdict"] != "unchanged"]
        if changed:
            out += ["| case | metric | baseline | candidate | ratio | p | verdict |",
                    "|---|---|---:|---:|---:|---:|---|"]
            for c in sorted(changed, key=lambda c: ("regressed", "noisy", "improved")
                            .index(c["verdict"])):
                out.append(f"| `{_case_name(c['case'])}` | {c['metric']} | {_fmt(c['baseline'])}"
                           f" | {_fmt(c['candidate'])} | {_fmt(c['ratio'], 3)} | "
                           f"{_p(c['p_value'])} | **{c['verdict']}** |")
            notes = [f"- `{_case_name(c['case'])}` {c['metric']}: {c['note']}"
                     for c in changed if c.get("note")]
            out += [""] + notes if notes else []
        for m in rep["comparison"]["missing"]:
            out.append(f"- missing in {m['missing_in']}: `{_case_name(m['case'])}`")
    bad = [j for j in rep["jobs"] if j["status"] != "ok"]
    if bad:
        out += ["", "Failed jobs:"] + [f"- `{j['key']}`: {j['status']}"
                                       + (f" ({j['reason']})" if j["reason"] else "")
                                       for j in bad]
    out += ["", "<details><summary>all results</summary>", "",
            "| case | metric | median | CV | n |", "|---|---|---:|---:|---:|"]
    for r in rep["results"]:
        if r["samples"]:
            cvs = "-" if r["cv"] is None else f"{100 * r['cv']:.1f}%"
            out.append(f"| `{r['key']} {r['test']}` | {r['metric']} | {_fmt(r['median'])} | "
                       f"{cvs} | {len(r['samples'])} |")
    out += ["", "</details>", ""]
    return "\n".join(out)


def to_junit(rep: dict[str, Any]) -> str:
    import xml.etree.ElementTree as ET

    sr = rep["suite_run"]
    suite = ET.Element("testsuite", name=f"devicebench.{sr['name']}", id=sr["label"])
    by_case: dict[str, list[dict]] = {}
    if rep["comparison"]:
        for c in rep["comparison"]["comparisons"]:
            by_case.setdefault(_case_name(c["case"]), []).append(c)
    seen = set()
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for r in rep["results"]:
        name = f"{r['key']} {r['test']}"
        if name in seen:
            continue
        seen.add(name)
        tc = ET.SubElement(suite, "testcase", classname=f"{sr['name']}.{r['device']}",
                           name=name)
        counts["tests"] += 1
        cmp = by_case.get(name, [])
        regs = [c for c in cmp if c["verdict"] == "regressed"]
        noisy = [c for c in cmp if c["verdict"] == "noisy"]
        if regs:
            counts["failures"] += 1
            ET.SubElement(tc, "failure", type="regression",
                          message="; ".join(_verdict_line(c) for c in regs)).text = \
                "\n".join(_verdict_line(c) for c in cmp)
        elif noisy:
            counts["skipped"] += 1
            ET.SubElement(tc, "skipped", message="; ".join(_verdict_line(c) for c in noisy))
        if cmp:
            ET.SubElement(tc, "system-out").text = "\n".join(_verdict_line(c) for c in cmp)
    for j in rep["jobs"]:
        if j["status"] != "ok":
            tc = ET.SubElement(suite, "testcase", classname=f"{sr['name']}.job", name=j["key"])
            counts["tests"] += 1
            counts["errors"] += 1
            ET.SubElement(tc, "error", type=j["reason"] or j["status"],
                          message=f"run {j['run_id']}: {j['status']}"
                          + (f" ({j['reason']}): {j['error']}" if j["reason"] else ""))
    for m in (rep["comparison"] or {}).get("missing", []):
        tc = ET.SubElement(suite, "testcase", classname=f"{sr['name']}.missing",
                           name=f"{_case_name(m['case'])} (missing in {m['missing_in']})")
        counts["tests"] += 1
        counts["skipped"] += 1
        ET.SubElement(tc, "skipped", message=f"case missing in the {m['missing_in']}")
    for k, v in counts.items():
        suite.set(k, str(v))
    root = ET.Element("testsuites", name="devicebench")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


# --------------------------------------------------------------------------- HTML

def figures(rep: dict[str, Any]) -> list[tuple[str, bytes]]:
    """(title, PNG bytes) for every figure the data supports; energy only when measured."""
    from . import plots

    out: list[tuple[str, bytes]] = []
    one_place = len({(r["device"], r["runner"]) for r in rep["results"]}) == 1

    def short(key: str) -> str:
        """Labels without the device/runner prefix when the whole suite ran on one."""
        return key.split("/", 2)[2] if one_place and key.count("/") >= 3 else key

    def png(fn, *args) -> bytes | None:
        buf = io.BytesIO()
        if fn(*args, buf) is False:
            return None
        return buf.getvalue()

    res = [r for r in rep["results"] if r["metric"] == "tokens_per_s"]
    if res:
        groups = sorted({f"{r['test']} {r['model_label']}" for r in res})
        names = sorted({f"{r['device']}/{r['runner']} {_params(r['key'])}".strip() for r in res})
        series = {n: [next(((r["median"], r["std"]) for r in res
                            if f"{r['test']} {r['model_label']}" == g
                            and f"{r['device']}/{r['runner']} {_params(r['key'])}".strip() == n),
                           None) for g in groups] for n in names}
        out.append(("tokens/s by test and model (median, error bars: std of repetitions)",
                    png(plots.grouped_bars, groups, series, "tokens_per_s",
                        "tokens/s by test and model")))
        dec = [r for r in rep["results"] if r["metric"] == "decode_tokens_per_s"
               and r["model_size_bytes"]]
        if dec:
            pts = [{"device": r["device"], "label": r["model_label"],
                    "size_bytes": r["model_size_bytes"], "tokens_per_s": r["median"]}
                   for r in dec]
            out.append(("decode tokens/s vs model size with rooflines",
                        png(plots.roofline, pts, rep["bandwidth_gbps"])))
        dist = {f"{short(r['key'])} {r['test']}": r["samples"] for r in res if r["samples"]}
        if dist:
            out.append(("tokens/s per repetition",
                        png(plots.distributions, dist, "tokens_per_s",
                            "tokens/s per repetition")))
    lat = {f"{short(r['key'])} {r['test']}": r["samples"] for r in rep["results"]
           if r["metric"].startswith("latency_") and len(r["samples"]) > 1}
    if lat:
        out.append(("latency distributions", png(plots.distributions, lat, "latency_avg_ms",
                                                 "latency per repetition")))
    energy = [{"quantization": r["quantization"], "device": r["device"],
               "energy_mj_per_token": r["median"]} for r in rep["results"]
              if r["metric"] == "energy_mj_per_token"]
    e = png(plots.energy_by_quant, energy) if energy else None
    if e:
        out.append(("energy per token by quantization", e))
    return [(t, b) for t, b in out if b]


MAX_TIMELINES = 12


def timelines(s, rep: dict[str, Any]) -> list[tuple[str, bytes]]:
    """(title, PNG) of each job's telemetry over time (plots.telemetry_timeline, the same
    figure as `bench trace RUN --format png`), throttled runs first, at most MAX_TIMELINES."""
    from results_db.store import load_run
    from results_db.traces import load_trace

    from . import plots
    from .analysis.throttle import origin

    jobs = sorted((j for j in rep["jobs"] if j["run_id"]),
                  key=lambda j: ("throttled" not in j["flags"], j["run_id"]))
    out = []
    for j in jobs:
        if len(out) >= MAX_TIMELINES:
            break
        tr = load_trace(s, j["run_id"])
        run = load_run(s, j["run_id"]) if tr.series else None
        if run is None:
            continue
        phases = list(run.phases or [])
        results = [{"case": r.case, "metrics": r.metrics} for r in run.results]
        title = (f"thermal, frequency and power over time: {j['key']} (run {j['run_id']})"
                 + (", throttled (shaded)" if "throttled" in j["flags"] else ""))
        buf = io.BytesIO()
        if plots.telemetry_timeline(tr, phases, list(run.events or []), results,
                                    origin(phases, tr), title, buf):
            out.append((title, buf.getvalue()))
    return out


def _params(key: str) -> str:
    return key.split("/", 3)[3] if key.count("/") >= 3 else ""


def to_html(rep: dict[str, Any], timeline_figs: list[tuple[str, bytes]] = ()) -> str:
    """`timeline_figs`: from `timelines(session, rep)`, when the caller has the database."""
    sr, sm = rep["suite_run"], rep["summary"]
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>devicebench {esc(sr['name'])} {sr['label']}</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:left}.regressed{background:#fdd}.improved{background:#dfd}"
        ".noisy{background:#ffd}img{max-width:100%}",
        "</style></head><body>",
        f"<h1>Suite {esc(sr['name'])} ({sr['label']}): {esc(sr['status'])}</h1>",
        f"<p>{esc(sr['file'])} · started {esc(str(sr['started_at']))} · "
        f"{sm['ok']}/{sm['jobs']} jobs ok</p>",
    ]
    if rep["comparison"]:
        parts.append(f"<h2>Against {esc(str(sr['baseline']))}</h2><p>{sm['regressed']} regressed,"
                     f" {sm['improved']} improved, {sm['noisy']} noisy, {sm['unchanged']} "
                     f"unchanged, {sm['missing']} missing</p>")
        parts.append("<table><tr><th>case</th><th>metric</th><th>baseline</th><th>candidate"
                     "</th><th>ratio</th><th>p</th><th>verdict</th><th>note</th></tr>")
        for c in rep["comparison"]["comparisons"]:
            p = _p(c["p_value"])
            parts.append(f"<tr class='{c['verdict']}'><td>{esc(_case_name(c['case']))}</td>"
                         f"<td>{c['metric']}</td><td>{_fmt(c['baseline'])}</td>"
                         f"<td>{_fmt(c['candidate'])}</td><td>{_fmt(c['ratio'], 3)}</td>"
                         f"<td>{p}</td><td>{c['verdict']}</td><td>{esc(c.get('note') or '')}"
                         "</td></tr>")
        parts.append("</table>")
        for m in rep["comparison"]["missing"]:
            parts.append(f"<p>missing in {m['missing_in']}: {esc(_case_name(m['case']))}</p>")
    parts.append("<h2>Jobs</h2><table><tr><th>job</th><th>run</th><th>status</th>"
                 "<th>flags</th></tr>")
    for j in rep["jobs"]:
        parts.append(f"<tr><td>{esc(j['key'])}</td><td>{j['run_id'] or '-'}</td>"
                     f"<td>{esc(j['status'])}{' (' + esc(j['reason']) + ')' if j['reason'] else ''}"
                     f"</td><td>{esc(', '.join(j['flags']))}</td></tr>")
    parts.append("</table><h2>Figures</h2>")
    for title, data in [*figures(rep), *timeline_figs]:
        parts.append(f"<h3>{esc(title)}</h3><img alt='{esc(title)}' "
                     f"src=\"data:image/png;base64,{base64.b64encode(data).decode()}\">")
    parts.append("</body></html>")
    return "\n".join(parts)


RENDERERS = {"html": to_html, "md": to_markdown, "junit": to_junit, "json": to_json}
