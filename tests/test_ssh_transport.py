"""The ssh transport against a real OpenSSH sshd on loopback (paramiko on our side)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from harness.artifacts import artifact_for, place
from harness.config import ConfigError, DeviceConfig
from harness.transports import CommandTimeout, DeviceUnavailable, TransferError
from harness.transports.hostkeys import HostKeyChanged, UnknownHostKey
from harness.transports.ssh import AuthFailed, SshTransport, parse_jump, remote_command
from sshd_fixture import (Sshd, fingerprint, keygen, known_hosts_line, no_agent,  # noqa: F401
                          sshd, trusted)


def cfg(server: Sshd, kh: Path, **kw) -> DeviceConfig:
    base = dict(name="board", transport="ssh", host="127.0.0.1", port=server.port,
                user=server.user, key_file=str(server.client_key), known_hosts=str(kh))
    return DeviceConfig(**{**base, **kw})


@pytest.fixture
def ssh(sshd, trusted):
    t = SshTransport(cfg(sshd, trusted))
    yield t
    t.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    st = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return st != "Z"


def test_exit_status_stdout_stderr_and_env(ssh):
    r = ssh.run(["sh", "-c", 'echo out; echo err >&2; echo "$FOO"; exit 7'],
                env={"FOO": "a b;c"})
    assert (r.exit_code, r.stdout, r.stderr) == (7, "out\na b;c\n", "err\n")
    assert ssh.run(["true"]).exit_code == 0
    assert ssh.run(["/nonexistent/tool"]).exit_code == 127


def test_arguments_are_quoted_not_interpreted(ssh, tmp_path):
    canary = tmp_path / "pwned"
    weird = ["it's", 'a "b"', f"; touch {canary}", "$(id)", "`id`", "*", "new\nline", ""]
    r = ssh.run(["printf", "%s|"] + weird)
    assert r.stdout == "|".join(weird) + "|"
    assert not canary.exists()
    assert remote_command(["a b"]).startswith("exec sh -c ")


def test_timeout_kills_the_remote_process_group(ssh, tmp_path):
    pidfile = tmp_path / "child.pid"
    start = time.monotonic()
    with pytest.raises(CommandTimeout) as exc:
        ssh.run(["sh", "-c", f"echo started; sleep 60 & echo $! > {pidfile}; wait"], timeout=1.5)
    assert time.monotonic() - start < 10
    assert exc.value.stdout == "started\n"
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the backgrounded child of the timed-out command survived"
    assert ssh.run(["echo", "still usable"]).stdout == "still usable\n"


def test_stream_yields_lines_and_stop_kills_the_group(ssh, tmp_path):
    pidfile = tmp_path / "s.pid"
    h = ssh.stream(["sh", "-c", f"sleep 60 & echo $! > {pidfile}; i=0; "
                    "while true; do i=$((i+1)); echo tick $i; sleep 0.1; done"])
    got = []
    for line in h:
        got.append(line)
        if len(got) == 3:
            break
    h.stop()
    assert got == ["tick 1", "tick 2", "tick 3"]
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)
    lines = ssh.stream(["sh", "-c", "echo a; sleep 0.3; echo b >&2; sleep 0.3; printf c"])
    assert list(lines) == ["a", "b", "c"]


def test_push_is_atomic_and_the_second_place_sends_nothing(ssh, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_HOME", str(tmp_path / "home"))
    src = tmp_path / "we ird; 'name\".bin"
    src.write_bytes(os.urandom(3 * 2**20 + 17))
    os.chmod(src, 0o750)
    art = artifact_for(src)
    workdir = str(tmp_path / "dev")
    dest, pushed = place(ssh, workdir, art)
    assert pushed and ssh.bytes_sent == art.size
    assert Path(dest).read_bytes() == src.read_bytes()
    assert Path(dest).stat().st_mode & 0o777 == 0o750
    assert [p.name for p in Path(dest).parent.iterdir()] == [src.name]  # no partial left
    assert place(ssh, workdir, art) == (dest, False)
    assert ssh.bytes_sent == art.size
    pulled = tmp_path / "back"
    ssh.pull(dest, pulled)
    assert pulled.read_bytes() == src.read_bytes()
    with pytest.raises(TransferError):
        ssh.pull(str(tmp_path / "missing"), tmp_path / "x")
    assert ssh.stat(str(tmp_path / "missing")) is None and not ssh.exists(str(tmp_path / "no"))


def test_tilde_is_the_remote_home(ssh):
    home = ssh.run(["sh", "-c", 'echo "$HOME"']).stdout.strip()
    assert ssh.expand("~/x/y") == f"{home}/x/y" and ssh.expand("/abs") == "/abs"


def test_device_time_is_the_board_uptime(ssh):
    t = ssh.device_time()
    up = float(Path("/proc/uptime").read_text().split()[0])
    assert abs(t - up) < 1.0


def test_connection_lost_mid_command_is_device_unavailable(sshd, trusted):
    import threading
    t = SshTransport(cfg(sshd, trusted))
    threading.Timer(1.0, sshd.kill_all).start()
    try:
        with pytest.raises(DeviceUnavailable, match="lost"):
            t.run(["sleep", "30"], timeout=60)
        with pytest.raises(DeviceUnavailable):
            t.run(["true"])
    finally:
        t.close()


def test_interrupted_push_is_never_used(sshd, trusted, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_HOME", str(tmp_path / "home"))
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(64 * 2**20))
    art = artifact_for(src)
    t = SshTransport(cfg(sshd, trusted))
    sent = {"n": 0}

    def kill_after_first_chunk(*a, **kw):
        sent["n"] += 1
        if sent["n"] == 2:
            sshd.kill_all()
        return real_write(*a, **kw)
    import paramiko.sftp_file as sf
    real_write = sf.SFTPFile.write
    monkeypatch.setattr(sf.SFTPFile, "write", kill_after_first_chunk)
    with pytest.raises(DeviceUnavailable):
        place(t, str(tmp_path / "dev"), art)
    t.close()
    monkeypatch.undo()
    assert not any(p.name == "big.bin" for p in (tmp_path / "dev").rglob("*"))
    sshd.start()
    (tmp_path / "kh2").write_text(known_hosts_line(sshd))
    t2 = SshTransport(cfg(sshd, tmp_path / "kh2"))
    dest, pushed = place(t2, str(tmp_path / "dev"), art)
    assert pushed and Path(dest).read_bytes() == src.read_bytes()
    t2.close()


def test_unknown_host_refused_with_the_fix(sshd, tmp_path):
    kh = tmp_path / "empty_known_hosts"
    with pytest.raises(UnknownHostKey) as exc:
        SshTransport(cfg(sshd, kh))
    msg = str(exc.value)
    assert "\n" not in msg and "bench devices trust board" in msg
    assert fingerprint(Path(f"{sshd.host_key}.pub")) in msg
    assert not kh.exists()  # nothing was added


def test_changed_key_refused_loudly(sshd, tmp_path):
    other = keygen(tmp_path / "other_host_key")
    kind, b64 = Path(f"{other}.pub").read_text().split()[:2]
    kh = tmp_path / "kh"
    kh.write_text(f"[127.0.0.1]:{sshd.port} {kind} {b64}\n")
    with pytest.raises(HostKeyChanged) as exc:
        SshTransport(cfg(sshd, kh))
    msg = str(exc.value)
    assert "HOST KEY CHANGED" in msg and "--replace" in msg
    assert fingerprint(Path(f"{other}.pub")) in msg
    assert fingerprint(Path(f"{sshd.host_key}.pub")) in msg


def test_hashed_known_hosts_entries_are_honoured(sshd, trusted):
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(trusted)], check=True,
                   capture_output=True)
    assert trusted.read_text().startswith("|1|")
    t = SshTransport(cfg(sshd, trusted))
    assert t.run(["echo", "ok"]).stdout == "ok\n"
    t.close()


def test_wrong_key_refused_with_a_clear_message(sshd, trusted, tmp_path):
    wrong = keygen(tmp_path / "wrong_key")
    with pytest.raises(AuthFailed) as exc:
        SshTransport(cfg(sshd, trusted, key_file=str(wrong)))
    assert str(exc.value) == (
        f"device board: authentication failed for user {sshd.user} at [127.0.0.1]:{sshd.port} "
        f"with key {wrong} (server accepts: publickey)")


def test_missing_key_file_and_unreachable_port(sshd, trusted, tmp_path):
    with pytest.raises(ConfigError, match="key_file .*: no such file"):
        SshTransport(cfg(sshd, trusted, key_file=str(tmp_path / "nope")))
    sshd.stop()
    with pytest.raises(DeviceUnavailable, match=r"cannot reach \[127.0.0.1\]"):
        SshTransport(cfg(sshd, trusted))


def test_password_only_from_the_named_environment_variable(sshd, trusted, monkeypatch):
    monkeypatch.delenv("BOARD_PW", raising=False)
    wrong = keygen(trusted.parent / "wrong2")
    c = cfg(sshd, trusted, key_file=str(wrong), password_env="BOARD_PW")
    with pytest.raises(AuthFailed, match=r"server accepts: publickey\)$"):
        SshTransport(c)  # the server does not accept passwords: never asked for


def test_jump_host(tmp_path, no_agent):
    jump = Sshd(tmp_path / "jump").start()
    target = Sshd(tmp_path / "target").start()
    try:
        (target.dir / "authorized_keys").write_text(Path(f"{jump.client_key}.pub").read_text())
        kh = tmp_path / "kh"
        kh.write_text(known_hosts_line(jump) + known_hosts_line(target))
        assert parse_jump(f"u@127.0.0.1:{jump.port}", "x").port == jump.port
        c = cfg(target, kh, key_file=str(jump.client_key),
                jump_host=f"{jump.user}@127.0.0.1:{jump.port}")
        t = SshTransport(c)
        assert t.run(["echo", "via jump"]).stdout == "via jump\n"
        t.close()
        # the same config fails when the jump host may not forward: traffic goes through it
        jump.stop()
        cfgfile = jump.config()
        cfgfile.write_text(cfgfile.read_text().replace("AllowTcpForwarding yes",
                                                       "AllowTcpForwarding no"))
        jump.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(cfgfile)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        assert jump._wait_listening()
        with pytest.raises(DeviceUnavailable, match="jump host .* cannot reach"):
            SshTransport(c)
    finally:
        jump.stop()
        target.stop()


def test_ctrl_c_kills_the_remote_process_group(ssh, tmp_path):
    import signal

    def interrupt(*_):
        raise KeyboardInterrupt
    pidfile = tmp_path / "c.pid"
    old = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.5)
        with pytest.raises(KeyboardInterrupt):
            ssh.run(["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"], timeout=60)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_a_command_killed_by_a_signal_is_an_exit_code_not_a_lost_board(ssh):
    r = ssh.run(["sh", "-c", "kill -s SEGV $$"])
    assert r.exit_code == 128 + 11
    assert ssh.run(["echo", "ok"]).stdout == "ok\n"
