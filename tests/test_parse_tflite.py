"""harness.runners.tflite_parse on every TFLite/LiteRT benchmark_model sample, numbers from the metas."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from harness.results import ParseError
from harness.runners.tflite_parse import parse
from sample_helpers import expected, ids, sample, samples, text

ALL = samples("tflite_benchmark")
STAT_NAMES = {"first": "first", "curr": "last", "min": "min", "max": "max", "avg": "avg",
              "std": "std", "median": "median", "p5": "p5", "p95": "p95"}


def ms(us: float) -> float:
    """The meta's microseconds as our milliseconds, computed in decimal like the parser."""
    return float(Decimal(str(us)) / 1000)


def test_every_sample_is_covered() -> None:
    assert len(ALL) == 4


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_summary_row_matches_meta(path: Path) -> None:
    exp = expected(path)
    rows = parse(text(path))
    main = rows[0]
    c, m = main.case, main.metrics
    assert main.warnings == []
    assert c["model"] == exp["model"]
    if "num_threads" in exp:
        assert c["threads"] == exp["num_threads"]
    assert m["init_ms"] == ms(exp["init_us"]) == exp["init_session_ms"]
    assert m["warmup_avg_ms"] == ms(exp["warmup_avg_us"])
    assert m["latency_avg_ms"] == ms(exp["inference_avg_us"])
    if exp.get("first_inference_us") is None:
        assert "first_inference_ms" not in m
    else:
        assert m["first_inference_ms"] == ms(exp["first_inference_us"])
    if "model_size_mb" in exp:
        assert m["model_size_mb"] == exp["model_size_mb"]
    else:
        assert "model_size_mb" not in m
    for phase, prefix, count_key in (("warmup_stats", "warmup", "warmup_runs"),
                                     ("run_stats", "latency", "runs")):
        stats = dict(exp[phase])
        assert c[count_key] == stats.pop("count")
        for key, value in stats.items():
            assert m[f"{prefix}_{STAT_NAMES[key]}_ms"] == ms(value), (phase, key)
    for key, metric in (("peak_memory_mb", "peak_memory"), ("memory_delta_mb", "memory_delta")):
        if exp.get(key):
            assert m[f"{metric}_mb"] == exp[key]["overall"]
            assert m[f"{metric}_init_mb"] == exp[key]["init"]
        else:
            assert f"{metric}_mb" not in m
    if exp.get("use_xnnpack"):
        assert c["use_xnnpack"] is True and c["delegate"] == "XNNPACK"


def test_ti_xnnpack_partial_delegation_and_percentiles() -> None:
    rows = parse(text(sample("tflite_benchmark", "ti_am62x_evm_xnnpack_info_prefix")))
    c, m = rows[0].case, rows[0].metrics
    assert (c["delegation"], c["delegate_kernels"], c["threads"]) == ("partial", 1, 4)
    assert m["latency_median_ms"] == 899.281 and m["latency_p95_ms"] == 904.305
    assert m["latency_p5_ms"] == 898.333 and m["latency_std_ms"] == 1.549
    assert len(rows) == 1  # no op profiling in this run


def test_imx_external_delegate_scientific_warmup_and_op_profiling() -> None:
    exp = expected(sample("tflite_benchmark", "imx8mp_vx_delegate_npu_mobilenet_v1_quant"))
    rows = parse(text(sample("tflite_benchmark", "imx8mp_vx_delegate_npu_mobilenet_v1_quant")))
    main, *ops = rows
    assert main.case["external_delegate"] == "libvx_delegate.so"
    assert main.case["delegates_applied"] == exp["delegates_applied"]
    assert (main.case["delegate"], main.case["delegation"]) == ("EXTERNAL", "full")
    assert main.metrics["warmup_avg_ms"] == 4625.13  # printed as 4.62513e+06 us
    assert [(o.case["profile"], o.case["node_type"], o.metrics["op_avg_ms"],
             o.metrics["op_time_pct"], o.metrics["op_times_called"]) for o in ops] == [
        ("init", "ModifyGraphWithDelegate", 1.185, 93.973, 1.0),
        ("init", "AllocateTensors", 0.076, 6.027, 2.0),
        ("runs", "Vx Delegate", 2.503, 100.0, 1.0)]
    assert all(o.case["model"] == exp["model"] for o in ops)


def test_kirin_oldest_format_without_first_inference() -> None:
    rows = parse(text(sample("tflite_benchmark", "kirin970_2019_old_average_timings_format")))
    assert rows[0].case["use_nnapi"] is False
    assert not any(k.startswith("peak_memory") for k in rows[0].metrics)


def test_android_duplicate_flags_and_op_profiling_flag() -> None:
    rows = parse(text(sample("tflite_benchmark", "android_2020_espcn_peak_memory")))
    assert rows[0].case["op_profiling"] is True and rows[0].metrics["peak_memory_init_mb"] == 0.0


def test_cut_before_summary_warns() -> None:
    full = text(sample("tflite_benchmark", "android_2020_espcn_peak_memory"))
    cut = full[: full.index("Inference timings in us")]
    rows = parse(cut)
    assert rows[0].metrics["latency_avg_ms"] == 33.2094
    assert "first_inference_ms" not in rows[0].metrics
    assert any("Inference timings" in w for w in rows[0].warnings)


def test_stderr_is_read_too() -> None:
    rows = parse("", text(sample("tflite_benchmark", "kirin970_2019_old_average_timings_format")))
    assert rows[0].metrics["latency_avg_ms"] == 108.787


@pytest.mark.parametrize("junk", ["", "STARTING!\nLoaded model x.tflite\n", "count=abc\n"])
def test_nothing_recognizable_is_parse_error(junk: str) -> None:
    with pytest.raises(ParseError, match="benchmark_model"):
        parse(junk)


# --------------------------------------------------------------------------- a live LiteRT tool


def test_litert_benchmark_real_run(tmp_path: Path) -> None:
    """The ai-edge-litert wheel's own benchmark tool on a real model: what the parser reads
    from its text equals the tool's --result_json."""
    import json
    import subprocess
    import sys

    from harness.models import tiny
    from harness.runners.detect import detect

    model = tiny.tflite_mlp(tmp_path / "mlp.tflite")
    out_json = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "ai_edge_litert.tools.benchmark_litert_model",
                        f"--model={model}", "--num_runs=7", "--warmup_runs=2", "--num_threads=2",
                        f"--result_json={out_json}"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    (row,) = parse(p.stdout, p.stderr)
    ref = json.loads(out_json.read_text())
    lat = ref["latency"]
    assert row.case == {"model": "mlp.tflite", "accelerators": " | ".join(ref["accelerators"]),
                        "threads": 2, "fully_accelerated": ref["fully_accelerated"],
                        "warmup_runs": 2, "runs": 7}
    m = row.metrics
    assert (m["init_ms"], m["first_inference_ms"], m["warmup_avg_ms"]) == (
        lat["init_ms"], lat["warmup_first_ms"], lat["warmup_avg_ms"])
    for key in ("avg", "min", "max", "median", "std", "p5", "p95"):
        assert m[f"latency_{key}_ms"] == lat[f"{key}_ms"], key
    assert m["model_size_mb"] == ref["model_size_mb"]
    assert detect(p.stdout) == "tflite"
