"""harness.runners.llama_parse on the real captured outputs in ../shared/samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.results import ParseError, Result
from harness.runners.llama_parse import detect, parse, parse_count, parse_size

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
BENCH = sorted((SAMPLES / "llama_bench").glob("*.txt"))
TIMINGS = sorted((SAMPLES / "llama_timings").glob("*.txt"))
ALL = BENCH + TIMINGS
OTHER = sorted(p for p in SAMPLES.glob("*/*.txt") if p.parent.name not in
               ("llama_bench", "llama_timings"))

MD_CASE = {"ngl": "n_gpu_layers", "threads": "threads"}


def test_samples_are_there() -> None:
    # no skipping: a missing samples folder is a broken checkout, not an optional feature
    assert SAMPLES.is_dir(), f"samples folder missing: {SAMPLES}"
    assert len(BENCH) >= 6 and len(TIMINGS) >= 3


def _meta(path: Path) -> dict[str, Any]:
    return json.loads(path.with_suffix(".meta.json").read_text())


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _canon_test(name: str) -> str:
    return name.replace(" ", "")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


# --------------------------------------------------------------------------- expected numbers


def _check_markdown_row(result: Result, row: dict[str, Any]) -> None:
    c, m = result.case, result.metrics
    assert c["model"] == row["model"]
    assert c["test"] == _canon_test(row["test"])
    assert c["backend"] == row["backend"]
    assert c["model_size_bytes"] == parse_size(row["size"])
    assert c["model_n_params"] == parse_count(row["params"])
    for column, key in MD_CASE.items():
        if column in row:
            assert c[key] == int(row[column])
    assert m["tokens_per_s"] == row["ts_mean"]
    assert m["tokens_per_s_std"] == row["ts_stddev"]


def _check_structured_row(result: Result, row: dict[str, Any]) -> None:
    c, m = result.case, result.metrics
    assert c["model"] == row["model_type"]
    assert c["n_prompt"] == int(row["n_prompt"])
    assert c["n_gen"] == int(row["n_gen"])
    assert c["threads"] == int(row["n_threads"])
    assert c["n_gpu_layers"] == int(row["n_gpu_layers"])
    assert c["model_size_bytes"] == int(row["model_size"])
    assert c["model_n_params"] == int(row["model_n_params"])
    assert c["batch"] == int(row["n_batch"])
    assert c["build_commit"] == row["build_commit"]
    if "n_ubatch" in row:
        assert c["ubatch"] == int(row["n_ubatch"])
    for key in ("type_k", "type_v"):
        if key in row:
            assert c[key] == row[key]
    if "flash_attn" in row:
        assert c["flash_attn"] is bool(row["flash_attn"])
    assert m["tokens_per_s"] == float(row["avg_ts"])
    assert m["tokens_per_s_std"] == float(row["stddev_ts"])
    assert m["latency_avg_ms"] == int(row["avg_ns"]) / 1e6
    if "samples_ts" in row:
        assert result.samples == {"tokens_per_s": [float(v) for v in row["samples_ts"]]}
    else:
        assert result.samples == {}


def _check_phase_metrics(result: Result) -> None:
    c, m = result.case, result.metrics
    if c["n_gen"] == 0:
        assert m["prefill_tokens_per_s"] == m["tokens_per_s"]
        assert "decode_tokens_per_s" not in m
    elif c["n_prompt"] == 0:
        assert m["decode_tokens_per_s"] == m["tokens_per_s"]
        assert "prefill_tokens_per_s" not in m
    else:
        assert "prefill_tokens_per_s" not in m and "decode_tokens_per_s" not in m


@pytest.mark.parametrize("path", BENCH, ids=_ids(BENCH))
def test_llama_bench_sample_matches_meta(path: Path) -> None:
    rows = _meta(path)["expected"]["rows"]
    results = parse(_text(path))
    assert len(results) == len(rows)
    for result, row in zip(results, rows):
        if "ts_mean" in row:
            _check_markdown_row(result, row)
        else:
            _check_structured_row(result, row)
        _check_phase_metrics(result)


@pytest.mark.parametrize("path", TIMINGS, ids=_ids(TIMINGS))
def test_timing_sample_matches_meta(path: Path) -> None:
    timings = {t["metric"]: t for t in _meta(path)["expected"]["timings"]}
    [result] = parse("", _text(path))  # llama-cli prints its timings on stderr
    assert result.case["source"] == "llama_timings"
    m = result.metrics
    assert m["init_ms"] == timings["load time"]["ms"]
    assert m["prefill_tokens_per_s"] == timings["prompt eval time"]["tokens_per_second"]
    assert m["prefill_ms_per_token"] == timings["prompt eval time"]["ms_per_token"]
    assert m["decode_tokens_per_s"] == timings["eval time"]["tokens_per_second"]
    assert m["decode_ms_per_token"] == timings["eval time"]["ms_per_token"]


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_detect_samples(path: Path) -> None:
    assert detect(_text(path))


@pytest.mark.parametrize("path", OTHER, ids=_ids(OTHER))
def test_other_runners_are_not_llama(path: Path) -> None:
    assert not detect(_text(path))
    with pytest.raises(ParseError, match="markdown table, csv, json, jsonl or sql"):
        parse(_text(path))


# --------------------------------------------------------------------------- hand-written values


def test_markdown_pg_row_exact() -> None:
    results = parse(_text(SAMPLES / "llama_bench" / "radxa_dragon_q8b_cpu_md_pg.txt"))
    pg = results[3]
    assert pg.case == {"model": "llama 1B Q4_K - Medium", "test": "pp4096+tg128",
                       "n_prompt": 4096, "n_gen": 128, "threads": 8, "backend": "CPU",
                       "model_size_bytes": 667083080, "model_n_params": 1_100_000_000}
    assert pg.metrics == {"tokens_per_s": 116.17, "tokens_per_s_std": 0.01}
    assert results[2].metrics == {"tokens_per_s": 38.81, "tokens_per_s_std": 0.40,
                                  "decode_tokens_per_s": 38.81}


def test_markdown_old_test_names_normalized() -> None:
    results = parse(_text(SAMPLES / "llama_bench" / "readme2023_ngl_sweep_md_old_testnames.txt"))
    assert [r.case["test"] for r in results[:2]] == ["pp512", "tg128"]
    assert results[0].case["n_prompt"] == 512 and results[1].case["n_gen"] == 128
    assert results[-2].case["n_gpu_layers"] == 35
    assert results[-2].metrics["prefill_tokens_per_s"] == 2400.01
    assert results[0].case["model_size_bytes"] == 3822520893  # 3.56 GiB
    assert results[0].case["model_n_params"] == 6_740_000_000


def test_json_old_schema_exact() -> None:
    pp, tg = parse(_text(SAMPLES / "llama_bench" / "readme2023_json_old_schema.txt"))
    assert pp.case["backend"] == "CUDA" and pp.case["test"] == "pp512"
    assert pp.metrics["tokens_per_s"] == 2410.974041
    assert pp.metrics["latency_avg_ms"] == pytest.approx(212.365953)
    assert tg.samples["tokens_per_s"] == [130.019, 131.295, 129.362, 131.86, 132.293]
    assert tg.metrics["decode_tokens_per_s"] == 130.965708


def test_sql_and_jsonl_new_schema_exact() -> None:
    pp, tg = parse(_text(SAMPLES / "llama_bench" / "readme2025_b5163_sql.txt"))
    assert tg.case["test"] == "tg128" and tg.case["ubatch"] == 512
    assert tg.metrics["tokens_per_s"] == 120.346696 and tg.case["flash_attn"] is False
    jpp, jtg = parse(_text(SAMPLES / "llama_bench" / "readme2025_b5163_jsonl.txt"))
    assert jpp.case == pp.case  # same schema via two printers -> same case
    assert jpp.metrics["tokens_per_s"] == 7263.609157


def test_timings_exact() -> None:
    [r] = parse(_text(SAMPLES / "llama_timings" / "orangepi3b_rk3566_llama_cli_perf.txt"))
    assert r.metrics == {"init_ms": 4450.58, "prefill_tokens_per_s": 1.88,
                         "prefill_ms_per_token": 530.71, "decode_tokens_per_s": 1.02,
                         "decode_ms_per_token": 984.04}


@pytest.mark.parametrize("text,expected", [
    ("636.18 MiB", 667083080), ("3.56 GiB", 3822520893), ("512.00 KiB", 524288),
    ("1.10 B", 1_100_000_000), ("7 B", 7_000_000_000), ("125.00 M", 125_000_000),
])
def test_sizes_and_counts(text: str, expected: int) -> None:
    assert (parse_size(text) if "i" in text else parse_count(text)) == expected


def test_new_markdown_variants() -> None:
    text = (
        "| model | size | params | backend | ngl | n_ubatch | fa | test | t/s |\n"
        "| --- | ---: | ---: | --- | --: | --: | -: | ---: | ---: |\n"
        "| qwen2 7B Q4_K - Medium | 4.36 GiB | 7.62 B | CUDA | 99 | 512 | 1 | pp512 @ d1024 | 7000.10 ± 9.00 |\n"
        "| qwen2 7B Q4_K - Medium | 4.36 GiB | 7.62 B | CUDA | 99 | 512 | 1 | tg128@pp512 | 118.00 ± 0.50 |\n"
        "\nbuild: 8cf427ff (5163)\n"
    )
    a, b = parse(text)
    assert a.case["test"] == "pp512@d1024" and a.case["n_depth"] == 1024
    assert a.case["flash_attn"] is True and a.case["ubatch"] == 512
    assert a.case["build_commit"] == "8cf427ff"
    assert b.case["n_prompt"] == 512 and b.metrics["decode_tokens_per_s"] == 118.0


def test_csv_with_sample_strings() -> None:
    text = ('build_commit,model_type,n_threads,n_prompt,n_gen,avg_ns,avg_ts,stddev_ts,samples_ts\n'
            '"abc1234","llama 1B Q4_0","4","0","64","500000000","128.000000","1.5",'
            '"[127.0, 129.0]"\n')
    [r] = parse(text)
    assert r.samples == {"tokens_per_s": [127.0, 129.0]}
    assert r.metrics["latency_avg_ms"] == 500.0 and r.case["test"] == "tg64"


def test_nothing_found_raises() -> None:
    with pytest.raises(ParseError, match="llama_print_timings"):
        parse("hello\nworld\n", "segfault")
    with pytest.raises(ParseError):
        parse("")


# --------------------------------------------------------------------------- robustness


def _parse_or_none(text: str) -> list[Result] | None:
    try:
        return parse(text)
    except ParseError:
        return None


def _is_part_of(result: Result, full: list[Result]) -> bool:
    """Same case as a full result and a subset of its metrics, with the same values."""
    return any(result.case == f.case and result.metrics.items() <= f.metrics.items()
               and (not result.samples or result.samples == f.samples) for f in full)


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_truncation_at_every_position(path: Path) -> None:
    text = _text(path)
    full = parse(text)
    for i in range(len(text) + 1):
        got = _parse_or_none(text[:i])
        if got is None:
            continue
        assert len(got) <= len(full)
        for r in got:
            assert _is_part_of(r, full), (i, r)
        if path in BENCH:
            # a cut-off table yields its complete rows, never a half-read one
            assert got == full[:len(got)]


NOISE = [
    "llama_model_loader: - kv   0:  general.architecture str = llama",
    "ggml_cuda_init: found 1 CUDA devices:",
    "$ ./llama-bench -m models/7B/ggml-model-q4_0.gguf -o md",
    "warning: not compiled with GPU offload support, --n-gpu-layers option will be ignored",
    "main: n_len = 32, n_ctx = 2048, n_parallel = 1, n_kv_req = 32",
    "",
]


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_crlf_and_noise_give_same_results(path: Path) -> None:
    text = _text(path)
    full = parse(text)
    assert parse(text.replace("\n", "\r\n")) == full
    noise = "\n".join(NOISE) + "\n"
    assert parse(noise + text + noise) == full
    if "json_old_schema" not in path.name:  # line-oriented formats: noise between lines too
        lines = text.splitlines()
        interleaved = "\n".join(f"{line}\n{NOISE[i % len(NOISE)]}" for i, line in enumerate(lines))
        assert parse(interleaved + "\n") == full


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_only_parse_error(text: str) -> None:
    _parse_or_none(text)
    detect(text)


FRAGMENTS = st.sampled_from([
    "|", " | ", "\n", "\r\n", "±", "model", "test", "t/s", "pp512", "tg 128", "pp4096+tg128",
    "@ d", "3.56 GiB", "1.10 B", "99", "-1", "1e999", "nan", ",", '"', "'", "avg_ts",
    "n_prompt", "n_gen", "build_commit,n_prompt,n_gen,avg_ts\n", "INSERT INTO test (",
    ") VALUES (", ");", "{", "}", "[", "]", '{"avg_ts": ', '"n_prompt": ', "9" * 40,
    "llama_print_timings: ", "prompt eval time = ", " ms / ", " tokens (", " ms per token, ",
    " tokens per second)", "build: ", "(5163)", "general.name str = ",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(FRAGMENTS | st.text(max_size=5), max_size=60).map("".join))
def test_llama_like_garbage_only_parse_error(text: str) -> None:
    _parse_or_none(text)
    _parse_or_none(text.replace("\n", "\r"))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ALL), st.data())
def test_random_slices_only_parse_error(path: Path, data: st.DataObject) -> None:
    text = _text(path)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    got = _parse_or_none(text[start:end])
    if got is not None and start == 0:
        full = parse(text)
        assert all(_is_part_of(r, full) for r in got)


def test_old_timings_without_tokens_per_second() -> None:
    text = ("llama_print_timings:        load time =   134.84 ms\n"
            "llama_print_timings: prompt eval time =   925.78 ms /    24 tokens (   38.57 ms per token)\n"
            "llama_print_timings:        eval time =  4178.32 ms /    31 runs   (  134.78 ms per token)\n"
            "llama_model_loader: loaded meta data with 19 key-value pairs and 291 tensors from "
            "models/7B/ggml-model-q4_0.gguf (version GGUF V2)\n")
    [r] = parse(text)
    assert r.case == {"source": "llama_timings", "model": "ggml-model-q4_0.gguf"}
    assert r.metrics["prefill_tokens_per_s"] == 24 * 1000.0 / 925.78
    assert r.metrics["decode_ms_per_token"] == 134.78 and r.metrics["init_ms"] == 134.84


def test_mixed_stdout_table_and_stderr_timings() -> None:
    table = _text(SAMPLES / "llama_bench" / "radxa_dragon_q8b_cpu_md_pg.txt")
    timings = _text(SAMPLES / "llama_timings" / "mobilevlm_llava_cli_snapdragon888_android.txt")
    results = parse(table, timings)
    assert len(results) == 5 and results[-1].case["source"] == "llama_timings"
    assert parse(table + timings) == results
