"""Suite files: validation with file:line, expansion, the farm example parses."""

from pathlib import Path

import pytest

from conftest import REPO, bench
from harness.config import ConfigError
from harness.suites import check_names, expand, load_suite

DEVICES = {"local": object(), "pi": object()}
RUNNERS = ["llama.cpp"]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


GOOD = """\
name: t
devices: [local, pi]
runners: [llama.cpp]
models:
  - {name: a, synth: {params: 8M, quant: q4_0}}
  - {name: b, synth: {params: 8M, quant: q8_0}}
params: {p: [16], n: 8, t: [1, 2]}
repetitions: 4
overrides:
  - {device: pi, params: {t: [4]}, repetitions: 7}
excludes:
  - {device: local, model: b, params: {t: 1}}
"""


def test_expand_matrix_with_overrides_and_excludes(tmp_path):
    suite = load_suite(write(tmp_path, GOOD))
    check_names(suite, DEVICES, RUNNERS)
    jobs = expand(suite)
    assert [j.key for j in jobs] == [
        "local/llama.cpp/a/n=8,p=16,t=1", "local/llama.cpp/a/n=8,p=16,t=2",
        "local/llama.cpp/b/n=8,p=16,t=2",
        "pi/llama.cpp/a/n=8,p=16,t=4", "pi/llama.cpp/b/n=8,p=16,t=4"]
    assert [j.job.repetitions for j in jobs] == [4, 4, 4, 7, 7]
    assert jobs[0].job.params == {"n": "8", "p": "16", "t": "1"}


@pytest.mark.parametrize("text,where,msg", [
    (GOOD.replace("devices: [local, pi]", "devices: [local, phone]"), 2,
     "unknown device 'phone' (known: local, pi)"),
    (GOOD.replace("runners: [llama.cpp]", "runners: [llama.cpp, tflite]"), 3,
     "unknown runner 'tflite' (known: llama.cpp)"),
    (GOOD.replace("{name: b, synth: {params: 8M, quant: q8_0}}", "{name: b, path: nope.gguf}"),
     6, "model 'nope.gguf': no such file"),
    (GOOD.replace("quant: q8_0", "quant: q3_x"), 6, "unknown quant 'q3_x'"),
    (GOOD.replace("repetitions: 4", "repetitons: 4"), 8, "field 'repetitons': unknown field"),
    (GOOD.replace("repetitions: 4", "repetitions: zero"), 8,
     "field 'repetitions': Input should be a valid integer"),
    (GOOD.replace("{device: pi, params", "{device: pie, params"), 10,
     "overrides: device 'pie' is not in the suite's devices"),
    (GOOD.replace("model: b,", "model: c,"), 12,
     "excludes: model 'c' is not in the suite's models (known: a, b)"),
    (GOOD.replace("name: b,", "name: a,"), 6, "model name 'a' is used twice"),
    (GOOD.replace("repetitions: 4", "thresholds: {tokens_per_s: {min_efect: 0.1}}"), 8,
     "unknown key 'min_efect'"),
    (GOOD.replace("runners: [llama.cpp]", "runners:\n  - {nam: llama.cpp}"), 4,
     "field 'runners.0.name': Field required"),
])
def test_validation_errors_name_file_and_line(tmp_path, text, where, msg):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        check_names(load_suite(path), DEVICES, RUNNERS)
    assert str(e.value).startswith(f"{path}:{where}: ") and msg in str(e.value), str(e.value)


def test_cli_unknown_device_exits_2_before_anything_runs(env, tmp_path):
    path = write(tmp_path, GOOD)  # 'pi' is not configured in the test's config dir
    p = bench("suite", "run", str(path), check=2)
    assert p.stderr.strip() == (f"error: {path}:2: unknown device 'pi' (known: local)")
    assert "Traceback" not in p.stderr
    assert not (Path(env["BENCH_HOME"]) / "synth").exists()  # nothing generated, nothing ran


def test_farm_suite_parses_as_a_suite():
    suite = load_suite(REPO / "suites" / "nightly-farm.yaml")
    assert suite.spec.devices == ["pixel-8", "galaxy-s24", "xiaomi-14", "jetson-orin-nano",
                                  "rk3588", "raspberry-pi-5"]
    jobs = expand(suite)
    keys = {j.key for j in jobs}
    assert "jetson-orin-nano/llama.cpp/qwen2.5-0.5b-q4_0/fa=0,n=128,ngl=99,p=512,t=6" in keys
    assert "rk3588/llama.cpp/llama3.2-1b-q4_0/fa=0,n=128,p=512,t=8" in keys
    assert not any(k.startswith("raspberry-pi-5/llama.cpp/llama3.2-1b") for k in keys)
    assert len(jobs) == 3 * 3 + 3 * 2 + 3 * 2 + 2  # phones, jetson, rk3588, pi


def test_nightly_suite_checks_against_the_local_device():
    suite = load_suite(REPO / "suites" / "nightly.yaml")
    check_names(suite, {"local": object()}, RUNNERS)
    assert len(expand(suite)) == 5
