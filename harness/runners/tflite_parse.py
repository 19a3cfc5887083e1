"""Parse LiteRT / TFLite `benchmark_model` output into `Result` rows (DESIGN.md "Runner").

Formats (tool: tensorflow `tensorflow/lite/tools/benchmark/benchmark_model.cc` and
`benchmark_tflite_model.cc`, LiteRT `litert/tools/benchmark`), every generation seen in the
samples:

- 2019: `Average inference timings in us: Warmup: W, Init: I, no stats: R`;
- 2020+: `Inference timings in us: Init: I, First inference: F, Warmup (avg): W,
  Inference (avg): R` (values may be in scientific notation, `4.62513e+06`);
- the per-phase stats lines `count=N first=.. curr=.. min=.. max=.. avg=.. std=..`, newer
  builds add `p5=.. median=.. p95=..` (first one after the first "Running benchmark" line is
  the warm-up, the next the measured runs);
- memory: `Peak memory footprint (MB): init=.. overall=..` (older),
  `Memory footprint delta from the start of the tool (MB): init=.. overall=..` and
  `Overall peak memory footprint (MB) via periodic monitoring: X` (newer);
- `--enable_op_profiling` tables: the "Summary by node type" table of each profiling section
  becomes one row per node type;
- lines may carry an `INFO: ` prefix and indentation (LiteRT logging, pasted docs);
- `litert-benchmark` (the ai-edge-litert wheel's `benchmark_litert_model.py`): a
  "BENCHMARK RESULTS" block in ms (`Model initialization`, `Warmup (first|avg)`,
  `Inference (avg|min|max|median|std|p5|p95)`, `Throughput`) and its log lines on stderr.

Microseconds in the tool become milliseconds in our metrics. The first row is the benchmark
summary; op-profiling rows follow it.
"""

from __future__ import annotations

import re
from typing import Any

from ..results import ParseError, Result
from .textparse import NUM, basename, finish, lines_of, num, scaled, to_int

__all__ = ["parse", "EXPECTED_FORMATS"]

EXPECTED_FORMATS = ("TFLite/LiteRT benchmark_model output (Inference timings in us / count=... "
                    "stats lines / Average inference timings)")

_PREFIX = re.compile(r"^\s*(?:INFO:\s*|I\s+tflite\s*[:\]]\s*|"
                     r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+ benchmark_litert_model:\s*)?")
# litert-benchmark (ai-edge-litert `ai_edge_litert/tools/benchmark_litert_model.py`)
_LITERT_TITLE = re.compile(r"^BENCHMARK RESULTS$")
_LITERT_LINE = re.compile(rf"^(Model initialization|Warmup \(first\)|Warmup \(avg\)|"
                          rf"Inference \((?:avg|min|max|median|std|p5|p95)\)):\s*({NUM}) ms"
                          rf"(?: \((\d+) runs\))?$")
_LITERT_METRICS = {"Model initialization": "init_ms", "Warmup (first)": "first_inference_ms",
                   "Warmup (avg)": "warmup_avg_ms", "Inference (avg)": "latency_avg_ms",
                   "Inference (min)": "latency_min_ms", "Inference (max)": "latency_max_ms",
                   "Inference (median)": "latency_median_ms", "Inference (std)": "latency_std_ms",
                   "Inference (p5)": "latency_p5_ms", "Inference (p95)": "latency_p95_ms"}
_LITERT_THROUGHPUT = re.compile(rf"^Throughput:\s*({NUM}) MB/s$")
_LITERT_FULL = re.compile(r"^Fully accelerated:\s*(True|False)$")
_LITERT_LOG = re.compile(r"^(Model|Model size|Accelerators|Num threads|Warmup runs|"
                         r"Benchmark runs):\s+([^\[\s].*?)\s*$")
_PARAM = re.compile(r"^([A-Za-z#][A-Za-z0-9 _#()/.-]*?)\s*:\s*\[(.*)\]\s*$")
_STATS = re.compile(rf"^count=(\d+)((?:\s+[a-z0-9]+={NUM})*)\s*$")
_KV = re.compile(rf"([a-z0-9]+)=({NUM})")
_RUNNING = re.compile(r"^Running benchmark for at least (\d+) iterations")
_SESSION = re.compile(rf"^Initialized session in ({NUM})\s*ms\.?$")
_SIZE = re.compile(rf"^The input model file size \(MB\):\s*({NUM})$")
_NEW_SUMMARY = re.compile(
    rf"^Inference timings in us:\s*Init:\s*({NUM}),\s*First inference:\s*({NUM}),"
    rf"\s*Warmup \(avg\):\s*({NUM}),\s*Inference \(avg\):\s*({NUM})\s*$")
_OLD_SUMMARY = re.compile(
    rf"^Average inference timings in us:\s*Warmup:\s*({NUM}),\s*Init:\s*({NUM}),"
    rf"\s*no stats:\s*({NUM})\s*$")
