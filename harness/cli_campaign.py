"""`bench campaign run FILE.yaml [--max-runs N] [--json]`: a resumable power campaign."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .clikit import EXIT_FAIL, EXIT_UNAVAILABLE, Ctx, console, emit_json, guard


@click.group()
def campaign() -> None:
    """Power campaigns: energy per inference/token under controlled conditions."""


@campaign.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--max-runs", type=click.IntRange(1), help="Stop after N runs (resume later).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@guard
def campaign_run(obj: Ctx, file: str, max_runs: int | None, as_json: bool) -> None:
    """Run (or resume) every job x repetition of FILE that has no ok run yet."""
    from dataclasses import asdict

    from .campaign import CampaignError, load_campaign, run_campaign
    from .discovery import resolve_device

    spec, digest = load_campaign(Path(file))
    device = resolve_device(obj.devices(), spec.device)
    try:
        rep = run_campaign(spec, digest, device, obj.sessions(), max_runs,
                           notify=None if as_json else lambda m: click.echo(f"  {m}", err=True))
    except CampaignError as exc:
        click.echo(f"error: {file}: {exc}", err=True)
        sys.exit(EXIT_FAIL)
    data = asdict(rep)
    if as_json:
        emit_json(data)
    else:
        from rich.table import Table
        t = Table("job", "model", "phase", "runs", "mJ/token", "mJ/inference", "avg mW",
                  title=f"campaign {rep.name} (id {rep.campaign_id}): ran {len(rep.ran)}, "
                        f"skipped {rep.skipped}, failed {len(rep.failed)}")
        for r in rep.rows:
            t.add_row(str(r["job"]), r["model"], r["phase"], str(r["runs"]),
                      *(f"{r[m]:.4g}" if m in r else "-" for m in
                        ("energy_mj_per_token", "energy_mj_per_inference", "avg_power_mw")))
        console().print(t)
    if rep.failed:
        sys.exit(EXIT_UNAVAILABLE if rep.device_lost else EXIT_FAIL)
