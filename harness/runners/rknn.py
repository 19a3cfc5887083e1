"""Rockchip `rknn_benchmark` (airockchip/rknn-toolkit2 `rknpu2/examples/rknn_benchmark`).

```
bench runners add rknn --abi linux-aarch64 ./rknn_benchmark --lib librknnrt.so
bench run --device rock5b --runner rknn --model yolov8n.rknn --param core_mask=7 --repetitions 100
```

One invocation with the tool's positional arguments: `rknn_benchmark MODEL INPUT LOOP
CORE_MASK`. INPUT is `--param input=a.jpg#b.npy` as a path on the device, or empty, which the
tool answers with zero-filled inputs. CORE_MASK (RK3588 only): 0 auto, 1 core0, 2 core1,
4 core2, 3 core0+1, 7 all three; the tool's default is 1. rknn_benchmark's 5 warm-up runs are
fixed, so `--warmup` is not forwarded. The parser also reads perf-detail and eval_memory dumps,
rknn_common_test and RKNNLite forward-cost lines.
"""

from __future__ import annotations

from pathlib import Path

from ..config import DeviceConfig
from ..job import BadInput, Job
from ..results import Result
from . import rknn_parse
from .base import Invocation
from .formats import expect_format
from .native import check_params, pick

CORE_MASKS = ("0", "1", "2", "3", "4", "5", "6", "7")


class Rknn:
    name = "rknn"
    binary = "rknn_benchmark"
    host_framework = None

    def check_model(self, model: Path) -> str:
        return expect_format(model, "rknn", self.name)

    def invocations(self, device: DeviceConfig, job: Job, binary: str, model: str,
                    files: dict[str, str] | None = None) -> list[Invocation]:
        check_params(job, self.name, ("core_mask", "input"))
        mask = pick(job, ("core_mask",), "1")
        if mask not in CORE_MASKS:
            raise BadInput(f"--param core_mask={mask}: expected 0 (auto), 1, 2, 4 (one core), "
                           "3 (cores 0+1) or 7 (all three)")
        argv = [binary, model, pick(job, ("input",), ""), str(job.repetitions), mask]
        return [Invocation("benchmark", argv)]

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return rknn_parse.parse(stdout, stderr)
