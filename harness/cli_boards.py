"""`bench devices trust NAME`: record an SSH board's host key after showing its fingerprint.

The fingerprint line has `ssh-keygen -l`'s layout (bits, SHA256:..., host, (TYPE)), so it can
be compared with `ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub` run on the board's console.
A changed key is never replaced unless `--replace` is given.
"""

from __future__ import annotations

import click

from .clikit import EXIT_UNAVAILABLE, Ctx, die, guard


@click.command("trust")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Record without asking (scripts).")
@click.option("--replace", is_flag=True, help="Replace a CHANGED key (after verifying it).")
@click.pass_obj
@guard
def trust(obj: Ctx, name: str, yes: bool, replace: bool) -> None:
    """Show NAME's SSH host key fingerprint and record it in known_hosts."""
    from .boards import offered_keys, record_key
    from .job import BadInput
    from .transports.hostkeys import check, describe, known_hosts_path
    devs = obj.devices()
    if name not in devs:
        raise BadInput(f"unknown device {name!r} (known: {', '.join(sorted(devs))})")
    dev = devs[name]
    path = known_hosts_path(dev.known_hosts)
    for _ in range(3):  # jump host first, then the board behind it
        offers = offered_keys(dev)
        last = offers[-1]
        info = describe(last.entry, last.key)
        if last.verdict == "known":
            click.echo(f"{info.line()}: already trusted in {path}")
            return
        if last.verdict == "changed" and not replace:
            check(name, path, last.entry, last.key)  # raises HostKeyChanged (exit 3)
        what = "CHANGED key" if last.verdict == "changed" else "host key"
        click.echo(f"{name} ({last.hop}) {what}: {info.line()}", err=True)
        if not yes and not click.confirm(f"record it in {path}?", default=False, err=True):
            die("not trusted (nothing written)", EXIT_UNAVAILABLE)
        result = record_key(dev, last, replace=replace)
        click.echo(f"{info.line()}: {result} in {path}")
        if last.hop == "target":
            return
