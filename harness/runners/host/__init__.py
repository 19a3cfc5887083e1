"""Host runners: a framework's Python wheel stands in for its native benchmark tool.

When no native binary is registered for a runner and the device's ABI, but the runner names a
`host_framework` (tflite -> `litert`, ncnn -> `ncnn`, mnn -> `mnn`), `execute.resolve()` runs
`hostbench.py` (beside this module) with the device's Python instead:

```
bench run --device local --runner tflite --model m.tflite --param threads=2 --repetitions 20
```

The device needs Python 3 and the wheel (`ai-edge-litert`, `ncnn`, `MNN`); on `local` the
harness's own interpreter is used, elsewhere `python3` unless the device config sets `python:`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from ...config import DeviceConfig
from ...job import BadInput, Job
from ...results import Result
from .. import host_parse
from ..base import Invocation, Runner
from ..formats import companions

SCRIPT = Path(__file__).with_name("hostbench.py")
THREAD_PARAMS = ("threads", "t", "num_threads")


@dataclass(frozen=True)
class HostScript:
    """Stands where a registered RunnerBinary would: the script file to place on the device."""

    runner: str
    abi: str | None
    path: Path = SCRIPT
    libs: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def device_python(device: DeviceConfig) -> str:
    if device.python:
        return device.python
    return sys.executable if device.transport == "local" else "python3"


def threads(job: Job) -> int:
    unknown = sorted(set(job.params) - set(THREAD_PARAMS))
    if unknown:
        raise BadInput(f"--param {unknown[0]}: not supported by the {job.runner} host runner "
                       f"(known: {', '.join(THREAD_PARAMS)}; delegates need a native binary, "
                       f"`bench runners add {job.runner} --abi ABI PATH`)")
    value = next((job.params[k] for k in THREAD_PARAMS if k in job.params), "1")
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise BadInput(f"--param threads={value}: expected a whole number >= 1")
    return n


class HostRunner:
    """The Runner protocol over hostbench.py, keeping the wrapped runner's name and checks."""

    def __init__(self, runner: Runner, python: str):
        self.runner = runner
        self.name = runner.name
        self.binary = SCRIPT.name
        self.framework: str = runner.host_framework  # type: ignore[attr-defined]
        self.python = python

    def check_model(self, model: Path) -> str:
        return self.runner.check_model(model)

    def companions(self, model: Path, fmt: str) -> dict[str, Path]:
        return companions(model, fmt)

    def invocations(self, device: DeviceConfig, job: Job, binary: str, model: str,
                    files: dict[str, str] | None = None) -> list[Invocation]:
        argv = [self.python, binary, self.framework, "--model", model,
                "--warmup", str(job.warmup), "--repetitions", str(job.repetitions),
                "--threads", str(threads(job))]
        for role, remote in sorted((files or {}).items()):
            argv += [f"--{role}", remote]
        return [Invocation("inference", argv)]

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return host_parse.parse(stdout, stderr)


def host_runner_for(runner: Runner, device: DeviceConfig) -> HostRunner | None:
    if getattr(runner, "host_framework", None) is None:
        return None
    return HostRunner(runner, device_python(device))
