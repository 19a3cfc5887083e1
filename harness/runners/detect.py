"""Which tool printed a text (`bench parse auto FILE`).

`detect`: the runner tool. Each is recognized by lines only it prints (its summary or header
lines, see each parser's module doc); llama.cpp by its own parser. The first match in `ORDER`
wins; text that is not runner output (telemetry, a device listing) gives None.
`detect_output`: any text `bench parse` reads: the host runner's JSON (`host`, its `TOOL` line),
a runner tool's output, or a telemetry format (`TELEMETRY_MARKERS`, names of
`harness.telemetry.parsers.PARSERS`).
"""

from __future__ import annotations

import re

from . import host_parse, llama_parse

_NUM = r"[-+]?\d+(?:\.\d+)?"
MARKERS: dict[str, tuple[re.Pattern[str], ...]] = {
    "axera": (re.compile(r"^\s*Run AxModel:\s*$", re.M),
              re.compile(r"\b(?:ax|axcl)_run_model\b")),
    "rknn": (re.compile(r"rknn_api/rknnrt version:"),
             re.compile(r"RKNN (?:Runtime|Driver|Model) Information"),
             re.compile(r"Network Layer Information Table|Operator Time Consuming Ranking"),
             re.compile(r"Memory Profile Info Dump"),
             re.compile(rf"Avg Time {_NUM}\s*ms, Avg FPS"),
             re.compile(r"^\s*Driver Version: \S+, API Version: ", re.M),
             re.compile(r"forward cost time:")),
    "tflite": (re.compile(r"Inference timings in us:"),
               re.compile(r"Average inference timings in us:"),
               re.compile(r"Running benchmark for at least \d+ iterations"),
               re.compile(r"The input model file size \(MB\):"),
               re.compile(r"^Inference \(avg\):\s+\S+ ms", re.M)),
    "mnn": (re.compile(r"^\s*MNN benchmark\s*$", re.M),
            re.compile(r"^\s*Forward type:\s*\**\s*\w+", re.M),
            re.compile(rf"\[\s*-\s*\]\s*\S+\s+max\s*=\s*{_NUM}\s*ms"),
            re.compile(r"\|\s*modelSize\s*\|.*\|\s*speed\(tok/s\)\s*\|"),
            re.compile(rf"^\s*prefill speed\s*=\s*{_NUM}\s*tok/s", re.M)),
    "ncnn": (re.compile(r"^\s*loop_count\s*=\s*\d+\s*$", re.M),
             re.compile(r"\bbenchncnn\b")),
    "mlc": (re.compile(rf"prefill:\s*{_NUM}\s*tok/s,\s*decode:\s*{_NUM}\s*tok/s"),
            re.compile(r"prefill_rate\s+\S+\s+tokens/sec"),
            re.compile(r"^\s*-{3,}\s*prefill\s*-{3,}\s*$", re.M),
            re.compile(r"\bmlc_(?:chat_cli|chat|llm)\b")),
}
ORDER = ("axera", "rknn", "tflite", "mnn", "ncnn", "mlc", "llama.cpp")


def detect(text: str) -> str | None:
    """The runner name (`bench parse` RUNNER) whose tool printed `text`, or None."""
    for name in ORDER:
        if name == "llama.cpp":
            if llama_parse.detect(text):
                return name
        elif any(p.search(text) for p in MARKERS[name]):
            return name
    return None


HOST = "host"  # `bench parse host FILE`: hostbench.py's JSON (harness/runners/host_parse.py)
_HOST_LINE = re.compile(rf'^\s*{{.*"tool"\s*:\s*"{re.escape(host_parse.TOOL)}"', re.M)
TELEMETRY_MARKERS: dict[str, re.Pattern[str]] = {
    "tegrastats": re.compile(r"\bRAM \d+/\d+MB\b.*\bCPU \["),
    "dumpsys-battery": re.compile(r"^\s*Current Battery Service state:\s*$", re.M),
    "dumpsys-thermal": re.compile(r"^\s*(?:IsStatusOverride:|Current temperatures from HAL:|"
                                  r"Cached temperatures:)|Temperature\{mValue=", re.M),
    "getprop": re.compile(r"^\s*\[ro\.[\w.]+\]: \[", re.M),
    "npu-load": re.compile(r"NPU load:\s*(?:Core\d+:\s*)?\d+%"),
    "odpm": re.compile(r"^\s*CH\d+\(T=\d+\)\[\w+\],\s*\d+", re.M),
}


def detect_output(text: str) -> str | None:
    """The `bench parse` name for `text`: `host`, a runner, a telemetry format, or None."""
    if _HOST_LINE.search(text):
        return HOST
    found = detect(text)
    if found is not None:
        return found
    return next((name for name, p in TELEMETRY_MARKERS.items() if p.search(text)), None)
