"""harness.runners.mlc_parse on every MLC LLM sample plus the verbose stats form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from harness.results import ParseError
from harness.runners.mlc_parse import parse
from sample_helpers import expected, sample, samples, text

ALL = samples("mlc_llm")


def test_every_sample_is_covered() -> None:
    assert len(ALL) == 2


def test_jetson_containers_benchmark_summary() -> None:
    path = sample("mlc_llm", "jetson_containers_mlc_benchmark_py_agx_orin32")
    exp = expected(path)
    (row,) = parse(text(path))
    assert row.case == {"model": "Llama-2-7b-chat-hf-q4f16_ft", "model_path": exp["model_path"],
                        "source": "benchmark.py", "n_prompt": exp["input_tokens"],
                        "n_gen": exp["output_tokens"]}
    assert row.metrics == {
        "prefill_tokens_per_s": exp["prefill_rate_tok_s"],
        "decode_tokens_per_s": exp["decode_rate_tok_s"],
        "prefill_ms": float(Decimal(str(exp["prefill_time_s"])) * 1000),
        "decode_ms": float(Decimal(str(exp["decode_time_s"])) * 1000)}
    assert row.metrics["prefill_ms"] == 81.0 and row.metrics["decode_ms"] == 6632.0


def test_chat_cli_stats_session() -> None:
    path = sample("mlc_llm", "mlc_chat_cli_rocm_7900xtx_stats_session")
    exp = expected(path)
    (row,) = parse(text(path))
    assert row.case == {"model": exp["model"], "source": "stats"}
    assert row.metrics == {"prefill_tokens_per_s": exp["prefill_tok_s"],
                           "decode_tokens_per_s": exp["decode_tok_s"]}


VERBOSE = """$ mlc_llm bench dist/Llama-2-7b-chat-hf-q4f16_1 --device cuda
Statistics:
----------- prefill -----------
throughput: 216.6 tok/s
total tokens: 15 tok
total time: 0.069 s
------------ decode ------------
throughput: 107.5 tok/s
total tokens: 354 tok
total time: 3.293 s
"""


def test_verbose_stats_sections() -> None:
    (row,) = parse(VERBOSE)
    assert row.case == {"model": "Llama-2-7b-chat-hf-q4f16_1", "source": "verbose_stats",
                        "n_prompt": 15, "n_gen": 354}
    assert row.metrics == {"prefill_tokens_per_s": 216.6, "prefill_ms": 69.0,
                           "decode_tokens_per_s": 107.5, "decode_ms": 3293.0}
    assert row.warnings == []


def test_verbose_stats_cut_before_decode_warns() -> None:
    (row,) = parse(VERBOSE[: VERBOSE.index("------------ decode")])
    assert row.metrics == {"prefill_tokens_per_s": 216.6, "prefill_ms": 69.0}
    assert any("no decode section" in w for w in row.warnings)


def test_several_stats_lines_are_several_rows() -> None:
    rows = parse("prefill: 216 tok/s, decode: 107.5 tok/s\nprefill: 220.1 tok/s, decode: 108 tok/s\n")
    assert [r.metrics["decode_tokens_per_s"] for r in rows] == [107.5, 108.0]


def test_nothing_is_parse_error() -> None:
    with pytest.raises(ParseError, match="MLC"):
        parse("[INST]: Hi\n[/INST]: Hello!\n")
