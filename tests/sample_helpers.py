"""Loading the real captured outputs in ../shared/samples and their metas (parser tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"

# sample folder -> runner name; the npu load files are telemetry, not runner output
FOLDERS = {"tflite_benchmark": "tflite", "ncnn": "ncnn", "mnn": "mnn", "mlc_llm": "mlc",
           "rknn": "rknn", "axera": "axera", "llama_bench": "llama.cpp",
           "llama_timings": "llama.cpp"}
NOT_RUNNER_OUTPUT = ("npu_load_",)


def samples(folder: str) -> list[Path]:
    found = sorted((SAMPLES / folder).glob("*.txt"))
    assert found, f"no samples in {SAMPLES / folder}"  # a broken checkout, not a skip
    return [p for p in found if not p.name.startswith(NOT_RUNNER_OUTPUT)]


def runner_samples() -> list[tuple[str, Path]]:
    return [(runner, p) for folder, runner in FOLDERS.items() for p in samples(folder)]


def other_samples() -> list[Path]:
    out = [p for p in SAMPLES.glob("*/*.txt") if p.parent.name not in FOLDERS]
    out += [p for p in SAMPLES.glob("rknn/*.txt") if p.name.startswith(NOT_RUNNER_OUTPUT)]
    return sorted(out)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def meta(path: Path) -> dict[str, Any]:
    return json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))


def expected(path: Path) -> dict[str, Any]:
    return meta(path)["expected"]


def sample(folder: str, stem: str) -> Path:
    path = SAMPLES / folder / f"{stem}.txt"
    assert path.is_file(), path
    return path


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]
