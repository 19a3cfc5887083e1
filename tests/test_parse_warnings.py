"""Parser warnings on cut-off output become run events (`kind: parse_warning`): per phase in
`execute()` (through `warning_events`), and in `bench import`."""

from __future__ import annotations

from pathlib import Path

from conftest import bench_json
from harness.results import warning_events
from harness.runners import get_runner
from harness.runners.textparse import CUT_LINE
from sample_helpers import sample, text

NCNN = sample("ncnn", "jetson_nano")
RKNN = sample("rknn", "rk3588_perf_detail_yolov8n_1920_single_core")


def _cut_mid_number() -> str:
    """The real benchncnn output cut inside the last model's avg ('avg =  44.' of 44.57)."""
    return text(NCNN).rstrip("\n")[:-2]


def test_cut_output_gives_one_event_per_warning() -> None:
    rows = get_runner("ncnn").parse(_cut_mid_number(), "")
    assert len(rows) == 131 and rows[-1].case["model"] == "yolo-fastest-1.1"
    events = warning_events(rows, 12.3456, "measure")
    assert events == [{"t_s": 12.346, "kind": "parse_warning", "detail": f"measure: {CUT_LINE}"}]


def test_section_warning_of_rknn_perf_detail() -> None:
    full = text(RKNN)
    rows = get_runner("rknn").parse(full[:full.index("Total Operator Elapsed")], "")
    events = warning_events(rows, 0.0)
    assert [e["detail"] for e in events] == [
        "RKNN perf detail table has no 'Total Operator Elapsed' line (output cut off?)"]


def test_complete_output_gives_no_events() -> None:
    assert warning_events(get_runner("ncnn").parse(text(NCNN), ""), 1.0, "measure") == []


def test_import_of_cut_output_records_the_warning(env, tmp_path: Path) -> None:
    cut = tmp_path / "cut.txt"
    cut.write_text(_cut_mid_number())
    run = bench_json("import", "ncnn", str(cut), "--device", "local", "--json")
    assert run["status"] == "ok" and len(run["results"]) == 131
    assert run["events"] == [{"t_s": 0.0, "kind": "parse_warning", "detail": CUT_LINE}]
    shown = bench_json("show", str(run["id"]), "--json")
    assert shown["events"] == run["events"]
    whole = bench_json("import", "ncnn", str(NCNN), "--device", "local", "--json")
    assert whole["events"] == []
