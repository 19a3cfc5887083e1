"""Model formats by content and ELF machine vs ABI, on real files (the tiny models, real ELFs)."""

import os
import struct
import sys
from pathlib import Path

import pytest

from harness.job import BadInput
from harness.models import tiny
from harness.runners import formats as F


def elf_header(machine: int, ei_class: int = 2, little: bool = True) -> bytes:
    """A minimal valid ELF header (System V gABI): e_ident, e_type EXEC, e_machine, e_version."""
    order = "<" if little else ">"
    ident = b"\x7fELF" + bytes([ei_class, 1 if little else 2, 1, 0]) + bytes(8)
    if ei_class == 2:  # ELF64: 64-byte header
        rest = struct.pack(order + "HHIQQQIHHHHHH", 2, machine, 1, 0x400000, 64, 0, 0, 64, 56, 0,
                           64, 0, 0)
    else:  # ELF32: 52-byte header
        rest = struct.pack(order + "HHIIIIIHHHHHH", 2, machine, 1, 0x8000, 52, 0, 0, 52, 32, 0,
                           40, 0, 0)
    return ident + rest


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("fmt")
    param, weights = tiny.ncnn_mlp(d / "m.param", features=8, hidden=16, layers=1, outputs=4)
    gguf = d / "m.gguf"
    gguf.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    rknn = d / "m.rknn"
    rknn.write_bytes(b"RKNN" + bytes(4) + struct.pack("<QQ", 6, 0) + b"\x00" * 40)
    return {"tflite": tiny.tflite_mlp(d / "m.tflite", features=8, hidden=16, layers=1, outputs=4),
            "ncnn": param, "ncnn_bin": weights, "gguf": gguf, "rknn": rknn,
            "onnx": tiny.onnx_mlp(d / "m.onnx", features=8, hidden=16, layers=1, outputs=4),
            "mnn": tiny.mnn_mlp(d / "c.mnn", features=8, hidden=16, layers=1, outputs=4)}


@pytest.mark.parametrize("fmt", ["tflite", "ncnn", "mnn", "gguf", "onnx", "rknn"])
def test_each_real_model_is_recognised_as_its_own_format_only(models, fmt):
    assert F.sniff(models[fmt]) == fmt
    assert F.expect_format(models[fmt], fmt) == fmt
    for other in ("tflite", "ncnn", "mnn", "gguf", "onnx", "rknn"):
        if other != fmt:
            with pytest.raises(BadInput):
                F.expect_format(models[fmt], other)


def test_gguf_given_to_tflite_names_file_what_it_is_and_expected(models):
    with pytest.raises(BadInput) as e:
        F.expect_format(models["gguf"], "tflite")
    assert str(e.value) == (f"{models['gguf']}: a GGUF file; tflite expects a .tflite "
                            "flatbuffer (identifier TFL3)")
    with pytest.raises(BadInput) as e:
        F.expect_format(models["tflite"], "mnn", runner="mnn")
    assert "a TFLite flatbuffer; mnn expects an MNN .mnn flatbuffer" in str(e.value)


def test_ncnn_needs_its_bin_beside_the_param(models, tmp_path):
    lone = tmp_path / "lone.param"
    lone.write_bytes(models["ncnn"].read_bytes())
    with pytest.raises(BadInput, match=r"lone.param: ncnn weights lone.bin not found beside it"):
        F.expect_format(lone, "ncnn")
    assert F.companions(models["ncnn"], "ncnn") == {"weights": models["ncnn_bin"]}
    assert F.companions(models["tflite"], "tflite") == {}


def test_mnn_walk_is_not_fooled_by_other_binaries(models, tmp_path):
    assert F.sniff(models["ncnn_bin"]) is None  # raw float32 weights
    cut = tmp_path / "cut.mnn"
    cut.write_bytes(models["mnn"].read_bytes()[:48])
    assert F.sniff(cut) is None
    for seed in range(50):
        junk = tmp_path / f"junk{seed}.mnn"
        junk.write_bytes(os.urandom(64 + seed * 13))
        assert F.sniff(junk) not in ("mnn", "tflite", "ncnn")
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    with pytest.raises(BadInput, match=r"empty.tflite: an empty file; tflite expects"):
        F.expect_format(empty, "tflite")


