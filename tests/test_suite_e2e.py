"""`bench suite run/resume`, baselines, regressions and reports end to end: the real CLI, the
real llama-bench on the `local` device, synthetic GGUF models."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import REPO, bench, bench_json


def suite_file(tmp_path: Path, name: str, models: str, params: str, reps: int = 5) -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"name: ci\ndevices: [local]\nrunners: [llama.cpp]\n"
                 f"models:\n{models}params: {params}\n"
                 f"repetitions: {reps}\nwarmup: 0\n")
    return p


TINY = "  - {name: tiny, synth: {params: 8M, quant: q4_0}}\n"
BIG = "  - {name: tiny, synth: {params: 40M, quant: q8_0}}\n"   # same case name, 10x the bytes


def test_suite_baseline_regression_exit_1_and_reports(registered, env, tmp_path):
    # 8 repetitions: a complete separation gives p = 2/C(16,8) = 1.6e-4, and a few overlaps
    # on this shared 2-core host still stay under alpha 0.01
    base = suite_file(tmp_path, "base", TINY, "{p: [16], n: [8], t: [1]}", reps=8)
    first = bench_json("suite", "run", str(base))
    assert first["status"] == "ok" and first["suite_run"] == "s1"
    assert [j["key"] for j in first["jobs"]] == ["local/llama.cpp/tiny/n=8,p=16,t=1"]
    assert (Path(env["BENCH_HOME"]) / "synth").is_dir()
    bench("baseline", "set", "main", "s1")
    assert bench_json("baseline", "list")["baselines"][0]["suite_run"] == "s1"

    # the candidate reads 10x more weight bytes per token under the same case name
    cand = suite_file(tmp_path, "cand", BIG, "{p: [16], n: [8], t: [1]}", reps=8)
    p = bench("suite", "run", str(cand), "--baseline", "main", "--json", check=1)
    out = json.loads(p.stdout)
    cmp = {(c["case"]["test"], c["metric"]): c for c in out["comparison"]["comparisons"]}
    assert set(cmp) == {("pp16", "tokens_per_s"), ("tg8", "tokens_per_s")}
    tg = cmp[("tg8", "tokens_per_s")]
    assert tg["verdict"] == "regressed" and tg["ratio"] < 0.7 and tg["p_value"] < 0.01
    assert tg["case"]["key"] == "local/llama.cpp/tiny/n=8,p=16,t=1"
    # bench compare gives the same verdicts for baseline name and suite run ids
    again = bench("compare", "main", "s2", "--json", check=1)
    assert {c["verdict"] for c in json.loads(again.stdout)["comparisons"]} == {"regressed"}

    # reports of every format, parsed back
    junit = tmp_path / "r.xml"
    bench("report", "s2", "--format", "junit", "-o", str(junit))
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert sorted(c.get("name") for c in cases) == ["local/llama.cpp/tiny/n=8,p=16,t=1 pp16",
                                                    "local/llama.cpp/tiny/n=8,p=16,t=1 tg8"]
    assert suite.get("failures") == "2" and suite.get("tests") == "2"
    msg = cases[1].find("failure").get("message")
    assert msg.startswith("tokens_per_s regressed: ") and f"ratio {tg['ratio']:.3f}" in msg
    md = tmp_path / "r.md"
    bench("report", "s2", "--format", "md", "-o", str(md))
    text = md.read_text()
    assert "**2 regressed**" in text and "| `local/llama.cpp/tiny/n=8,p=16,t=1 tg8` |" in text
    assert len(text) < 65536  # fits a GitHub comment
    page = tmp_path / "r.html"
    bench("report", "s2", "--format", "html", "-o", str(page))
    html = page.read_text()
    assert html.count('<img alt=') >= 3 and '<img alt=' in html
    assert 'src="data:image/png;base64,iVBORw0KGgo' in html  # PNG magic, base64
    assert "http" not in html.split("<body>")[1]  # self-contained: nothing fetched
    js = tmp_path / "r.json"
    bench("report", "s2", "--format", "json", "-o", str(js))
    rep = json.loads(js.read_text())
    assert rep["summary"]["regressed"] == 2 and rep["suite_run"]["baseline"] == "main"
    assert {r["test"] for r in rep["results"]} == {"pp16", "tg8"}

    # history across the two suite runs (too short for a change point: needs 2 a side)
    h = bench_json("history", "--device", "local", "--runner", "llama.cpp", "--test", "tg8",
                   "--metric", "tokens_per_s")
    [ser] = h["series"]
    assert [p["suite_run"] for p in ser["points"]] == ["s1", "s2"]
    assert ser["points"][1]["median"] == tg["candidate"] and ser["change_points"] == []


def _db_state(db: str) -> list[tuple[str, int, str]]:
    con = sqlite3.connect(db[len("sqlite:///"):], timeout=5)
    try:
        return con.execute("SELECT m.job_key, r.id, r.status FROM suite_members m "
                           "JOIN runs r ON r.id = m.run_id ORDER BY m.id").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def test_resume_after_kill_runs_only_what_is_missing(registered, env, tmp_path):
    suite = suite_file(tmp_path, "r", TINY, "{p: [16], n: [64], t: [1, 2, 3]}", reps=4)
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "suite", "run", str(suite)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    try:
        while time.time() < deadline:  # kill it in the middle of its second job
            state = _db_state(env["BENCH_DB"])
            if len(state) == 2 and state[0][2] == "ok" and state[1][2] == "running":
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"never saw a job running after one done: {state}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = _db_state(env["BENCH_DB"])
    done_key, done_run, _ = before[0]
    killed_key, killed_run, _ = before[1]
    out = bench_json("suite", "resume", "s1")
    assert out["status"] == "ok"
    assert out["skipped"] == [done_key]                       # nothing runs twice
    assert [j["key"] for j in out["jobs"]] == [killed_key, "local/llama.cpp/tiny/n=64,p=16,t=3"]
    after = dict((k, (r, s)) for k, r, s in _db_state(env["BENCH_DB"]))
    assert after[done_key] == (done_run, "ok")
    assert all(s == "ok" for _, s in after.values()) and len(after) == 3
    killed = bench_json("show", str(killed_run))                # nothing lost
    assert killed["status"] == "failed" and killed["reason"] == "interrupted"
    runs = bench_json("runs")["runs"]
    assert len(runs) == 4  # 3 ok + the interrupted attempt
    listed = bench_json("suite", "list")["suite_runs"]
    assert listed[0]["status"] == "ok" and listed[0]["ok"] == 3
