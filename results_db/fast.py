"""`bench runs` on SQLite through the stdlib: importing SQLAlchemy and Alembic alone costs
~0.4 s, more than the whole listing may take. Used only when the file's schema is at head;
otherwise the caller takes the SQLAlchemy path (which migrates)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

VERSIONS = Path(__file__).parent / "migrations" / "versions"


def _head() -> str:
    return max(p.name.split("_", 1)[0] for p in VERSIONS.glob("[0-9]*_*.py"))


def list_runs(url: str, device: str | None, runner: str | None,
              limit: int) -> list[dict[str, Any]] | None:
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url[len("sqlite:///"):]).expanduser()
    if not path.is_file():
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if con.execute("SELECT version_num FROM alembic_version").fetchone() != (_head(),):
            return None
        sql = ("SELECT r.id, r.started_at, d.name, r.runner, a.name, a.quantization, r.status, "
               "r.reason, r.error, (SELECT count(*) FROM results x WHERE x.run_id = r.id) "
               "FROM runs r JOIN devices d ON d.id = r.device_id "
               "LEFT JOIN artifacts a ON a.id = r.model_artifact_id WHERE 1=1")
        args: list[Any] = []
        if device:
            sql += " AND d.name = ?"
            args.append(device)
        if runner:
            sql += " AND r.runner = ?"
            args.append(runner)
        sql += " ORDER BY r.id DESC LIMIT ?"
        args.append(limit)
        rows = con.execute(sql, args).fetchall()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    keys = ("id", "started_at", "device", "runner", "model", "quantization", "status", "reason",
            "error", "n_results")
    out = [dict(zip(keys, r)) for r in rows]
    for r in out:  # same text as the SQLAlchemy path's isoformat()
        r["started_at"] = str(r["started_at"]).replace(" ", "T")
    return out
