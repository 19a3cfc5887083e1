"""Parse the host runner's JSON (`harness/runners/host/hostbench.py`) into Result rows.

The script prints one JSON document with `"tool": "devicebench-host"` as its last line;
frameworks may log lines of their own before it (MNN prints its CPU features on import).
"""

from __future__ import annotations

import json
import math
from pathlib import PurePosixPath

from ..results import ParseError, Result

TOOL = "devicebench-host"
METRICS = ("init_ms", "first_inference_ms", "warmup_avg_ms", "latency_avg_ms",
           "latency_min_ms", "latency_max_ms", "latency_std_ms", "latency_median_ms",
           "latency_p90_ms")
REQUIRED = ("framework", "framework_version", "model", "threads", "latency_avg_ms",
            "samples_ms")


def _document(stdout: str) -> dict:
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("tool") == TOOL:
            return doc
    raise ParseError(f"no {TOOL} JSON line in the output")


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParseError(f"{TOOL} JSON: {what} is not a finite number: {value!r}")
    return float(value)


def parse(stdout: str, stderr: str = "") -> list[Result]:
    doc = _document(stdout)
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise ParseError(f"{TOOL} JSON: missing {', '.join(missing)}")
    samples = doc["samples_ms"]
    if not isinstance(samples, list) or not samples:
        raise ParseError(f"{TOOL} JSON: samples_ms is not a non-empty list")
    values = [_finite(v, "samples_ms") for v in samples]
    metrics = {k: _finite(doc[k], k) for k in METRICS if doc.get(k) is not None}
    case = {
        "model": PurePosixPath(str(doc["model"])).name,
        "backend": "cpu",
        "threads": doc["threads"],
        "framework": doc["framework"],
        "framework_version": doc["framework_version"],
        "host_runner": True,
        "inputs": _inputs(doc.get("inputs")),
    }
    return [Result(case, metrics, {"latency_ms": values})]


def _inputs(inputs: object) -> str:
    """`[{"name": "input", "shape": [1, 64]}]` -> `input:1x64` (what is malformed is skipped)."""
    if not isinstance(inputs, list):
        return ""
    return ", ".join(f"{i.get('name')}:{'x'.join(map(str, i['shape']))}" for i in inputs
                     if isinstance(i, dict) and isinstance(i.get("shape"), list))
