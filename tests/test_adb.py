"""Android over adb: the real adb server and adbutils against fake phones (tests/adbd_fixture.py).

The phones speak the adb wire protocol over TCP; the server reaches them by `adb connect`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adbd_fixture import AdbServer, FakeAdbd, free_port, pixel8_props
from conftest import REPO, SAMPLES, bench, bench_json

pytestmark = pytest.mark.skipif(not any(
    os.access(os.path.join(d, "adb"), os.X_OK) for d in os.environ["PATH"].split(":")),
    reason="adb not installed (scripts/system_deps.sh installs it)")


@pytest.fixture(scope="module")
def adb_server(tmp_path_factory):
    server = AdbServer(tmp_path_factory.mktemp("adb"))
    yield server
    server.close()


@pytest.fixture
def phones(adb_server, tmp_path, monkeypatch):
    """Factory: phones(**FakeAdbd kwargs) -> a connected fake phone; all disconnected after."""
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(adb_server.port))
    made: list[FakeAdbd] = []
    pending: list[subprocess.Popen] = []

    def make(state: str = "device", **kw) -> FakeAdbd:
        d = FakeAdbd(tmp_path / f"phone{len(made)}", **kw)
        made.append(d)
        # `adb connect` waits for the handshake a silent (offline) phone never gives: don't wait
        pending.append(subprocess.Popen(["adb", "-P", str(adb_server.port), "connect", d.serial],
                                        env=adb_server.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        assert adb_server.wait_state(d.serial, state, 15) == state
        return d

    yield make
    for d in made:
        adb_server.adb("disconnect", d.serial)
        d.kill()
    for p in pending:
        p.kill()
        p.wait()


def _transport(phone: FakeAdbd, **kw):
    from harness.transports.adb import AdbTransport
    return AdbTransport(phone.serial, **kw)


# --- transport -------------------------------------------------------------------------------

@pytest.mark.parametrize("v2", [True, False], ids=["shell_v2", "shell_v1"])
def test_exit_codes_and_output_survive_both_shell_protocols(phones, v2):
    t = _transport(phones(v2=v2))
    assert t.v2 is v2 and ("shell_v2" in t.features) is v2
    for code in (0, 1, 7, 255):
        assert t.run(["sh", "-c", f"exit {code}"]).exit_code == code
    r = t.run(["sh", "-c", "echo out; echo err >&2; printf 'no newline'; exit 3"])
    assert r.exit_code == 3
    if v2:
        assert (r.stdout, r.stderr) == ("out\nno newline", "err\n")
    else:  # v1 merges the streams; the marker is cut off exactly, the missing newline kept
        assert r.stdout == "out\nerr\nno newline" and r.stderr == ""
    assert t.run(["printf", "%s", ""]).stdout == ""


@pytest.mark.parametrize("v2", [True, False], ids=["shell_v2", "shell_v1"])
def test_names_with_spaces_quotes_and_semicolons(phones, tmp_path, v2):
    phone = phones(v2=v2)
    t = _transport(phone)
    name = "it's a \"model\"; rm -rf x $(id) `id`.bin"
    local = tmp_path / name
    local.write_bytes(b"\x00\x01payload" * 1000)
    remote = f"/data/local/tmp/devicebench/store/abc/{name}"
    t.push(local, remote)
    assert t.stat(remote).size == local.stat().st_size == t.bytes_sent
    assert (phone.root / "data/local/tmp/devicebench/store/abc" / name).read_bytes() == \
        local.read_bytes()
    r = t.run(["wc", "-c", remote])
    assert r.exit_code == 0 and r.stdout.split()[0] == str(local.stat().st_size)
    back = tmp_path / "back.bin"
    t.pull(remote, back)
    assert back.read_bytes() == local.read_bytes()
    r = t.run(["echo", "a;b", "c d", "'q'", "$HOME"], env={"X": "v; w"})
    assert r.stdout == "a;b c d 'q' $HOME\n"
    assert t.stat("/data/local/tmp/none") is None and not t.exists("/data/local/tmp/none")


def test_push_keeps_mode_and_never_leaves_partial_names(phones, tmp_path):
    phone = phones()
    t = _transport(phone)
    exe = tmp_path / "tool"
    exe.write_text("#!/bin/sh\necho ran $#\n")
    exe.chmod(0o755)
    dest = "/data/local/tmp/devicebench/store/s1/tool"
    t.push(exe, dest)
    assert t.run([dest, "a b", "c"]).stdout == "ran 2\n"
    store = phone.root / "data/local/tmp/devicebench/store/s1"
    assert [p.name for p in store.iterdir()] == ["tool"]


def test_push_cut_short_never_leaves_the_final_name(phones, tmp_path):
    import threading
    from harness.transports import TransportError
    phone = phones()
    t = _transport(phone)
    big = tmp_path / "big.gguf"
    big.write_bytes(os.urandom(1 << 20) * 200)
    dest = "/data/local/tmp/devicebench/store/feed/big.gguf"
    errors: list[Exception] = []

    def push():
        try:
            t.push(big, dest)
        except TransportError as exc:
            errors.append(exc)
    th = threading.Thread(target=push)
    th.start()
    store = phone.root / "data/local/tmp/devicebench/store/feed"
    deadline = time.monotonic() + 30
    while phone.sync_bytes_received < 20 << 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    phone.kill()
    th.join(60)
    assert len(errors) == 1 and "vanished" in str(errors[0])
    assert not (store / "big.gguf").exists()
    assert [p.name.startswith("big.gguf.partial-") for p in store.iterdir()] == [True]
    assert t.bytes_sent == 0


def test_timeout_kills_the_remote_process_group(phones):
    from harness.transports import CommandTimeout
    phone = phones()
    t = _transport(phone)
    t0 = time.monotonic()
    with pytest.raises(CommandTimeout) as exc:
        t.run(["sh", "-c", "echo started; sleep 61 & echo $! > child.pid; sleep 62"], timeout=1.5)
    assert time.monotonic() - t0 < 10
    assert exc.value.stdout == "started\n"
    child = int((phone.root / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or \
        "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_v1_marker_hold_back():
    from harness.transports.adb import _hold_marker
    m = b"__devicebench_abc:"
    assert _hold_marker(b"line 1\nline 2\n", m) == (b"line 1\nline 2\n", b"")
    assert _hold_marker(b"out\n__devi", m) == (b"out\n", b"__devi")  # may be the marker
    assert _hold_marker(b"out\n__devX", m) == (b"out\n__devX", b"")  # cannot be
    assert _hold_marker(b"no newline__devicebench_abc:0\n", m) == (
        b"no newline", b"__devicebench_abc:0\n")


@pytest.mark.parametrize("v2", [True, False], ids=["shell_v2", "shell_v1"])
def test_stream_yields_lines_and_stop_kills(phones, v2):
    phone = phones(v2=v2)
    t = _transport(phone)
    s = t.stream(["sh", "-c", "for i in 1 2 3; do echo tick $i; done; echo $$ > s.pid; sleep 60"])
    it = iter(s)
    assert [next(it), next(it), next(it)] == ["tick 1", "tick 2", "tick 3"]
    time.sleep(0.3)
    pid = int((phone.root / "s.pid").read_text())
    s.stop()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists() or \
        "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_config_server_and_adb_connect(adb_server, tmp_path, monkeypatch):
    """`adb.server` beats the environment; `adb.connect: true` runs `adb connect` first."""
    from harness.transports.adb import AdbTransport
    from harness.transports.adb_settings import AdbSettings
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))  # nothing listens there
    phone = FakeAdbd(tmp_path / "wifi")
    try:
        assert phone.serial not in adb_server.adb("devices").stdout
        t = AdbTransport(phone.serial, AdbSettings(server=f"127.0.0.1:{adb_server.port}",
                                                   connect=True))
        assert t.run(["echo", "over wifi"]).stdout == "over wifi\n"
        assert adb_server.wait_state(phone.serial, "device") == "device"
    finally:
        adb_server.adb("disconnect", phone.serial)
        phone.kill()


def test_env_names_must_be_identifiers():
    from harness.transports.adb import build_command
    assert build_command(["a b"], {"LD_LIBRARY_PATH": "/x y"}) == "LD_LIBRARY_PATH='/x y' 'a b'"
    with pytest.raises(ValueError):
        build_command(["true"], {"X;rm": "1"})


def test_unknown_serial_is_unavailable(phones):
    from harness.transports import DeviceUnavailable
    phones()
    with pytest.raises(DeviceUnavailable, match="not found|absent"):
        from harness.transports.adb import AdbTransport
        AdbTransport("127.0.0.1:1")


# --- discovery -------------------------------------------------------------------------------

def test_devices_discovers_two_phones_with_properties(env, phones):
    oneplus = phones(v2=True)
    pixel = phones(v2=False, props=pixel8_props(),
                   battery=(SAMPLES / "android/dumpsys_battery_samsung_sec_extras.txt").read_text(),
                   cpufreq={0: ("0 1 2 3", 1704000), 4: ("4 5 6 7", 2367000),
                            8: ("8", 2914000)}, mem_kb=7_612_000)
    cfg = Path(env["BENCH_CONFIG_DIR"]) / "pixel.yaml"
    cfg.write_text(f"name: my-pixel\ntransport: adb\nserial: '{pixel.serial}'\n"
                   "memory_bandwidth_gbps: 68.2\n")
    data = bench_json("devices")
    rows = {r["name"]: r for r in data["devices"]}
    assert rows["local"]["state"] == "device"
    op = rows[oneplus.serial]
    assert (op["configured"], op["state"], op["abi"], op["soc"]) == \
        (False, "device", "android-arm64-v8a", "QTI SM8550")
    p = op["properties"]
    assert (p["manufacturer"], p["model"], p["android_release"], p["sdk"]) == \
        ("OnePlus", "CPH2451", "13", 33)
    assert p["fingerprint"].startswith("OnePlus/CPH2451/OP594DL1:13/")
    assert p["abilist"] == ["arm64-v8a", "armeabi-v7a", "armeabi"]
    assert p["ram_kb"] == 7_864_320
    assert [(c["cpus"], c["max_mhz"]) for c in p["cpu_clusters"]] == \
        [([0, 1, 2, 3], 2016.0), ([4, 5, 6], 2803.2), ([7], 3187.2)]
    assert p["battery"] == {"level": 80, "status_name": "not_charging", "temperature_c": 18.0,
                            "voltage_mv": 4200, "plugged": ["ac"]}
    assert p["thermal_status"] == 0 and p["awake"] is True
    px = rows["my-pixel"]
    assert (px["configured"], px["serial"], px["state"], px["soc"]) == \
        (True, pixel.serial, "device", "Google Tensor G3")
    assert px["memory_bandwidth_gbps"] == 68.2
    q = px["properties"]
    assert (q["manufacturer"], q["model"], q["sdk"], q["ram_kb"]) == \
        ("Google", "Pixel 8", 34, 7_612_000)
    assert [c["max_khz"] for c in q["cpu_clusters"]] == [1704000, 2367000, 2914000]
    assert (q["battery"]["level"], q["battery"]["temperature_c"]) == (100, 30.9)
    assert oneplus.serial not in [r["name"] for r in data["devices"] if r["configured"]]
    from harness.discovery import summary
    assert summary(op) == ("OnePlus CPH2451, Android 13 (SDK 33), 4+3+1 cores @ 2.02/2.80/3.19 "
                           "GHz, 7.5 GiB, battery 80% 18.0°C not_charging, thermal none")
    # one shell round trip per phone for all its properties
    assert sum(s.startswith("shell") for s in oneplus.services) == 1
    assert sum(s.startswith("shell") for s in pixel.services) == 1
    human = bench("devices").stdout
    assert "my-pixel" in human and "Google" in human and "CPH2451" in human


def test_configured_phone_on_its_own_adb_server(env, phones, adb_server, monkeypatch):
    phone = phones()
    (Path(env["BENCH_CONFIG_DIR"]) / "lab.yaml").write_text(
        f"name: lab\ntransport: adb\nserial: '{phone.serial}'\n"
        f"adb: {{server: '127.0.0.1:{adb_server.port}'}}\n")
    dead = free_port()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(dead))  # the default server is down
    p = bench("devices", "--json")
    rows = {r["name"]: r for r in json.loads(p.stdout)["devices"]}
    assert rows["lab"]["state"] == "device" and rows["lab"]["properties"]["model"] == "CPH2451"
    assert phone.serial not in rows  # not listed twice
    assert f"no server reachable at 127.0.0.1:{dead}" in p.stderr


def test_unauthorized_and_offline_are_shown_with_their_fix(env, phones):
    locked = phones(state="unauthorized", auth="never")
    silent = phones(state="offline", auth="silent")
    p = bench("devices", "--json")
    rows = {r["name"]: r for r in json.loads(p.stdout)["devices"]}
    assert rows[locked.serial]["state"] == "unauthorized"
    assert "accept the USB debugging prompt" in rows[locked.serial]["fix"]
    assert rows[silent.serial]["state"] == "offline"
    assert "adb reconnect" in rows[silent.serial]["fix"]
    assert "properties" not in rows[locked.serial]
    human = bench("devices")
    assert f"{locked.serial}: unlock the phone and accept the USB debugging prompt" in human.stderr
    r = bench("run", "--device", locked.serial, "--runner", "llama.cpp", "--model", "x.gguf",
              check=3)
    assert "unauthorized" in r.stderr and "USB debugging prompt" in r.stderr
    assert "Traceback" not in r.stderr
    cfg = Path(env["BENCH_CONFIG_DIR"])
    (cfg / "locked.yaml").write_text(f"name: locked\ntransport: adb\nserial: '{locked.serial}'\n")
    (cfg / "gone.yaml").write_text("name: gone\ntransport: adb\nserial: R5CX0000\n")
    r = bench("run", "--device", "locked", "--runner", "llama.cpp", "--model", "x", check=3)
    assert "USB debugging prompt" in r.stderr
    r = bench("run", "--device", "gone", "--runner", "llama.cpp", "--model", "x", check=3)
    assert "adb device R5CX0000 is absent: plug the phone in" in r.stderr
    assert bench_json("runs")["runs"] == []  # refused before any run was stored
    rows = {x["name"]: x for x in bench_json("devices")["devices"]}
    assert rows["gone"]["state"] == "absent" and rows["locked"]["state"] == "unauthorized"


def test_devices_without_adb_server_is_not_an_error(env, monkeypatch):
    port = free_port()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    p = bench("devices", "--json")
    assert [r["name"] for r in json.loads(p.stdout)["devices"]] == ["local"]
    assert "adb: no server reachable" in p.stderr and p.stderr.count("\n") == 1
    import socket
    with pytest.raises(OSError):  # and nobody started a server on that port behind our back
        socket.create_connection(("127.0.0.1", port), 0.5).close()
    r = bench("run", "--device", "R5CX1234", "--runner", "llama.cpp", "--model", "x", check=2)
    assert "unknown device 'R5CX1234' (known: local)" in r.stderr


# --- full runs -------------------------------------------------------------------------------

# The fake phone runs host binaries: it reports the host's ABI (as an x86_64 emulator does), so
# the real host llama-bench passes the ELF check as that phone's build.
PHONE_ABI = {"aarch64": "arm64-v8a"}.get(os.uname().machine, os.uname().machine)


@pytest.fixture
def phone_runner(env, llama_bench):
    """The real host llama-bench registered as the build for the fake phone's ABI."""
    bench("runners", "add", "llama.cpp", "--abi", f"android-{PHONE_ABI}", str(llama_bench))
    return llama_bench


