"""Parse Rockchip RKNN tool outputs into `Result` rows (DESIGN.md "Runner").

Formats (tools: airockchip/rknn-toolkit2 `rknpu2/examples/rknn_benchmark`, rknpu2
`rknn_common_test`, librknnrt `RKNN_QUERY_PERF_DETAIL` / rknn-toolkit2 `eval_perf` and
`eval_memory`, rknn-toolkit-lite2 runtime log, swdee/go-rknnlite example benchmark):

- rknn_benchmark / rknn_common_test: `rknn_api/rknnrt version: V (build), driver version: D`,
  `   i: Elapse Time = 3.05ms, FPS = 327.87` lines after `Warmup ...` and `Begin perf ...`,
  and (rknn_benchmark) `Avg Time 3.07ms, Avg FPS = 325.965`; the core mask is read from the
  echoed command line (`rknn_benchmark m.rknn in.jpg 10 3`) when present;
- perf detail: "Network Layer Information Table" (one line per layer, Time(us) column),
  `Total Operator Elapsed Per Frame Time(us): N`, `Total Memory Read/Write Per Frame
  Size(KB): N`, and the "Operator Time Consuming Ranking Table" (one row per op type);
- eval_memory: "Memory Profile Info Dump" with Weight / Internal Tensor / Other / Total Memory
  in MiB and the model size;
- RKNNLite: `I RKNN: ... librknnrt version: V`, driver and model information lines, and
  per-frame `forward cost time: 37.469ms` lines printed by the user's script;
- go-rknnlite: `Benchmark count=N warmup=W`, `inference|postprocess|total: min=.. p50=..
  p90=.. max=..` (ms or µs).

The NPU load file `/sys/kernel/debug/rknpu/load` is telemetry, not runner output: it is read by
the telemetry sources, not here.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

from ..results import Result
from .textparse import NUM, basename, lines_of, num, parse_streams, scaled, to_int

__all__ = ["parse", "EXPECTED_FORMATS"]

EXPECTED_FORMATS = ("rknn_benchmark / rknn_common_test output, an RKNN perf detail or memory "
                    "dump, RKNNLite forward-cost lines or a go-rknnlite benchmark summary")

_VERSION = re.compile(r"rknn_api/rknnrt version:\s*(\S+)\s*(?:\(([^)]*)\))?\s*,\s*"
                      r"driver version:\s*(\S+)")
_IO_NUM = re.compile(r"^\s*model input num:\s*(\d+),\s*output num:\s*(\d+)")
_WEIGHT = re.compile(r"^\s*total weight size:\s*(\d+),\s*total internal size:\s*(\d+)")
_DMA = re.compile(r"^\s*total dma used size:\s*(\d+)")
_WARMUP = re.compile(r"^\s*Warmup\s*\.\.\.")
_PERF = re.compile(r"^\s*Begin perf\s*\.\.\.")
_LOOP = re.compile(rf"^\s*(\d+):\s*Elapse Time\s*=\s*({NUM})\s*ms,\s*FPS\s*=\s*({NUM})\s*$")
_AVG = re.compile(rf"^\s*Avg Time\s*({NUM})\s*ms,\s*Avg FPS\s*=\s*({NUM})\s*$")
_COMMAND = re.compile(r"\brknn_(?:benchmark|common_test)\s+(\S+\.rknn)((?:\s+\S+)*)")
_LAYER_TITLE = re.compile(r"Network Layer Information Table")
_RANK_TITLE = re.compile(r"Operator Time Consuming Ranking Table")
_TOTAL_TIME = re.compile(r"^\s*Total Operator Elapsed Per Frame Time\(us\):\s*(\d+)\s*$")
_TOTAL_RW = re.compile(r"^\s*Total Memory Read/Write Per Frame Size\(KB\):\s*(\d+)\s*$")
_MEM_TITLE = re.compile(r"Memory Profile Info Dump")
_MEM = re.compile(rf"^\s*(Weight|Internal Tensor|Other|Total) Memory:\s*({NUM})\s*MiB\s*$")
_MODEL_SIZE = re.compile(rf"current model size is:\s*({NUM})\s*MiB")
_LITE_RT = re.compile(r"librknnrt version:\s*(\S+)")
_LITE_DRV = re.compile(r"RKNN Driver Information,\s*version:\s*(\S+)")
_LITE_MODEL = re.compile(r"RKNN Model Information,.*?toolkit version:\s*([^\s(,]+)[(,]"
                         r"(?:.*?target platform:\s*([\w-]+),)?")
_FORWARD = re.compile(rf"forward cost time:\s*({NUM})\s*ms\s*$")
_GO_VERSION = re.compile(r"^\s*Driver Version:\s*(\S+),\s*API Version:\s*(\S+)")
_GO_COUNT = re.compile(r"^\s*Benchmark count=(\d+)\s+warmup=(\d+)\s*$")
_GO_STAT = re.compile(rf"^\s*(inference|postprocess|total):\s*((?:\s*\w+=({NUM})(?:ms|µs|us))+)"
                      r"\s*$")
_GO_KV = re.compile(rf"(\w+)=({NUM})(ms|µs|us)")
_GO_KEYS = {"min": "min", "max": "max", "p50": "median", "p90": "p90", "p95": "p95",
            "p99": "p99", "avg": "avg", "mean": "avg"}


def parse(stdout: str, stderr: str = "") -> list[Result]:
    return parse_streams(stdout, stderr, _parse_text,
                         f"no RKNN benchmark results found: expected {EXPECTED_FORMATS}")


def _summary(values: list[float], prefix: str) -> dict[str, float]:
    if not values:
        return {}
    return {f"{prefix}_avg_ms": statistics.fmean(values), f"{prefix}_min_ms": min(values),
            f"{prefix}_max_ms": max(values), f"{prefix}_median_ms": statistics.median(values)}


def _parse_text(text: str) -> tuple[list[Result], list[str]]:
    lines, warnings = lines_of(text)
    results: list[Result] = []
    case: dict[str, Any] = {}
    mem: dict[str, float] = {}
    bench_metrics: dict[str, float] = {}
    warm: list[float] = []
    perf: list[float] = []
    perf_fps: list[float] = []
    loops: str | None = None  # "warmup" | "perf" while inside a loop
    avg_seen = perf_closed = False
    layers: list[float] = []
    in_layers = in_rank = False
    rank_header: list[str] | None = None
    detail: dict[str, float] = {}
    rank_rows: list[Result] = []
    forward: list[float] = []
    go: dict[str, float] = {}
    go_case: dict[str, Any] = {}

    for line in lines:
        s = line.strip()
        if m := _COMMAND.search(line):
            case["model"] = basename(m.group(1))
            rest = m.group(2).split()
            if len(rest) >= 2 and to_int(rest[1]) is not None:
                case["loop_count"] = int(rest[1])
            if len(rest) >= 3 and to_int(rest[2]) is not None:
                case["core_mask"] = int(rest[2])
            continue
        if m := _VERSION.search(line):
            case["rknnrt_version"] = m.group(1)
            case["driver_version"] = m.group(3)
            continue
        if m := _IO_NUM.match(line):
            case["n_inputs"], case["n_outputs"] = int(m.group(1)), int(m.group(2))
            continue
        if m := _WEIGHT.match(line):
            mem["weight_memory_mib"] = scaled(m.group(1), 1024 * 1024, divide=True) or 0.0
            mem["internal_memory_mib"] = scaled(m.group(2), 1024 * 1024, divide=True) or 0.0
            continue
        if m := _DMA.match(line):
            mem["dma_memory_mib"] = scaled(m.group(1), 1024 * 1024, divide=True) or 0.0
            continue
        if _WARMUP.match(line):
            loops = "warmup"
            continue
        if _PERF.match(line):
            loops = "perf"
            continue
        if loops and (m := _LOOP.match(line)):
            ms, fps = num(m.group(2)), num(m.group(3))
            if ms is not None and fps is not None:
                (warm if loops == "warmup" else perf).append(ms)
                if loops == "perf":
                    perf_fps.append(fps)
            continue
        if m := _AVG.match(line):
            avg_seen = perf_closed = True
            loops = None
            if (v := num(m.group(1))) is not None:
                bench_metrics["latency_avg_ms"] = v
            if (v := num(m.group(2))) is not None:
                bench_metrics["fps"] = v
            continue
        if perf and s:
            loops = None
            perf_closed = True  # e.g. "---- Top5 ----" after rknn_common_test's loop
        # perf detail tables
        if _LAYER_TITLE.search(line):
            in_layers, in_rank = True, False
            continue
        if _RANK_TITLE.search(line):
            in_layers, in_rank, rank_header = False, True, None
            continue
        if m := _TOTAL_TIME.match(line):
            in_layers = False
            detail["total_op_time_ms"] = scaled(m.group(1), 1000, divide=True) or 0.0
            continue
        if m := _TOTAL_RW.match(line):
            detail["memory_rw_per_frame_kb"] = float(m.group(1))
            continue
        if in_layers:
            cells = s.split(None, 11)
            if len(cells) >= 11 and to_int(cells[0]) is not None \
                    and (t := num(cells[7])) is not None:
                layers.append(t)
            continue
        if in_rank:
            cells = s.split()
            if rank_rows and s.startswith("---"):
                in_rank = False
                continue
            if cells and cells[0] == "OpType":
                rank_header = cells
                continue
            if rank_header and len(cells) == len(rank_header) and (row := _rank_row(
                    rank_header, cells)) is not None:
                rank_rows.append(row)
            continue
        # eval_memory
        if m := _MEM.match(line):
            key = m.group(1).lower().replace(" ", "_")
            if (v := num(m.group(2))) is not None:
                mem[f"{key}_memory_mib"] = v
            continue
        if m := _MODEL_SIZE.search(line):
            if (v := num(m.group(1))) is not None:
                mem["model_size_mib"] = v
            continue
        # RKNNLite runtime log + user prints
        if m := _FORWARD.search(line):
            if (v := num(m.group(1))) is not None:
                forward.append(v)
            continue
        if "RKNN Runtime Information" in line and (m := _LITE_RT.search(line)):
            case["rknnrt_version"] = m.group(1)
            continue
        if m := _LITE_DRV.search(line):
            case["driver_version"] = m.group(1)
            continue
        if m := _LITE_MODEL.search(line):
            case["toolkit_version"] = m.group(1)
            if m.group(2):
                case["target_platform"] = m.group(2)
            continue
        # go-rknnlite
        if m := _GO_VERSION.match(line):
            case["driver_version"], case["rknnrt_version"] = m.group(1), m.group(2)
            continue
        if m := _GO_COUNT.match(line):
            go_case["runs"], go_case["warmup"] = int(m.group(1)), int(m.group(2))
            continue
        if m := _GO_STAT.match(line):
            prefix = "latency" if m.group(1) == "inference" else m.group(1)
            for key, value, unit in _GO_KV.findall(m.group(2)):
                if key in _GO_KEYS:
                    v = num(value) if unit == "ms" else scaled(value, 1000, divide=True)
                    if v is not None:
                        go[f"{prefix}_{_GO_KEYS[key]}_ms"] = v
            continue

    if perf:
        metrics = dict(bench_metrics)
        for k, v in _summary(perf, "latency").items():
            metrics.setdefault(k, v)
        if "fps" not in metrics:
            metrics["fps"] = statistics.fmean(perf_fps)
        if warm:
            metrics["warmup_avg_ms"] = statistics.fmean(warm)
        samples = {"latency_ms": perf, **({"warmup_ms": warm} if warm else {})}
        results.append(Result(case={**case, "source": "rknn_benchmark"},
                              metrics={**metrics, **mem}, samples=samples))
        if not perf_closed:
            warnings.append("RKNN perf loop not followed by its summary (output cut off?)")
        mem = {}
    elif bench_metrics:
        results.append(Result(case={**case, "source": "rknn_benchmark"},
                              metrics={**bench_metrics, **mem}))
        mem = {}
    if layers or detail:
        if not detail:
            warnings.append("RKNN perf detail table has no 'Total Operator Elapsed' line "
                            "(output cut off?)")
        results.append(Result(case={**case, "source": "perf_detail"},
                              metrics=dict(detail), samples={"layer_time_us": layers}))
    results += [Result(case={**case, **r.case}, metrics=r.metrics) for r in rank_rows]
    if mem:
        results.append(Result(case={**case, "source": "eval_memory"}, metrics=mem))
    if forward:
        results.append(Result(case={**case, "source": "rknnlite"},
                              metrics=_summary(forward, "latency"),
                              samples={"latency_ms": forward}))
    if go:
        results.append(Result(case={**case, "source": "go-rknnlite", **go_case}, metrics=go))
    results = [r for r in results if r.metrics or r.samples]
    return results, warnings


def _rank_row(header: list[str], cells: list[str]) -> Result | None:
    row = dict(zip(header, cells))
    metrics: dict[str, float] = {}
    for column, key, divide in (("CallNumber", "op_calls", False),
                                ("CPUTime(us)", "op_cpu_time_ms", True),
                                ("GPUTime(us)", "op_gpu_time_ms", True),
                                ("NPUTime(us)", "op_npu_time_ms", True),
                                ("TotalTime(us)", "op_time_ms", True)):
        if column in row:
            v = scaled(row[column], 1000, divide=True) if divide else num(row[column])
            if v is None:
                return None
            metrics[key] = v
    if (pct := num(row.get("TimeRatio(%)", "").rstrip("%"))) is not None:
        metrics["op_time_pct"] = pct
    return Result(case={"source": "perf_ranking", "op_type": row["OpType"]}, metrics=metrics)
