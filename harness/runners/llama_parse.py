"""Parse llama.cpp benchmark output into `Result` rows (DESIGN.md "Runner").

Formats read (sources: llama.cpp `examples/llama-bench/README.md` 2023 and
`tools/llama-bench/README.md` 2025, `llama-bench.cpp` printers, `examples/simple/README.md`):

- llama-bench `-o md` (default): markdown table, old test names (`pp 512`, `tg 128`) and new
  ones (`pp512`, `tg128`, `pp4096+tg128`, `tg128@pp512`, `pp512 @ d1024`), `build:` footer;
- llama-bench `-o csv`, `-o json`, `-o jsonl`, `-o sql` (INSERT statements), both the 2023
  schema (cuda/opencl/metal flags, f16_kv, ...) and the 2025 one (backends, n_ubatch, n_depth);
- llama.cpp timing blocks: `llama_print_timings:` (old) and `llama_perf_context_print:` /
  `llama_perf_sampler_print:` (new).

Parsing is line/record based and tolerant: noise around or between records is skipped, and a
record that is cut off (no closing `|`, quote, `);` or `}`) is dropped rather than half-read.
"""

from __future__ import annotations

import csv
import json
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any, Iterator

from ..results import ParseError, Result

EXPECTED_FORMATS = (
    "llama-bench markdown table, csv, json, jsonl or sql output, or a llama.cpp timing block "
    "(llama_print_timings: / llama_perf_context_print:)"
)

__all__ = ["parse", "detect", "EXPECTED_FORMATS"]


# --------------------------------------------------------------------------- entry points


def parse(stdout: str, stderr: str = "") -> list[Result]:
    """All llama-bench rows and timing blocks found in `stdout` then `stderr`.

    Raises ParseError when neither text holds anything recognizable.
    """
    results = _parse_text(stdout) + _parse_text(stderr)
    if not results:
        raise ParseError(f"no llama.cpp output found: expected {EXPECTED_FORMATS}")
    return results


def detect(text: str) -> bool:
    """True when `text` holds at least one llama-bench row or llama.cpp timing block."""
    return bool(_parse_text(text))


def _parse_text(text: str) -> list[Result]:
    if not text:
        return []
    lines = _split_lines(text)
    return (_parse_markdown(lines) + _parse_csv(lines) + _parse_sql(lines)
            + _parse_json(text) + _parse_timings(lines))


def _split_lines(text: str) -> list[str]:
    """Lines with CRLF / bare CR normalized; an unterminated last line is kept."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --------------------------------------------------------------------------- value helpers

_NUM = r"[-+]?\d+(?:\.\d+)?"
_SIZE_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
               "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}
_COUNT_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}
_SIZE_RE = re.compile(rf"^({_NUM})\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)$")
_COUNT_RE = re.compile(rf"^({_NUM})\s*([KMBGT]?)$")


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,30}\s*", value):
        return int(value)
    return None


def _to_bool(value: Any) -> bool | str | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    return text or None


def _scaled(number: str, factor: int) -> int | None:
    try:
        return int((Decimal(number) * factor).to_integral_value())
    except (InvalidOperation, ValueError, OverflowError):
        return None


def parse_size(text: str) -> int | None:
    """'636.18 MiB' -> bytes (binary units are 1024-based)."""
    m = _SIZE_RE.match(text.strip())
    return _scaled(m.group(1), _SIZE_UNITS[m.group(2)]) if m else None


def parse_count(text: str) -> int | None:
    """'1.10 B' / '7 B' / '125.00 M' -> number of parameters."""
    m = _COUNT_RE.match(text.strip())
    return _scaled(m.group(1), _COUNT_UNITS[m.group(2)]) if m else None


def _number_list(value: Any) -> list[float] | None:
    """samples_ts as a JSON array or a csv/sql string such as '[1.0, 2.0]' or '1.0;2.0'."""
    if isinstance(value, list):
        out = [_to_float(v) for v in value]
    elif isinstance(value, str):
        if not re.fullmatch(rf"\s*\[?(\s*{_NUM}(?:[eE][-+]?\d+)?\s*[,; ]?)*\]?\s*", value):
            return None
        out = [_to_float(v) for v in re.findall(rf"{_NUM}(?:[eE][-+]?\d+)?", value)]
    else:
        return None
    if not out or any(v is None for v in out):
        return None
    return [v for v in out if v is not None]


# --------------------------------------------------------------------------- test names

_TEST_RE = re.compile(
    r"^(?:pp\s*(?P<pp>\d+)(?:\s*\+\s*tg\s*(?P<pg>\d+))?"
    r"|tg\s*(?P<tg>\d+)(?:\s*@\s*pp\s*(?P<gp>\d+))?)"
    r"(?:\s*@\s*d\s*(?P<depth>\d+))?$"
)


def test_name(n_prompt: int, n_gen: int, n_depth: int = 0, gen_after_prompt: bool = False) -> str:
    """llama-bench's own test label: pp512, tg128, pp512+tg128, tg128@pp512 (+ @d<depth>)."""
    if gen_after_prompt:
        name = f"tg{n_gen}@pp{n_prompt}"
    elif n_prompt > 0 and n_gen == 0:
        name = f"pp{n_prompt}"
    elif n_gen > 0 and n_prompt == 0:
        name = f"tg{n_gen}"
    else:
        name = f"pp{n_prompt}+tg{n_gen}"
    return f"{name}@d{n_depth}" if n_depth > 0 else name


