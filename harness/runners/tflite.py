"""LiteRT / TFLite `benchmark_model` (tensorflow `tensorflow/lite/tools/benchmark/README.md`).

```
bench runners add tflite --abi android-arm64-v8a ./benchmark_model
bench run --device pixel8 --runner tflite --model m.tflite --param num_threads=4 \
    --param use_xnnpack=true --repetitions 50 --warmup 5
```

One invocation: `benchmark_model --graph=M --num_runs=R --warmup_runs=W --min_secs=0
--warmup_min_secs=0 [--FLAG=V ...]`. benchmark_model runs at least `num_runs` *and* at least
`min_secs`; both minimums are set to 0 so the counts are exactly the job's (pass
`--param min_secs=1` to get the tool's default back). Without a native binary for the device
the host runner (ai-edge-litert wheel) takes over.

A registered `litert-benchmark` (the ai-edge-litert wheel's `benchmark_litert_model.py`
console script) is driven with its own flags: `--model=M --num_runs=R --warmup_runs=W
--num_threads=T [--use_gpu] [--use_npu] [--dispatch_library_path=P]`.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from ..config import DeviceConfig
from ..job import Job
from ..results import Result
from . import tflite_parse
from .base import Invocation
from .formats import expect_format
from .native import check_params

FLAGS = ("num_threads", "use_xnnpack", "use_gpu", "use_nnapi", "use_hexagon",
         "enable_op_profiling", "external_delegate_path", "external_delegate_options",
         "nnapi_accelerator_name", "gpu_precision_loss_allowed", "gpu_backend",
         "xnnpack_force_fp16", "max_secs", "min_secs", "warmup_min_secs", "max_delegated_partitions")
ALIASES = {"threads": "num_threads", "t": "num_threads"}
# litert-benchmark: value flags and on/off switches
LITERT_TOOLS = ("litert-benchmark", "benchmark_litert_model.py")
LITERT_VALUES = ("num_threads", "signature", "dispatch_library_path", "compiler_plugin_path")
LITERT_SWITCHES = ("use_gpu", "use_npu", "require_full_delegation", "no_cpu")
TRUE = ("1", "true", "yes", "on")


class TFLite:
    name = "tflite"
    binary = "benchmark_model"
    host_framework = "litert"

    def check_model(self, model: Path) -> str:
        return expect_format(model, "tflite", self.name)

    def invocations(self, device: DeviceConfig, job: Job, binary: str, model: str,
                    files: dict[str, str] | None = None) -> list[Invocation]:
        if posixpath.basename(binary) in LITERT_TOOLS:
            return self._litert(job, binary, model)
        check_params(job, self.name, (*FLAGS, *ALIASES))
        flags = {"num_runs": str(job.repetitions), "warmup_runs": str(job.warmup),
                 "min_secs": "0", "warmup_min_secs": "0"}
        for key, value in job.params.items():
            flags[ALIASES.get(key, key)] = str(value)
        argv = [binary, f"--graph={model}"] + [f"--{k}={v}" for k, v in flags.items()]
        return [Invocation("benchmark", argv)]

    def _litert(self, job: Job, binary: str, model: str) -> list[Invocation]:
        check_params(job, f"{self.name} (litert-benchmark)",
                     (*LITERT_VALUES, *LITERT_SWITCHES, *ALIASES))
        argv = [binary, f"--model={model}", f"--num_runs={job.repetitions}",
                f"--warmup_runs={job.warmup}"]
        for key, value in job.params.items():
            key = ALIASES.get(key, key)
            if key in LITERT_SWITCHES:
                if str(value).lower() in TRUE:
                    argv.append(f"--{key}")
            else:
                argv.append(f"--{key}={value}")
        return [Invocation("benchmark", argv)]

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return tflite_parse.parse(stdout, stderr)
