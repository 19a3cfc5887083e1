"""Android thermal status polled during a run: a fake `dumpsys` (the phone's binder service
cannot exist here) prints the real thermalservice format with a status the test raises."""

from __future__ import annotations

import time

import numpy as np

from harness.analysis.throttle import analyze
from harness.telemetry.settings import TelemetryConfig
from harness.telemetry.status import StatusPoller
from harness.transports.local import LocalTransport
from conftest import SAMPLES

SAMPLE = SAMPLES / "android/dumpsys_thermalservice_samsung_a52_5g_android12_flattened.txt"


def fake_dumpsys(tmp_path, monkeypatch):
    status = tmp_path / "status"
    status.write_text("0")
    body = tmp_path / "body.txt"
    body.write_text(SAMPLE.read_text())
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "dumpsys"
    tool.write_text(f"#!/bin/sh\n[ \"$1\" = thermalservice ] || exit 1\n"
                    f"sed \"s/^Thermal Status: .*/Thermal Status: $(cat {status})/\" {body}\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    return status


def test_status_rise_is_an_event_and_throttles(tmp_path, monkeypatch):
    status = fake_dumpsys(tmp_path, monkeypatch)
    tr = LocalTransport()
    t0 = tr.device_time()
    poller = StatusPoller(tr, 0.05)
    poller.start()
    time.sleep(0.3)
    status.write_text("2")
    time.sleep(0.3)
    ser = poller.stop()
    assert poller.warning is None
    assert ser.v[0] == 0 and ser.v[-1] == 2 and set(ser.v) == {0.0, 2.0}
    from harness.telemetry.trace import Trace
    rep = analyze(Trace({"thermal_status": ser}),
                  [{"phase": "decode", "start": t0, "end": tr.device_time()}], [])
    ev = [e for e in rep.events if e["kind"] == "thermal_status"]
    assert [e["detail"] for e in ev] == ["thermal status none -> moderate"]
    assert 0.25 < ev[0]["t_s"] < 0.7
    assert rep.flags == ["throttled"]
    assert rep.summary == f"throttled after {ev[0]['t_s']:.0f} s: thermal status none -> moderate"


def test_failing_or_missing_dumpsys_is_a_warning(tmp_path, monkeypatch):
    p = StatusPoller(LocalTransport(), 0.05, ["/bin/sh", "-c", "exit 3"])
    p.start()
    assert p.stop() is None
    assert p.warning == "/bin/sh -c exit 3: no Android thermal status (exit 3); not polled"
    monkeypatch.setenv("PATH", str(tmp_path))
    p = StatusPoller(LocalTransport(), 0.05)
    p.start()
    assert p.stop() is None
    # LocalTransport reports a missing program as a shell does (exit 127)
    assert p.warning == "dumpsys thermalservice: no Android thermal status (exit 127); not polled"


def test_default_period_by_transport():
    assert TelemetryConfig().thermal_status_s is None


def test_odpm_counters_polled_into_power(tmp_path):
    """Two fake PMIC nodes whose counters a writer advances: 500 mW on the CPU rail."""
    import threading
    from harness.telemetry.channels import channels_from_listing, parse_listing
    from harness.telemetry.odpm import OdpmPoller
    import subprocess
    from harness.telemetry.session import SAMPLER
    root = tmp_path / "root"
    nodes = [root / "sys/bus/iio/devices" / f"iio:device{i}" for i in (0, 1)]
    for n in nodes:
        n.mkdir(parents=True)
    stop = threading.Event()

    def writer():
        k = 0
        while True:
            t_ms = 1000 + 100 * k  # the meter's own clock: energy over exactly 100 ms steps
            for i, n in enumerate(nodes):
                tmp = n / ".e"
                tmp.write_text(f"t={t_ms}\nCH0(T={t_ms})[S{i}_VDD_CPU], {50000 * k}\n"
                               f"CH1(T={t_ms})[S{i}_VDD_MEM], {10000 * k}\n")
                tmp.replace(n / "energy_value")
            k += 1
            if stop.wait(0.03):
                return

    w = threading.Thread(target=writer)
    w.start()
    try:
        listing = parse_listing(subprocess.run(["sh", str(SAMPLER), "discover", str(root)],
                                               capture_output=True, text=True).stdout)
        assert channels_from_listing(listing, TelemetryConfig(), str(root)).odpm
        p = OdpmPoller(LocalTransport(), str(root), 0.05)
        p.start()
        time.sleep(0.5)
        series = {s.name: s for s in p.stop()}
    finally:
        stop.set()
        w.join()
    assert p.warning is None
    assert set(series) == {f"{k}_s{i}_vdd_{r}_{u}" for i in (0, 1) for r in ("cpu", "mem")
                           for k, u in (("energy", "mj"), ("power", "mw"))}
    cpu = series["power_s0_vdd_cpu_mw"]
    assert len(cpu.v) >= 3 and np.allclose(cpu.v, 500.0)  # 50000 uWs per 100 ms
    assert np.allclose(series["power_s1_vdd_mem_mw"].v, 100.0)


def test_rpi_get_throttled_bits_become_events():
    from harness.telemetry.status import parse_get_throttled
    from harness.telemetry.trace import Series, Trace
    assert parse_get_throttled("throttled=0x50005\n") == 0x50005
    assert parse_get_throttled("throttled=0x0") == 0 and parse_get_throttled("error") is None
    t = np.array([10.0, 12.0, 14.0, 16.0])
    v = np.array([0x0, 0x1, 0x50005, 0x50000], dtype=float)  # under-voltage, then throttled
    rep = analyze(Trace({"rpi_throttled": Series("rpi_throttled", "", t, v, "rpi_throttled")}),
                  [{"phase": "measure", "start": 10.0, "end": 16.0}], [])
    ev = [(e["t_s"], e["detail"]) for e in rep.events if e["kind"] == "rpi_throttled"]
    assert ev == [(2.0, "Raspberry Pi firmware: under-voltage"),
                  (4.0, "Raspberry Pi firmware: throttled")]
    assert rep.flags == ["throttled"]
    assert rep.summary == "throttled after 4 s: Raspberry Pi firmware: throttled"


def test_vcgencmd_is_discovered_without_forking(tmp_path, monkeypatch):
    import subprocess
    from harness.telemetry.channels import channels_from_listing, parse_listing
    from harness.telemetry.session import SAMPLER
    tool = tmp_path / "vcgencmd"
    tool.write_text("#!/bin/sh\necho throttled=0x0\n")
    tool.chmod(0o755)

    def found(path: str) -> bool:
        out = subprocess.run(["sh", str(SAMPLER), "discover", str(tmp_path)],
                             capture_output=True, text=True, env={"PATH": path}).stdout
        return channels_from_listing(parse_listing(out), TelemetryConfig()).vcgencmd

    assert found(f"{tmp_path}:/usr/bin:/bin") and not found("/usr/bin:/bin")
