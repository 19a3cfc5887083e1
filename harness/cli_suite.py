"""Nightly regression commands: `bench suite run|resume|list`, `bench compare`,
`bench baseline set|list`, `bench report`, `bench history`.

```
bench suite run suites/nightly.yaml --baseline main      # exit 1 when anything regressed
bench suite resume s12                                    # only the jobs not done
bench baseline set main s12
bench compare main s13 --json
bench report s13 --format junit -o report.xml
bench history --device local --runner llama.cpp --test tg16 --metric tokens_per_s
```
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .clikit import EXIT_FAIL, Ctx, console, die, emit_json, guard, parse_params


def _suite_id(token: str) -> int:
    t = token.strip()
    t = t[1:] if t[:1] in "sS" else t
    if not t.isdigit():
        die(f"{token!r}: expected a suite run id such as s12")
    return int(t)


def _verdict_table(result: dict, title: str):
    from rich.table import Table

    colors = {"regressed": "red", "improved": "green", "noisy": "yellow", "unchanged": ""}
    t = Table("case", "metric", "baseline", "candidate", "ratio", "p", "verdict", title=title)
    for c in result["comparisons"]:
        case = f"{c['case'].get('key', '')} {c['case'].get('test') or c['case'].get('phase') or ''}"
        p = "-" if c["p_value"] is None else f"{c['p_value']:.2g}"
        col = colors[c["verdict"]]
        t.add_row(case.strip(), c["metric"], f"{c['baseline']:.4g}", f"{c['candidate']:.4g}",
                  "-" if c["ratio"] is None else f"{c['ratio']:.3f}", p,
                  f"[{col}]{c['verdict']}[/{col}]" if col else c["verdict"])
    return t


def _print_comparison(result: dict) -> None:
    c = console()
    c.print(_verdict_table(result, f"{result['candidate']} against {result['baseline']}"))
    for x in result["comparisons"]:
        if x.get("note"):
            c.print(f"  {x['case'].get('key', '')} {x['case'].get('test') or ''} "
                    f"{x['metric']}: {x['note']}")
    for m in result["missing"]:
        c.print(f"  missing in {m['missing_in']}: {m['case'].get('key', '')} "
                f"{m['case'].get('test') or ''}")


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@guard
def compare(obj: Ctx, a: str, b: str, as_json: bool) -> None:
    """Verdicts of B (candidate) against A (baseline): run ids, suite runs (s12) or baseline
    names. Exit 1 when anything regressed."""
    from .comparison import any_regressed, compare_sides, resolve_side

    with obj.sessions()() as s:
        result = compare_sides(resolve_side(s, a), resolve_side(s, b))
    if as_json:
        emit_json(result)
    else:
        _print_comparison(result)
    if any_regressed(result):
        sys.exit(EXIT_FAIL)


# --------------------------------------------------------------------------- suite

@click.group()
def suite() -> None:
    """Nightly matrices of devices x runners x models x params."""


def _run_suite(obj: Ctx, suite_obj, jobs, suite_run_id: int, baseline: str | None,
               as_json: bool) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn

    from .artifacts import RunnerRegistry
    from .comparison import any_regressed, compare_sides, resolve_side
    from .suite_runner import run

    sessions = obj.sessions()
    devices = obj.devices()
    err = Console(stderr=True)
    err.print(f"suite {suite_obj.spec.name}: s{suite_run_id}, {len(jobs)} jobs on "
              f"{len({j.device for j in jobs})} device(s)")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=False) as progress:
        total = progress.add_task("matrix", total=len(jobs))
        per_dev = {d: progress.add_task(f"  {d}", total=sum(j.device == d for j in jobs))
                   for d in dict.fromkeys(j.device for j in jobs)}
        by_key = {j.key: j for j in jobs}

        def on_event(kind: str, key: str, detail: str) -> None:
            dev = by_key[key].device
            if kind in ("done", "skip"):
                progress.advance(total)
                progress.advance(per_dev[dev])
                if kind == "done" and detail != "ok":
                    progress.console.print(f"[red]{key}: {detail}[/red]")
            elif kind in ("start", "phase"):
                progress.update(per_dev[dev], description=f"  {dev}: {by_key[key].model} "
                                f"{_short(by_key[key].params)} {detail if kind == 'phase' else ''}")

        try:
            outcome = run(sessions, suite_run_id, jobs, devices, RunnerRegistry(),
                          suite_obj.spec.cooldown.pause_s, on_event)
        except KeyboardInterrupt:
            err.print(f"interrupted: `bench suite resume s{suite_run_id}` runs what is left")
            sys.exit(130)
    data = {"suite_run": f"s{suite_run_id}", "id": suite_run_id, "status": outcome.status,
            "jobs": [vars(o) for o in outcome.outcomes], "skipped": outcome.skipped,
            "not_run": outcome.not_run, "comparison": None}
    if baseline and outcome.outcomes + outcome.skipped:
        with sessions() as s:
            data["comparison"] = compare_sides(resolve_side(s, baseline),
                                               resolve_side(s, f"s{suite_run_id}"))
    if as_json:
        emit_json(data)
    else:
        from rich.table import Table
        t = Table("job", "run", "status", title=f"s{suite_run_id}: {outcome.status}")
        for o in outcome.outcomes:
            t.add_row(o.key, str(o.run_id or "-"),
                      o.status + (f" ({o.reason})" if o.reason else ""))
        for k in outcome.skipped:
            t.add_row(k, "-", "done before")
        console().print(t)
        if data["comparison"]:
            _print_comparison(data["comparison"])
    if outcome.status != "ok" or (data["comparison"] and any_regressed(data["comparison"])):
        sys.exit(EXIT_FAIL)


def _short(params: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


@suite.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--baseline", help="Baseline name (or run/suite run) to compare with when done.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@guard
def suite_run(obj: Ctx, file: str, baseline: str | None, as_json: bool) -> None:
    """Expand FILE and run it: devices in parallel, one job at a time per device."""
    from .artifacts import RunnerRegistry
    from .comparison import resolve_side
    from .suite_runner import create, prepare
    from .suites import load_suite

    suite_obj = load_suite(Path(file))
    jobs = prepare(suite_obj, obj.devices(), RunnerRegistry())
    sessions = obj.sessions()
    if baseline:
        with sessions() as s:
            resolve_side(s, baseline)  # an unknown baseline is bad input before anything runs
    suite_run_id = create(sessions, suite_obj, jobs, baseline)
    _run_suite(obj, suite_obj, jobs, suite_run_id, baseline, as_json)


@suite.command("resume")
@click.argument("suite_run_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@guard
def suite_resume(obj: Ctx, suite_run_id: str, as_json: bool) -> None:
    """Run only the jobs of an interrupted suite run that have no ok run."""
    from .artifacts import RunnerRegistry
    from .suite_runner import load, prepare

    sid = _suite_id(suite_run_id)
    sessions = obj.sessions()
    suite_obj, info = load(sessions, sid)
    jobs = prepare(suite_obj, obj.devices(), RunnerRegistry())
    _run_suite(obj, suite_obj, jobs, sid, info["baseline"], as_json)


@suite.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def suite_list(obj: Ctx, as_json: bool) -> None:
    """Suite runs, oldest first."""
    from results_db.suites import list_suite_runs, members

    with obj.sessions()() as s:
        rows = [{"id": f"s{sr.id}", "name": sr.name, "file": sr.file, "status": sr.status,
                 "baseline": sr.baseline, "started_at": sr.started_at.isoformat(),
                 "jobs": len(sr.spec.get("jobs", [])),
                 "ok": sum(r.status == "ok" for r in members(s, sr.id).values())}
                for sr in list_suite_runs(s)]
    if as_json:
        return emit_json({"suite_runs": rows})
    from rich.table import Table
    t = Table("id", "name", "started", "status", "ok/jobs", "baseline")
    for r in rows:
        t.add_row(r["id"], r["name"], r["started_at"][:19], r["status"],
                  f"{r['ok']}/{r['jobs']}", r["baseline"] or "")
    console().print(t)


# --------------------------------------------------------------------------- baselines

@click.group()
def baseline() -> None:
    """Named baselines: a suite run or a set of runs to compare against."""


@baseline.command("set")
@click.argument("name")
@click.argument("targets", nargs=-1, required=True)
@click.pass_obj
@guard
def baseline_set(obj: Ctx, name: str, targets: tuple[str, ...]) -> None:
    """NAME points at one suite run (s12) or at one or more run ids."""
    from results_db.models import Run
    from results_db.suites import SuiteRun, set_baseline

    from .job import BadInput

    if name.isdigit() or (name[:1] in "sS" and name[1:].isdigit()):
        raise BadInput(f"baseline name {name!r} looks like a run id; choose a name")
    with obj.sessions()() as s:
        if len(targets) == 1 and targets[0][:1] in "sS":
            sid = _suite_id(targets[0])
            if s.get(SuiteRun, sid) is None:
                raise BadInput(f"no suite run s{sid}")
            set_baseline(s, name, sid, [])
            what = f"s{sid}"
        else:
            ids = []
            for t in targets:
                if not t.isdigit() or s.get(Run, int(t)) is None:
                    raise BadInput(f"{t!r}: no such run (give one suite run sNN or run ids)")
                ids.append(int(t))
            set_baseline(s, name, None, ids)
            what = "runs " + ", ".join(map(str, ids))
        s.commit()
    click.echo(f"baseline {name} -> {what}")


@baseline.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def baseline_list(obj: Ctx, as_json: bool) -> None:
    from results_db.suites import list_baselines

    with obj.sessions()() as s:
        rows = [{"name": b.name, "suite_run": f"s{b.suite_run_id}" if b.suite_run_id else None,
                 "run_ids": b.run_ids, "created_at": b.created_at.isoformat()}
                for b in list_baselines(s)]
    if as_json:
        return emit_json({"baselines": rows})
    from rich.table import Table
    t = Table("name", "points at", "set")
    for r in rows:
        t.add_row(r["name"], r["suite_run"] or ", ".join(map(str, r["run_ids"])),
                  r["created_at"][:19])
    console().print(t)


# --------------------------------------------------------------------------- report, history

@click.command()
@click.argument("suite_run_id")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "junit", "json"]),
              required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--baseline", help="Compare with this baseline (default: the one the suite ran "
              "with).")
@click.pass_obj
@guard
def report(obj: Ctx, suite_run_id: str, fmt: str, output: str, baseline: str | None) -> None:
    """Write a report of a suite run (self-contained HTML, Markdown, JUnit XML or JSON)."""
    from . import report as rep

    with obj.sessions()() as s:
        data = rep.build(s, _suite_id(suite_run_id), baseline)
        figs = rep.timelines(s, data) if fmt == "html" else []
    try:
        Path(output).write_text(rep.to_html(data, figs) if fmt == "html"
                                else rep.RENDERERS[fmt](data))
    except OSError as exc:
        die(f"-o {output}: cannot write: {exc.strerror}")
    click.echo(f"wrote {output}", err=True)


@click.command()
@click.option("--device")
@click.option("--runner")
@click.option("--model", help="Model label in the suite.")
@click.option("--test", help="e.g. tg128, pp512.")
@click.option("--metric", default="tokens_per_s", show_default=True)
@click.option("--suite", "suite_name", help="Only suite runs of this suite name.")
@click.option("--param", "params", multiple=True, help="KEY=VALUE the job's params must have.")
@click.option("--min-effect", default=0.05, show_default=True, type=click.FloatRange(0, 1),
              help="Smallest relative step reported as a change point.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write a PNG plot.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@guard
def history(obj: Ctx, device, runner, model, test, metric, suite_name, params, min_effect,
            output, as_json) -> None:
    """A case's metric across suite runs, with change points (first suite run of a step)."""
    from . import history as hist

    kv = parse_params(params)
    with obj.sessions()() as s:
        data = hist.history(s, metric, min_effect, device=device, runner=runner, test=test,
                            model=model, suite=suite_name, params=kv or None)
    if not data["series"]:
        die("no suite run has a case matching --device/--runner/--model/--test/--metric")
    if output:
        from . import plots
        if len(data["series"]) > 1:
            click.echo(f"plotting the first of {len(data['series'])} series; narrow the "
                       "selector (--param, --model) to pick another", err=True)
        ser = data["series"][0]
        plots.history([p["suite_run"] for p in ser["points"]],
                      [p["median"] for p in ser["points"]], [p["std"] for p in ser["points"]],
                      [c["index"] for c in ser["change_points"]], metric, ser["case"], output)
    if as_json:
        return emit_json(data)
    from rich.table import Table
    c = console()
    for ser in data["series"]:
        cps = {cp["suite_run"]: cp for cp in ser["change_points"]}
        t = Table("suite run", "started", "median", "std", "n", "change",
                  title=f"{ser['case']} {metric}")
        for p in ser["points"]:
            cp = cps.get(p["suite_run"])
            t.add_row(p["suite_run"], (p["started_at"] or "")[:19], f"{p['median']:.4g}",
                      f"{p['std']:.3g}", str(p["n"]),
                      f"step x{cp['ratio']:.3f}" if cp else "")
        c.print(t)
