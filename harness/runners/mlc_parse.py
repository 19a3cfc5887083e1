"""Parse MLC LLM benchmark and chat statistics output into `Result` rows (DESIGN.md "Runner").

Formats (tool: mlc-ai/mlc-llm `cpp/llm_chat.cc` RuntimeStatsText / VerboseRuntimeStatsText,
`python/mlc_llm/cli/bench.py`, jetson-containers `packages/llm/mlc/benchmark.py`):

- chat `/stats` and `ChatModule.stats()`: `prefill: 507.3 tok/s, decode: 92.0 tok/s`;
- verbose stats (printed by `mlc_llm bench` after `Statistics:`): a `---- prefill ----`
  section and a `---- decode ----` section, each with `throughput: X tok/s`,
  `total tokens: N tok` and (newer) `total time: T s`;
- jetson-containers benchmark.py summary: `<model>:  input=16 output=128 prefill_time 0.081 sec,
  prefill_rate 197.0 tokens/sec, decode_time 6.632 sec, decode_rate 19.3 tokens/sec`.

The model is taken from the command line (`--local-id X`, `--model X`) or the "Use MLC
config: .../<model>/params/mlc-chat-config.json" line when the session shows it.
"""

from __future__ import annotations

import re
from typing import Any

from ..results import Result
from .textparse import NUM, lines_of, num, parse_streams, scaled

__all__ = ["parse", "EXPECTED_FORMATS"]

EXPECTED_FORMATS = ("MLC LLM stats ('prefill: X tok/s, decode: Y tok/s' or the verbose "
                    "prefill/decode sections) or a benchmark.py prefill_rate/decode_rate summary")

_STATS = re.compile(rf"prefill:\s*({NUM})\s*tok/s,\s*decode:\s*({NUM})\s*tok/s\s*$")
_SECTION = re.compile(r"^\s*-{3,}\s*(prefill|decode)\s*-{3,}\s*$")
_THROUGHPUT = re.compile(rf"^\s*throughput:\s*({NUM})\s*tok/s\s*$")
_TOTAL_TOKENS = re.compile(r"^\s*total tokens:\s*(\d+)\s*tok\s*$")
_TOTAL_TIME = re.compile(rf"^\s*total time:\s*({NUM})\s*s\s*$")
_SUMMARY = re.compile(
    rf"^\s*(?:(\S.*?):\s+)?input=(\d+)\s+output=(\d+)\s+prefill_time\s+({NUM})\s*sec,"
    rf"\s*prefill_rate\s+({NUM})\s*tokens/sec,\s*decode_time\s+({NUM})\s*sec,"
    rf"\s*decode_rate\s+({NUM})\s*tokens/sec\s*$")
_MODEL_FLAG = re.compile(r"(?:mlc_chat_cli|mlc_chat|mlc_llm)\b.*?--(?:local-id|model)[ =](\S+)")
_MODEL_POS = re.compile(r"\bmlc_llm\s+(?:bench|chat)\s+(?!-)(\S+)")
_CONFIG = re.compile(r'Use MLC config:\s*"?(.*?)"?\s*$')


def parse(stdout: str, stderr: str = "") -> list[Result]:
    return parse_streams(stdout, stderr, _parse_text,
                         f"no MLC LLM statistics found: expected {EXPECTED_FORMATS}")


def _model_name(path: str) -> str:
    """`.../dist/<model>/params/mlc-chat-config.json` or `.../<model>/params` -> <model>."""
    parts = [p for p in re.split(r"[\\/]", path.strip().strip('"')) if p]
    if parts and parts[-1].endswith(".json"):
        parts.pop()
    if parts and parts[-1] == "params":
        parts.pop()
    return parts[-1] if parts else path


def _parse_text(text: str) -> tuple[list[Result], list[str]]:
    lines, warnings = lines_of(text)
    results: list[Result] = []
    model: str | None = None
    section: str | None = None
    verbose: dict[str, float] = {}
    verbose_case: dict[str, Any] = {}

    def base() -> dict[str, Any]:
        return {"model": model} if model else {}

    def close_verbose() -> None:
        if verbose:
            if "decode_tokens_per_s" not in verbose:
                warnings.append("MLC statistics have a prefill section but no decode section "
                                "(output cut off?)")
            results.append(Result(case={**base(), "source": "verbose_stats", **verbose_case},
                                  metrics=dict(verbose)))
            verbose.clear()
            verbose_case.clear()

    for line in lines:
        if model is None:
            if m := _MODEL_FLAG.search(line) or _MODEL_POS.search(line):
                model = _model_name(m.group(1))
                continue
            if m := _CONFIG.search(line):
                model = _model_name(m.group(1))
                continue
        if m := _STATS.search(line):
            close_verbose()
            prefill, decode = num(m.group(1)), num(m.group(2))
            metrics = {k: v for k, v in (("prefill_tokens_per_s", prefill),
                                         ("decode_tokens_per_s", decode)) if v is not None}
            if metrics:
                results.append(Result(case={**base(), "source": "stats"}, metrics=metrics))
            continue
        if m := _SECTION.match(line):
            section = m.group(1)
            if section == "prefill":
                close_verbose()
            continue
        if section is not None:
            if m := _THROUGHPUT.match(line):
                if (v := num(m.group(1))) is not None:
                    verbose[f"{section}_tokens_per_s"] = v
                continue
            if m := _TOTAL_TOKENS.match(line):
                verbose_case["n_prompt" if section == "prefill" else "n_gen"] = int(m.group(1))
                continue
            if m := _TOTAL_TIME.match(line):
                if (v := scaled(m.group(1), 1000)) is not None:
                    verbose[f"{section}_ms"] = v
                continue
        if m := _SUMMARY.match(line):
            close_verbose()
            case = base()
            if m.group(1):
                case = {"model": _model_name(m.group(1)), "model_path": m.group(1)}
            case.update({"source": "benchmark.py", "n_prompt": int(m.group(2)),
                         "n_gen": int(m.group(3))})
            metrics = {}
            for key, group, factor in (("prefill_ms", 4, 1000), ("prefill_tokens_per_s", 5, 1),
                                       ("decode_ms", 6, 1000), ("decode_tokens_per_s", 7, 1)):
                if (v := scaled(m.group(group), factor)) is not None:
                    metrics[key] = v
            results.append(Result(case=case, metrics=metrics))
            continue
    close_verbose()
    return results, warnings
