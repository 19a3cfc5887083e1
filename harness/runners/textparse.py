"""Small helpers shared by the native-tool output parsers (tflite, ncnn, mnn, mlc, rknn, axera).

Truncation contract (all parsers): output is read line by line; a last line without its
newline that ends in a digit or '.' may have been cut inside a number, so it is ignored and
the rows get a warning (`Result.warnings`). Each parser adds its own warning when a section it
knows is incomplete (a header with no rows, a missing summary line). Rows read from a cut-off
output are a prefix of the rows of the whole output.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath, PureWindowsPath
from typing import Callable

from ..results import ParseError, Result

NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
CUT_LINE = "output ends mid-line (cut off?); the unfinished last line was ignored"


def lines_of(text: str) -> tuple[list[str], list[str]]:
    """(complete lines, warnings). CRLF/CR are normalized; see the module doc for the last line."""
    if not text:
        return [], []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tail = lines.pop()  # "" when the text ends with a newline
    if tail.strip():
        if re.search(r"[\d.]\s*$", tail):
            return lines, [CUT_LINE]
        lines.append(tail)
    return lines, []


def num(text: str) -> float | None:
    """A finite float, or None (no exceptions: parsers see arbitrary text)."""
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def scaled(text: str, factor: int | float | str, divide: bool = False) -> float | None:
    """`text` x factor (or / factor) computed in decimal, so 49060 us -> exactly 49.06 ms."""
    try:
        d = Decimal(text)
        f = Decimal(str(factor))
        out = d / f if divide else d * f
    except (InvalidOperation, ValueError, ZeroDivisionError, OverflowError):
        return None
    return num(str(out)) if out.is_finite() else None


def to_int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[-+]?\d{1,18}", text.strip()) else None


def basename(path: str) -> str:
    """Last component of a POSIX or Windows path as printed by a tool."""
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return name or path


def parse_streams(stdout: str, stderr: str,
                  parse_text: Callable[[str], tuple[list[Result], list[str]]],
                  none_found: str) -> list[Result]:
    """Rows of both streams (tools print their results to either), stdout first; ParseError
    `none_found` when neither has any."""
    results: list[Result] = []
    warnings: list[str] = []
    for text in (stdout, stderr):
        rows, warns = parse_text(text)
        results += rows
        warnings += warns
    if not results:
        raise ParseError(none_found)
    return finish(results, warnings)


def finish(results: list[Result], warnings: list[str]) -> list[Result]:
    """Attach the parse's warnings to its last row (the one nearest the cut)."""
    if results and warnings:
        for w in warnings:
            if w not in results[-1].warnings:
                results[-1].warnings.append(w)
    return results
