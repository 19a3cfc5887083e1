"""`bench` over SSH end to end: a real sshd on loopback, the real llama-bench, a real GGUF.

The board's config says `abi: linux-x86_64` (this host's), so the registered x86 llama-bench
stands in for the aarch64 one a real board would get.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, bench, bench_json
from sshd_fixture import (device_yaml, fake_board, fingerprint, keygen,  # noqa: F401
                          known_hosts_line, no_agent, sshd)

ABI = f"linux-{os.uname().machine}"


@pytest.fixture
def board(env, sshd, tmp_path):
    """Config dir gets `board.yaml`; returns paths the tests look at."""
    kh = tmp_path / "known_hosts"
    workdir = tmp_path / "board home" / "bench"
    root = fake_board(tmp_path / "tree", "rk3588")

    def write(known: str | None = None, **kw):
        if known is not None:
            kh.write_text(known)
        (Path(env["BENCH_CONFIG_DIR"]) / "board.yaml").write_text(
            device_yaml(sshd, known_hosts=kh, workdir=workdir, sysfs_root=root, abi=ABI, **kw))
    write(known_hosts_line(sshd))
    return {"kh": kh, "workdir": workdir, "write": write, "sshd": sshd}


def run_args(model: Path, *extra: str) -> list[str]:
    return ["run", "--device", "board", "--runner", "llama.cpp", "--model", str(model),
            "--param", "p=32", "--param", "n=8", "--param", "t=1", "--repetitions", "2", *extra]


def test_run_over_ssh_and_second_run_transfers_nothing(registered, tiny_model, board, tmp_path):
    model = tmp_path / "it's a \"model\"; rm -rf x.gguf"
    shutil.copy(tiny_model, model)
    lib = tmp_path / "libextra.so"  # a registered lib is pushed and put on LD_LIBRARY_PATH
    lib.write_bytes(b"\0" * 1000)
    bench("runners", "add", "llama.cpp", "--abi", ABI, str(registered), "--lib", str(lib))
    first = bench_json(*run_args(model))
    assert first["status"] == "ok", first["error"]
    assert first["device"] == "board"
    tests = {r["case"]["test"]: r for r in first["results"]}
    assert set(tests) == {"pp32", "tg8"}
    assert tests["tg8"]["metrics"]["decode_tokens_per_s"] > 0
    sampler = REPO / "harness" / "telemetry" / "sampler.sh"  # telemetry is on by default
    assert first["bytes_pushed"] == (model.stat().st_size + registered.stat().st_size + 1000
                                     + sampler.stat().st_size)
    stored = list(board["workdir"].glob("store/*/*"))
    assert sorted(p.name for p in stored) == sorted([model.name, registered.name, lib.name,
                                                     sampler.name])
    assert (board["workdir"] / "store" / first["model_sha256"] / model.name).read_bytes() \
        == model.read_bytes()
    assert [p["phase"] for p in first["phases"]] == ["push", "prefill", "decode"]
    up = float(Path("/proc/uptime").read_text().split()[0])
    assert all(0 < p["start"] <= p["end"] <= up + 1 for p in first["phases"])
    second = bench_json(*run_args(model))
    assert second["status"] == "ok" and second["bytes_pushed"] == 0
    assert len(list(board["workdir"].glob("store/*/*"))) == 4


def test_devices_lists_board_state_and_properties(board):
    rows = {r["name"]: r for r in bench_json("devices")["devices"]}
    b = rows["board"]
    assert b["transport"] == "ssh" and b["state"] == "reachable"
    assert b["properties"]["model"] == "Orange Pi 5"
    assert b["properties"]["npu_load"]["load_npu_core0_pct"] == 63.0
    assert rows["local"]["state"] == "device"
    text = bench("devices").stdout
    assert "reachable" in text and "Orange" in text


def test_unknown_host_refused_then_trusted(registered, tiny_model, board):
    board["write"]("")
    b = {r["name"]: r for r in bench_json("devices")["devices"]}["board"]
    assert b["state"] == "unknown-host-key"
    assert "bench devices trust board" in b["detail"]
    p = bench(*run_args(tiny_model), check=3)
    err = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert any("host key of [127.0.0.1]" in ln and "bench devices trust board" in ln
               for ln in err), p.stderr
    assert board["kh"].read_text() == ""
    no = subprocess.run([sys.executable, "-m", "harness.cli", "devices", "trust", "board"],
                        input="n\n", text=True, capture_output=True, cwd=REPO)
    assert no.returncode == 3 and board["kh"].read_text() == ""
    fp = fingerprint(Path(f"{board['sshd'].host_key}.pub"))
    t = bench("devices", "trust", "board", "--yes")
    assert f"256 {fp} [127.0.0.1]:{board['sshd'].port} (ED25519)" in t.stdout
    assert "added" in t.stdout
    assert bench("devices", "trust", "board", "--yes").stdout.strip().endswith(
        f"already trusted in {board['kh']}")
    assert {r["name"]: r for r in bench_json("devices")["devices"]}["board"]["state"] \
        == "reachable"
    assert bench_json(*run_args(tiny_model))["status"] == "ok"


def test_changed_host_key_refused_and_replaced_only_explicitly(tiny_model, registered, board,
                                                               tmp_path):
    other = keygen(tmp_path / "old_board_key")
    kind, b64 = Path(f"{other}.pub").read_text().split()[:2]
    stale = f"[127.0.0.1]:{board['sshd'].port} {kind} {b64}\n"
    board["write"]("# lab boards\n" + stale)
    p = bench(*run_args(tiny_model), check=3)
    assert "HOST KEY CHANGED" in p.stderr
    t = bench("devices", "trust", "board", "--yes", check=3)
    assert "HOST KEY CHANGED" in t.stderr and "--replace" in t.stderr
    assert board["kh"].read_text() == "# lab boards\n" + stale
    r = bench("devices", "trust", "board", "--yes", "--replace")
    assert "replaced" in r.stdout
    assert board["kh"].read_text() == "# lab boards\n" + known_hosts_line(board["sshd"])
    assert bench_json(*run_args(tiny_model))["status"] == "ok"


def test_wrong_key_refused_with_a_clear_message(tiny_model, registered, board, tmp_path):
    wrong = keygen(tmp_path / "wrong_key")
    board["write"](key=wrong)
    p = bench(*run_args(tiny_model), check=3)
    assert (f"authentication failed for user {board['sshd'].user} at "
            f"[127.0.0.1]:{board['sshd'].port} with key {wrong} (server accepts: publickey)"
            ) in p.stderr
    assert "Traceback" not in p.stderr
    b = {r["name"]: r for r in bench_json("devices")["devices"]}["board"]
    assert b["state"] == "auth-failed"


def test_board_lost_mid_run(registered, tiny_model, board, env):
    ok = bench_json(*run_args(tiny_model))
    assert ok["status"] == "ok"
    args = ["run", "--device", "board", "--runner", "llama.cpp", "--model", str(tiny_model),
            "--param", "p=16", "--param", "n=4096", "--param", "t=1", "--repetitions", "50",
            "--json"]
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    # the run row exists and prefill is committed once a result row is stored
    import sqlite3
    db = env["BENCH_DB"].removeprefix("sqlite:///")
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as c:
            n = c.execute("select count(*) from results r join runs u on r.run_id = u.id "
                          "where u.id > ?", (ok["id"],)).fetchone()[0]
        if n:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    time.sleep(1.0)  # decode is running now
    board["sshd"].kill_all()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    data = json.loads(out)
    assert data["status"] == "failed" and data["reason"] == "device_lost"
    assert "lost" in data["error"]
    assert [r["case"]["test"] for r in data["results"]] == ["pp16"]
    assert [p["phase"] for p in data["phases"]] == ["push", "prefill"]
    again = bench_json("show", str(ok["id"]))  # nothing else lost
    assert again["status"] == "ok" and len(again["results"]) == 2


def test_trust_through_a_jump_host_records_both_keys(env, tmp_path, no_agent):
    from sshd_fixture import Sshd
    jump = Sshd(tmp_path / "jump").start()
    target = Sshd(tmp_path / "target").start()
    try:
        (target.dir / "authorized_keys").write_text(Path(f"{jump.client_key}.pub").read_text())
        kh = tmp_path / "kh"
        (Path(env["BENCH_CONFIG_DIR"]) / "board.yaml").write_text(device_yaml(
            target, known_hosts=kh, workdir=tmp_path / "w", key=jump.client_key,
            extra=f"jump_host: {jump.user}@127.0.0.1:{jump.port}\n"))
        b = {r["name"]: r for r in bench_json("devices")["devices"]}["board"]
        assert b["state"] == "unknown-host-key" and f"[127.0.0.1]:{jump.port}" in b["detail"]
        out = bench("devices", "trust", "board", "--yes").stdout.splitlines()
        assert [ln.split()[2] for ln in out] == [f"[127.0.0.1]:{jump.port}",
                                                f"[127.0.0.1]:{target.port}"]
        assert all(ln.endswith(f"added in {kh}") for ln in out)
        assert kh.read_text() == known_hosts_line(jump) + known_hosts_line(target)
        b = {r["name"]: r for r in bench_json("devices")["devices"]}["board"]
        assert b["state"] == "reachable"
    finally:
        jump.stop()
        target.stop()
