"""Command lines the native-tool runners build, parameter checks, model format checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import DeviceConfig
from harness.job import BadInput, Job
from harness.models import tiny
from harness.runners import KNOWN_NAMES, get_runner

DEVICE = DeviceConfig(name="local")
NATIVE = ("tflite", "ncnn", "mnn", "mlc", "rknn", "axera")


def argvs(runner: str, model: str, binary: str = "/s/tool", **kw) -> list[tuple[str, list[str]]]:
    job = Job(device="local", runner=runner, model="m", **kw)
    return [(i.phase, i.argv) for i in get_runner(runner).invocations(DEVICE, job, binary, model)]


def test_all_runners_registered_with_their_tools() -> None:
    assert KNOWN_NAMES == ("llama.cpp", *NATIVE)
    assert {n: get_runner(n).binary for n in NATIVE} == {
        "tflite": "benchmark_model", "ncnn": "benchncnn", "mnn": "benchmark.out",
        "mlc": "mlc_llm", "rknn": "rknn_benchmark", "axera": "ax_run_model"}
    assert {n: getattr(get_runner(n), "host_framework") for n in NATIVE} == {
        "tflite": "litert", "ncnn": "ncnn", "mnn": "mnn", "mlc": None, "rknn": None,
        "axera": None}


def test_tflite_flags() -> None:
    out = argvs("tflite", "/s/st/m.tflite", repetitions=20, warmup=3,
                params={"num_threads": "4", "use_xnnpack": "true", "enable_op_profiling": "true"})
    assert out == [("benchmark", ["/s/tool", "--graph=/s/st/m.tflite", "--num_runs=20",
                                  "--warmup_runs=3", "--min_secs=0", "--warmup_min_secs=0",
                                  "--num_threads=4", "--use_xnnpack=true",
                                  "--enable_op_profiling=true"])]


def test_tflite_alias_and_override_of_min_secs() -> None:
    (_, argv), = argvs("tflite", "m.tflite", params={"threads": "2", "use_gpu": "1",
                                                      "min_secs": "1"})
    assert "--num_threads=2" in argv and "--use_gpu=1" in argv
    assert "--min_secs=1" in argv and "--min_secs=0" not in argv


def test_benchncnn_positional_arguments() -> None:
    assert argvs("ncnn", "/s/st/sq.param", repetitions=8) == [
        ("benchmark", ["/s/tool", "8", "1", "0", "-1", "0", "param=/s/st/sq.param"])]
    (_, argv), = argvs("ncnn", "/s/sq.param", repetitions=4,
                       params={"threads": "4", "gpu_device": "0", "powersave": "2",
                               "cooling_down": "1", "shape": "[227,227,3]"})
    assert argv == ["/s/tool", "4", "4", "2", "0", "1", "param=/s/sq.param",
                    "shape=[227,227,3]"]


def test_mnn_benchmark_out_positional_arguments() -> None:
    assert argvs("mnn", "/w/store/ab12/m.mnn", repetitions=50, warmup=10,
                 params={"forward_type": "vulkan", "threads": "4", "precision": "low"}) == [
        ("benchmark", ["/s/tool", "/w/store/ab12", "50", "10", "7", "4", "2"])]
    (_, argv), = argvs("mnn", "/w/m.mnn", params={"forward_type": "3"})
    assert argv[4:] == ["3", "4", "0"]


def test_mnn_bad_forward_type_lists_choices() -> None:
    with pytest.raises(BadInput, match=r"--param forward_type=tpu: expected one of cpu \(0\)"):
        argvs("mnn", "m.mnn", params={"forward_type": "tpu"})


def test_mlc_bench() -> None:
    assert argvs("mlc", "/w/dist/L/params/mlc-chat-config.json",
                 params={"device": "cuda", "generate_length": "64", "prompt": "Hi there"}) == [
        ("generate", ["/s/tool", "bench", "/w/dist/L/params", "--device", "cuda",
                      "--generate-length", "64", "--prompt", "Hi there"])]


def test_rknn_benchmark_positional_arguments() -> None:
    assert argvs("rknn", "/w/y.rknn", repetitions=100, params={"core_mask": "7"}) == [
        ("benchmark", ["/s/tool", "/w/y.rknn", "", "100", "7"])]
    (_, argv), = argvs("rknn", "/w/y.rknn", params={"input": "/w/dog.jpg"})
    assert argv == ["/s/tool", "/w/y.rknn", "/w/dog.jpg", "5", "1"]
    with pytest.raises(BadInput, match="core_mask=9"):
        argvs("rknn", "/w/y.rknn", params={"core_mask": "9"})


def test_ax_run_model_flags() -> None:
    assert argvs("axera", "/w/y.axmodel", repetitions=100, warmup=10) == [
        ("benchmark", ["/s/tool", "-m", "/w/y.axmodel", "-w", "10", "-r", "100"])]


@pytest.mark.parametrize("runner,known", [
    ("tflite", "enable_op_profiling"), ("ncnn", "gpu_device"), ("mnn", "forward_type"),
    ("mlc", "generate_length"), ("rknn", "core_mask"), ("axera", "none")])
def test_unknown_param_is_rejected_listing_known(runner: str, known: str) -> None:
    with pytest.raises(BadInput, match=rf"--param bogus: not a {runner} parameter "
                                       rf"\(known: [^)]*{known}"):
        argvs(runner, "m", params={"bogus": "1"})


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "m.bin"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


@pytest.mark.parametrize("runner,expected", [
    ("tflite", "TFL3"), ("ncnn", "7767517"), ("mnn", "MNN"), ("rknn", "RKNN"),
    ("axera", "axmodel"), ("mlc", "mlc-chat-config.json")])
def test_wrong_model_format_names_the_expected_one(runner: str, expected: str, gguf: Path) -> None:
    with pytest.raises(BadInput) as info:
        get_runner(runner).check_model(gguf)
    message = str(info.value)
    assert str(gguf) in message and expected in message and "\n" not in message


def test_real_models_pass_their_runners_check(tmp_path: Path) -> None:
    assert get_runner("tflite").check_model(tiny.tflite_mlp(tmp_path / "m.tflite")) == "tflite"
    param = tmp_path / "m.param"
    tiny.ncnn_mlp(param)
    assert get_runner("ncnn").check_model(param) == "ncnn"
    config = tmp_path / "mlc-chat-config.json"
    config.write_text('{"model_type": "llama", "conv_template": "llama-2"}')
    assert get_runner("mlc").check_model(config) == "mlc"
    config.write_text('["not", "a", "config"]')
    with pytest.raises(BadInput, match="no model_type"):
        get_runner("mlc").check_model(config)


def test_litert_benchmark_flavor_uses_its_own_flags() -> None:
    assert argvs("tflite", "/w/m.tflite", binary="/w/store/ab/litert-benchmark", repetitions=7,
                 warmup=2, params={"threads": "2", "use_gpu": "true", "use_npu": "false"}) == [
        ("benchmark", ["/w/store/ab/litert-benchmark", "--model=/w/m.tflite", "--num_runs=7",
                       "--warmup_runs=2", "--num_threads=2", "--use_gpu"])]
