"""harness.runners.rknn_parse on every Rockchip runner sample (the NPU load files are telemetry)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from harness.results import ParseError
from harness.runners.rknn_parse import parse
from sample_helpers import expected, sample, samples, text

ALL = samples("rknn")


def test_every_sample_is_covered() -> None:
    assert sorted(p.stem for p in ALL) == [
        "go_rknnlite_mobilenet_rk3588_benchmark_percentiles",
        "rk3588_perf_detail_yolov8n_1920_single_core",
        "rknn_common_test_rk3562_forlinx_ok3562jc_rknnrt160",
        "rknn_toolkit2_eval_memory_rk3588_yolov8n",
        "rknnlite_python_rk3588s_librknnrt160_forward_cost"]


def ms(us: float) -> float:
    return float(Decimal(str(us)) / 1000)


def test_rknn_common_test() -> None:
    path = sample("rknn", "rknn_common_test_rk3562_forlinx_ok3562jc_rknnrt160")
    exp = expected(path)
    (row,) = parse(text(path))
    assert row.case == {"model": "mobilenet_v1.rknn", "rknnrt_version": exp["rknnrt_version"],
                        "driver_version": exp["driver_version"], "n_inputs": exp["n_input"],
                        "n_outputs": exp["n_output"], "source": "rknn_benchmark"}
    loop = exp["loops"][0]
    assert row.samples == {"latency_ms": [loop["elapse_ms"]]}  # one measured run
    assert row.metrics == {"latency_avg_ms": 7.6, "latency_min_ms": 7.6, "latency_max_ms": 7.6,
                           "latency_median_ms": 7.6, "fps": loop["fps"]}
    assert row.warnings == []


# rknn_benchmark's format, line for line as rknpu2/examples/rknn_benchmark/src/rknn_benchmark.cpp
# prints it (no published log among the samples)
BENCHMARK = """# rknn_benchmark yolov8n.rknn "" 4 7
rknn_api/rknnrt version: 1.6.0 (9a7b5d24c@2023-12-13T17:31:11), driver version: 0.9.3
total weight size: 3186688, total internal size: 2457600
total dma used size: 8347648
model input num: 1, output num: 9
custom string: 
Warmup ...
   0: Elapse Time = 31.53ms, FPS = 31.72
   1: Elapse Time = 21.10ms, FPS = 47.39
   2: Elapse Time = 20.98ms, FPS = 47.66
   3: Elapse Time = 21.02ms, FPS = 47.57
   4: Elapse Time = 21.00ms, FPS = 47.62
Begin perf ...
   0: Elapse Time = 21.05ms, FPS = 47.51
   1: Elapse Time = 20.95ms, FPS = 47.73
   2: Elapse Time = 21.20ms, FPS = 47.17
   3: Elapse Time = 20.80ms, FPS = 48.08

Avg Time 21.00ms, Avg FPS = 47.619

