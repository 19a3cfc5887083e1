"""Small real models for the host runners, written from the formats' public specs.

A multi-layer perceptron (`features` -> `hidden` x `layers` with ReLU -> `outputs`) in each
framework's own format, random weights (speed does not depend on their values):

- `tflite_mlp`: a TFLite flatbuffer (FULLY_CONNECTED ops with fused ReLU), built with the
  `flatbuffers` package against tensorflow `lite/schema/schema.fbs` (table field order = slot).
- `ncnn_mlp`: an ncnn `.param` (Input -> InnerProduct -> ReLU ...) and its `.bin`, per the
  Tencent/ncnn wiki pages `param-and-model-file-structure` and `operation-param-weight-table`.
- `onnx_mlp`: an ONNX graph (MatMul + Add + Relu) built with `onnx.helper` (dev extra `onnx`).
- `mnn_mlp`: that ONNX graph converted by the MNN wheel's own converter.

```
python -c "from harness.models.tiny import tflite_mlp; tflite_mlp('m.tflite', hidden=512)"
```
"""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

# schema.fbs enums used here
_FLOAT32 = 0
_FULLY_CONNECTED = 9
_OPTIONS_FULLY_CONNECTED = 8  # BuiltinOptions union index (NONE = 0)
_RELU = 1


def _dims(features: int, hidden: int, layers: int, outputs: int) -> list[tuple[int, int]]:
    if min(features, hidden, outputs) < 1 or layers < 0:
        raise ValueError("features, hidden, outputs must be >= 1 and layers >= 0")
    widths = [features] + [hidden] * layers + [outputs]
    return list(itertools.pairwise(widths))


def _weights(seed: int, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n_out, n_in), dtype=np.float32) / np.float32(np.sqrt(n_in))
    b = rng.standard_normal(n_out, dtype=np.float32) * np.float32(0.1)
    return w, b


def tflite_mlp(path: str | os.PathLike, features: int = 64, hidden: int = 128, layers: int = 2,
               outputs: int = 16, seed: int = 0) -> Path:
    """Write a float32 TFLite MLP: FULLY_CONNECTED (+ fused ReLU except the last)."""
    import flatbuffers

    b = flatbuffers.Builder(1024)

    def ivec(values: list[int]) -> int:
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependInt32(v)
        return b.EndVector()

    def table(fields: list[tuple[int, str, object]]) -> int:
        """fields: (slot, kind, value); offsets and vectors must be built before."""
        b.StartObject(max(s for s, _, _ in fields) + 1)
        for slot, kind, value in fields:
            {"off": b.PrependUOffsetTRelativeSlot, "u32": b.PrependUint32Slot,
             "i32": b.PrependInt32Slot, "u8": b.PrependUint8Slot,
             "i8": b.PrependInt8Slot}[kind](slot, value, 0)
        return b.EndObject()

    # buffers: 0 is the empty sentinel; then weight, bias per layer
    layer_dims = _dims(features, hidden, layers, outputs)
    blobs: list[bytes] = []
    for i, (n_in, n_out) in enumerate(layer_dims):
        w, bias = _weights(seed + i, n_in, n_out)
        blobs += [w.tobytes(), bias.tobytes()]
    b.StartObject(1)
    buffers = [b.EndObject()]
    for blob in blobs:
        b.StartVector(1, len(blob), 16)  # Buffer.data is (force_align: 16)
        b.head -= len(blob)
        b.Bytes[b.head:b.head + len(blob)] = blob
        buffers.append(table([(0, "off", b.EndVector())]))

    # tensors: x, then per layer (W, bias, out)
    tensors: list[int] = []

    def tensor(shape: list[int], buffer: int, name: str) -> int:
        nm = b.CreateString(name)
        sh = ivec(shape)
        tensors.append(table([(0, "off", sh), (1, "i8", _FLOAT32), (2, "u32", buffer),
                              (3, "off", nm)]))
        return len(tensors) - 1

    x = tensor([1, features], 0, "input")
    operators = []
    prev = x
    for i, (n_in, n_out) in enumerate(layer_dims):
        w = tensor([n_out, n_in], 1 + 2 * i, f"fc{i}/weights")
        bias = tensor([n_out], 2 + 2 * i, f"fc{i}/bias")
        last = i == len(layer_dims) - 1
        out = tensor([1, n_out], 0, "output" if last else f"fc{i}/relu")
        opts = table([(0, "i8", 0 if last else _RELU)])
        ins, outs = ivec([prev, w, bias]), ivec([out])
        operators.append(table([(0, "u32", 0), (1, "off", ins), (2, "off", outs),
                                (3, "u8", _OPTIONS_FULLY_CONNECTED), (4, "off", opts)]))
        prev = out

    def ovec(offsets: list[int]) -> int:
        b.StartVector(4, len(offsets), 4)
        for o in reversed(offsets):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    t_vec, op_vec = ovec(tensors), ovec(operators)
    sg_in, sg_out = ivec([x]), ivec([prev])
    sg_name = b.CreateString("main")
    subgraph = table([(0, "off", t_vec), (1, "off", sg_in), (2, "off", sg_out),
                      (3, "off", op_vec), (4, "off", sg_name)])
    opcode = table([(0, "i8", _FULLY_CONNECTED), (2, "i32", 1), (3, "i32", _FULLY_CONNECTED)])
    desc = b.CreateString("devicebench tiny MLP")
    model = table([(0, "u32", 3), (1, "off", ovec([opcode])), (2, "off", ovec([subgraph])),
                   (3, "off", desc), (4, "off", ovec(buffers))])
    b.Finish(model, file_identifier=b"TFL3")
    out_path = Path(path)
    out_path.write_bytes(bytes(b.Output()))
    return out_path


