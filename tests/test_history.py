"""`bench history`: a case across suite runs with change points, on a real DB filled through
the ORM with constructed per-repetition samples (a step of -10% from the fifth suite run)."""

import pytest

from conftest import bench, bench_json

NIGHTS = [100.0, 101.0, 99.5, 100.4, 90.2, 90.8, 89.9, 90.5]


@pytest.fixture
def nightly_db(env):
    from harness.results import Result
    from harness.suites import job_key
    from results_db import store
    from results_db.engine import open_db
    from results_db.models import Run
    from results_db.suites import SuiteRun, link

    sessions = open_db(env["BENCH_DB"])
    key = job_key("local", "llama.cpp", "tiny", {"n": "32", "p": "64", "t": "2"})
    other = job_key("local", "llama.cpp", "tiny", {"n": "32", "p": "64", "t": "1"})
    with sessions() as s:
        dev = store.get_or_create_device(s, "local", "local", None, None, {})
        for night, level in enumerate(NIGHTS):
            sr = SuiteRun(name="nightly", file="suites/nightly.yaml", spec={"jobs": [key]})
            s.add(sr)
            s.flush()
            for k, lv in ((key, level), (other, 50.0)):
                run = Run(device=dev, runner="llama.cpp", harness_version="t",
                          job={"params": {}}, status="running")
                s.add(run)
                samples = [lv * (1 + 0.004 * ((i * 7 + night) % 5 - 2)) for i in range(10)]
                store.add_results(s, run, [Result({"test": "tg32", "phase": "decode"},
                                                  {"tokens_per_s": lv},
                                                  {"tokens_per_s": samples})])
                store.finish(run, "ok")
                s.flush()
                link(s, sr.id, k, run.id)
        s.commit()
    return key


def test_history_reports_the_first_suite_run_of_a_step(nightly_db, tmp_path):
    png = tmp_path / "h.png"
    out = bench_json("history", "--device", "local", "--runner", "llama.cpp", "--test", "tg32",
                     "--metric", "tokens_per_s", "--param", "t=2", "-o", str(png))
    [ser] = out["series"]
    assert ser["case"] == f"{nightly_db} tg32"
    assert [p["suite_run"] for p in ser["points"]] == [f"s{i}" for i in range(1, 9)]
    assert [p["n"] for p in ser["points"]] == [10] * 8
    [cp] = ser["change_points"]
    assert cp["suite_run"] == "s5" and cp["ratio"] == pytest.approx(0.9, abs=0.01)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_history_without_a_selector_shows_each_job_as_a_series(nightly_db):
    out = bench_json("history", "--test", "tg32")
    assert len(out["series"]) == 2
    flat = next(s for s in out["series"] if "t=1" in s["case"])
    assert flat["change_points"] == []


def test_history_with_no_match_is_bad_input(nightly_db):
    p = bench("history", "--device", "pixel-8", check=2)
    assert p.stderr.startswith("error: no suite run has a case matching")