def _parse_test(label: str) -> tuple[int, int, int, bool] | None:
    """'pp 512' / 'pp4096+tg128' / 'tg128@pp512' / 'pp512 @ d1024' -> (prompt, gen, depth, gp)."""
    m = _TEST_RE.match(label.strip())
    if not m:
        return None
    depth = int(m["depth"] or 0)
    if m["pp"] is not None:
        return int(m["pp"]), int(m["pg"] or 0), depth, False
    if m["gp"] is not None:
        return int(m["gp"]), int(m["tg"]), depth, True
    return 0, int(m["tg"]), depth, False


# --------------------------------------------------------------------------- shared row builder


def _bench_result(case: dict[str, Any], n_prompt: int, n_gen: int, n_depth: int, gp: bool,
                  ts: float, ts_std: float | None, avg_ns: float | None = None,
                  std_ns: float | None = None, samples_ts: list[float] | None = None) -> Result:
    case = {"model": case.pop("model", None), "test": test_name(n_prompt, n_gen, n_depth, gp),
            "n_prompt": n_prompt, "n_gen": n_gen, **case}
    if case["model"] is None:
        del case["model"]
    if n_depth > 0:
        case["n_depth"] = n_depth
    metrics: dict[str, float] = {"tokens_per_s": ts}
    if ts_std is not None:
        metrics["tokens_per_s_std"] = ts_std
    if n_gen == 0 and n_prompt > 0:
        metrics["prefill_tokens_per_s"] = ts
    elif n_gen > 0 and (n_prompt == 0 or gp):
        metrics["decode_tokens_per_s"] = ts
    if avg_ns is not None:
        metrics["latency_avg_ms"] = avg_ns / 1e6
    if std_ns is not None:
        metrics["latency_std_ms"] = std_ns / 1e6
    samples = {"tokens_per_s": samples_ts} if samples_ts else {}
    return Result(case=case, metrics=metrics, samples=samples)


# --------------------------------------------------------------------------- markdown

