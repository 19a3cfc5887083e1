"""Parse MNN `benchmark.out` and `llm_bench` output into `Result` rows (DESIGN.md "Runner").

Formats (tool: alibaba/MNN `benchmark/benchmark.cpp`, `transformers/llm/engine/tools/
llm_bench.cpp`, `transformers/llm/engine/src/llm.cpp` print_speed; examples in
`benchmark/result/*.md` and `docs/transformers/llm.md`):

- benchmark.out: `MNN benchmark`, `Forward type: **CPU** thread=4** precision=2` (2019-02 has
  no thread/precision; newer builds drop the `**` and add sparsity=.. etc.),
  `--------> Benchmarking... loop = 50[, warmup = 10]`, then one line per model
  `[ - ] name.mnn  max = X ms  min = Y ms  avg = Z ms` (max first; `ms` glued or spaced);
- llm_bench: a markdown table with columns model, modelSize, backend, threads, precision,
  test, `speed(tok/s)`; `pp512` / `tg128` rows carry `mean ± std`, `pp512+tg128` rows carry
  prefill and decode joined by `<br>`;
- llm_demo / cli_demo `print_speed` block: `prefill speed = X tok/s`, `decode speed = Y tok/s`.

MNN's own log lines (`The device support i8sdot:...`, `Can't open file`, backend messages)
between these are skipped.
"""

from __future__ import annotations

import re
from typing import Any

from ..results import Result
from .llama_parse import parse_size
from .textparse import NUM, basename, lines_of, num, parse_streams, to_int

__all__ = ["parse", "EXPECTED_FORMATS"]

EXPECTED_FORMATS = ("MNN benchmark.out output (Forward type: ..., '[ - ] model.mnn max = .. "
                    "min = .. avg = ..'), an llm_bench table or an llm_demo speed block")

_FORWARD = re.compile(r"^\s*Forward type:\s*\**\s*([A-Za-z0-9_]+)\s*\**(.*)$")
_FORWARD_KV = re.compile(r"(\w+)=([-\w.]+)")
_LOOP = re.compile(r"^\s*-*>?\s*Benchmarking\.\.\.\s*loop\s*=\s*(\d+)(?:\s*,\s*warmup\s*=\s*(\d+))?")
_ROW = re.compile(rf"^\s*\[\s*-\s*\]\s*(\S+)\s+max\s*=\s*({NUM})\s*ms\s+min\s*=\s*({NUM})\s*ms"
                  rf"\s+avg\s*=\s*({NUM})\s*ms\s*$")
_SPEED = re.compile(rf"^\s*(prefill|decode|total|chat) speed\s*=\s*({NUM})\s*tok/s\s*$")
_TOKENS = re.compile(r"^\s*(prompt|output) tokens num\s*=\s*(\d+)\s*$")
_MEAN_STD = re.compile(rf"^({NUM})(?:\s*±\s*({NUM}))?$")
_TEST = re.compile(r"^(?:pp(\d+))?(?:\+)?(?:tg(\d+))?$")


def parse(stdout: str, stderr: str = "") -> list[Result]:
    return parse_streams(stdout, stderr, _parse_text,
                         f"no MNN benchmark results found: expected {EXPECTED_FORMATS}")


