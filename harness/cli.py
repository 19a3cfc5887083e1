"""`bench`: a thin click layer over the library. Parse options, call, render with rich.

Heavy libraries (SQLAlchemy, pandas, matplotlib) are imported inside the commands that need
them so `bench --help` starts fast. Exit codes: 0 ok, 1 benchmark failure, 2 bad input,
3 device unavailable.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .clikit import EXIT_FAIL, EXIT_UNAVAILABLE, Ctx, die, emit_json, parse_params
from .clikit import console as _console
from .clikit import guard as _guard


@click.group()
@click.option("--db", envvar="BENCH_DB", help="SQLAlchemy URL of the results DB.")
@click.option("--config-dir", envvar="BENCH_CONFIG_DIR", default="device_configs",
              show_default=True, help="Folder of device YAML files.")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_dir: str) -> None:
    """devicebench: benchmark AI inference on real edge devices."""
    ctx.obj = Ctx(db, config_dir)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def devices(ctx: click.Context, as_json: bool) -> None:
    """Configured devices, discovered phones and probed boards, with state and properties."""
    if ctx.invoked_subcommand is not None:
        return
    from .discovery import discover, summary
    found = discover(ctx.obj.devices())
    for note in found.notes:
        click.echo(note, err=True)
    rows = found.rows
    if as_json:
        return emit_json({"devices": rows})
    from rich.table import Table
    t = Table("name", "transport", "state", "abi", "soc", "details")
    for r in rows:
        t.add_row(r["name"], r["transport"], r["state"], r["abi"] or "-", r["soc"] or "-",
                  summary(r))
    _console().print(t)
    for r in rows:  # why a device is not ready, and the fix, one line each
        why = r.get("fix") or r.get("error") or r.get("detail")
        if why:
            click.echo(f"{r['name']}: {why}", err=True)


def _results_table(results: list[dict], title: str = ""):
    from rich.table import Table
    t = Table("phase", "test", "metric", "value", title=title)
    for r in results:
        for m, v in r["metrics"].items():
            t.add_row(str(r["case"].get("phase", "")), str(r["case"].get("test", "")), m,
                      f"{v:.4g}")
    return t


@main.command()
@click.option("--device", required=True)
@click.option("--runner", required=True)
@click.option("--model", required=True, help="Model file (GGUF for llama.cpp).")
@click.option("--param", "params", multiple=True, help="Runner parameter KEY=VALUE.")
@click.option("--repetitions", default=5, show_default=True, type=click.IntRange(1))
@click.option("--warmup", default=1, show_default=True, type=click.IntRange(0))
@click.option("--telemetry/--no-telemetry", default=True)
@click.option("--timeout", "timeout_s", default=1800.0, show_default=True,
              help="Seconds per runner invocation.")
@click.option("--sustained", help="Repeat the phases for a duration (90s, 10m, 1h): the "
              "sustained curve (`bench trace RUN --format png`).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_guard
def run(obj: Ctx, device, runner, model, params, repetitions, warmup, telemetry, timeout_s,
        sustained, as_json) -> None:
    """Run one job on one device, store it, print a summary."""
    from .execute import execute
    from .job import BadInput, Job
    from results_db.store import load_run, run_dict

    from .discovery import resolve_device
    devs = obj.devices()
    cfg = resolve_device(devs, device)
    from .telemetry.plot import parse_duration
    job = Job(device=device, runner=runner, model=model, params=parse_params(params),
              repetitions=repetitions, warmup=warmup, telemetry=telemetry, timeout_s=timeout_s,
              sustained_s=parse_duration(sustained, "--sustained") if sustained else None)
    sessions = obj.sessions()
    outcome = execute(job, cfg, sessions,
                      on_phase=None if as_json else lambda p: click.echo(f"  {p}...", err=True))
    with sessions() as s:
        data = run_dict(load_run(s, outcome.run_id))
    if as_json:
        emit_json(data)
    else:
        _console().print(_results_table(data["results"], f"run {data['id']}: {data['status']}"))
        if data["device_state"].get("throttle_summary"):
            click.echo(data["device_state"]["throttle_summary"], err=True)
        if data["error"]:
            click.echo(f"run {data['id']} failed ({data['reason']}): {data['error']}", err=True)
    if outcome.status != "ok":
        sys.exit(EXIT_UNAVAILABLE if outcome.reason == "device_lost" else EXIT_FAIL)


@main.command()
@click.option("--device")
@click.option("--runner")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def runs(obj: Ctx, device, runner, limit, as_json) -> None:
    """Stored runs, newest first."""
    from results_db import fast
    rows = fast.list_runs(obj.url(), device, runner, limit)
    if rows is None:
        from results_db.store import list_runs
        with obj.sessions()() as s:
            rows = list_runs(s, device, runner, limit)
    if as_json:
        return emit_json({"runs": rows})
    from rich.table import Table
    t = Table("id", "started", "device", "runner", "model", "quant", "status", "results")
    for r in rows:
        t.add_row(str(r["id"]), r["started_at"][:19], r["device"], r["runner"], r["model"] or "",
                  r["quantization"] or "", r["status"] + (f" ({r['reason']})" if r["reason"] else ""),
                  str(r["n_results"]))
    _console().print(t)


def _load(obj: Ctx, run_id: int) -> dict:
    from results_db.store import load_run, run_dict
    with obj.sessions()() as s:
        run = load_run(s, run_id)
        if run is None:
            die(f"no run {run_id} in {obj.url()}")
        return run_dict(run)


@main.command()
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show(obj: Ctx, run_id: int, as_json: bool) -> None:
    """One stored run with its results."""
    data = _load(obj, run_id)
    if as_json:
        return emit_json(data)
    c = _console()
    c.print(f"run {data['id']}  {data['device']}  {data['runner']}  {data['model']}  "
            f"[bold]{data['status']}[/bold]" + (f"  {data['error']}" if data["error"] else ""))
    c.print(_results_table(data["results"]))
    if data["flags"] or data["device_state"].get("throttle_summary"):
        c.print(f"flags: {', '.join(data['flags']) or '-'}  "
                f"{data['device_state'].get('throttle_summary') or ''}")


@main.command()
@click.argument("runner")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@_guard
def parse(runner: str, file: str, as_json: bool) -> None:
    """Parse a saved runner or telemetry output (RUNNER `auto`: recognize the tool from the
    text; `host`: the host runner's JSON; tegrastats, dumpsys-battery, ...: telemetry)."""
    from .job import BadInput
    from .results import ParseError
    from .runners import KNOWN_NAMES, get_runner, host_parse
    from .runners.detect import HOST, detect_output
    from .telemetry.parsers import PARSERS as TELEMETRY  # tegrastats, dumpsys-*, npu-load...
    try:
        text = Path(file).read_text(errors="replace")
    except OSError as exc:
        raise BadInput(f"{file}: cannot read: {exc.strerror}") from None
    if runner == "auto":
        found = detect_output(text)
        if found is None:
            raise BadInput(f"{file}: no known runner or telemetry output recognized "
                           f"(runners: {', '.join(KNOWN_NAMES)}, {HOST}; "
                           f"telemetry: {', '.join(TELEMETRY)})")
        runner = found
    if runner in TELEMETRY:
        name, parse_text = runner, TELEMETRY[runner]
    elif runner == HOST:
        name, parse_text = HOST, host_parse.parse
    else:
        try:
            r = get_runner(runner)
        except BadInput as exc:
            raise BadInput(f"{exc}; also {HOST}; telemetry: {', '.join(sorted(TELEMETRY))}"
                           ) from None
        name, parse_text = r.name, (lambda t: r.parse(t, ""))
    try:
        rows = parse_text(text)
    except ParseError as exc:
        raise ParseError(f"{file}: {exc}") from None
    results = [x.to_dict() for x in rows]
    if as_json:
        return emit_json({"runner": name, "results": results})
    _console().print(_results_table(results, f"{file} ({name})"))
    for row in rows:
        for warning in row.warnings:
            click.echo(f"warning: {warning}", err=True)


@main.command("import")
@click.argument("runner")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--device", required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_guard
def import_(obj: Ctx, runner: str, file: str, device: str, as_json: bool) -> None:
    """Store a saved runner output as a run."""
    from . import __version__
    from .job import BadInput
    from .results import warning_events
    from .runners import get_runner
    from results_db import store
    from results_db.models import Run
    r = get_runner(runner)
    try:
        text = Path(file).read_text(errors="replace")
    except OSError as exc:
        raise BadInput(f"{file}: cannot read: {exc.strerror}") from None
    results = r.parse(text, "")
    devs = obj.devices()
    cfg = devs.get(device)
    with obj.sessions()() as s:
        dev = store.get_or_create_device(s, device, cfg.transport if cfg else "imported",
                                         cfg.abi if cfg else None, cfg.soc if cfg else None, {})
        run = Run(device=dev, runner=r.name, job={"imported_from": str(Path(file).resolve())},
                  harness_version=__version__, events=warning_events(results, 0.0))
        s.add(run)
        store.add_results(s, run, results)
        store.finish(run, "ok")
        s.commit()
        run_id = run.id
    data = _load(obj, run_id)
    if as_json:
        return emit_json(data)
    click.echo(f"stored run {run_id} with {len(results)} results")


@main.group()
def runners() -> None:
    """Runner binaries registered per ABI (files in BENCH_HOME)."""


@runners.command("list")
@click.option("--json", "as_json", is_flag=True)
def runners_list(as_json: bool) -> None:
    from dataclasses import asdict
    from .artifacts import RunnerRegistry
    rows = [asdict(b) for b in RunnerRegistry().list()]
    if as_json:
        return emit_json({"runners": rows})
    from rich.table import Table
    t = Table("runner", "abi", "binary", "sha256", "libs")
    for b in rows:
        t.add_row(b["runner"], b["abi"], b["name"], b["sha256"][:12], str(len(b["libs"])))
    _console().print(t)


@runners.command("add")
@click.argument("runner")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--abi", required=True, help="e.g. linux-x86_64, linux-aarch64, android-arm64-v8a")
@click.option("--lib", "libs", multiple=True, type=click.Path(exists=True, dir_okay=False))
@_guard
def runners_add(runner: str, path: str, abi: str, libs: tuple[str, ...]) -> None:
    from .artifacts import RunnerRegistry
    from .runners import get_runner
    from .runners.formats import check_binary_abi
    r = get_runner(runner)
    for f in (path, *libs):  # an aarch64 build registered as x86_64 fails here, not on device
        check_binary_abi(Path(f), abi)
    entry = RunnerRegistry().add(r.name, abi, Path(path), [Path(p) for p in libs])
    click.echo(f"registered {r.name} for {abi}: {entry.name} ({entry.sha256[:12]})")


@main.group()
def models() -> None:
    """Model files."""


@models.command("synth")
@click.option("--arch", default="llama", type=click.Choice(["llama"]), show_default=True)
@click.option("--params", "n_params", required=True, help="Parameter count, e.g. 50M, 1.1B.")
@click.option("--quant", default="q4_0", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@_guard
def models_synth(arch: str, n_params: str, quant: str, output: str) -> None:
    """Write a random-weight GGUF of a chosen size and quantization."""
    from .job import BadInput
    from .models.synth import parse_params, synth_llama
    try:
        count = parse_params(n_params)
        info = synth_llama(Path(output), count, quant.lower())
    except ValueError as exc:
        raise BadInput(f"--params/--quant: {exc}") from None
    click.echo(f"wrote {info.path}: {info.params:,} params, {info.quant}, "
               f"{info.size_bytes / 2**20:.1f} MiB")


@main.command()
@click.argument("run_ids", nargs=-1, type=int, required=True)
@click.option("--metric", default="tokens_per_s", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def plot(obj: Ctx, run_ids: tuple[int, ...], metric: str, output: str) -> None:
    """Bar chart of a metric across runs, grouped by test."""
    from .plots import bar_chart
    from results_db.queries import results_frame
    with obj.sessions()() as s:
        df = results_frame(s, run_ids)
    df = df[df.metric == metric]
    if df.empty:
        die(f"--metric {metric}: no such metric in runs {', '.join(map(str, run_ids))}")
    bar_chart(df, metric, Path(output))
    click.echo(f"wrote {output}")


@main.group()
def db() -> None:
    """Results database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Ctx) -> None:
    """Bring the DB schema to the newest migration."""
    from results_db.engine import upgrade
    upgrade(obj.url())
    click.echo(f"{obj.url()}: at head")


# Command modules of other areas attach here, one line each: main.add_command(...)
from .cli_suite import baseline, compare, history, report, suite  # noqa: E402
for _cmd in (suite, baseline, compare, report, history): main.add_command(_cmd)
from .cli_boards import trust as _trust; devices.add_command(_trust)  # noqa: E402,E702
from .cli_telemetry import trace as _trace; main.add_command(_trace)  # noqa: E402
from .cli_campaign import campaign as _campaign; main.add_command(_campaign)  # noqa: E402


if __name__ == "__main__":
    main()
