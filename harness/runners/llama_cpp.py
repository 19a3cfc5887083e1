"""llama.cpp's `llama-bench`.

```
bench run --device local --runner llama.cpp --model m.gguf --param p=512 --param n=128 --param t=4
```

Prompt processing and generation run as separate invocations (`-p P -n 0`, then `-p 0 -n N`)
so each phase has its own start/end on the device clock; `-pg` adds a combined test. Output is
`-o jsonl` (`--warmup 0` adds `--no-warmup`; otherwise llama-bench's own single
warm-up pass runs), which carries llama-bench's per-repetition `samples_ts`. Options: llama.cpp
`tools/llama-bench/README.md`.
"""

from __future__ import annotations

from pathlib import Path

from ..config import DeviceConfig
from ..job import BadInput, Job
from ..results import Result
from . import llama_parse
from .base import Invocation

# --param name -> llama-bench flag (short and long names both accepted)
FLAGS = {
    "t": "-t", "threads": "-t", "ngl": "-ngl", "n_gpu_layers": "-ngl",
    "fa": "-fa", "flash_attn": "-fa", "b": "-b", "batch_size": "-b",
    "ub": "-ub", "ubatch_size": "-ub", "ctk": "-ctk", "cache_type_k": "-ctk",
    "ctv": "-ctv", "cache_type_v": "-ctv",
}
PHASE_PARAMS = {"p", "n_prompt", "n", "n_gen", "pg"}


class LlamaCpp:
    name = "llama.cpp"
    binary = "llama-bench"

    def check_model(self, model: Path) -> str:
        with open(model, "rb") as f:
            magic = f.read(4)
        if magic != b"GGUF":
            raise BadInput(f"{model}: not a GGUF file (llama.cpp expects GGUF, magic 'GGUF')")
        return "gguf"

    def invocations(self, device: DeviceConfig, job: Job, binary: str,
                    model: str) -> list[Invocation]:
        unknown = sorted(set(job.params) - set(FLAGS) - PHASE_PARAMS)
        if unknown:
            raise BadInput(f"--param {unknown[0]}: not a llama.cpp parameter "
                           f"(known: {', '.join(sorted(set(FLAGS) | PHASE_PARAMS))})")
        common = [binary, "-m", model, "-r", str(job.repetitions), "-o", "jsonl"]
        if job.warmup == 0:  # llama-bench runs one warm-up pass per test unless told not to
            common.append("--no-warmup")
        for key, value in job.params.items():
            if key in FLAGS:
                common += [FLAGS[key], str(value)]
        p = job.params.get("p", job.params.get("n_prompt", "512"))
        n = job.params.get("n", job.params.get("n_gen", "128"))
        out: list[Invocation] = []
        if str(p) != "0":
            out.append(Invocation("prefill", common + ["-p", str(p), "-n", "0"]))
        if str(n) != "0":
            out.append(Invocation("decode", common + ["-p", "0", "-n", str(n)]))
        if "pg" in job.params:
            out.append(Invocation("prefill+decode",
                                  common + ["-p", "0", "-n", "0", "-pg", str(job.params["pg"])]))
        if not out:
            raise BadInput("--param p=0 and n=0: nothing to measure")
        return out

    def parse(self, stdout: str, stderr: str = "") -> list[Result]:
        return llama_parse.parse(stdout, stderr)
