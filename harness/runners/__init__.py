"""Runner plug-ins, registered in one place: adding a framework is one module and one line."""

from __future__ import annotations

from ..job import BadInput
from .base import Invocation, Runner


def _registry() -> dict[str, Runner]:
    from .axera import Axera
    from .llama_cpp import LlamaCpp
    from .mlc import Mlc
    from .mnn import Mnn
    from .ncnn import Ncnn
    from .rknn import Rknn
    from .tflite import TFLite

    return {r.name: r for r in (LlamaCpp(), TFLite(), Ncnn(), Mnn(), Mlc(), Rknn(), Axera())}


KNOWN_NAMES = ("llama.cpp", "tflite", "ncnn", "mnn", "mlc", "rknn", "axera")


def get_runner(name: str) -> Runner:
    reg = _registry()
    if name not in reg:
        raise BadInput(f"unknown runner {name!r} (known: {', '.join(sorted(reg))})")
    return reg[name]


__all__ = ["get_runner", "Invocation", "Runner", "KNOWN_NAMES"]
