"""Runner recognition (`bench parse auto`) on every sample, and `bench parse RUNNER FILE --json`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import bench, bench_json
from harness.runners import KNOWN_NAMES, get_runner
from harness.runners.detect import detect
from sample_helpers import other_samples, runner_samples, sample, text

RUNNER_SAMPLES = runner_samples()
OTHER = other_samples()
# one sample per runner for the CLI round trip (each is a child process)
CLI_CASES = [("llama.cpp", sample("llama_bench", "readme2025_b5163_jsonl")),
             ("tflite", sample("tflite_benchmark", "ti_am62x_evm_xnnpack_info_prefix")),
             ("ncnn", sample("ncnn", "rpi5_videocore7_vulkan")),
             ("mnn", sample("mnn", "llm_bench_doc_example_metal_qwen3_0_6b")),
             ("mlc", sample("mlc_llm", "mlc_chat_cli_rocm_7900xtx_stats_session")),
             ("rknn", sample("rknn", "rknn_common_test_rk3562_forlinx_ok3562jc_rknnrt160")),
             ("axera", sample("axera", "ax_run_model_ax650_mobilenetv2_1core_pulsar2docs"))]


def test_samples_span_every_runner() -> None:
    assert {r for r, _ in RUNNER_SAMPLES} == set(KNOWN_NAMES)
    assert {r for r, _ in CLI_CASES} == set(KNOWN_NAMES)
    assert len(RUNNER_SAMPLES) == 32 and len(OTHER) == 13


@pytest.mark.parametrize("runner,path", RUNNER_SAMPLES,
                         ids=[f"{r}-{p.stem}" for r, p in RUNNER_SAMPLES])
def test_detect_names_the_tool(runner: str, path: Path) -> None:
    assert detect(text(path)) == runner


@pytest.mark.parametrize("path", OTHER, ids=[p.stem for p in OTHER])
def test_telemetry_and_device_outputs_are_not_runner_output(path: Path) -> None:
    assert detect(text(path)) is None


@pytest.mark.parametrize("runner,path", CLI_CASES, ids=[r for r, _ in CLI_CASES])
def test_cli_parse_json_shape(runner: str, path: Path) -> None:
    data = bench_json("parse", runner, str(path))
    assert set(data) == {"runner", "results"} and data["runner"] == runner
    want = [r.to_dict() for r in get_runner(runner).parse(text(path))]
    assert data["results"] == want and want
    for row in data["results"]:
        assert set(row) <= {"case", "metrics", "warnings"}
        assert all(isinstance(v, float) for v in row["metrics"].values())


@pytest.mark.parametrize("runner,path", CLI_CASES[1:4], ids=[r for r, _ in CLI_CASES[1:4]])
def test_cli_parse_auto_picks_the_runner(runner: str, path: Path) -> None:
    data = bench_json("parse", "auto", str(path))
    assert data["runner"] == runner and data["results"]


def test_cli_parse_auto_unrecognized_exit_2_lists_runners() -> None:
    path = sample("tegrastats", "jetson_tx2_l4t32")
    p = bench("parse", "auto", str(path), check=2)
    assert p.stderr.strip() == (f"error: {path}: no known runner or telemetry output recognized "
                                f"(known: {', '.join(KNOWN_NAMES)})")
    assert p.stdout == ""


def test_cli_parse_failure_exit_2_with_tool_message() -> None:
    path = sample("axera", "ax_run_model_m5stack_llm630_ax620e_u16_warmup_failure")
    p = bench("parse", "auto", str(path), "--json", check=2)
    assert p.stderr.startswith(f"error: {path}: ax_run_model failed: Run model failed.")
    assert "Run model in warmup failed." in p.stderr and "Traceback" not in p.stderr


def test_cli_parse_wrong_runner_exit_2(tmp_path: Path) -> None:
    path = sample("ncnn", "jetson_nano")
    p = bench("parse", "tflite", str(path), check=2)
    assert p.stderr.startswith(f"error: {path}: no benchmark_model results found")


def test_cli_parse_truncated_output_prints_warning(tmp_path: Path) -> None:
    full = text(sample("ncnn", "jetson_nano"))
    cut = tmp_path / "cut.txt"
    cut.write_text(full[: full.index("avg =   16.09") + len("avg =   16.0")])
    data = bench_json("parse", "ncnn", str(cut))
    assert len(data["results"]) == 2
    assert "mid-line" in data["results"][-1]["warnings"][0]
    p = bench("parse", "ncnn", str(cut))
    assert "warning: output ends mid-line" in p.stderr
