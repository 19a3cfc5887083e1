"""`bench trace RUN --format csv|parquet|perfetto -o PATH`: export a run's telemetry trace."""

from __future__ import annotations

from pathlib import Path

import click

from .clikit import Ctx, die, guard


@click.command()
@click.argument("run_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "perfetto", "png"]),
              default="perfetto", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
@guard
def trace(obj: Ctx, run_id: int, fmt: str, output: str) -> None:
    """Export a run's telemetry (perfetto: open the JSON in ui.perfetto.dev; png: performance
    over time above temperatures, frequencies and power, throttling shaded)."""
    from .analysis.throttle import origin
    from .telemetry.export import write
    from results_db.store import load_run
    from results_db.traces import load_trace

    with obj.sessions()() as s:
        run = load_run(s, run_id)
        if run is None:
            die(f"no run {run_id} in {obj.url()}")
        tr = load_trace(s, run_id)
        phases, events = list(run.phases or []), list(run.events or [])
        title = f"run {run.id} {run.device.name} {run.runner}"
        results = [{"case": r.case, "metrics": r.metrics} for r in run.results]
    if not tr.series:
        die(f"run {run_id} has no telemetry trace (run with --telemetry on a device with "
            "sensors)")
    try:
        if fmt == "png":
            from .plots import telemetry_timeline
            if not telemetry_timeline(tr, phases, events, results, origin(phases, tr),
                                      title, Path(output)):
                die(f"run {run_id}: no temperature, frequency or power channel to plot")
            n = sum(len(x.t) for x in tr.series.values())
        else:
            n = write(tr, fmt, Path(output), phases, events, origin(phases, tr), title)
    except OSError as exc:
        die(f"-o {output}: cannot write: {exc.strerror}")
    except ImportError as exc:
        die(f"--format {fmt}: needs {exc.name} (pip install pyarrow)")
    click.echo(f"wrote {output}: {len(tr.series)} channels, {n} samples", err=True)
