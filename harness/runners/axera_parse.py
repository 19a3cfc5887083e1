"""Parse Axera `ax_run_model` / `axcl_run_model` output into `Result` rows (DESIGN.md "Runner").

Format (tool: AXERA-TECH pulsar2-docs `source/other_tools/ax_run_model.rst`, AXCL samples):
`Run AxModel:` then right-aligned `key: value` lines (model, type = NPU mode such as
`1 Core` / `NPU1` / `Full` / `Half`, vnpu, affinity, warmup, repeat, batch, parallel,
`pulsar2 ver`, `engine ver`, `tool ver`, `axclrt ver`, `cmm size: N Bytes`), a dashed rule,
`min = X ms   max = Y ms   avg = Z ms` (2025+ builds add `median = M ms` and a line
`5% = .. ms   90% = .. ms   95% = .. ms   99% = .. ms`), and a closing rule. Percentiles are
stored as printed (some builds print them in reversed order).

A run that fails prints `[ERROR] ...` lines instead of the timings (e.g. "Run model in
warmup failed."): parse() raises ParseError carrying the tool's messages, so the run fails
with them.
"""

from __future__ import annotations

import re
from typing import Any

from ..results import ParseError, Result
from .textparse import NUM, basename, finish, lines_of, num, to_int

__all__ = ["parse", "EXPECTED_FORMATS"]

EXPECTED_FORMATS = "ax_run_model / axcl_run_model output (Run AxModel: ..., min = .. ms max = ..)"

_START = re.compile(r"^\s*Run AxModel:\s*$")
_KV = re.compile(r"^\s*([a-z0-9][a-z0-9 ]*?):\s*(.*?)\s*$")
_RULE = re.compile(r"^\s*-{10,}\s*$")
_STAT = re.compile(rf"(min|max|avg|median|\d+%)\s*=\s*({NUM})\s*ms")
_BANNER = re.compile(r"^\s*\[Axera version\]:\s*(\S+)\s+(.*?)\s*$")
_ERROR = re.compile(r"^\s*\[ERROR\]\s*(.*?)\s*$")
_CMM = re.compile(r"^(\d+)\s*Bytes$")
_KEYS = {"model": "model", "type": "npu_mode", "vnpu": "vnpu", "affinity": "affinity",
         "warmup": "warmup", "repeat": "repeat", "batch": "batch", "parallel": "parallel",
         "pulsar2 ver": "pulsar2_version", "engine ver": "engine_version",
         "tool ver": "tool_version", "axclrt ver": "axclrt_version"}
_STAT_KEYS = {"min": "latency_min_ms", "max": "latency_max_ms", "avg": "latency_avg_ms",
              "median": "latency_median_ms"}


def parse(stdout: str, stderr: str = "") -> list[Result]:
    results: list[Result] = []
    warnings: list[str] = []
    errors: list[str] = []
    for text in (stdout, stderr):
        rows, warns, errs = _parse_text(text)
        results += rows
        warnings += warns
        errors += errs
    if not results:
        if errors:
            raise ParseError("ax_run_model failed: " + " / ".join(errors))
        raise ParseError(f"no ax_run_model timings found: expected {EXPECTED_FORMATS}")
    return finish(results, warnings)


def _parse_text(text: str) -> tuple[list[Result], list[str], list[str]]:
    lines, warnings = lines_of(text)
    results: list[Result] = []
    errors: list[str] = []
    banner: dict[str, str] = {}
    case: dict[str, Any] | None = None
    metrics: dict[str, float] = {}
    in_header = False
    closed = False

    def close() -> None:
        nonlocal metrics, closed
        if case is not None and metrics:
            if not closed:
                warnings.append("ax_run_model timings not followed by the closing rule "
                                "(output cut off?)")
            results.append(Result(case=dict(case), metrics=metrics))
        metrics = {}
        closed = False

    for line in lines:
        if m := _BANNER.match(line):
            banner[m.group(1)] = m.group(2)
            if not in_header:
                continue
        if _START.match(line):
            close()
            case = {}
            if "libax_sys.so" in banner:
                case["sys_lib_version"] = banner["libax_sys.so"]
            in_header = True
            continue
        if m := _ERROR.match(line):
            errors.append(m.group(1))
            in_header = False
            continue
        if case is None:
            continue
        if _RULE.match(line):
            in_header = False
            if metrics:
                closed = True
            continue
        if in_header and (m := _KV.match(line)) and m.group(1) in (*_KEYS, "cmm size"):
            key, value = m.group(1), m.group(2)
            if key == "cmm size":
                if c := _CMM.match(value):
                    case["cmm_size_bytes"] = int(c.group(1))
            elif key == "model":
                case["model"] = basename(value)
            elif key in ("warmup", "repeat") and (n := to_int(value)) is not None:
                case[key] = n
            else:
                case[_KEYS[key]] = value
            continue
        stats = _STAT.findall(line)
        if stats and not closed:
            for label, value in stats:
                key = _STAT_KEYS.get(label) or f"latency_p{label[:-1]}_ms"
                if (v := num(value)) is not None:
                    metrics[key] = v
    close()
    return results, warnings, errors