def _run(*args: str, check: int | None = 0) -> dict:
    p = bench("run", "--runner", "llama.cpp", "--no-telemetry", "--json", *args, check=check)
    return json.loads(p.stdout)


def test_bench_run_on_phone_then_rerun_transfers_nothing(env, phones, llama_bench, tiny_model,
                                                        tmp_path):
    lib = tmp_path / "libggml-extra.so"
    lib.write_bytes(llama_bench.read_bytes()[:1004])  # an ELF header for the phone's ABI
    bench("runners", "add", "llama.cpp", "--abi", f"android-{PHONE_ABI}", str(llama_bench),
          "--lib", str(lib))
    phone_runner = llama_bench
    phone = phones(abi=PHONE_ABI)
    cfg = Path(env["BENCH_CONFIG_DIR"]) / "op11.yaml"
    cfg.write_text(f"name: op11\ntransport: adb\nserial: '{phone.serial}'\naffinity: '1'\n"
                   "memory_bandwidth_gbps: 67\nadb: {stay_awake: true}\n")
    args = ("--device", "op11", "--model", str(tiny_model), "--param", "p=16",
            "--param", "n=4", "--repetitions", "2")
    first = _run(*args)
    assert first["status"] == "ok", first["error"]
    tests = {r["case"]["phase"]: r for r in first["results"]}
    assert tests["prefill"]["metrics"]["prefill_tokens_per_s"] > 0
    assert tests["decode"]["metrics"]["decode_tokens_per_s"] > 0
    assert 0 < tests["decode"]["metrics"]["bandwidth_utilization"] < 1
    sizes = tiny_model.stat().st_size + phone_runner.stat().st_size + lib.stat().st_size
    assert first["bytes_pushed"] == sizes == phone.sync_bytes_received
    st = first["device_state"]
    assert (st["task_profile"], st["affinity"], st["awake"], st["android_sdk"]) == \
        ("MaxPerformance", "1", True, 33)
    assert st["stay_awake"] is True and (phone.root / "svc.log").read_text() == "power stayon usb\n"
    assert "MaxPerformance" in (phone.root / "settaskprofile.log").read_text()
    bench_cmds = [s for s in phone.services if "-o jsonl" in s]
    assert len(bench_cmds) == 2 and all("taskset 1 " in s for s in bench_cmds)
    assert all("/data/local/tmp/devicebench/store/" in s and "settaskprofile $$ MaxPerformance"
               in s for s in bench_cmds)
    assert not any("settaskprofile" in s for s in phone.services if "mv -f" in s)
    lib_dirs = [p.parent for p in (phone.root / "data/local/tmp/devicebench/store").glob("*/*.so")]
    assert len(lib_dirs) == 1 and all(
        f"LD_LIBRARY_PATH=/data/local/tmp/devicebench/store/{lib_dirs[0].name} " in s
        for s in bench_cmds)
    binary = next((phone.root / "data/local/tmp/devicebench/store").glob("*/llama-bench"))
    assert binary.stat().st_mode & 0o777 == 0o755
    before = len(phone.services)
    second = _run(*args)
    assert second["status"] == "ok" and second["bytes_pushed"] == 0
    assert phone.sync_bytes_received == sizes
    new = phone.services[before:]
    assert not any(s.startswith("shell") and "mv -f" in s for s in new)


