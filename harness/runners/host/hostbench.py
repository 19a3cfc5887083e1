"""devicebench host runner: time a model with a framework's own Python runtime, print JSON.

Placed on the device like any artifact and run with the device's Python, e.g.

    python3 hostbench.py litert --model m.tflite --warmup 1 --repetitions 10 --threads 2
    python3 hostbench.py ncnn --model m.param --weights m.bin --repetitions 10
    python3 hostbench.py mnn --model m.mnn --repetitions 10

Frameworks: `litert` (ai-edge-litert `Interpreter`), `ncnn` (ncnn wheel `Net`/`Extractor`),
`mnn` (MNN wheel `Interpreter`/session). Standalone on purpose (stdlib, numpy and the framework
wheel only; no harness import), so any device with Python and the wheel can run it.

Timing follows TFLite `benchmark_model`'s phases: `init` (load + allocate), warmup runs (the
first one is `first_inference`), then the measured runs, each timed with `perf_counter_ns`.
The last line printed is one JSON document with `"tool": "devicebench-host"` (frameworks may
print their own log lines before it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

TOOL = "devicebench-host"


def _ms(ns: int) -> float:
    return ns / 1e6


def _random(shape, dtype, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    shape = [max(int(d), 1) for d in shape]
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -128), min(info.max, 127), shape, endpoint=True).astype(dtype)


@dataclass
class Loaded:
    """A model ready to run: `run()` is one inference on already-set inputs."""

    version: str
    inputs: list[dict]
    run: Callable[[], object]


def load_litert(args) -> Loaded:
    import ai_edge_litert
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=args.model, num_threads=args.threads)
    it.allocate_tensors()
    inputs = []
    for i, d in enumerate(it.get_input_details()):
        it.set_tensor(d["index"], _random(d["shape"], d["dtype"], i))
        inputs.append({"name": d["name"], "shape": [int(x) for x in d["shape"]],
                       "dtype": str(d["dtype"].__name__)})
    return Loaded(f"ai-edge-litert {getattr(ai_edge_litert, '__version__', '?')}", inputs,
                  it.invoke)


def _ncnn_input_shapes(param: str) -> dict[str, list[int]]:
    """Input layers' shapes from the .param text (params 0=w 1=h 11=d 2=c), outermost first."""
    shapes: dict[str, list[int]] = {}
    with open(param) as f:
        lines = f.read().splitlines()[2:]
    for line in lines:
        parts = line.split()
        if len(parts) < 4 or parts[0] != "Input":
            continue
        n_in, n_out = int(parts[2]), int(parts[3])
        top = parts[4 + n_in]
        kv = dict(p.split("=", 1) for p in parts[4 + n_in + n_out:] if "=" in p)
        dims = [int(kv.get(k, 0)) for k in ("2", "11", "1", "0")]  # c, d, h, w
        shapes[top] = [d for d in dims if d > 0] or [1]
    return shapes


def load_ncnn(args) -> Loaded:
    import ncnn
    net = ncnn.Net()
    net.opt.num_threads = args.threads
    net.opt.use_vulkan_compute = False
    if net.load_param(args.model) != 0:
        raise SystemExit(f"ncnn: cannot load param {args.model}")
    if args.weights and net.load_model(args.weights) != 0:
        raise SystemExit(f"ncnn: cannot load weights {args.weights}")
    shapes = _ncnn_input_shapes(args.model)
    names, outs = list(net.input_names()), list(net.output_names())
    mats = [(n, ncnn.Mat(_random(shapes.get(n, [1]), "float32", i))) for i, n in enumerate(names)]

    def run():
        ex = net.create_extractor()
        for n, m in mats:
            ex.input(n, m)
        for o in outs:
            ret, _ = ex.extract(o)
            if ret != 0:
                raise SystemExit(f"ncnn: extract {o} failed with {ret}")

    inputs = [{"name": n, "shape": shapes.get(n, [1]), "dtype": "float32"} for n in names]
    return Loaded(f"ncnn {ncnn.__version__}", inputs, run)


def load_mnn(args) -> Loaded:
    import MNN
    it = MNN.Interpreter(args.model)
    session = it.createSession({"numThread": args.threads})
    inputs = []
    for i, (name, t) in enumerate(sorted(it.getSessionInputAll(session).items())):
        shape = [int(x) for x in t.getShape()]
        host = MNN.Tensor(shape, MNN.Halide_Type_Float, _random(shape, "float32", i),
                          MNN.Tensor_DimensionType_Caffe)
        t.copyFrom(host)
        inputs.append({"name": name, "shape": shape, "dtype": "float32"})

    def run():
        code = it.runSession(session)
        if code not in (0, None):
            raise SystemExit(f"mnn: runSession returned {code}")

    return Loaded(f"MNN {MNN.version()}", inputs, run)


LOADERS = {"litert": load_litert, "ncnn": load_ncnn, "mnn": load_mnn}
MODULES = {"litert": "ai_edge_litert.interpreter", "ncnn": "ncnn", "mnn": "MNN"}


def _p90(xs: list[float]) -> float:
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=10, method="inclusive")[8]


def measure(args) -> dict:
    """Import (not counted in init, as a native tool has no import), load, warm up, measure."""
    t0 = time.perf_counter_ns()
    importlib.import_module(MODULES[args.framework])
    import_ns = time.perf_counter_ns() - t0
    t0 = time.perf_counter_ns()
    model = LOADERS[args.framework](args)
    init_ns = time.perf_counter_ns() - t0

    def timed() -> float:
        s = time.perf_counter_ns()
        model.run()
        return _ms(time.perf_counter_ns() - s)

    warm = [timed() for _ in range(args.warmup)]
    samples = [timed() for _ in range(args.repetitions)]
    return {
        "tool": TOOL, "framework": args.framework, "framework_version": model.version,
        "model": args.model, "threads": args.threads, "inputs": model.inputs,
        "warmup": args.warmup, "repetitions": args.repetitions,
        "import_ms": _ms(import_ns), "init_ms": _ms(init_ns),
        "first_inference_ms": (warm or samples)[0],
        "warmup_avg_ms": statistics.fmean(warm) if warm else None,
        "latency_avg_ms": statistics.fmean(samples),
        "latency_min_ms": min(samples),
        "latency_max_ms": max(samples),
        "latency_std_ms": statistics.pstdev(samples),
        "latency_median_ms": statistics.median(samples),
        "latency_p90_ms": _p90(samples),
        "samples_ms": samples,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("framework", choices=sorted(LOADERS))
    ap.add_argument("--model", required=True)
    ap.add_argument("--weights", help="ncnn: the .bin beside the .param")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repetitions", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    if args.repetitions < 1 or args.warmup < 0 or args.threads < 1:
        ap.error("--repetitions and --threads must be >= 1, --warmup >= 0")
    doc = measure(args)
    sys.stdout.flush()
    print(json.dumps(doc), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
