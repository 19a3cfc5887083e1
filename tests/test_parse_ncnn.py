"""harness.runners.ncnn_parse on every benchncnn sample: every model of every header block."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.results import ParseError
from harness.runners.ncnn_parse import parse
from sample_helpers import expected, ids, sample, samples, text

ALL = samples("ncnn")


def test_every_sample_is_covered() -> None:
    assert len(ALL) == 4


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_rows_match_meta(path: Path) -> None:
    exp = expected(path)
    want = []
    for run in exp["runs"]:
        for model in run["models"]:
            case = {"model": model["model"], **run["header"]}
            if "gpu_name" in run:
                case["gpu_name"] = run["gpu_name"]
            case["backend"] = "vulkan" if run["header"].get("gpu_device", -1) >= 0 else "cpu"
            want.append((case, {"latency_min_ms": model["min_ms"],
                                "latency_max_ms": model["max_ms"],
                                "latency_avg_ms": model["avg_ms"]}))
    rows = parse(text(path))
    assert len(exp["runs"]) == exp["num_runs"]
    assert [(r.case, r.metrics) for r in rows] == want
    assert all(r.warnings == [] for r in rows)


def test_2019_header_has_no_cooling_down_and_gpu_name_from_device_lines() -> None:
    rows = parse(text(sample("ncnn", "sd835_xiaomi6_2019_oldheader")))
    assert "cooling_down" not in rows[0].case
    assert rows[0].case["gpu_name"] == "Adreno (TM) 540"
    gpu_rows = [r for r in rows if r.case["gpu_device"] == 0]
    assert len(gpu_rows) == 15 and gpu_rows[0].case["backend"] == "vulkan"


def test_rpi5_picks_the_selected_device_of_two() -> None:
    rows = parse(text(sample("ncnn", "rpi5_videocore7_vulkan")))
    assert {r.case["gpu_name"] for r in rows} == {"V3D 7.1.7"}  # device 0, not llvmpipe
    vit = next(r for r in rows if r.case["model"] == "squeezenet")
    assert vit.case["loop_count"] == 10 and vit.case["num_threads"] == 4


def test_2018_format_three_header_lines() -> None:
    out = ("root@msm8996:/data/local/tmp/ncnn # ./benchncnn 8 4 0\nloop_count = 8\n"
           "num_threads = 4\npowersave = 0\n"
           "      squeezenet  min =   34.99  max =   35.49  avg =   35.21\n")
    (row,) = parse(out)
    assert row.case == {"model": "squeezenet", "loop_count": 8, "num_threads": 4,
                        "powersave": 0, "backend": "cpu"}
    assert row.metrics == {"latency_min_ms": 34.99, "latency_max_ms": 35.49,
                           "latency_avg_ms": 35.21}


def test_header_without_rows_warns() -> None:
    full = text(sample("ncnn", "sd8gen2_adreno740_android"))
    cut = full[: full.index("./benchncnn 4 4 2 -1 1")] + "./benchncnn 4 4 2 -1 1\nloop_count = 4\n"
    rows = parse(cut)
    assert len(rows) == 35
    assert any("no model results" in w for w in rows[-1].warnings)


def test_line_cut_inside_a_number_is_dropped_with_warning() -> None:
    full = text(sample("ncnn", "jetson_nano"))
    cut = full[: full.index("avg =   16.09") + len("avg =   16.0")]
    rows = parse(cut)
    assert [r.case["model"] for r in rows] == ["squeezenet", "squeezenet_int8"]
    assert any("mid-line" in w for w in rows[-1].warnings)


def test_no_header_is_parse_error() -> None:
    with pytest.raises(ParseError, match="benchncnn"):
        parse("      squeezenet  min =   34.99  max =   35.49  avg =   35.21\n")