_MD_CASE_COLUMNS = {
    "model": "model", "backend": "backend", "threads": "threads", "n_threads": "threads",
    "ngl": "n_gpu_layers", "n_gpu_layers": "n_gpu_layers", "n_batch": "batch",
    "batch": "batch", "n_ubatch": "ubatch", "ubatch": "ubatch", "fa": "flash_attn",
    "flash_attn": "flash_attn", "type_k": "type_k", "type_v": "type_v",
}
_MD_INT_KEYS = {"threads", "n_gpu_layers", "batch", "ubatch"}
_BUILD_RE = re.compile(r"^\s*build:\s*([0-9a-fA-F]+)\s*\((\d+)\)\s*$")
_TS_CELL_RE = re.compile(rf"^({_NUM})(?:\s*(?:±|\+/-|\+-)\s*({_NUM}))?$")


def _md_cells(line: str) -> list[str] | None:
    s = line.strip()
    if len(s) < 2 or not (s.startswith("|") and s.endswith("|")):
        return None
    return [c.strip() for c in s[1:-1].split("|")]


def _is_md_header(cells: list[str]) -> bool:
    # MNN's llm_bench prints a look-alike table; its "modelSize" column tells it apart
    return "test" in cells and "t/s" in cells and "modelSize" not in cells


def _md_row(header: list[str], cells: list[str]) -> Result | None:
    if len(cells) != len(header):
        return None
    row = dict(zip(header, cells))
    test = _parse_test(row["test"])
    ts = _TS_CELL_RE.match(row["t/s"])
    if test is None or ts is None:
        return None
    case: dict[str, Any] = {}
    for column, key in _MD_CASE_COLUMNS.items():
        if column in row and row[column] != "":
            value: Any = row[column]
            if key in _MD_INT_KEYS:
                value = _to_int(value)
            elif key == "flash_attn":
                value = _to_bool(value)
            if value is not None:
                case[key] = value
    if "size" in row and (size := parse_size(row["size"])) is not None:
        case["model_size_bytes"] = size
    if "params" in row and (params := parse_count(row["params"])) is not None:
        case["model_n_params"] = params
    n_prompt, n_gen, depth, gp = test
    std = float(ts.group(2)) if ts.group(2) is not None else None
    return _bench_result(case, n_prompt, n_gen, depth, gp, float(ts.group(1)), std)


def _parse_markdown(lines: list[str]) -> list[Result]:
    """Tables are a header with `test` and `t/s` columns, then `|...|` rows; a `build:` footer
    line adds build_commit to the rows of the table above it."""
    results: list[Result] = []
    table: list[Result] = []
    header: list[str] | None = None

    def close_table(build: str | None) -> None:
        for r in table:
            if build is not None:
                r.case["build_commit"] = build
            results.append(r)
        table.clear()

    for line in lines:
        cells = _md_cells(line)
        if cells is not None:
            if _is_md_header(cells):
                close_table(None)
                header = cells
            elif header is not None and (row := _md_row(header, cells)) is not None:
                table.append(row)
            continue
        build = _BUILD_RE.match(line)
        if build and table:
            close_table(build.group(1))
            header = None
    close_table(None)
    return results


# --------------------------------------------------------------------------- structured rows

_BACKEND_FLAGS = (("cuda", "CUDA"), ("vulkan", "Vulkan"), ("kompute", "Kompute"),
                  ("metal", "Metal"), ("sycl", "SYCL"), ("opencl", "OpenCL"),
                  ("gpu_blas", "GPU BLAS"), ("blas", "BLAS"))


def _backend(fields: dict[str, Any]) -> str | None:
    """2025 schema: `backends`; 2023 schema: one boolean per backend."""
    for key in ("backends", "backend"):
        if isinstance(fields.get(key), str) and fields[key]:
            return str(fields[key])
    if not any(flag in fields for flag, _ in _BACKEND_FLAGS):
        return None
    for flag, name in _BACKEND_FLAGS:
        if _to_bool(fields.get(flag, False)) is True:
            return name
    return "CPU"


