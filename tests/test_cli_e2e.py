"""`bench` end to end on the local device with the real llama-bench and a real GGUF."""

import shutil
from pathlib import Path

from conftest import REPO, bench, bench_json


def test_run_stores_prefill_decode_and_second_run_sends_nothing(registered, tiny_model, env,
                                                                tmp_path):
    model = tmp_path / "my model; $(x) 'q'.gguf"
    shutil.copy(tiny_model, model)
    args = ["run", "--device", "local", "--runner", "llama.cpp", "--model", str(model),
            "--param", "p=32", "--param", "n=8", "--param", "t=1", "--repetitions", "2"]
    first = bench_json(*args)
    assert first["status"] == "ok" and first["error"] is None
    tests = {r["case"]["test"]: r for r in first["results"]}
    assert set(tests) == {"pp32", "tg8"}
    assert tests["pp32"]["metrics"]["prefill_tokens_per_s"] > 0
    dec = tests["tg8"]["metrics"]
    assert dec["decode_tokens_per_s"] > 0
    size = tests["tg8"]["case"]["model_size_bytes"]
    assert abs(dec["bandwidth_gbps"] - size * dec["decode_tokens_per_s"] / 1e9) < 1e-9
    assert abs(dec["bandwidth_utilization"] - dec["bandwidth_gbps"] / 50) < 1e-9
    assert len(tests["tg8"]["samples"]["tokens_per_s"]) == 2
    sampler = REPO / "harness" / "telemetry" / "sampler.sh"  # telemetry is on by default
    assert first["bytes_pushed"] == (model.stat().st_size + registered.stat().st_size
                                     + sampler.stat().st_size)
    assert [p["phase"] for p in first["phases"]] == ["push", "prefill", "decode"]
    second = bench_json(*args)
    assert second["status"] == "ok" and second["bytes_pushed"] == 0
    listed = bench_json("runs")["runs"]
    assert [r["id"] for r in listed] == [second["id"], first["id"]]
    assert listed[0]["quantization"] == "Q4_0"
    assert bench_json("show", str(first["id"]))["results"] == first["results"]
    cmp = bench_json("compare", str(first["id"]), str(second["id"]))["comparisons"]
    assert {(c["case"]["test"], c["metric"]) for c in cmp} == {("pp32", "tokens_per_s"),
                                                                 ("tg8", "tokens_per_s")}
    assert {c["verdict"] for c in cmp} == {"noisy"}  # 2 repetitions cannot reach significance
    png = tmp_path / "p.png"
    bench("plot", str(first["id"]), str(second["id"]), "-o", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_runner_failure_is_stored_failed_with_stderr_tail(registered, env, tmp_path):
    bad = tmp_path / "corrupt.gguf"
    bad.write_bytes(b"GGUF" + b"\xff" * 4000)
    p = bench("run", "--device", "local", "--runner", "llama.cpp", "--model", str(bad),
              "--json", check=1)
    import json
    run = json.loads(p.stdout)
    assert run["status"] == "failed" and run["reason"] == "runner_exit"
    assert "exited with code" in run["error"]
    assert bench_json("runs")["runs"][0]["status"] == "failed"


def test_unknown_device_and_runner_list_known(env, tiny_model):
    p = bench("run", "--device", "nope", "--runner", "llama.cpp", "--model", str(tiny_model),
              check=2)
    assert "unknown device 'nope' (known: local)" in p.stderr and "Traceback" not in p.stderr
    p = bench("run", "--device", "local", "--runner", "nope", "--model", str(tiny_model),
              check=2)
    assert ("unknown runner 'nope' (known: axera, llama.cpp, mlc, mnn, ncnn, rknn, tflite)"
            in p.stderr)


def test_missing_model_and_wrong_format(env, tmp_path, registered):
    p = bench("run", "--device", "local", "--runner", "llama.cpp", "--model",
              str(tmp_path / "none.gguf"), check=2)
    assert f"{tmp_path / 'none.gguf'}: no such file" in p.stderr
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"\x08\x07garbage")
    p = bench("run", "--device", "local", "--runner", "llama.cpp", "--model", str(onnx), check=2)
    assert "not a GGUF file" in p.stderr


def test_malformed_device_yaml_exit_2(env, tiny_model):
    cfg = Path(env["BENCH_CONFIG_DIR"]) / "bad.yaml"
    cfg.write_text("name: bad\ntransport: ssh\nhots: x\n")
    p = bench("devices", check=2)
    assert f"{cfg}:3: field 'hots': unknown field" in p.stderr


def test_parse_real_sample_and_garbage(env, tmp_path):
    from conftest import SAMPLES
    sample = SAMPLES / "llama_bench" / "readme2025_b5163_jsonl.txt"
    out = bench_json("parse", "llama.cpp", str(sample))
    assert out["runner"] == "llama.cpp" and len(out["results"]) >= 1
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n")
    p = bench("parse", "llama.cpp", str(junk), check=2)
    assert p.stderr.startswith("error: ") and "Traceback" not in p.stderr


def test_import_stores_a_run(env):
    from conftest import SAMPLES
    sample = SAMPLES / "llama_bench" / "readme2023_json_old_schema.txt"
    run = bench_json("import", "llama.cpp", str(sample), "--device", "local")
    assert run["status"] == "ok" and run["results"]


def test_migrations_match_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from results_db.engine import make_engine, upgrade
    from results_db.models import Base
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    with make_engine(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_fast_runs_listing_matches_sqlalchemy(env, registered, tiny_model):
    bench("run", "--device", "local", "--runner", "llama.cpp", "--model", str(tiny_model),
          "--param", "p=16", "--param", "n=4", "--repetitions", "1")
    bench("run", "--device", "nope", "--runner", "llama.cpp", "--model", str(tiny_model),
          check=2)
    from results_db import fast
    from results_db.engine import open_db
    from results_db.store import list_runs
    url = env["BENCH_DB"]
    quick = fast.list_runs(url, None, None, 10)
    with open_db(url)() as s:
        slow = list_runs(s, None, None, 10)
    assert quick is not None and len(quick) == 1
    assert [{k: v for k, v in r.items() if k != "started_at"} for r in quick] == \
        [{k: v for k, v in r.items() if k != "started_at"} for r in slow]
    assert quick[0]["started_at"][:19] == slow[0]["started_at"][:19]
    assert fast.list_runs("postgresql://x/y", None, None, 10) is None


def test_runners_list_and_db_upgrade(env, registered, tmp_path):
    import os
    rows = bench_json("runners", "list")["runners"]
    assert [(r["runner"], r["abi"], r["name"]) for r in rows] == \
        [("llama.cpp", f"linux-{os.uname().machine}", registered.name)]
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert bench("--db", url, "db", "upgrade").stdout.strip() == f"{url}: at head"
    import sqlite3
    con = sqlite3.connect(tmp_path / "new.db")
    from results_db.engine import head_revision  # migrations of every area are chained
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == \
        (head_revision(url),)
