"""Runner plug-ins, registered in one place: adding a framework is one module and one line."""

from __future__ import annotations

from ..job import BadInput
from .base import Invocation, Runner


def _registry() -> dict[str, Runner]:
    from .llama_cpp import LlamaCpp

    return {r.name: r for r in (LlamaCpp(),)}


KNOWN_NAMES = ("llama.cpp",)


def get_runner(name: str) -> Runner:
    reg = _registry()
    if name not in reg:
        raise BadInput(f"unknown runner {name!r} (known: {', '.join(sorted(reg))})")
    return reg[name]


__all__ = ["get_runner", "Invocation", "Runner", "KNOWN_NAMES"]
