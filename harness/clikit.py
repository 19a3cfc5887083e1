"""What every `bench` command module shares: the context object, exit codes, error guard.

Command areas with several commands live in their own `cli_<area>.py` modules; they import
from here (not from `cli`, which runs as `__main__` under `python -m harness.cli`) and are
attached to the group at the bottom of `cli.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3


class Ctx:
    def __init__(self, db: str | None, config_dir: str):
        self.db_url = db
        self.config_dir = Path(config_dir)

    def url(self) -> str:
        from .paths import default_db_url
        return self.db_url or default_db_url()

    def sessions(self):
        from results_db.engine import open_db
        return open_db(self.url())

    def devices(self):
        from .config import load_devices
        return load_devices(self.config_dir)


# imported only inside the commands that need them: `bench --help` and `bench runs` start fast
# (tests/test_startup.py, benchmarks/foundation.py check it with `python -X importtime`)
HEAVY_MODULES = ("paramiko", "adbutils", "numpy", "pandas", "scipy", "sqlalchemy", "alembic",
                 "matplotlib", "pydantic", "yaml")


def imported_heavy(importtime_log: str) -> list[str]:
    """The HEAVY_MODULES a `python -X importtime` log (its stderr) shows as imported."""
    names = {ln.rsplit("|", 1)[-1].strip() for ln in importtime_log.splitlines()
             if ln.startswith("import time:")}
    return [m for m in HEAVY_MODULES if m in names]


def die(msg: str, code: int = EXIT_BAD_INPUT) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(code)


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    """Repeated `--param KEY=VALUE` options as a dict (bad input: exit 2 naming the option)."""
    out = {}
    for v in values:
        if "=" not in v:
            die(f"--param {v!r}: expected KEY=VALUE")
        k, _, val = v.partition("=")
        out[k.strip()] = val.strip()
    return out


def emit_json(data) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def console():
    from rich.console import Console
    return Console()


def guard(fn):
    """Turn the library's typed errors into the CLI contract's exit codes, one line each."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        from .config import ConfigError
        from .job import BadInput
        from .results import ParseError
        from .transports import DeviceUnavailable
        try:
            return fn(*a, **kw)
        except (BadInput, ConfigError, ParseError) as exc:
            die(str(exc), EXIT_BAD_INPUT)
        except DeviceUnavailable as exc:
            die(str(exc), EXIT_UNAVAILABLE)
    return wrapper