def _parse_text(text: str) -> tuple[list[Result], list[str]]:
    lines, warnings = lines_of(text)
    results: list[Result] = []
    block: dict[str, Any] | None = None
    rows_in_block = 0
    table: list[str] | None = None
    demo: dict[str, float] = {}
    demo_tokens: dict[str, int] = {}

    def close_block() -> None:
        if block is not None and rows_in_block == 0 and "loop" in block:
            warnings.append(f"MNN benchmark block (forward_type={block.get('forward_type')}) "
                            "has no model results (output cut off?)")

    def close_demo() -> None:
        if demo:
            case: dict[str, Any] = {"source": "llm_demo"}
            case.update({f"n_{'prompt' if k == 'prompt' else 'gen'}": v
                         for k, v in demo_tokens.items()})
            results.append(Result(case=case, metrics=dict(demo)))
            demo.clear()
            demo_tokens.clear()

    for line in lines:
        if m := _FORWARD.match(line):
            close_block()
            block = {"forward_type": m.group(1)}
            for key, value in _FORWARD_KV.findall(m.group(2).replace("*", " ")):
                key = "threads" if key == "thread" else key
                block[key] = int(value) if to_int(value) is not None else value
            rows_in_block = 0
            continue
        if (m := _LOOP.match(line)) and block is not None:
            block["loop"] = int(m.group(1))
            if m.group(2):
                block["warmup"] = int(m.group(2))
            continue
        if (m := _ROW.match(line)) and block is not None:
            metrics = {}
            for key, group in (("latency_max_ms", 2), ("latency_min_ms", 3),
                               ("latency_avg_ms", 4)):
                if (v := num(m.group(group))) is not None:
                    metrics[key] = v
            if len(metrics) == 3:
                results.append(Result(case={"model": basename(m.group(1)), **block},
                                      metrics=metrics))
                rows_in_block += 1
            continue
        if cells := _md_cells(line):
            if "modelSize" in cells and any(c.startswith("speed") for c in cells):
                table = cells
            elif table is not None and (row := _llm_row(table, cells)) is not None:
                results.append(row)
            continue
        if m := _TOKENS.match(line):
            if m.group(1) in demo_tokens:
                close_demo()
            demo_tokens[m.group(1)] = int(m.group(2))
            continue
        if m := _SPEED.match(line):
            key = {"prefill": "prefill_tokens_per_s", "decode": "decode_tokens_per_s",
                   "total": "tokens_per_s", "chat": "chat_tokens_per_s"}[m.group(1)]
            if key in demo:
                close_demo()
            if (v := num(m.group(2))) is not None:
                demo[key] = v
            continue
    close_block()
    close_demo()
    return results, warnings


def _md_cells(line: str) -> list[str] | None:
    s = line.strip()
    if len(s) < 2 or not (s.startswith("|") and s.endswith("|")):
        return None
    return [c.strip() for c in s[1:-1].split("|")]


def _llm_row(header: list[str], cells: list[str]) -> Result | None:
    if len(cells) != len(header):
        return None
    row = dict(zip(header, cells))
    speed_col = next(c for c in header if c.startswith("speed"))
    test = row.get("test", "")
    t = _TEST.match(test.replace(" ", ""))
    if not test or t is None or (t.group(1) is None and t.group(2) is None):
        return None
    n_prompt, n_gen = int(t.group(1) or 0), int(t.group(2) or 0)
    parts = [_MEAN_STD.match(p.strip()) for p in row[speed_col].split("<br>")]
    if not parts or any(p is None for p in parts):
        return None
    values = [(num(p.group(1)), num(p.group(2)) if p.group(2) else None) for p in parts if p]
    case: dict[str, Any] = {"model": row.get("model", ""), "test": test,
                            "n_prompt": n_prompt, "n_gen": n_gen}
    if (size := parse_size(row.get("modelSize", ""))) is not None:
        case["model_size_bytes"] = size
    for key in ("backend", "precision"):
        if row.get(key):
            case[key] = row[key]
    if (threads := to_int(row.get("threads", ""))) is not None:
        case["threads"] = threads
    metrics: dict[str, float] = {}
    if n_prompt and n_gen:
        if len(values) != 2:
            return None
        names = ("prefill", "decode")
    elif len(values) == 1:
        names = ("prefill",) if n_prompt else ("decode",)
        mean, std = values[0]
        if mean is not None:
            metrics["tokens_per_s"] = mean
        if std is not None:
            metrics["tokens_per_s_std"] = std
    else:
        return None
    for name, (mean, std) in zip(names, values):
        if mean is not None:
            metrics[f"{name}_tokens_per_s"] = mean
        if std is not None:
            metrics[f"{name}_tokens_per_s_std"] = std
    return Result(case=case, metrics=metrics) if metrics else None