def ncnn_mlp(param: str | os.PathLike, features: int = 64, hidden: int = 128, layers: int = 2,
             outputs: int = 16, seed: int = 0) -> tuple[Path, Path]:
    """Write `NAME.param` and `NAME.bin`: Input -> (InnerProduct -> ReLU)* -> InnerProduct."""
    param = Path(param)
    weights = param.with_suffix(".bin")
    layer_dims = _dims(features, hidden, layers, outputs)
    lines: list[str] = [f"Input input 0 1 input 0={features}"]
    blob = "input"
    bin_parts: list[bytes] = []
    for i, (n_in, n_out) in enumerate(layer_dims):
        w, bias = _weights(seed + i, n_in, n_out)
        last = i == len(layer_dims) - 1
        fc_out = "output" if last else f"fc{i}"
        # InnerProduct params: 0=num_output 1=bias_term 2=weight_data_size
        lines.append(f"InnerProduct fc{i} 1 1 {blob} {fc_out} 0={n_out} 1=1 2={n_out * n_in}")
        # weight_data: a 4-byte zero flag means raw float32 follows; bias_data is raw float32
        bin_parts += [struct.pack("<I", 0), w.tobytes(), bias.tobytes()]
        blob = fc_out
        if not last:
            lines.append(f"ReLU relu{i} 1 1 {fc_out} relu{i}")
            blob = f"relu{i}"
    n_blobs = len(lines)  # every layer here produces exactly one new blob
    param.write_text("7767517\n" + f"{len(lines)} {n_blobs}\n" + "\n".join(lines) + "\n")
    weights.write_bytes(b"".join(bin_parts))
    return param, weights


def onnx_mlp(path: str | os.PathLike, features: int = 64, hidden: int = 128, layers: int = 2,
             outputs: int = 16, seed: int = 0) -> Path:
    """Write an ONNX MLP (opset 13): MatMul + Add (+ Relu except the last)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    prev = "input"
    layer_dims = _dims(features, hidden, layers, outputs)
    for i, (n_in, n_out) in enumerate(layer_dims):
        w, bias = _weights(seed + i, n_in, n_out)
        inits += [numpy_helper.from_array(np.ascontiguousarray(w.T), f"w{i}"),
                  numpy_helper.from_array(bias, f"b{i}")]
        last = i == len(layer_dims) - 1
        nodes += [helper.make_node("MatMul", [prev, f"w{i}"], [f"mm{i}"]),
                  helper.make_node("Add", [f"mm{i}", f"b{i}"], ["output" if last else f"fc{i}"])]
        prev = "output" if last else f"fc{i}"
        if not last:
            nodes.append(helper.make_node("Relu", [f"fc{i}"], [f"relu{i}"]))
            prev = f"relu{i}"
    graph = helper.make_graph(
        nodes, "tiny_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, features])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, outputs])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="devicebench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    out = Path(path)
    onnx.save(model, str(out))
    return out


def mnn_mlp(path: str | os.PathLike, features: int = 64, hidden: int = 128, layers: int = 2,
            outputs: int = 16, seed: int = 0) -> Path:
    """Convert `onnx_mlp` with the MNN wheel's converter (MNNConvert -f ONNX).

    The converter runs in a child process (it prints to stdout and may exit on error), through
    the wheel's `_tools.mnnconvert` extension rather than its `mnnconvert` script: that script
    imports a logger which pip-installs a log SDK and uploads conversion statistics.
    """
    out = Path(path)
    src = out.with_suffix(".onnx")
    onnx_mlp(src, features, hidden, layers, outputs, seed)
    code = ("import sys, _tools; _tools.mnnconvert(['MNNConvert', '-f', 'ONNX', '--modelFile', "
            "sys.argv[1], '--MNNModel', sys.argv[2], '--bizCode', 'devicebench'])")
    p = subprocess.run([sys.executable, "-c", code, str(src), str(out)], capture_output=True,
                       text=True, timeout=300, check=False)
    if p.returncode != 0 or not out.is_file():
        tail = (p.stdout + p.stderr).strip()[-500:]
        raise RuntimeError(f"MNNConvert failed on {src} (exit {p.returncode}): {tail}")
    return out
