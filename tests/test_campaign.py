"""`bench campaign run` on the local device over a fake sysfs tree: charging cut by host
commands (scripts that flip the fake battery's status, as a USB hub switch would) and verified,
interrupted with --max-runs and resumed, energy per token reported per job."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import bench
from sysfs_fixture import FakeSysfs


def _setup(env, tmp_path, tiny_model, charging_off_status="Discharging"):
    fs = FakeSysfs(tmp_path / "sysfs")
    status = fs.path("sys/class/power_supply/battery/status")
    status.write_text("Charging\n")
    (Path(env["BENCH_CONFIG_DIR"]) / "ph.yaml").write_text(
        f"name: ph\ntransport: local\nworkdir: {tmp_path / 'device'}\nsysfs_root: {fs.root}\n"
        "telemetry: {interval_ms: 50}\n")
    off, on = tmp_path / "hub-off", tmp_path / "hub-on"
    off.write_text(f"#!/bin/sh\necho {charging_off_status} > '{status}'\n")
    on.write_text(f"#!/bin/sh\necho Charging > '{status}'\n")
    off.chmod(0o755)
    on.chmod(0o755)
    camp = tmp_path / "power.yaml"
    camp.write_text(
        "name: tiny-energy\ndevice: ph\nrepeat: 2\nbaseline_s: 0.3\n"
        f"charging: {{cut: '{off}', restore: '{on}'}}\n"
        "jobs:\n"
        f"  - {{runner: llama.cpp, model: '{tiny_model}', params: {{p: 16, n: 4, t: 1}},"
        " repetitions: 2}\n"
        f"  - {{runner: llama.cpp, model: '{tiny_model}', params: {{p: 0, n: 8, t: 1}},"
        " repetitions: 2}\n")
    return camp, status


def test_campaign_cuts_charging_resumes_and_reports(registered, tiny_model, env, tmp_path):
    camp, status = _setup(env, tmp_path, tiny_model)
    first = json.loads(bench("campaign", "run", str(camp), "--max-runs", "3", "--json").stdout)
    assert len(first["ran"]) == 3 and first["skipped"] == 0 and first["failed"] == []
    assert first["conditions"] == {"charging_cut": str(tmp_path / "hub-off"),
                                   "battery_status": "Discharging"}
    assert status.read_text().strip() == "Charging"  # restored after the campaign
    second = json.loads(bench("campaign", "run", str(camp), "--json").stdout)
    assert second["campaign_id"] == first["campaign_id"]
    assert len(second["ran"]) == 1 and second["skipped"] == 3
    third = json.loads(bench("campaign", "run", str(camp), "--json").stdout)
    assert third["ran"] == [] and third["skipped"] == 4
    rows = {(r["job"], r["phase"]): r for r in third["rows"]}
    assert set(rows) == {(0, "prefill"), (0, "decode"), (1, "decode")}
    for r in rows.values():
        assert r["runs"] == 2 and r["avg_power_mw"] > 0 and r["energy_mj_per_token"] >= 0
    show = json.loads(bench("show", str(second["ran"][0]), "--json").stdout)
    assert show["device_state"]["campaign"]["name"] == "tiny-energy"
    assert show["device_state"]["campaign"]["job"] == 1
    assert [p["phase"] for p in show["phases"]][:2] == ["push", "baseline"]


def test_campaign_refuses_to_measure_while_charging(registered, tiny_model, env, tmp_path):
    camp, status = _setup(env, tmp_path, tiny_model, charging_off_status="Charging")
    p = bench("campaign", "run", str(camp), check=1)
    assert p.stderr.strip().endswith("charging still on after "
                                     f"`{tmp_path / 'hub-off'}`: battery status is Charging "
                                     "(want Discharging)")
    assert json.loads(bench("runs", "--json").stdout)["runs"] == []


def test_campaign_bad_file(env, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("name: x\ndevice: local\njobs:\n  - {runner: llama.cpp, model: m, parms: {}}\n")
    p = bench("campaign", "run", str(f), check=2)
    assert p.stderr.strip() == f"error: {f}:4: field 'jobs.0.parms': unknown field"
