"""`bench --help` and `bench runs` import none of the heavy libraries at start (their speed is
measured in benchmarks/foundation.py; here only what is imported)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, bench
from harness.clikit import HEAVY_MODULES, imported_heavy


def _importtime(*args: str) -> str:
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "harness.cli", *args],
                       capture_output=True, text=True, cwd=REPO, check=True)
    return p.stderr


def test_the_check_sees_a_heavy_import() -> None:
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", "import yaml, numpy"],
                       capture_output=True, text=True, check=True)
    assert imported_heavy(p.stderr) == ["numpy", "yaml"]


@pytest.mark.parametrize("args", [("--help",), ("run", "--help"), ("suite", "--help")])
def test_help_imports_no_heavy_module(args) -> None:
    assert imported_heavy(_importtime(*args)) == [], HEAVY_MODULES


def test_runs_on_a_db_at_head_imports_no_heavy_module(env) -> None:
    bench("db", "upgrade")
    assert imported_heavy(_importtime("runs")) == []
    assert imported_heavy(_importtime("runs", "--json")) == []