_PEAK = re.compile(rf"^Peak memory footprint \(MB\):\s*init=({NUM})\s+overall=({NUM})\s*$")
_DELTA = re.compile(rf"^Memory footprint delta from the start of the tool \(MB\):"
                    rf"\s*init=({NUM})\s+overall=({NUM})\s*$")
_MONITOR = re.compile(rf"^Overall peak memory footprint \(MB\) via periodic monitoring:"
                      rf"\s*({NUM})\s*$")
_APPLIED = re.compile(r"^Explicitly applied (\S+) delegate, and the model graph will be "
                      r"(completely|partially) executed by the delegate"
                      r"(?: w/ (\d+) delegate kernels)?\.?\s*$")
_N_DELEGATES = re.compile(r"^Going to apply (\d+) delegates")
_PROFILE = re.compile(r"^(?:Operator-wise )?Profiling Info for (Benchmark Initialization|"
                      r"Regular Benchmark Runs)\s*:")
_COMMAND = re.compile(r"benchmark_model\S*\s")
_FLAG = re.compile(r"--(\w+)=(\S+)")
_TABLE_TITLE = re.compile(r"^=+\s*(.+?)\s*=+$")
_PROF_TIMINGS = re.compile(r"^Timings \(microseconds\):\s*count=")

_PARAMS = {"num threads": "threads", "num_threads": "threads", "#threads used for cpu inference": "threads",
           "graph": "model", "use xnnpack": "use_xnnpack", "use gpu": "use_gpu",
           "use nnapi": "use_nnapi", "use hexagon": "use_hexagon",
           "external delegate path": "external_delegate",
           "enable op profiling": "op_profiling"}
_FLAGS = {"use_xnnpack", "use_gpu", "use_nnapi", "use_hexagon", "op_profiling"}
# stats key -> metric suffix
_STAT_KEYS = {"avg": "avg", "min": "min", "max": "max", "std": "std", "median": "median",
              "p5": "p5", "p50": "median", "p90": "p90", "p95": "p95", "p99": "p99",
              "first": "first", "curr": "last"}


def parse(stdout: str, stderr: str = "") -> list[Result]:
    """The benchmark summary row (plus op-profiling rows) of the tool's output.

    The tools log to stderr and (litert-benchmark) print results on stdout, so both are read
    as one stream, the log first.
    """
    if stderr and stdout:
        stdout = stderr + ("" if stderr.endswith("\n") else "\n") + stdout
    elif stderr:
        stdout = stderr
    results, warnings = _parse_text(stdout)
    if not results:
        raise ParseError(f"no benchmark_model results found: expected {EXPECTED_FORMATS}")
    return finish(results, warnings)


def _clean(line: str) -> str:
    return _PREFIX.sub("", line, count=1).rstrip()


