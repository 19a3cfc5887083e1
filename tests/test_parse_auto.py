"""Tool recognition (`bench parse auto`: runners, host JSON, telemetry) on every sample, and
`bench parse RUNNER FILE --json`."""

from __future__ import annotations

from pathlib import Path

import pytest

import json
import subprocess
import sys

from click.testing import CliRunner

from conftest import bench, bench_json
from harness.cli import main
from harness.models import tiny
from harness.runners import KNOWN_NAMES, get_runner, host_parse
from harness.runners.detect import detect, detect_output
from harness.runners.host import SCRIPT
from harness.telemetry.parsers import PARSERS as TELEMETRY
from sample_helpers import (FOLDERS, NOT_RUNNER_OUTPUT, SAMPLES, meta, other_samples,
                            runner_samples, sample, text)

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


def test_cli_parse_auto_unrecognized_exit_2_lists_parsers() -> None:
    path = sample("android", "thermal_zone_types_sony_xperia_xz1_compact_lilac_partial")
    p = bench("parse", "auto", str(path), check=2)
    assert p.stderr.strip() == (
        f"error: {path}: no known runner or telemetry output recognized "
        f"(runners: {', '.join(KNOWN_NAMES)}, host; telemetry: {', '.join(TELEMETRY)})")
    assert p.stdout == ""


# what each sample's meta names as its tool -> the `bench parse` name; None: no parser reads it
META_TOOL = (("dumpsys battery", "dumpsys-battery"), ("dumpsys thermalservice", "dumpsys-thermal"),
             ("getprop", "getprop"), ("energy_value", "odpm"), ("tegrastats", "tegrastats"),
             ("rknpu/load", "npu-load"), ("thermal_zone", None))


def _expected_tool(path: Path) -> str | None:
    if path.parent.name in FOLDERS and not path.name.startswith(NOT_RUNNER_OUTPUT):
        return FOLDERS[path.parent.name]
    tool = meta(path)["tool"]
    return next(name for key, name in META_TOOL if key in tool)


ALL_SAMPLES = sorted(SAMPLES.glob("*/*.txt"))


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=[p.stem for p in ALL_SAMPLES])
def test_parse_auto_picks_the_parser_for_every_sample(path: Path) -> None:
    want = _expected_tool(path)
    assert detect_output(text(path)) == want
    res = CliRunner().invoke(main, ["parse", "auto", str(path), "--json"])
    if want is None:
        assert res.exit_code == 2 and "no known runner or telemetry output" in res.output
    elif want == "axera" and "warmup_failure" in path.name:  # the tool's own failure
        assert res.exit_code == 2 and "ax_run_model failed" in res.output
    else:
        assert res.exit_code == 0, res.output
        data = json.loads(res.output)
        assert data["runner"] == want and data["results"]


def test_samples_cover_every_telemetry_parser() -> None:
    assert {_expected_tool(p) for p in ALL_SAMPLES} - {None} >= set(TELEMETRY)


def test_parse_auto_recognizes_the_host_runner_json(tmp_path: Path) -> None:
    model = tiny.mnn_mlp(tmp_path / "mlp.mnn")
    out = subprocess.run([sys.executable, str(SCRIPT), "mnn", "--model", str(model),
                          "--repetitions", "3"], capture_output=True, text=True, check=True)
    saved = tmp_path / "host.txt"
    saved.write_text(out.stdout)
    assert detect_output(out.stdout) == "host" and detect(out.stdout) is None
    data = bench_json("parse", "auto", str(saved))
    assert data["runner"] == "host"
    assert data["results"] == [r.to_dict() for r in host_parse.parse(out.stdout)]
    assert data["results"][0]["case"]["framework"] == "mnn"
    assert bench_json("parse", "host", str(saved)) == data


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
