"""Parser throughput on the real samples, as a ratio against reading the same text's lines.

For each native-tool parser: every sample of its tool is repeated to ~1 MB (whole copies, so
the text stays that tool's output) and parsed; the baseline is `str.splitlines()` plus one
regex search per line on the same text in the same run. Prints MB/s and parse/baseline ratio.
Run with `.venv/bin/python benchmarks/parsers.py`.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

from harness.runners import axera_parse, mlc_parse, mnn_parse, ncnn_parse, rknn_parse, tflite_parse

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
TOOLS = {"tflite": ("tflite_benchmark", tflite_parse.parse), "ncnn": ("ncnn", ncnn_parse.parse),
         "mnn": ("mnn", mnn_parse.parse), "mlc": ("mlc_llm", mlc_parse.parse),
         "rknn": ("rknn", rknn_parse.parse), "axera": ("axera", axera_parse.parse)}
TARGET = 1_000_000
ROUNDS = 5
_ANY = re.compile(r"\d+\.\d+")


def best(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def baseline(text: str) -> None:
    for line in text.splitlines():
        _ANY.search(line)


def main() -> None:
    print(f"{'runner':8} {'MB':>6} {'parse MB/s':>11} {'baseline MB/s':>14} {'ratio':>6}")
    ratios = []
    for name, (folder, parse) in TOOLS.items():
        texts = [p.read_text() for p in sorted((SAMPLES / folder).glob("*.txt"))
                 if not p.name.startswith(("npu_load_", "ax_run_model_m5stack_llm630"))]
        one = "".join(texts)
        text = one * max(1, TARGET // len(one))
        mb = len(text.encode()) / 1e6
        t_parse = best(lambda: parse(text))
        t_base = best(lambda: baseline(text))
        ratios.append(t_parse / t_base)
        print(f"{name:8} {mb:6.2f} {mb / t_parse:11.1f} {mb / t_base:14.1f} "
              f"{t_parse / t_base:6.1f}")
    print(f"median parse/baseline time ratio: {statistics.median(ratios):.1f}")


if __name__ == "__main__":
    main()