Save output to rt_output0.npy
"""


def test_rknn_benchmark_avg_and_core_mask() -> None:
    (row,) = parse(BENCHMARK)
    assert row.case["core_mask"] == 7 and row.case["loop_count"] == 4
    assert row.case["model"] == "yolov8n.rknn" and len(row.samples["latency_ms"]) == 4
    m = row.metrics
    assert (m["latency_avg_ms"], m["fps"]) == (21.0, 47.619)
    assert (m["latency_min_ms"], m["latency_max_ms"], m["latency_median_ms"]) == (20.8, 21.2, 21.0)
    assert m["warmup_avg_ms"] == pytest.approx((31.53 + 21.10 + 20.98 + 21.02 + 21.00) / 5)
    assert m["weight_memory_mib"] == 3186688 / 2**20
    assert m["dma_memory_mib"] == 8347648 / 2**20
    assert row.samples["latency_ms"] == [21.05, 20.95, 21.2, 20.8]
    assert len(row.samples["warmup_ms"]) == 5 and row.warnings == []


def test_rknn_benchmark_cut_in_the_loop_warns() -> None:
    (row,) = parse(BENCHMARK[: BENCHMARK.index("   2: Elapse Time = 21.20")])
    assert row.samples["latency_ms"] == [21.05, 20.95]
    assert any("summary" in w for w in row.warnings)


def test_perf_detail_tables() -> None:
    path = sample("rknn", "rk3588_perf_detail_yolov8n_1920_single_core")
    exp = expected(path)
    detail, *ranking = parse(text(path))
    assert detail.case == {"source": "perf_detail"}
    assert detail.metrics == {"total_op_time_ms": ms(exp["total_operator_elapsed_per_frame_us"]),
                              "memory_rw_per_frame_kb": exp["total_memory_rw_per_frame_kb"]}
    layers = detail.samples["layer_time_us"]
    assert len(layers) == exp["layer_rows"]
    assert sum(layers) == exp["sum_layer_time_us"]
    assert layers[0] == exp["first_layer"]["time_us"] and layers[-1] == exp["last_layer"]["time_us"]
    assert exp["ranking_columns"][0] == "OpType"
    assert [(r.case["op_type"], r.metrics["op_calls"], r.metrics["op_cpu_time_ms"],
             r.metrics["op_gpu_time_ms"], r.metrics["op_npu_time_ms"], r.metrics["op_time_ms"],
             r.metrics["op_time_pct"]) for r in ranking] == [
        (op, calls, ms(cpu), ms(gpu), ms(npu), ms(total), float(pct.rstrip("%")))
        for op, calls, cpu, gpu, npu, total, pct in exp["ranking"]]
    assert all(r.case["source"] == "perf_ranking" for r in ranking)


def test_eval_memory_dump() -> None:
    path = sample("rknn", "rknn_toolkit2_eval_memory_rk3588_yolov8n")
    exp = expected(path)
    (row,) = parse(text(path))
    assert row.case == {"source": "eval_memory"}
    assert row.metrics == {"weight_memory_mib": exp["weight_memory_mib"],
                           "internal_tensor_memory_mib": exp["internal_tensor_memory_mib"],
                           "other_memory_mib": exp["other_memory_mib"],
                           "total_memory_mib": exp["total_memory_mib"],
                           "model_size_mib": exp["model_size_mib"]}


def test_rknnlite_forward_cost_lines() -> None:
    path = sample("rknn", "rknnlite_python_rk3588s_librknnrt160_forward_cost")
    exp = expected(path)
    (row,) = parse(text(path))
    assert row.case == {"rknnrt_version": exp["librknnrt_version"],
                        "driver_version": exp["driver_version"],
                        "toolkit_version": exp["model_toolkit_version"],
                        "target_platform": exp["target_platform"], "source": "rknnlite"}
    assert len(row.samples["latency_ms"]) == exp["n_frames"]
    assert row.samples == {"latency_ms": exp["forward_cost_ms"]}
    assert row.metrics["latency_min_ms"] == exp["min_ms"]
    assert row.metrics["latency_max_ms"] == exp["max_ms"]
    assert row.metrics["latency_median_ms"] == sorted(exp["forward_cost_ms"])[9]
    assert row.metrics["latency_avg_ms"] == pytest.approx(sum(exp["forward_cost_ms"]) / 19)


def test_go_rknnlite_percentiles_with_micro_sign() -> None:
    path = sample("rknn", "go_rknnlite_mobilenet_rk3588_benchmark_percentiles")
    exp = expected(path)
    (row,) = parse(text(path))
    assert row.case == {"driver_version": exp["driver_version"],
                        "rknnrt_version": exp["api_version"], "source": "go-rknnlite",
                        "runs": exp["benchmark_count"], "warmup": exp["warmup"]}
    want = {}
    for prefix, key, scale in (("latency", "inference_ms", None), ("postprocess", "postprocess_us", 1),
                               ("total", "total_ms", None)):
        for stat, value in exp[key].items():
            name = {"p50": "median"}.get(stat, stat)
            want[f"{prefix}_{name}_ms"] = ms(value) if scale else value
    assert row.metrics == want


def test_npu_load_is_not_runner_output() -> None:
    with pytest.raises(ParseError, match="RKNN"):
        parse(text(sample("rknn", "npu_load_orangepi5_rk3588_three_core")))
