"""What a file really is, by content: model formats and ELF binaries' machine.

A runner calls `expect_format(model, "tflite")` in `check_model`, so a model of the wrong
format is refused on the host (exit 2) before anything is pushed. `check_binary_abi` is used by
`bench runners add` and `execute.resolve()`, so an aarch64 build registered for an x86_64 host
(or pushed to the wrong device) fails with both ABIs named instead of "Exec format error".

Public specs the checks follow:
- TFLite: flatbuffer with file identifier `TFL3` at byte 4 (tensorflow `lite/schema/schema.fbs`,
  `file_identifier "TFL3"`).
- ncnn: `.param` text whose first line is the magic `7767517` (Tencent/ncnn wiki
  `param-and-model-file-structure`); the weights are the `.bin` beside it.
- MNN: flatbuffer root `Net` without a file identifier (alibaba/MNN `schema/default/MNN.fbs`,
  `root_type Net;`), so the check walks the flatbuffer: root table, its vtable, and field 3
  `oplists` (a non-empty vector of `Op` tables) must all lie inside the file.
- GGUF: magic `GGUF` at byte 0 (ggml `docs/gguf.md`).
- ONNX: protobuf `ModelProto` (onnx `onnx/onnx.proto`): field 1 `ir_version` varint first, then
  a known ModelProto field.
- RKNN: `RKNN` (or `CYPTRKNN`, encrypted) at byte 0.
- Axera `.axmodel`: no public spec of its header; accepted by suffix when the content is none of
  the formats above.
- ELF: `e_ident` (EI_CLASS at 4, EI_DATA at 5) and `e_machine` at 18 (System V gABI).
"""

from __future__ import annotations

import struct
from pathlib import Path

from ..job import BadInput

# format -> how the expected format is named in errors
EXPECTED = {
    "tflite": "a .tflite flatbuffer (identifier TFL3)",
    "ncnn": "an ncnn .param text file (magic 7767517) with its .bin beside it",
    "mnn": "an MNN .mnn flatbuffer (root table Net with oplists)",
    "gguf": "a GGUF file (magic GGUF)",
    "onnx": "an ONNX protobuf (ModelProto)",
    "rknn": "an RKNN .rknn file (magic RKNN)",
    "axmodel": "an Axera .axmodel file",
}

# format -> what a file of that format is called when it is the wrong one
WHAT = {
    "tflite": "a TFLite flatbuffer",
    "ncnn": "an ncnn .param file",
    "ncnn-bin": "an ncnn binary .param.bin file (ncnn2mem output)",
    "mnn": "an MNN model",
    "gguf": "a GGUF file",
    "onnx": "an ONNX model",
    "rknn": "an RKNN model",
    "axmodel": "an Axera .axmodel file",
    "elf": "an ELF binary",
    "zip": "a zip archive (e.g. a PyTorch checkpoint)",
    "safetensors": "a safetensors file",
}

NCNN_MAGIC = 7767517
_HEAD = 4096
# ModelProto field tags after ir_version (onnx.proto): producer_name 2, producer_version 3,
# domain 4, model_version 5, doc_string 6, graph 7, opset_import 8, metadata_props 14,
# training_info 20, functions 25, configuration 26.
_ONNX_TAGS = {0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0xA2, 0xCA, 0xD2}


def _varint(buf: bytes, i: int) -> tuple[int, int] | None:
    value = shift = 0
    while i < len(buf) and shift < 64:
        b = buf[i]
        value |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return value, i
        shift += 7
    return None


def _is_onnx(head: bytes) -> bool:
    if not head or head[0] != 0x08:
        return False
    v = _varint(head, 1)
    if v is None or not 1 <= v[0] <= 100:
        return False
    return v[1] < len(head) and head[v[1]] in _ONNX_TAGS


def _is_mnn(path: Path, size: int) -> bool:
    """Walk the flatbuffer: root uoffset -> Net table -> vtable -> oplists vector -> Op tables."""
    if size < 16:
        return False
    with open(path, "rb") as f:
        buf = f.read(min(size, 1 << 20))
    def u32(offset: int) -> int:
        return struct.unpack_from("<I", buf, offset)[0]

    try:
        root = u32(0)
        if root < 4 or root % 4 or root + 4 > len(buf):
            return False
        vt = root - struct.unpack_from("<i", buf, root)[0]
        if vt < 0 or vt + 4 > len(buf):
            return False
        vt_size, tbl_size = struct.unpack_from("<HH", buf, vt)
        if vt_size < 4 or vt_size % 2 or vt + vt_size > len(buf) or tbl_size < 4:
            return False
        slot = 4 + 2 * 3  # Net field 3: oplists
        if vt_size <= slot:
            return False
        field = struct.unpack_from("<H", buf, vt + slot)[0]
        if field == 0 or field >= tbl_size:
            return False
        vec = root + field + u32(root + field)
        if vec + 4 > size:
            return False
        if vec + 4 > len(buf):  # a big model's op list past the first MiB: trust the structure
            return True
        n = u32(vec)
        if n == 0 or vec + 4 + 4 * n > size:
            return False
        first = vec + 4 + u32(vec + 4)
        return first + 4 <= size
    except struct.error:
        return False


