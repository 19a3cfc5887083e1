"""Parse ncnn `benchncnn` output into `Result` rows (DESIGN.md "Runner").

Format (tool: Tencent/ncnn `benchmark/benchncnn.cpp`, examples in `benchmark/README.md`): a
header block of `key = value` lines — `loop_count`, `num_threads`, `powersave`, then
`gpu_device` (2019+) and `cooling_down` (2020+) — followed by one line per model:
`<name>  min = X  max = Y  avg = Z` in milliseconds. Vulkan device lines `[0 Adreno (TM) 740]
queueC=...` precede a header when the GPU was initialized. A file can hold many runs (one
header block each, often with the shell command line before it); each model of each block is
one row, with the header values in `case`.
"""

from __future__ import annotations

import re
from typing import Any

from ..results import Result
from .textparse import NUM, lines_of, parse_streams, scaled

__all__ = ["parse", "EXPECTED_FORMATS"]

EXPECTED_FORMATS = "benchncnn output (loop_count = N header, '<model>  min = ..  max = ..  avg = ..')"

_HEADER = re.compile(r"^\s*(loop_count|num_threads|powersave|gpu_device|cooling_down)"
                     r"\s*=\s*(-?\d{1,9})\s*$")
_ROW = re.compile(rf"^\s*(\S+)\s+min\s*=\s*({NUM})\s+max\s*=\s*({NUM})\s+avg\s*=\s*({NUM})\s*$")
_GPU = re.compile(r"^\s*\[(\d+)\s+(.+?)\]\s+\S+=")


def parse(stdout: str, stderr: str = "") -> list[Result]:
    return parse_streams(stdout, stderr, _parse_text,
                         f"no benchncnn results found: expected {EXPECTED_FORMATS}")


def _parse_text(text: str) -> tuple[list[Result], list[str]]:
    lines, warnings = lines_of(text)
    results: list[Result] = []
    gpus: dict[int, str] = {}  # Vulkan devices listed since the last block
    header: dict[str, Any] | None = None
    in_header = False
    rows_in_block = 0

    def close_block() -> None:
        if header is not None and rows_in_block == 0:
            warnings.append(f"benchncnn block {_describe(header)} has no model results "
                            "(output cut off?)")

    for line in lines:
        if m := _GPU.match(line):
            if in_header is False and header is not None and rows_in_block:
                header = None  # a new run is starting; its header follows
            gpus.setdefault(int(m.group(1)), m.group(2))
            continue
        if m := _HEADER.match(line):
            key, value = m.group(1), int(m.group(2))
            if key == "loop_count" or header is None or not in_header:
                close_block()
                header = {}
                rows_in_block = 0
                if gpus:
                    header["_gpus"] = dict(gpus)
                gpus.clear()
            header[key] = value
            in_header = True
            continue
        if header is not None and (m := _ROW.match(line)):
            in_header = False
            metrics = {}
            for key, group in (("latency_min_ms", 2), ("latency_max_ms", 3),
                               ("latency_avg_ms", 4)):
                if (v := scaled(m.group(group), 1)) is not None:
                    metrics[key] = v
            if len(metrics) == 3:
                results.append(Result(case={"model": m.group(1), **_case(header)},
                                      metrics=metrics))
                rows_in_block += 1
            continue
        if line.strip():
            in_header = False
    close_block()
    return results, warnings


def _case(header: dict[str, Any]) -> dict[str, Any]:
    case = {k: v for k, v in header.items() if not k.startswith("_")}
    gpu = header.get("gpu_device")
    case["backend"] = "vulkan" if isinstance(gpu, int) and gpu >= 0 else "cpu"
    gpus: dict[int, str] = header.get("_gpus", {})
    if gpus:
        name = gpus.get(gpu) if isinstance(gpu, int) and gpu >= 0 else None
        case["gpu_name"] = name or gpus[min(gpus)]
    return case


def _describe(header: dict[str, Any]) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in header.items() if not k.startswith("_")) + ")"
