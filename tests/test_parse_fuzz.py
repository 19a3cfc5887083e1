"""Property tests for the native-tool parsers: nothing but ParseError ever escapes, and cut-off
output gives a prefix of the whole output's rows plus a warning where the cut is visible."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.results import ParseError, Result
from harness.runners import axera_parse, mlc_parse, mnn_parse, ncnn_parse, rknn_parse, tflite_parse
from harness.runners.detect import detect
from harness.runners.textparse import CUT_LINE
from sample_helpers import samples, text

PARSERS: dict[str, Callable[[str, str], list[Result]]] = {
    "tflite": tflite_parse.parse, "ncnn": ncnn_parse.parse, "mnn": mnn_parse.parse,
    "mlc": mlc_parse.parse, "rknn": rknn_parse.parse, "axera": axera_parse.parse}
FOLDER = {"tflite": "tflite_benchmark", "ncnn": "ncnn", "mnn": "mnn", "mlc": "mlc_llm",
          "rknn": "rknn", "axera": "axera"}
CASES = [(name, text(p)) for name, folder in FOLDER.items() for p in samples(folder)]
CASE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]
SETTINGS = settings(max_examples=150, deadline=None)


def run(parser: Callable[[str, str], list[Result]], out: str) -> list[Result] | None:
    """The rows, or None for ParseError; any other exception fails the test."""
    try:
        rows = parser(out, "")
    except ParseError:
        return None
    assert isinstance(rows, list) and rows
    for r in rows:
        assert isinstance(r, Result)
        assert all(isinstance(v, float) for v in r.metrics.values()), r.metrics
    return rows


def assert_prefix(part: list[Result], full: list[Result]) -> None:
    """Rows of a cut-off output: the first rows of the whole output, each with a subset of its
    case and metrics (same values); a row cut inside its per-iteration values has a prefix of
    them, and its summary metrics are over those."""
    assert len(part) <= len(full)
    for p, f in zip(part, full):
        assert p.case.items() <= f.case.items(), (p.case, f.case)
        for key, values in p.samples.items():
            assert f.samples[key][: len(values)] == values
        if p.samples == f.samples:
            assert p.metrics.items() <= f.metrics.items(), (p.metrics, f.metrics)


def _cut_mid_number(out: str) -> bool:
    tail = out.rsplit("\n", 1)[-1]
    return bool(tail.strip()) and re.search(r"[\d.]\s*$", tail) is not None


def check_cut(name: str, full_text: str, cut: str) -> None:
    parser = PARSERS[name]
    full = run(parser, full_text)
    part = run(parser, cut)
    if full is None:  # the axera warm-up failure: every prefix fails too
        assert part is None
        return
    if part is None:
        return
    assert_prefix(part, full)
    if _cut_mid_number(cut):
        assert CUT_LINE in part[-1].warnings


@pytest.mark.parametrize("name,out", CASES, ids=CASE_IDS)
def test_every_line_boundary_cut_is_a_prefix(name: str, out: str) -> None:
    lines = out.split("\n")
    for n in range(len(lines)):
        check_cut(name, out, "\n".join(lines[:n]) + ("\n" if n else ""))


@SETTINGS
@given(st.sampled_from(range(len(CASES))), st.floats(0, 1))
def test_cut_anywhere_is_a_prefix_with_warning(index: int, where: float) -> None:
    name, out = CASES[index]
    check_cut(name, out, out[: int(len(out) * where)])


@pytest.mark.parametrize("name,out", CASES, ids=CASE_IDS)
def test_whole_sample_has_no_warning(name: str, out: str) -> None:
    rows = run(PARSERS[name], out)
    assert rows is None or all(r.warnings == [] for r in rows)


@SETTINGS
@given(st.sampled_from(sorted(PARSERS)), st.text(max_size=400))
def test_random_text_only_parse_error(name: str, junk: str) -> None:
    run(PARSERS[name], junk)
    run(PARSERS[name], "", )
    detect(junk)


NOISE = st.sampled_from(["", "count=", "min = ", "  min =  1.0  max = x  avg = 2", "loop_count = ",
                         "| model | modelSize | test | speed(tok/s) |", "|a|b|", "[ - ] ",
                         "Run AxModel:", "   0: Elapse Time = ms, FPS = 1", "Begin perf ...",
                         "-" * 40, "Forward type: ", "prefill: nan tok/s, decode: inf tok/s",
                         "avg = 1e999 ms", "\t[Node type]\t[avg ms]", "\x00\ufeff", "µs", "1e-400",
                         "Inference timings in us: Init: 1e400, First inference: -0, "
                         "Warmup (avg): nan, Inference (avg): 1"])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name, out = CASES[draw(st.sampled_from(range(len(CASES))))]
    lines = out.split("\n")
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "chop", "replace"]))
        if not lines:
            lines = [draw(NOISE)]
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(NOISE))
        elif op == "chop":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        else:
            lines[i] = draw(NOISE) + lines[i][draw(st.integers(0, len(lines[i]))):]
    return name, "\n".join(lines)


@SETTINGS
@given(mutated(), st.sampled_from(sorted(PARSERS)))
def test_line_mutations_only_parse_error(case: tuple[str, str], other: str) -> None:
    name, out = case
    run(PARSERS[name], out)
    run(PARSERS[other], out)  # another tool's parser on it: rows or ParseError, never a crash
    detect(out)
