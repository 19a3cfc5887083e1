import os
import time

import pytest

from harness.transports.base import CommandTimeout
from harness.transports.local import LocalTransport


def test_exit_code_and_output():
    r = LocalTransport().run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (r.exit_code, r.stdout, r.stderr) == (7, "out\n", "err\n")


def test_arguments_never_reach_a_shell(tmp_path):
    evil = "a b; touch " + str(tmp_path / "pwned") + " $(id)"
    r = LocalTransport().run(["printf", "%s", evil])
    assert r.stdout == evil and not (tmp_path / "pwned").exists()


def test_timeout_kills_the_whole_group(tmp_path):
    pidfile = tmp_path / "child.pid"
    t0 = time.monotonic()
    with pytest.raises(CommandTimeout):
        LocalTransport().run(["sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"], timeout=0.5)
    assert time.monotonic() - t0 < 5
    child = int(pidfile.read_text())
    time.sleep(0.1)
    assert _dead(child)


def _dead(pid: int) -> bool:
    """Gone, or a zombie waiting for a parent that is not us to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_push_is_atomic_and_counts_bytes(tmp_path):
    src = tmp_path / "m.bin"
    src.write_bytes(b"x" * 1000)
    t = LocalTransport()
    dest = tmp_path / "dev" / "store" / "abc" / "m.bin"
    t.push(src, str(dest))
    assert dest.read_bytes() == src.read_bytes() and t.bytes_sent == 1000
    assert [p.name for p in dest.parent.iterdir()] == ["m.bin"]  # no temp left behind
    assert t.stat(str(dest)).size == 1000 and t.stat(str(tmp_path / "nope")) is None


def test_stream_yields_lines_and_stop_kills():
    t = LocalTransport()
    h = t.stream(["sh", "-c", "echo one; echo two; sleep 30"])
    it = iter(h)
    assert [next(it), next(it)] == ["one", "two"]
    t0 = time.monotonic()
    h.stop()
    assert time.monotonic() - t0 < 5


def test_device_clock_is_boottime():
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    assert abs(LocalTransport().device_time() - uptime) < 1.0
