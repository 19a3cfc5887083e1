"""harness.runners.mnn_parse on every MNN sample (benchmark.out 2019 formats, llm_bench table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.results import ParseError
from harness.runners.llama_parse import parse_size
from harness.runners.mnn_parse import parse
from sample_helpers import expected, sample, samples, text

ALL = samples("mnn")
BENCH = [p for p in ALL if not p.name.startswith("llm_bench")]


def test_every_sample_is_covered() -> None:
    assert len(ALL) == 3 and len(BENCH) == 2


@pytest.mark.parametrize("path", BENCH, ids=[p.stem for p in BENCH])
def test_benchmark_out_rows_match_meta(path: Path) -> None:
    exp = expected(path)
    want = []
    for run in exp["runs"]:
        head = {"forward_type": run["forward_type"]}
        for key in ("threads", "precision"):
            if key in run:
                head[key] = run[key]
        head["loop"] = run["loop"]
        for model in run["models"]:
            want.append(({"model": model["model"], **head},
                         {"latency_max_ms": model["max_ms"], "latency_min_ms": model["min_ms"],
                          "latency_avg_ms": model["avg_ms"]}))
    rows = parse(text(path))
    assert len(exp["runs"]) == exp["num_runs"]
    assert [(r.case, r.metrics) for r in rows] == want


def test_llm_bench_table_matches_meta() -> None:
    path = sample("mnn", "llm_bench_doc_example_metal_qwen3_0_6b")
    rows = parse(text(path))
    exp = expected(path)["rows"]
    assert len(rows) == len(exp) == 3
    for row, e in zip(rows, exp):
        c, m = row.case, row.metrics
        assert (c["model"], c["backend"], c["threads"], c["precision"], c["test"]) == (
            e["model"], e["backend"], e["threads"], e["precision"], e["test"])
        assert c["model_size_bytes"] == parse_size(e["modelSize"])
        if "speed_mean" in e:
            kind = "prefill" if e["test"].startswith("pp") else "decode"
            assert m["tokens_per_s"] == m[f"{kind}_tokens_per_s"] == e["speed_mean"]
            assert m["tokens_per_s_std"] == m[f"{kind}_tokens_per_s_std"] == e["speed_stddev"]
        else:
            assert m == {"prefill_tokens_per_s": e["prefill_mean"],
                         "prefill_tokens_per_s_std": e["prefill_stddev"],
                         "decode_tokens_per_s": e["decode_mean"],
                         "decode_tokens_per_s_std": e["decode_stddev"]}
    assert (rows[2].case["n_prompt"], rows[2].case["n_gen"]) == (512, 128)


def test_newer_header_spaced_ms_and_mnn_log_lines_skipped() -> None:
    out = ("MNN benchmark\nThe device support i8sdot:1, support fp16:1, support i8mm: 0\n"
           "Forward type: CPU thread=4 precision=2 sparsity=0 sparseBlockOC=1 testQuantizedModel=0\n"
           "--------> Benchmarking... loop = 10, warmup = 5\n"
           "(cannot open some file)\n"
           "[ - ] mobilenet-v1.mnn    max =   28.616 ms  min =   28.278 ms  avg =   28.426 ms\n")
    (row,) = parse(out)
    assert row.case == {"model": "mobilenet-v1.mnn", "forward_type": "CPU", "threads": 4,
                        "precision": 2, "sparsity": 0, "sparseBlockOC": 1,
                        "testQuantizedModel": 0, "loop": 10, "warmup": 5}
    assert row.metrics == {"latency_max_ms": 28.616, "latency_min_ms": 28.278,
                           "latency_avg_ms": 28.426}


def test_llm_demo_speed_block() -> None:
    out = ("#################################\n total tokens num  = 40\nprompt tokens num  = 8\n"
           "output tokens num  = 32\n  total time = 1.20 s\nprefill time = 0.10 s\n"
           " decode time = 1.10 s\n  total speed = 33.33 tok/s\nprefill speed = 80.00 tok/s\n"
           " decode speed = 29.09 tok/s\n   chat speed = 26.67 tok/s\n"
           "##################################\n")
    (row,) = parse(out)
    assert row.case == {"source": "llm_demo", "n_prompt": 8, "n_gen": 32}
    assert row.metrics == {"tokens_per_s": 33.33, "prefill_tokens_per_s": 80.0,
                           "decode_tokens_per_s": 29.09, "chat_tokens_per_s": 26.67}


def test_block_without_rows_warns() -> None:
    full = text(sample("mnn", "huawei_p10_cpu_vulkan_2019"))
    cut = full[: full.rindex("[ - ] vgg16.mnn")]
    rows = parse(cut)
    assert len(rows) == 6 and any("no model results" in w for w in rows[-1].warnings)


def test_nothing_is_parse_error() -> None:
    with pytest.raises(ParseError, match="MNN"):
        parse("MNN benchmark\nForward type: **CPU**\n")
