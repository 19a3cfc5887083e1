"""MLC LLM `mlc_llm bench` (mlc-ai/mlc-llm `python/mlc_llm/cli/bench.py`, 2024 CLI).

```
bench runners add mlc --abi linux-aarch64 ~/.local/bin/mlc_llm
bench run --device orin --runner mlc --model dist/Llama-2-7b-q4f16_1/params/mlc-chat-config.json \
    --param device=cuda --param generate_length=128
```

The model is given as its `mlc-chat-config.json` (the compiled weights folder holds it); the
tool gets that folder: `mlc_llm bench DIR --device D --generate-length N [--prompt P]
[--model-lib-path LIB]`. mlc_llm bench does its own warm-up and one measured generation, so
`--repetitions`/`--warmup` are not forwarded. The parser reads the statistics it prints
(prefill/decode tok/s), chat `/stats` lines and jetson-containers benchmark.py summaries.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

from ..config import DeviceConfig
from ..job import BadInput, Job
from ..results import Result
from . import mlc_parse
from .base import Invocation
from .native import check_params, pick

CONFIG = "mlc-chat-config.json"
FLAGS = {"device": "--device", "generate_length": "--generate-length", "prompt": "--prompt",
         "model_lib_path": "--model-lib-path"}


class Mlc:
    name = "mlc"
    binary = "mlc_llm"
    host_framework = None

    def check_model(self, model: Path) -> str:
        expected = f"mlc expects the model's {CONFIG} (a JSON file from mlc_llm gen_config)"
        if model.name != CONFIG:
            raise BadInput(f"{model}: not {CONFIG}; {expected}")
        try:
            config = json.loads(model.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadInput(f"{model}: not valid JSON; {expected}") from None
        if not isinstance(config, dict) or "model_type" not in config:
            raise BadInput(f"{model}: no model_type field; {expected}")
        return "mlc"

    def invocations(self, device: DeviceConfig, job: Job, binary: str, model: str,
                    files: dict[str, str] | None = None) -> list[Invocation]:
        check_params(job, self.name, FLAGS)
        argv = [binary, "bench", posixpath.dirname(model) or ".",
                "--device", pick(job, ("device",), "auto"),
                "--generate-length", pick(job, ("generate_length",), "128")]
        for key in ("prompt", "model_lib_path"):
            if key in job.params:
                argv += [FLAGS[key], str(job.params[key])]
        return [Invocation("generate", argv)]

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return mlc_parse.parse(stdout, stderr)
