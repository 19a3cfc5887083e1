"""MNN `benchmark.out` (alibaba/MNN `benchmark/benchmark.cpp`, docs `tools/benchmark.md`).

```
bench runners add mnn --abi android-arm64-v8a ./benchmark.out --lib libMNN.so
bench run --device pixel8 --runner mnn --model mobilenet.mnn --param forward_type=vulkan \
    --param threads=4 --param precision=low --repetitions 50 --warmup 10
```

One invocation: `benchmark.out MODELS_DIR LOOP WARMUP FORWARD THREADS PRECISION`, MNN's own
positional order. benchmark.out measures every `.mnn` file of a folder; the artifact store
keeps each model in its own folder, so the model's folder holds just this model.
Forward types: cpu 0, metal 1, cuda 2, opencl 3, auto 4, nn 5, opengl 6, vulkan 7; precision:
normal 0, high 1, low 2, low_bf16 3. The parser also reads `llm_bench` tables. Without a native
binary the host runner (MNN wheel) takes over.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from ..config import DeviceConfig
from ..job import Job
from ..results import Result
from . import mnn_parse
from .base import Invocation
from .formats import expect_format
from .native import check_params, choice, pick

FORWARD = {"cpu": "0", "metal": "1", "cuda": "2", "opencl": "3", "auto": "4", "nn": "5",
           "opengl": "6", "vulkan": "7"}
PRECISION = {"normal": "0", "high": "1", "low": "2", "low_bf16": "3"}
THREADS = ("threads", "num_threads", "t")


class Mnn:
    name = "mnn"
    binary = "benchmark.out"
    host_framework = "mnn"

    def check_model(self, model: Path) -> str:
        return expect_format(model, "mnn", self.name)

    def invocations(self, device: DeviceConfig, job: Job, binary: str, model: str,
                    files: dict[str, str] | None = None) -> list[Invocation]:
        check_params(job, self.name, (*THREADS, "forward_type", "precision"))
        forward = choice(pick(job, ("forward_type",), "cpu"), "forward_type", FORWARD)
        precision = choice(pick(job, ("precision",), "normal"), "precision", PRECISION)
        argv = [binary, posixpath.dirname(model) or ".", str(job.repetitions), str(job.warmup),
                forward, pick(job, THREADS, "4"), precision]
        return [Invocation("benchmark", argv)]

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return mnn_parse.parse(stdout, stderr)
