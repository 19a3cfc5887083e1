"""Axera `ax_run_model` (AXERA-TECH pulsar2-docs `source/other_tools/ax_run_model.rst`).

```
bench runners add axera --abi linux-aarch64 /opt/bin/ax_run_model
bench run --device ax650 --runner axera --model yolov5s.axmodel --repetitions 100 --warmup 10
```

One invocation: `ax_run_model -m MODEL -w WARMUP -r REPEAT` (the AXCL host variant
`axcl_run_model` takes the same flags and prints the same report; register it under `axera`
for a PCIe card). The NPU mode is the model's (compiled as 1/3 cores, Full/Half), reported in
`case["npu_mode"]`. A run whose warm-up fails prints `[ERROR]` lines and no timings: parse()
raises ParseError with those messages, so the run is stored as failed with them.
"""

from __future__ import annotations

from pathlib import Path

from ..config import DeviceConfig
from ..job import Job
from ..results import Result
from . import axera_parse
from .base import Invocation
from .formats import expect_format
from .native import check_params


class Axera:
    name = "axera"
    binary = "ax_run_model"
    host_framework = None

    def check_model(self, model: Path) -> str:
        return expect_format(model, "axmodel", self.name)

    def invocations(self, device: DeviceConfig, job: Job, binary: str, model: str,
                    files: dict[str, str] | None = None) -> list[Invocation]:
        check_params(job, self.name, ())
        argv = [binary, "-m", model, "-w", str(job.warmup), "-r", str(job.repetitions)]
        return [Invocation("benchmark", argv)]

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return axera_parse.parse(stdout, stderr)