def sniff(path: Path) -> str | None:
    """The format a file's content shows (a key of WHAT), or None if unrecognised."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    if head[:4] == b"GGUF":
        return "gguf"
    if head[4:8] == b"TFL3":
        return "tflite"
    if head[:4] == b"RKNN" or head[:8] == b"CYPTRKNN":
        return "rknn"
    if head[:4] == b"\x7fELF":
        return "elf"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    first = head.split(b"\n", 1)[0].strip()
    if first == str(NCNN_MAGIC).encode():
        return "ncnn"
    if len(head) >= 4 and struct.unpack_from("<I", head)[0] == NCNN_MAGIC:
        return "ncnn-bin"
    if len(head) >= 9 and head[8:9] == b"{" and struct.unpack_from("<Q", head)[0] < size:
        return "safetensors"
    if _is_onnx(head):
        return "onnx"
    if _is_mnn(path, size):
        return "mnn"
    if path.suffix.lower() == ".axmodel":
        return "axmodel"
    return None


def describe(path: Path, found: str | None) -> str:
    if found is not None:
        return WHAT.get(found, found)
    if path.stat().st_size == 0:
        return "an empty file"
    with open(path, "rb") as f:
        return f"not a known model format (starts with {f.read(8).hex()})"


def expect_format(path: Path, fmt: str, runner: str | None = None) -> str:
    """Return `fmt` if the file is one, else raise BadInput naming file, found and expected."""
    if fmt not in EXPECTED:
        raise ValueError(f"unknown model format {fmt!r}")
    path = Path(path)
    found = sniff(path)
    if found != fmt:
        raise BadInput(f"{path}: {describe(path, found)}; {runner or fmt} expects "
                       f"{EXPECTED[fmt]}")
    if fmt == "ncnn":
        weights = ncnn_weights(path)
        if not weights.is_file():
            raise BadInput(f"{path}: ncnn weights {weights.name} not found beside it "
                           f"({runner or fmt} expects {EXPECTED[fmt]})")
    return fmt


def ncnn_weights(param: Path) -> Path:
    """`model.param` -> `model.bin`."""
    return param.with_name(param.name.removesuffix(".param") + ".bin")


def companions(model: Path, fmt: str) -> dict[str, Path]:
    """Files a model needs beside it on the device, by role (ncnn: its weights)."""
    return {"weights": ncnn_weights(model)} if fmt == "ncnn" else {}


# --- ELF binaries and ABIs ---

EM = {3: "x86", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "armv7", 62: "x86_64",
      183: "aarch64", 243: "riscv64", 258: "loongarch64"}
EM_NAMES = {3: "EM_386", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64", 22: "EM_S390",
            40: "EM_ARM", 62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV",
            258: "EM_LOONGARCH"}
ANDROID_ABI = {"aarch64": "arm64-v8a", "armv7": "armeabi-v7a", "x86_64": "x86_64", "x86": "x86",
               "riscv64": "riscv64"}
_LINUX_ALIASES = {"arm64": "aarch64", "amd64": "x86_64", "armv7l": "armv7", "armhf": "armv7",
                  "armv8": "aarch64", "i386": "x86", "i686": "x86"}


def elf_abi(path: Path) -> str | None:
    """The CPU architecture an ELF file is built for (`x86_64`, `aarch64`, `armv7`, ...);
    None if the file is not ELF (a script)."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    ei_class, ei_data = head[4], head[5]
    order = "<" if ei_data == 1 else ">"
    machine = struct.unpack_from(order + "H", head, 18)[0]
    arch = EM.get(machine, f"e_machine {machine}")
    if ei_class == 1:  # 32-bit variants of 64-bit machines
        arch = {"x86_64": "x32", "riscv64": "riscv32", "aarch64": "aarch64_ilp32"}.get(arch, arch)
    if machine == 8 and ei_class == 2:
        arch = "mips64"
    if machine == 21 and ei_data == 1:
        arch = "ppc64le"
    return arch


def abi_arch(abi: str) -> str | None:
    """`linux-aarch64` -> aarch64, `android-arm64-v8a` -> aarch64; None if not understood."""
    family, _, rest = abi.partition("-")
    if family == "android":
        return {v: k for k, v in ANDROID_ABI.items()}.get(rest)
    if family == "linux" and rest:
        return _LINUX_ALIASES.get(rest, rest)
    return None


def arch_abi(arch: str, like: str) -> str:
    """Name an architecture in the ABI family of `like` (android-* or linux-*)."""
    if like.startswith("android-") and arch in ANDROID_ABI:
        return f"android-{ANDROID_ABI[arch]}"
    return f"linux-{arch}"


def abi_mismatch(path: Path, abi: str) -> str | None:
    """The ABI an ELF binary is really for (named like `abi`), if it is not `abi`; None when
    it matches, is not ELF (a script) or `abi` is not understood."""
    arch = elf_abi(Path(path))
    want = abi_arch(abi)
    if arch is None or want is None or arch == want:
        return None
    return arch_abi(arch, abi)


def check_binary_abi(path: Path, abi: str) -> None:
    """`bench runners add`: refuse an ELF binary whose machine does not match `--abi`."""
    actual = abi_mismatch(path, abi)
    if actual and " " in actual:  # e_machine not in our table: name it, suggest no ABI
        raise BadInput(f"{path}: an ELF file for an unknown machine ({actual.split('-', 1)[1]}), "
                       f"not a build for --abi {abi}")
    if actual:
        raise BadInput(f"{path}: an ELF binary for {actual}, not for --abi {abi} "
                       f"(use --abi {actual}, or a build for {abi})")