def _stats_metrics(prefix: str, stats: dict[str, str]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key, suffix in _STAT_KEYS.items():
        if key in stats and (ms := scaled(stats[key], 1000, divide=True)) is not None:
            metrics.setdefault(f"{prefix}_{suffix}_ms", ms)
    return metrics


def _parse_text(text: str) -> tuple[list[Result], list[str]]:
    lines, warnings = lines_of(text)
    case: dict[str, Any] = {}
    metrics: dict[str, float] = {}
    samples: dict[str, list[float]] = {}
    phase = -1  # index into ("warmup", "latency") after each "Running benchmark" line
    seen_stats = 0
    summary = False
    profile_rows: list[Result] = []
    profile: str | None = None
    table: str | None = None
    header: list[str] | None = None

    for raw in lines:
        line = _clean(raw)
        if not line:
            continue
        if m := _PROFILE.match(line):
            profile = "init" if m.group(1).startswith("Benchmark") else "runs"
            table, header = None, None
            continue
        if profile is not None:
            if m := _TABLE_TITLE.match(line):
                table, header = m.group(1), None
                continue
            if table == "Summary by node type":
                cells = [c.strip() for c in line.split("\t") if c.strip()] \
                    if "\t" in raw else re.split(r"\s{2,}", line.strip())
                if cells and cells[0].startswith("["):
                    header = [c.strip("[]").lower() for c in cells]
                    continue
                if header and (row := _profile_row(profile, header, cells)) is not None:
                    profile_rows.append(row)
                    continue
            if _PROF_TIMINGS.match(line) or line.startswith(("Memory (bytes)", "Number of")):
                table = None
                continue
        if _LITERT_TITLE.match(line):
            summary = True
            continue
        if m := _LITERT_LINE.match(line):
            if (v := num(m.group(2))) is not None:
                metrics[_LITERT_METRICS[m.group(1)]] = v
            if m.group(3):
                case["warmup_runs" if m.group(1).startswith("Warmup") else "runs"] = \
                    int(m.group(3))
            continue
        if m := _LITERT_THROUGHPUT.match(line):
            if (v := num(m.group(1))) is not None:
                metrics["input_throughput_mb_per_s"] = v
            continue
        if m := _LITERT_FULL.match(line):
            case["fully_accelerated"] = m.group(1) == "True"
            continue
        if m := _LITERT_LOG.match(line):
            key, value = m.group(1), m.group(2)
            if key == "Model":
                case["model"] = basename(value)
            elif key == "Accelerators":
                case["accelerators"] = value
            elif key == "Num threads" and (t := to_int(value)) is not None:
                case["threads"] = t
            elif key == "Model size" and value.endswith(" MB") and \
                    (v := num(value[:-3])) is not None:
                metrics["model_size_mb"] = v
            continue
        if _COMMAND.search(line):  # the command line echoed by a shell prompt
            for flag, value in _FLAG.findall(line):
                _set_param(case, flag.replace("_", " "), value, only_missing=True)
            continue
        if m := _PARAM.match(line):
            _set_param(case, m.group(1).strip(), m.group(2).strip())
            continue
        if m := _RUNNING.match(line):
            phase += 1
            continue
        if m := _STATS.match(line):
            which = phase if phase >= 0 else seen_stats
            seen_stats += 1
            raw_stats = dict(_KV.findall(line))
            if which == 0:
                case["warmup_runs"] = int(m.group(1))
                metrics.update({k: v for k, v in _stats_metrics("warmup", raw_stats).items()
                                if k not in metrics})
            elif which == 1:
                case["runs"] = int(m.group(1))
                for k, v in _stats_metrics("latency", raw_stats).items():
                    metrics.setdefault(k, v)
            continue
        if m := _SESSION.match(line):
            if (v := num(m.group(1))) is not None:
                metrics.setdefault("init_ms", v)
            continue
        if m := _SIZE.match(line):
            if (v := num(m.group(1))) is not None:
                metrics["model_size_mb"] = v
            continue
        if m := _NEW_SUMMARY.match(line):
            summary = True
            for key, group in (("init_ms", 1), ("first_inference_ms", 2),
                               ("warmup_avg_ms", 3), ("latency_avg_ms", 4)):
                if (v := scaled(m.group(group), 1000, divide=True)) is not None:
                    metrics[key] = v
            continue
        if m := _OLD_SUMMARY.match(line):
            summary = True
            for key, group in (("warmup_avg_ms", 1), ("init_ms", 2), ("latency_avg_ms", 3)):
                if (v := scaled(m.group(group), 1000, divide=True)) is not None:
                    metrics[key] = v
            continue
        if m := _PEAK.match(line):
            _pair(metrics, "peak_memory", m)
            continue
        if m := _DELTA.match(line):
            _pair(metrics, "memory_delta", m)
            continue
        if m := _MONITOR.match(line):
            if (v := num(m.group(1))) is not None:
                metrics["peak_memory_mb"] = v
            continue
        if m := _APPLIED.match(line):
            case["delegate"] = m.group(1)
            case["delegation"] = "full" if m.group(2) == "completely" else "partial"
            if m.group(3):
                case["delegate_kernels"] = int(m.group(3))
            continue
        if m := _N_DELEGATES.match(line):
            case["delegates_applied"] = int(m.group(1))

    if not metrics:
        return [], warnings if text.strip() else []
    if seen_stats and not summary:
        warnings.append("no 'Inference timings in us' summary line: benchmark_model output "
                        "ends early (cut off?)")
    main = Result(case=case, metrics=metrics, samples=samples)
    for row in profile_rows:
        row.case = {**{k: case[k] for k in ("model",) if k in case}, **row.case}
    return [main, *profile_rows], warnings


def _set_param(case: dict[str, Any], name: str, value: str, only_missing: bool = False) -> None:
    """A parameter echo line (`Num threads: [4]`) or a command-line flag (`--num_threads=4`)."""
    key = _PARAMS.get(name.lower())
    if key is None or (only_missing and key in case) or not value:
        return
    if key == "model":
        case["model"] = basename(value)
    elif key == "threads" and (t := to_int(value)) is not None:
        case["threads"] = t
    elif key in _FLAGS and value in ("0", "1", "true", "false"):
        case[key] = value in ("1", "true")
    elif key == "external_delegate":
        case["external_delegate"] = basename(value)


def _pair(metrics: dict[str, float], name: str, m: re.Match[str]) -> None:
    init, overall = num(m.group(1)), num(m.group(2))
    if init is not None:
        metrics[f"{name}_init_mb"] = init
    if overall is not None:
        metrics[f"{name}_mb"] = overall


def _profile_row(profile: str, header: list[str], cells: list[str]) -> Result | None:
    """One 'Summary by node type' row: [Node type] [count] [avg ms] [avg %] [cdf %] [mem KB]
    [times called]."""
    if len(cells) != len(header):
        return None
    row = dict(zip(header, cells))
    node = row.get("node type")
    avg = num(row.get("avg ms", ""))
    if not node or avg is None:
        return None
    metrics: dict[str, float] = {"op_avg_ms": avg}
    for column, key in (("avg %", "op_time_pct"), ("cdf %", "op_cdf_pct"),
                        ("mem kb", "op_mem_kb"), ("count", "op_count"),
                        ("times called", "op_times_called")):
        value = num(row.get(column, "").rstrip("%"))
        if value is not None:
            metrics[key] = value
    return Result(case={"profile": profile, "node_type": node}, metrics=metrics)