def test_unconfigured_phone_by_serial_uses_its_abi(env, phones, phone_runner, tiny_model):
    phone = phones(v2=False, props=pixel8_props(), tools=(), abi=PHONE_ABI)
    data = _run("--device", phone.serial, "--model", str(tiny_model), "--param", "p=8",
                "--param", "n=2", "--repetitions", "1")
    assert data["status"] == "ok", data["error"]
    assert data["device"] == phone.serial
    assert data["device_state"]["task_profile"] is None  # no settaskprofile on this phone
    assert (phone.root / "data/local/tmp/devicebench/store").is_dir()


def test_screen_off_phone_refuses_to_run(env, phones, phone_runner, tiny_model):
    phone = phones(power="  mWakefulness=Asleep\n", abi=PHONE_ABI)
    p = bench("run", "--device", phone.serial, "--runner", "llama.cpp", "--no-telemetry",
              "--model", str(tiny_model), check=3)
    assert "asleep" in p.stderr
    assert not any("-o jsonl" in s for s in phone.services)


def test_phone_lost_mid_run_keeps_partial_results(env, phones, phone_runner, tiny_model):
    phone = phones(abi=PHONE_ABI)
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "--device", phone.serial, "--runner",
         "llama.cpp", "--no-telemetry", "--json", "--model", str(tiny_model), "--param", "p=16",
         "--param", "n=256", "--repetitions", "30"], cwd=REPO, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any("-o jsonl" in s and "-n 256" in s for s in phone.services):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    phone.kill()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    data = json.loads(out)
    assert (data["status"], data["reason"]) == ("failed", "device_lost")
    assert "vanished" in data["error"]
    assert [r["case"]["phase"] for r in data["results"]] == ["prefill"]
    shown = bench_json("show", str(data["id"]))
    assert shown["status"] == "failed" and len(shown["results"]) == 1


def test_run_with_telemetry_samples_the_phone(env, phones, phone_runner, tiny_model):
    phone = phones(abi=PHONE_ABI)
    (Path(env["BENCH_CONFIG_DIR"]) / "p.yaml").write_text(
        f"name: p\ntransport: adb\nserial: '{phone.serial}'\n"
        "sysfs_root: /data/local/tmp/sysroot\ntelemetry: {interval_ms: 50}\n")
    p = bench("run", "--device", "p", "--runner", "llama.cpp", "--model", str(tiny_model),
              "--param", "p=16", "--param", "n=16", "--repetitions", "2", "--json")
    data = json.loads(p.stdout)
    assert data["status"] == "ok", data["error"]
    assert not [e for e in data["events"] if e["kind"] == "telemetry_warning"], data["events"]
    channels = data["device_state"]["channels"]
    # the fake phone's thermal zones (real Xperia types), its three cpufreq policies, battery
    assert {"temp_battery_c", "temp_ufs_therm_c", "temp_pm8998_tz_c", "freq_cpu0_mhz",
            "freq_cpu4_mhz", "freq_cpu7_mhz", "power_battery_mw"} <= set(channels), channels