def _structured_row(fields: dict[str, Any]) -> Result | None:
    """One llama-bench record (csv/json/jsonl/sql), old or new schema, as a Result."""
    ts = _to_float(fields.get("avg_ts"))
    n_prompt = _to_int(fields.get("n_prompt"))
    n_gen = _to_int(fields.get("n_gen"))
    if ts is None or n_prompt is None or n_gen is None:
        return None
    case: dict[str, Any] = {}
    if isinstance(fields.get("model_type"), str):
        case["model"] = fields["model_type"]
    for src, key, conv in (("n_threads", "threads", _to_int),
                           ("n_gpu_layers", "n_gpu_layers", _to_int)):
        if (value := conv(fields.get(src))) is not None:
            case[key] = value
    if (backend := _backend(fields)) is not None:
        case["backend"] = backend
    for src, key in (("model_size", "model_size_bytes"), ("model_n_params", "model_n_params"),
                     ("n_batch", "batch"), ("n_ubatch", "ubatch")):
        if (value := _to_int(fields.get(src))) is not None:
            case[key] = value
    if "flash_attn" in fields and (fa := _to_bool(fields["flash_attn"])) is not None:
        case["flash_attn"] = fa
    for key in ("type_k", "type_v", "build_commit"):
        if isinstance(fields.get(key), str) and fields[key]:
            case[key] = fields[key]
    depth = _to_int(fields.get("n_depth")) or 0
    return _bench_result(case, n_prompt, n_gen, depth, False, ts,
                         _to_float(fields.get("stddev_ts")), _to_float(fields.get("avg_ns")),
                         _to_float(fields.get("stddev_ns")),
                         _number_list(fields.get("samples_ts")))


# --------------------------------------------------------------------------- csv

_CSV_HEADER_RE = re.compile(r"^[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)+$")


