"""ncnn `benchncnn` (Tencent/ncnn `benchmark/README.md`, `benchmark/benchncnn.cpp`).

```
bench runners add ncnn --abi android-arm64-v8a ./benchncnn
bench run --device pixel8 --runner ncnn --model squeezenet.param --param num_threads=4 \
    --param gpu_device=0 --repetitions 8
```

One invocation with benchncnn's positional arguments: `benchncnn LOOP THREADS POWERSAVE
GPU_DEVICE COOLING_DOWN param=M.param [shape=[w,h,c]]` (the `key=value` form is benchncnn's
since 2023). LOOP is the job's repetitions; benchncnn's own warm-up is fixed by the tool, so
`--warmup` is not forwarded. benchncnn does not read the `.bin` (weights are random), but the
model is checked as a `.param` with its `.bin` beside it like every ncnn model. Without a
native binary the host runner (ncnn wheel) takes over.
"""

from __future__ import annotations

from pathlib import Path

from ..config import DeviceConfig
from ..job import Job
from ..results import Result
from . import ncnn_parse
from .base import Invocation
from .formats import expect_format
from .native import check_params, pick

THREADS = ("num_threads", "threads", "t")
POSITIONAL = (("powersave", "0"), ("gpu_device", "-1"), ("cooling_down", "0"))


class Ncnn:
    name = "ncnn"
    binary = "benchncnn"
    host_framework = "ncnn"

    def check_model(self, model: Path) -> str:
        return expect_format(model, "ncnn", self.name)

    def invocations(self, device: DeviceConfig, job: Job, binary: str, model: str,
                    files: dict[str, str] | None = None) -> list[Invocation]:
        check_params(job, self.name, (*THREADS, *(k for k, _ in POSITIONAL), "shape"))
        argv = [binary, str(job.repetitions), pick(job, THREADS, "1")]
        argv += [pick(job, (key,), default) for key, default in POSITIONAL]
        argv.append(f"param={model}")
        if "shape" in job.params:
            argv.append(f"shape={job.params['shape']}")
        return [Invocation("benchmark", argv)]

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return ncnn_parse.parse(stdout, stderr)
