"""Shared bits of the native-tool runner adapters (tflite, ncnn, mnn, mlc, rknn, axera)."""

from __future__ import annotations

from collections.abc import Iterable

from ..job import BadInput, Job


def check_params(job: Job, runner: str, known: Iterable[str]) -> None:
    """Reject a --param the tool does not take, naming the ones it does (exit 2 in the CLI)."""
    known = sorted(set(known))
    unknown = sorted(set(job.params) - set(known))
    if unknown:
        raise BadInput(f"--param {unknown[0]}: not a {runner} parameter "
                       f"(known: {', '.join(known) or 'none'})")


def pick(job: Job, names: Iterable[str], default: str) -> str:
    """The value of the first of `names` (aliases of one parameter) given, else `default`."""
    for name in names:
        if name in job.params:
            return str(job.params[name])
    return default


def choice(value: str, option: str, table: dict[str, str]) -> str:
    """A symbolic value (`vulkan`) or the tool's own number (`7`) -> the tool's number."""
    v = value.strip().lower()
    if v in table:
        return table[v]
    if v in table.values():
        return v
    raise BadInput(f"--param {option}={value}: expected one of "
                   f"{', '.join(f'{k} ({n})' for k, n in table.items())}")
