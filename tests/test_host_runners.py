"""Host runners end to end: `bench run --device local` with the real LiteRT, ncnn and MNN wheels
on real models the tests write; bad model formats and wrong-ABI binaries refused with exit 2."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, bench, bench_json
from test_formats import elf_header

from harness.models import tiny
from harness.results import ParseError
from harness.runners import host_parse
from harness.runners.host import SCRIPT

HOST_ABI = f"linux-{ {'arm64': 'aarch64'}.get(os.uname().machine, os.uname().machine)}"


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("host_models")
    param, _ = tiny.ncnn_mlp(d / "mlp.param")
    return {"tflite": tiny.tflite_mlp(d / "mlp.tflite"), "ncnn": param,
            "mnn": tiny.mnn_mlp(d / "mlp.mnn")}


VERSION_PREFIX = {"tflite": "ai-edge-litert ", "ncnn": "ncnn ", "mnn": "MNN "}


@pytest.mark.parametrize("runner", ["tflite", "ncnn", "mnn"])
def test_host_runner_end_to_end(env, models, runner):
    model = models[runner]
    args = ["run", "--device", "local", "--runner", runner, "--model", str(model),
            "--repetitions", "7", "--warmup", "2", "--param", "threads=2"]
    run = bench_json(*args)
    assert run["status"] == "ok", run["error"]
    assert run["job"]["runner_mode"] == "host" and run["job"]["runner_binary"] == SCRIPT.name
    assert [p["phase"] for p in run["phases"]] == ["push", "inference"]
    (row,) = run["results"]
    case, m = row["case"], row["metrics"]
    assert case["model"] == model.name and case["backend"] == "cpu" and case["threads"] == 2
    assert case["host_runner"] is True
    assert case["framework_version"].startswith(VERSION_PREFIX[runner])
    assert run["runner_version"] == case["framework_version"]
    assert case["inputs"] == ("input:64" if runner == "ncnn" else "input:1x64")
    samples = row["samples"]["latency_ms"]
    assert len(samples) == 7 and all(s > 0 for s in samples)
    assert m["latency_min_ms"] <= m["latency_median_ms"] <= m["latency_max_ms"]
    assert m["latency_min_ms"] <= m["latency_avg_ms"] <= m["latency_max_ms"]
    assert m["latency_avg_ms"] == pytest.approx(statistics.fmean(samples), rel=1e-9)
    assert m["latency_min_ms"] == min(samples) and m["latency_max_ms"] == max(samples)
    assert m["init_ms"] > 0 and m["first_inference_ms"] > 0 and m["warmup_avg_ms"] > 0
    files = [model, SCRIPT, REPO / "harness" / "telemetry" / "sampler.sh"]  # telemetry: default
    files += [model.with_suffix(".bin")] if runner == "ncnn" else []
    assert run["bytes_pushed"] == sum(f.stat().st_size for f in files)
    again = bench_json(*args[:-4], "--repetitions", "1", "--warmup", "0")
    assert again["status"] == "ok" and again["bytes_pushed"] == 0
    (row2,) = again["results"]
    assert len(row2["samples"]["latency_ms"]) == 1 and "warmup_avg_ms" not in row2["metrics"]
    assert row2["case"]["threads"] == 1


def _no_run_and_nothing_pushed(env) -> None:
    assert bench_json("runs")["runs"] == []
    device = Path(env["device_dir"])
    assert not device.exists() or not any(device.rglob("*"))


def test_gguf_given_to_tflite_exit_2_before_anything_is_pushed(env, tmp_path):
    gguf = tmp_path / "llama.tflite"
    gguf.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + bytes(64))
    p = bench("run", "--device", "local", "--runner", "tflite", "--model", str(gguf), check=2)
    assert p.stderr.strip() == (f"error: {gguf}: a GGUF file; tflite expects a .tflite "
                                "flatbuffer (identifier TFL3)")
    _no_run_and_nothing_pushed(env)


def test_unknown_param_for_host_runner_exit_2_before_push(env, models):
    p = bench("run", "--device", "local", "--runner", "tflite", "--model",
              str(models["tflite"]), "--param", "use_gpu=true", check=2)
    assert "--param use_gpu: not supported by the tflite host runner" in p.stderr
    _no_run_and_nothing_pushed(env)


def test_aarch64_elf_registered_for_x86_64_exit_2_naming_both(env, tmp_path):
    elf = tmp_path / "llama-bench"
    elf.write_bytes(elf_header(183))
    p = bench("runners", "add", "llama.cpp", "--abi", "linux-x86_64", str(elf), check=2)
    assert p.stderr.strip() == (f"error: {elf}: an ELF binary for linux-aarch64, not for --abi "
                                "linux-x86_64 (use --abi linux-aarch64, or a build for "
                                "linux-x86_64)")
    lib = tmp_path / "libggml.so"
    lib.write_bytes(elf_header(62))
    p = bench("runners", "add", "llama.cpp", "--abi", "android-arm64-v8a", str(elf),
              "--lib", str(lib), check=2)
    assert f"{lib}: an ELF binary for android-x86_64, not for --abi android-arm64-v8a" in p.stderr
    assert bench_json("runners", "list")["runners"] == []
    bench("runners", "add", "llama.cpp", "--abi", "android-arm64-v8a", str(elf))


def test_binary_for_the_right_abi_but_device_has_another_exit_2_naming_both(env, tmp_path):
    elf = tmp_path / "llama-bench"
    elf.write_bytes(elf_header(183))
    other = "linux-aarch64" if HOST_ABI != "linux-aarch64" else "linux-x86_64"
    if other == "linux-x86_64":
        elf.write_bytes(elf_header(62))
    bench("runners", "add", "llama.cpp", "--abi", other, str(elf))
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + bytes(64))
    p = bench("run", "--device", "local", "--runner", "llama.cpp", "--model", str(gguf), check=2)
    assert (f"no llama.cpp binary registered for ABI {HOST_ABI} of device local "
            f"(only for {other})") in p.stderr
    _no_run_and_nothing_pushed(env)


def test_registry_entry_whose_elf_does_not_match_the_device_exit_2(env, tmp_path):
    """A registry written before the check (or by hand): resolve() re-reads the ELF header."""
    from harness.artifacts import RunnerRegistry
    elf = tmp_path / "llama-bench"
    wrong = 183 if HOST_ABI != "linux-aarch64" else 62
    elf.write_bytes(elf_header(wrong))
    RunnerRegistry(Path(env["BENCH_HOME"])).add("llama.cpp", HOST_ABI, elf)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + bytes(64))
    p = bench("run", "--device", "local", "--runner", "llama.cpp", "--model", str(gguf), check=2)
    actual = "linux-aarch64" if wrong == 183 else "linux-x86_64"
    assert (f"llama.cpp binary llama-bench registered for {HOST_ABI} is an ELF binary for "
            f"{actual}, but device local is {HOST_ABI}") in p.stderr
    _no_run_and_nothing_pushed(env)


def test_native_binary_wins_over_the_host_runner(env, tmp_path, models):
    """With a build registered for the device's ABI, resolve() picks it, not hostbench.py."""
    from harness.artifacts import RunnerRegistry
    from harness.config import DeviceConfig
    from harness.execute import resolve
    from harness.job import Job
    from harness.runners.host import HostRunner, HostScript
    registry = RunnerRegistry(Path(env["BENCH_HOME"]))
    device = DeviceConfig(name="local", transport="local", workdir=env["device_dir"])
    job = Job(device="local", runner="tflite", model=str(models["tflite"]))
    runner, _, fmt, binary = resolve(job, device, registry)
    assert isinstance(runner, HostRunner) and isinstance(binary, HostScript) and fmt == "tflite"
    registry.add("tflite", HOST_ABI, Path(os.path.realpath(sys.executable)))
    runner, _, _, binary = resolve(job, device, registry)
    assert not isinstance(runner, HostRunner) and binary.abi == HOST_ABI


