"""Synthetic GGUF models for benchmarking (``bench models synth``).

A synthetic model is a structurally valid llama-architecture GGUF file whose weights are random
numbers from a seeded RNG. That is enough for measuring inference *speed*: llama.cpp executes
exactly the same kernels (matmuls, attention, norms, rope) over exactly the same number of bytes
whatever the weight values are, so prompt-processing and decode tokens/s, memory use, bandwidth
and power depend only on architecture, dimensions and quantization type -- not on whether the
weights were trained. (The output text is gibberish; nothing here measures quality.) Random
weights let the harness produce a model of any size and quantization on any host without
downloading gigabytes of real checkpoints, and the fixed seed makes the file reproducible.

Weights are drawn uniformly from a small symmetric range, so there are no NaNs/infs or denormals
that could take slow paths; 1-D norm weights are kept F32 (as llama.cpp's converters do) and set
to 1.0. Tensors are generated and written one at a time, so memory stays ~one tensor.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

import gguf
from gguf.quants import quantize

__all__ = ["SynthInfo", "synth_llama", "parse_params", "choose_dims", "count_params", "QUANTS"]

# quant name -> (tensor type for 2-D weights, general.file_type)
QUANTS: dict[str, tuple[gguf.GGMLQuantizationType, gguf.LlamaFileType]] = {
    "f32": (gguf.GGMLQuantizationType.F32, gguf.LlamaFileType.ALL_F32),
    "f16": (gguf.GGMLQuantizationType.F16, gguf.LlamaFileType.MOSTLY_F16),
    "bf16": (gguf.GGMLQuantizationType.BF16, gguf.LlamaFileType.MOSTLY_BF16),
    "q8_0": (gguf.GGMLQuantizationType.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
    "q5_1": (gguf.GGMLQuantizationType.Q5_1, gguf.LlamaFileType.MOSTLY_Q5_1),
    "q5_0": (gguf.GGMLQuantizationType.Q5_0, gguf.LlamaFileType.MOSTLY_Q5_0),
    "q4_1": (gguf.GGMLQuantizationType.Q4_1, gguf.LlamaFileType.MOSTLY_Q4_1),
    "q4_0": (gguf.GGMLQuantizationType.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0),
}

HEAD_DIM = 64          # per-head dimension; n_embd is a multiple of it (hence of every block size)
FF_MULTIPLE = 64       # n_ff granularity (multiple of the 32-wide quant blocks)
DEFAULT_VOCAB = 512    # 3 specials + 256 byte tokens + normal tokens
N_SPECIAL = 3          # <unk> <s> </s>
N_BYTE = 256
DEFAULT_CTX = 4096
MIN_PARAMS = 200_000

_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}


def parse_params(text: str | int) -> int:
    """Parse a parameter count such as ``"50M"``, ``"1.5B"``, ``"500k"`` or ``"12_000"``."""
    if isinstance(text, int):
        if text <= 0:
            raise ValueError(f"parameter count must be positive, got {text}")
        return text
    m = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([kKmMbBgGtT]?)\s*", str(text))
    if not m:
        raise ValueError(f"invalid parameter count {text!r} (expected e.g. 500K, 50M, 1.5B)")
    value = float(m.group(1).replace("_", "")) * _SUFFIX[m.group(2).upper()]
    n = int(round(value))
    if n <= 0:
        raise ValueError(f"parameter count must be positive, got {text!r}")
    return n


@dataclass(frozen=True)
class SynthInfo:
    path: Path
    params: int            # actual parameter count (sum of tensor element counts)
    quant: str
    size_bytes: int
    dims: dict[str, int] = field(default_factory=dict)


def count_params(n_vocab: int, n_embd: int, n_layer: int, n_ff: int, n_head_kv: int | None = None,
                 n_head: int | None = None) -> int:
    """Exact element count of the tensors synth_llama writes (what llama.cpp reports as n_params)."""
    n_head = n_head or n_embd // HEAD_DIM
    n_head_kv = n_head_kv or n_head
    n_embd_kv = n_embd // n_head * n_head_kv
    per_layer = (
        2 * n_embd                      # attn_norm, ffn_norm
        + 2 * n_embd * n_embd           # attn_q, attn_output
        + 2 * n_embd * n_embd_kv        # attn_k, attn_v
        + 3 * n_embd * n_ff             # ffn_gate, ffn_up, ffn_down
    )
    return 2 * n_vocab * n_embd + n_embd + n_layer * per_layer   # token_embd, output, output_norm


def choose_dims(params: int, n_vocab: int = DEFAULT_VOCAB) -> dict[str, int]:
    """Pick llama dims whose exact parameter count is as close as possible to ``params``.

    n_embd is a multiple of 64 (head_dim 64), n_ff a multiple of 64 within [2, 4] x n_embd
    (llama uses ~8/3). Among the shapes within 0.5% of the target (or the closest one if none
    is), the most llama-like one is chosen: width/depth nearest ~64 and n_ff nearest 8/3 x n_embd.
    """
    if params < MIN_PARAMS:
        raise ValueError(f"params={params} too small; minimum is {MIN_PARAMS}")
    cands: list[tuple[float, float, int, int, int]] = []
    e_max = max(HEAD_DIM, int(math.sqrt(params / 4)) // HEAD_DIM * HEAD_DIM)
    for n_embd in range(HEAD_DIM, min(e_max, 16384) + 1, HEAD_DIM):
        fixed = 2 * n_vocab * n_embd + n_embd
        for n_layer in range(1, 257):
            attn = n_layer * (2 * n_embd + 4 * n_embd * n_embd)
            rest = params - fixed - attn
            if rest <= 0:
                break
            n_ff = int(round(rest / (3 * n_embd * n_layer) / FF_MULTIPLE)) * FF_MULTIPLE
            n_ff = min(max(n_ff, 2 * n_embd), 4 * n_embd)
            n = count_params(n_vocab, n_embd, n_layer, n_ff)
            err = abs(n - params) / params
            # shape penalty: width/depth near 64 and n_ff near llama's 8/3 x n_embd
            aspect = abs(math.log((n_embd / n_layer) / 64.0)) + abs(math.log(n_ff / n_embd / (8 / 3)))
            cands.append((err, aspect, n_embd, n_layer, n_ff))
    if not cands:
        raise ValueError(f"cannot fit a llama model to params={params}")
    best_err = min(c[0] for c in cands)
    tol = max(best_err, 0.005)
    err, _, n_embd, n_layer, n_ff = min((c for c in cands if c[0] <= tol), key=lambda c: (c[1], c[0]))
    n_head = n_embd // HEAD_DIM
    return {
        "n_vocab": n_vocab, "n_embd": n_embd, "n_layer": n_layer, "n_ff": n_ff,
        "n_head": n_head, "n_head_kv": n_head, "n_ctx": DEFAULT_CTX,
    }


def _vocab(n_vocab: int) -> tuple[list[str], list[float], list[int]]:
    """A tiny SentencePiece-style ("llama") vocab: specials, all 256 byte tokens, then filler."""
    if n_vocab < N_SPECIAL + N_BYTE + 1:
        raise ValueError(f"n_vocab must be >= {N_SPECIAL + N_BYTE + 1}")
    T = gguf.TokenType
    tokens = ["<unk>", "<s>", "</s>"]
    types = [T.UNKNOWN, T.CONTROL, T.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(N_BYTE)]
    types += [T.BYTE] * N_BYTE
    n_normal = n_vocab - len(tokens)
    tokens += ["\u2581"] + [f"\u2581t{i}" for i in range(1, n_normal)]
    types += [T.NORMAL] * n_normal
    scores = [0.0] * (N_SPECIAL + N_BYTE) + [-float(i) for i in range(n_normal)]
    return tokens, scores, [int(t) for t in types]


def _tensor_plan(d: dict[str, int]) -> Iterator[tuple[str, tuple[int, ...]]]:
    """(name, numpy shape) in write order; numpy shape is (ne1, ne0), ne0 = input dim."""
    E, F, V = d["n_embd"], d["n_ff"], d["n_vocab"]
    E_kv = E // d["n_head"] * d["n_head_kv"]
    yield "token_embd.weight", (V, E)
    for i in range(d["n_layer"]):
        p = f"blk.{i}."
        yield p + "attn_norm.weight", (E,)
        yield p + "attn_q.weight", (E, E)
        yield p + "attn_k.weight", (E_kv, E)
        yield p + "attn_v.weight", (E_kv, E)
        yield p + "attn_output.weight", (E, E)
        yield p + "ffn_norm.weight", (E,)
        yield p + "ffn_gate.weight", (F, E)
        yield p + "ffn_up.weight", (F, E)
        yield p + "ffn_down.weight", (E, F)
    yield "output_norm.weight", (E,)
    yield "output.weight", (V, E)


def _nbytes(shape: tuple[int, ...], qtype: gguf.GGMLQuantizationType) -> int:
    block, type_size = gguf.GGML_QUANT_SIZES[qtype]
    n = int(np.prod(shape))
    return n // block * type_size


_CHUNK_ROWS_ELEMS = 1 << 22  # generate/quantize ~4M elements at a time


def _weight_chunks(rng: np.random.Generator, shape: tuple[int, ...],
                   qtype: gguf.GGMLQuantizationType) -> Iterator[np.ndarray]:
    if len(shape) == 1:
        yield np.ones(shape, dtype=np.float32)
        return
    rows, cols = shape
    scale = np.float32(1.0 / math.sqrt(cols))
    step = max(1, _CHUNK_ROWS_ELEMS // cols)
    for r0 in range(0, rows, step):
        n = min(step, rows - r0)
        w = rng.random((n, cols), dtype=np.float32)
        w -= np.float32(0.5)
        w *= np.float32(2.0) * scale
        if qtype == gguf.GGMLQuantizationType.F32:
            yield w
        elif qtype == gguf.GGMLQuantizationType.F16:
            yield w.astype(np.float16)
        else:
            yield quantize(w, qtype)


def synth_llama(path: str | os.PathLike[str], params: int | str, quant: str = "q4_0", *,
                seed: int = 0, n_vocab: int = DEFAULT_VOCAB, name: str | None = None) -> SynthInfo:
    """Write a random-weight llama GGUF with ~``params`` parameters, quantized as ``quant``.

    Writes to a temporary file next to ``path`` and renames it into place.
    """
    target = parse_params(params)
    quant = quant.lower()
    if quant not in QUANTS:
        raise ValueError(f"unsupported quant {quant!r}; choose from {', '.join(QUANTS)}")
    qtype, ftype = QUANTS[quant]
    d = choose_dims(target, n_vocab=n_vocab)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")

    arch = "llama"
    w = gguf.GGUFWriter(tmp, arch)
    w.add_name(name or f"synth-llama-{target}-{quant}")
    w.add_description("devicebench synthetic model: random weights, for speed benchmarks only")
    w.add_file_type(int(ftype))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_context_length(d["n_ctx"])
    w.add_embedding_length(d["n_embd"])
    w.add_block_count(d["n_layer"])
    w.add_feed_forward_length(d["n_ff"])
    w.add_head_count(d["n_head"])
    w.add_head_count_kv(d["n_head_kv"])
    w.add_rope_dimension_count(d["n_embd"] // d["n_head"])
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(d["n_vocab"])
    tokens, scores, types = _vocab(d["n_vocab"])
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    plan = list(_tensor_plan(d))
    n_params = 0
    for tname, shape in plan:
        tq = qtype if len(shape) == 2 else gguf.GGMLQuantizationType.F32
        n_params += int(np.prod(shape))
        # tensor_shape here is the logical (element) shape; raw_dtype sets the GGML type
        w.add_tensor_info(tname, shape, np.dtype(np.float32), _nbytes(shape, tq), raw_dtype=tq)
    try:
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        rng = np.random.default_rng(seed)
        fout = w.fout[0]
        for tname, shape in plan:
            tq = qtype if len(shape) == 2 else gguf.GGMLQuantizationType.F32
            # write_tensor_data() wants a whole tensor; stream chunks ourselves, same layout
            ti = w.tensors[0].pop(tname)
            w.write_padding(fout, fout.tell())
            written = 0
            for chunk in _weight_chunks(rng, shape, tq):
                chunk.tofile(fout)
                written += chunk.nbytes
            assert written == ti.nbytes, (tname, written, ti.nbytes)
            w.write_padding(fout, written)
        w.close()
        os.replace(tmp, path)
    except BaseException:
        w.close()
        tmp.unlink(missing_ok=True)
        raise
    assert n_params == count_params(d["n_vocab"], d["n_embd"], d["n_layer"], d["n_ff"], d["n_head_kv"])
    return SynthInfo(path=path, params=n_params, quant=quant, size_bytes=path.stat().st_size, dims=d)