def test_axmodel_by_suffix_when_content_is_no_other_format(models, tmp_path):
    ax = tmp_path / "yolo.axmodel"
    ax.write_bytes(b"\x00\x01axera" * 20)
    assert F.expect_format(ax, "axmodel") == "axmodel"
    fake = tmp_path / "fake.axmodel"
    fake.write_bytes(models["gguf"].read_bytes())
    with pytest.raises(BadInput, match="a GGUF file; axmodel expects"):
        F.expect_format(fake, "axmodel")


@pytest.mark.parametrize("machine,cls,arch", [(183, 2, "aarch64"), (62, 2, "x86_64"),
                                              (40, 1, "armv7"), (3, 1, "x86"),
                                              (243, 2, "riscv64")])
def test_elf_machine(tmp_path, machine, cls, arch):
    f = tmp_path / "bin"
    f.write_bytes(elf_header(machine, cls))
    assert F.elf_abi(f) == arch


def test_elf_of_real_binaries_and_scripts():
    assert F.elf_abi(Path(os.path.realpath(sys.executable))) == {"arm64": "aarch64"}.get(
        os.uname().machine, os.uname().machine)
    assert F.elf_abi(Path(F.__file__)) is None  # a script: not ELF, no ABI check


def test_abi_names_map_to_architectures():
    assert F.abi_arch("android-arm64-v8a") == "aarch64"
    assert F.abi_arch("android-armeabi-v7a") == "armv7"
    assert F.abi_arch("linux-aarch64") == "aarch64"
    assert F.abi_arch("linux-armv7l") == "armv7"
    assert F.abi_arch("linux-x86_64") == "x86_64"
    assert F.abi_arch("windows-x64") is None
    assert F.arch_abi("x86_64", "android-arm64-v8a") == "android-x86_64"


def test_check_binary_abi(tmp_path):
    arm = tmp_path / "benchmark_model"
    arm.write_bytes(elf_header(183))
    F.check_binary_abi(arm, "android-arm64-v8a")
    F.check_binary_abi(arm, "linux-aarch64")
    with pytest.raises(BadInput) as e:
        F.check_binary_abi(arm, "linux-x86_64")
    assert str(e.value) == (f"{arm}: an ELF binary for linux-aarch64, not for --abi "
                            "linux-x86_64 (use --abi linux-aarch64, or a build for linux-x86_64)")
    x86 = tmp_path / "x86"
    x86.write_bytes(elf_header(62))
    with pytest.raises(BadInput, match="for android-x86_64, not for --abi android-arm64-v8a"):
        F.check_binary_abi(x86, "android-arm64-v8a")
    script = tmp_path / "run.py"
    script.write_text("print('hi')\n")
    F.check_binary_abi(script, "linux-aarch64")


def test_binary_ncnn_param_is_named_and_refused(tmp_path):
    binparam = tmp_path / "m.param.bin"
    binparam.write_bytes(struct.pack("<iii", 7767517, 1, 1) + bytes(32))
    with pytest.raises(BadInput, match="an ncnn binary .param.bin file .*; ncnn expects an ncnn "
                                       ".param text file"):
        F.expect_format(binparam, "ncnn")


def test_elf_with_unknown_machine_is_named_not_mistaken_for_an_abi(tmp_path):
    f = tmp_path / "lib.so"
    f.write_bytes(elf_header(0))
    with pytest.raises(BadInput) as exc:
        F.check_binary_abi(f, "android-x86_64")
    assert str(exc.value) == (f"{f}: an ELF file for an unknown machine (e_machine 0), "
                              "not a build for --abi android-x86_64")