def _csv_fields(line: str) -> list[str] | None:
    try:
        rows = list(csv.reader([line], strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _parse_csv(lines: list[str]) -> list[Result]:
    """Header line of bare names containing avg_ts and n_prompt, then rows of the same width.
    llama-bench quotes every value, so a row is complete only if it ends with a quote."""
    results: list[Result] = []
    header: list[str] | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if _CSV_HEADER_RE.match(line):
            names = line.split(",")
            if "avg_ts" in names and "n_prompt" in names:
                header = names
            continue
        if header is None or "," not in line:
            continue
        terminated = i < len(lines) - 1
        if line.startswith('"') and not line.endswith('"'):
            continue
        if not line.startswith('"') and not terminated:
            continue
        values = _csv_fields(line)
        if values is None or len(values) != len(header):
            continue
        if (row := _structured_row(dict(zip(header, values)))) is not None:
            results.append(row)
    return results


# --------------------------------------------------------------------------- sql

_SQL_INSERT_RE = re.compile(r"INSERT\s+INTO\s+\w+\s*\(([\w\s,]+)\)\s*VALUES\s*\(", re.I)
_SQL_VALUE_RE = re.compile(r"\s*('(?:[^']|'')*'|[-+\w.]+|NULL)\s*([,)])", re.I)


def _sql_values(text: str, pos: int) -> list[str] | None:
    """Values from `pos` (just after `VALUES (`) up to `);`, or None if incomplete."""
    values: list[str] = []
    while True:
        m = _SQL_VALUE_RE.match(text, pos)
        if not m:
            return None
        token = m.group(1)
        values.append(token[1:-1].replace("''", "'") if token.startswith("'") else token)
        pos = m.end()
        if m.group(2) == ")":
            return values if text[pos:pos + 1] == ";" else None


def _parse_sql(lines: list[str]) -> list[Result]:
    """`INSERT INTO test (cols) VALUES ('v', ...);` statements, one per line."""
    results: list[Result] = []
    for line in lines:
        m = _SQL_INSERT_RE.search(line)
        if not m:
            continue
        columns = [c.strip() for c in m.group(1).split(",")]
        values = _sql_values(line, m.end())
        if values is None or len(values) != len(columns):
            continue
        if (row := _structured_row(dict(zip(columns, values)))) is not None:
            results.append(row)
    return results


# --------------------------------------------------------------------------- json / jsonl

_JSON_OBJECT_START = re.compile(r"\{\s*\"")


def _bench_dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "avg_ts" in value:
            yield value
        else:
            for v in value.values():
                yield from _bench_dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _bench_dicts(v)


def _parse_json(text: str) -> list[Result]:
    """Every complete JSON object in the text: a `-o json` array (even cut off), `-o jsonl`
    lines, or objects embedded in log noise."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    decoder = json.JSONDecoder()
    results: list[Result] = []
    pos = 0
    while (m := _JSON_OBJECT_START.search(text, pos)) is not None:
        try:
            value, end = decoder.raw_decode(text, m.start())
        except (ValueError, RecursionError):
            pos = m.start() + 1
            continue
        for fields in _bench_dicts(value):
            if (row := _structured_row(fields)) is not None:
                results.append(row)
        pos = end
    return results


# --------------------------------------------------------------------------- timing blocks

_TIMING_RE = re.compile(
    r"(?:llama_print_timings|llama_perf_\w+_print|common_perf_print)\s*:\s*"
    rf"(?P<name>load time|sample time|sampling time|prompt eval time|eval time|total time)"
    rf"\s*=\s*(?P<ms>{_NUM})\s*ms"
    r"(?:\s*/\s*(?P<count>\d+)\s*(?:tokens|runs))?"
    rf"(?:\s*\(\s*(?P<mspt>{_NUM})\s*ms per token(?:,\s*(?P<tps>{_NUM})\s*tokens per second)?\))?"
    r"\s*$"
)
_GENERAL_NAME_RE = re.compile(r"general\.name\s+str\s*=\s*(\S.*?)\s*$")
_MODEL_FILE_RE = re.compile(r"llama_model_loader: loaded meta data .* from (\S+)")


def _timing_model(lines: list[str]) -> str | None:
    """Model name from the loader log, if it is there (complete lines only)."""
    for line in lines[:-1]:
        if m := _GENERAL_NAME_RE.search(line):
            return m.group(1)
    for line in lines[:-1]:
        if m := _MODEL_FILE_RE.search(line):
            return PurePath(m.group(1)).name
    return None


def _timing_metrics(entries: dict[str, re.Match[str]]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name, prefix in (("prompt eval time", "prefill"), ("eval time", "decode")):
        m = entries.get(name)
        if m is None:
            continue
        ms, count = float(m["ms"]), int(m["count"]) if m["count"] else None
        if m["tps"] is not None:
            metrics[f"{prefix}_tokens_per_s"] = float(m["tps"])
        elif count and ms > 0:
            metrics[f"{prefix}_tokens_per_s"] = count * 1000.0 / ms
        if m["mspt"] is not None:
            metrics[f"{prefix}_ms_per_token"] = float(m["mspt"])
    if "load time" in entries:
        metrics["init_ms"] = float(entries["load time"]["ms"])
    return metrics


def _parse_timings(lines: list[str]) -> list[Result]:
    """`llama_print_timings:` / `llama_perf_context_print:` blocks; a line name seen twice
    starts a new block. Tokens/s is read from the line, or computed from `ms / N tokens` on
    builds that print only "ms per token"."""
    blocks: list[dict[str, re.Match[str]]] = []
    current: dict[str, re.Match[str]] = {}
    for i, line in enumerate(lines):
        m = _TIMING_RE.search(line)
        if not m:
            continue
        if i == len(lines) - 1 and m["count"] and m["tps"] is None:
            continue  # unterminated last line, maybe cut before its "(... per second)" part
        name = "sample time" if m["name"] == "sampling time" else m["name"]
        if name in current:
            blocks.append(current)
            current = {}
        current[name] = m
    if current:
        blocks.append(current)
    case: dict[str, Any] = {"source": "llama_timings"}
    if (model := _timing_model(lines)) is not None:
        case["model"] = model
    results = []
    for block in blocks:
        if metrics := _timing_metrics(block):
            results.append(Result(case=dict(case), metrics=metrics))
    return results
