"""Every `bench ...` command shown in README.md exists with the options it is shown with."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from conftest import REPO
from harness.cli import main


def _shown() -> list[str]:
    """`bench` command lines in README code blocks and in `inline code`."""
    text = (REPO / "README.md").read_text()
    lines, fenced = [], False
    for ln in text.splitlines():
        if ln.startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append(ln.split(" # ")[0].strip())
    lines += re.findall(r"`((?:\.venv/bin/)?bench [^`]+)`", text)
    out = []
    for ln in lines:
        ln = ln.removeprefix(".venv/bin/")
        if ln.startswith("bench ") and "..." not in ln:
            out.append(ln)
    return sorted(set(out))


def _check(line: str) -> None:
    words = shlex.split(line)[1:]
    cmd: click.Command = main
    ctx = click.Context(main)
    while isinstance(cmd, click.Group) and words and not words[0].startswith("-"):
        sub = cmd.get_command(ctx, words[0])
        assert sub is not None, f"{line}: no command {words[0]!r} in {cmd.name}"
        cmd, words = sub, words[1:]
    known = {o for p in cmd.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])
             if o.startswith("-")} | {"--help"}
    for w in words:
        if w.startswith("-") and not re.fullmatch(r"-\d.*", w):
            assert w.split("=")[0] in known, f"{line}: {cmd.name} has no option {w}"


SHOWN = _shown()


def test_readme_shows_commands() -> None:
    assert len(SHOWN) >= 30


@pytest.mark.parametrize("line", SHOWN)
def test_readme_command_exists(line: str) -> None:
    _check(line)


def _all_commands(cmd: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            out += _all_commands(sub, path + (name,))
    return out


def test_every_command_has_help() -> None:
    from click.testing import CliRunner
    paths = _all_commands(main)
    assert ("suite", "run") in paths and ("devices", "trust") in paths
    for path in paths:
        res = CliRunner().invoke(main, [*path, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output, (path, res.output)