# --- the parser, on the script's real output ---

@pytest.fixture(scope="module")
def real_output(models) -> str:
    p = subprocess.run([sys.executable, str(SCRIPT), "mnn", "--model", str(models["mnn"]),
                        "--repetitions", "4", "--warmup", "1"], capture_output=True, text=True,
                       check=True)
    return p.stdout


def test_parse_real_output_with_framework_log_lines_before_it(real_output):
    doc = json.loads(real_output.strip().splitlines()[-1])
    (r,) = host_parse.parse(real_output)
    assert r.samples == {"latency_ms": doc["samples_ms"]}
    assert r.metrics["latency_avg_ms"] == doc["latency_avg_ms"]
    assert r.metrics["latency_p90_ms"] == doc["latency_p90_ms"]
    assert set(r.metrics) == set(host_parse.METRICS)
    assert r.case["framework"] == "mnn" and r.case["model"] == "mlp.mnn"


def test_parse_refuses_output_without_or_with_broken_document(real_output):
    with pytest.raises(ParseError, match="no devicebench-host JSON line"):
        host_parse.parse("The device supports: i8sdot:0\nSegmentation fault\n")
    doc = json.loads(real_output.strip().splitlines()[-1])
    with pytest.raises(ParseError, match="missing samples_ms"):
        host_parse.parse(json.dumps({k: v for k, v in doc.items() if k != "samples_ms"}))
    with pytest.raises(ParseError, match="latency_avg_ms is not a finite number"):
        host_parse.parse(json.dumps({**doc, "latency_avg_ms": "fast"}))
    with pytest.raises(ParseError, match="not a finite number"):
        host_parse.parse(json.dumps({**doc, "samples_ms": [1.0, float("nan")]}))


def test_device_python_from_config_and_a_missing_one_is_a_failed_run(env, models, tmp_path):
    cfg = Path(env["BENCH_CONFIG_DIR"]) / "board.yaml"
    cfg.write_text(f"name: board\ntransport: local\nworkdir: {tmp_path / 'board'}\n"
                   f"python: {tmp_path / 'no' / 'python3'}\n")
    p = bench("run", "--device", "board", "--runner", "tflite", "--model",
              str(models["tflite"]), "--json", check=1)
    run = json.loads(p.stdout)
    assert run["status"] == "failed" and run["reason"] == "runner_exit"
    assert f"exited with code 127: {tmp_path / 'no' / 'python3'}: No such file" in run["error"]
    assert run["job"]["runner_mode"] == "host" and run["results"] == []
    assert bench_json("runs")["runs"][0]["status"] == "failed"


def test_parse_never_crashes_on_mangled_output(real_output):
    from hypothesis import given, settings
    from hypothesis import strategies as st
    line = real_output.strip().splitlines()[-1]
    doc = json.loads(line)
    values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
                       st.lists(st.floats(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                          st.integers()))

    @settings(max_examples=300, deadline=None)
    @given(cut=st.integers(0, len(line)), key=st.sampled_from(sorted(doc)), value=values,
           noise=st.text(max_size=40))
    def check(cut, key, value, noise):
        for text in (noise + "\n" + line[:cut], json.dumps({**doc, key: value}) + "\n" + noise):
            try:
                rows = host_parse.parse(text)
            except ParseError:
                continue
            assert all(isinstance(v, float) for r in rows for v in r.metrics.values())

    check()
