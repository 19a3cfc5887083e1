"""harness.runners.axera_parse on every ax_run_model / axcl_run_model sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.results import ParseError
from harness.runners.axera_parse import parse
from harness.runners.textparse import basename
from sample_helpers import expected, ids, sample, samples, text

ALL = samples("axera")
OK = [p for p in ALL if "failure" not in p.name]
CASE_KEYS = {"type": "npu_mode", "vnpu": "vnpu", "affinity": "affinity", "warmup": "warmup",
             "repeat": "repeat", "parallel": "parallel", "pulsar2_ver": "pulsar2_version",
             "engine_ver": "engine_version", "tool_ver": "tool_version",
             "axclrt_ver": "axclrt_version", "cmm_size_bytes": "cmm_size_bytes",
             "sys_lib_version": "sys_lib_version"}
METRICS = {"min_ms": "latency_min_ms", "max_ms": "latency_max_ms", "avg_ms": "latency_avg_ms",
           "median_ms": "latency_median_ms", "p5_ms": "latency_p5_ms", "p90_ms": "latency_p90_ms",
           "p95_ms": "latency_p95_ms", "p99_ms": "latency_p99_ms"}


def test_every_sample_is_covered() -> None:
    assert len(ALL) == 5 and len(OK) == 4


@pytest.mark.parametrize("path", OK, ids=ids(OK))
def test_row_matches_meta(path: Path) -> None:
    exp = expected(path)
    (row,) = parse(text(path))
    want_case = {"model": basename(exp["model"]), "batch": str(exp["batch"])}
    want_case.update({ours: exp[key] for key, ours in CASE_KEYS.items() if key in exp})
    assert row.case == want_case
    assert row.metrics == {ours: exp[key] for key, ours in METRICS.items() if key in exp}
    assert row.warnings == []


def test_percentiles_kept_as_printed_even_when_reversed() -> None:
    (row,) = parse(text(sample("axera", "ax_run_model_m5stack_llm_kit_ax630c_kws_r100_percentiles")))
    assert row.metrics["latency_p5_ms"] > row.metrics["latency_p99_ms"]


def test_warmup_failure_raises_with_the_tools_messages() -> None:
    path = sample("axera", "ax_run_model_m5stack_llm630_ax620e_u16_warmup_failure")
    with pytest.raises(ParseError) as info:
        parse(text(path))
    message = str(info.value)
    assert message.startswith("ax_run_model failed: ")
    for error in expected(path)["errors"]:
        assert error in message
    assert "\n" not in message


def test_cut_before_percentile_line_warns() -> None:
    full = text(sample("axera", "axcl_run_model_rock5bplus_ax_m1_ax650n_yolov8s_percentiles"))
    (row,) = parse(full[: full.index("   5% =")])
    assert row.metrics == {"latency_min_ms": 4.222, "latency_max_ms": 4.787,
                           "latency_avg_ms": 4.562, "latency_median_ms": 4.547}
    assert any("closing rule" in w for w in row.warnings)


def test_header_only_is_parse_error() -> None:
    full = text(sample("axera", "ax_run_model_ax650_mobilenetv2_1core_pulsar2docs"))
    with pytest.raises(ParseError, match="no ax_run_model timings"):
        parse(full[: full.index("  min =")])
