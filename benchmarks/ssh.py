"""Issue 4's speed figures, each a ratio against a baseline measured in the same run.

- SSH overhead: `bench run` over a loopback sshd vs the same ~10 s job on `local`
  (interleaved pairs, median wall-time ratio; target <= 1.15)
- push: first push of a 200 MB file through the ssh transport vs plain `scp` of the same
  file to the same server (throughput ratio; target >= 0.5); second push: 0 bytes, < 0.5 s
Run with `LLAMA_BENCH=... .venv/bin/python benchmarks/ssh.py` (PAIRS=5 by default).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from sshd_fixture import Sshd, device_yaml, known_hosts_line  # noqa: E402

PAIRS = int(os.environ.get("PAIRS", "5"))


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, text=True, capture_output=True, cwd=REPO)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return time.perf_counter() - t0, p.stdout


def push_figures(server: Sshd, kh: Path, tmp: Path) -> None:
    from harness.artifacts import artifact_for, place
    from harness.config import DeviceConfig
    from harness.transports.ssh import SshTransport
    big = tmp / "model-200MB.bin"
    with open(big, "wb") as f:
        for _ in range(200):
            f.write(os.urandom(1 << 20))
    os.environ["BENCH_HOME"] = str(tmp / "home")
    art = artifact_for(big)  # hash once, outside the timed pushes
    scp = ["scp", "-q", "-P", str(server.port), "-i", str(server.client_key),
           "-o", f"UserKnownHostsFile={kh}", "-o", "StrictHostKeyChecking=yes",
           "-o", "BatchMode=yes", str(big), f"{server.user}@127.0.0.1:{tmp}/scp-copy.bin"]
    t0 = time.perf_counter()
    subprocess.run(scp, check=True)
    t_scp = time.perf_counter() - t0
    cfg = DeviceConfig(name="bench-board", transport="ssh", host="127.0.0.1", port=server.port,
                       user=server.user, key_file=str(server.client_key), known_hosts=str(kh))
    t = SshTransport(cfg)
    try:
        t0 = time.perf_counter()
        _, pushed = place(t, str(tmp / "dev"), art)
        t_push = time.perf_counter() - t0
        sent_first = t.bytes_sent
    finally:
        t.close()
    t = SshTransport(cfg)  # the second push comes from a later run: a new connection
    try:
        t0 = time.perf_counter()
        _, pushed_again = place(t, str(tmp / "dev"), art)
        t_second = time.perf_counter() - t0
        sent_second = t.bytes_sent
    finally:
        t.close()
    mb = art.size / 1e6
    print(f"push: ssh transport {mb / t_push:.0f} MB/s, scp {mb / t_scp:.0f} MB/s, "
          f"ratio {t_scp / t_push:.2f} (target >= 0.5); first push sent {sent_first} bytes")
    print(f"second push (new connection, SFTP start + stat): {sent_second} bytes in "
          f"{t_second:.3f} s (pushed={pushed_again}; target 0 bytes, < 0.5 s)")
    assert pushed and sent_first == art.size


def main() -> None:
    llama_bench = os.environ["LLAMA_BENCH"]
    os.environ.pop("SSH_AUTH_SOCK", None)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ssh-"))
    server = Sshd(tmp / "sshd").start()
    try:
        kh = tmp / "known_hosts"
        kh.write_text(known_hosts_line(server))
        cfg = tmp / "cfg"
        cfg.mkdir()
        (cfg / "local.yaml").write_text(f"name: local\ntransport: local\nworkdir: {tmp}/local\n")
        (cfg / "board.yaml").write_text(device_yaml(
            server, known_hosts=kh, workdir=tmp / "board", abi=f"linux-{os.uname().machine}"))
        env = {**os.environ, "BENCH_HOME": str(tmp / "home"),
               "BENCH_DB": f"sqlite:///{tmp}/r.db", "BENCH_CONFIG_DIR": str(cfg)}
        cli = [sys.executable, "-m", "harness.cli"]
        model = tmp / "m.gguf"
        subprocess.run([*cli, "models", "synth", "--params", "60M", "--quant", "q4_0", "-o",
                        str(model)], env=env, check=True, capture_output=True, cwd=REPO)
        subprocess.run([*cli, "runners", "add", "llama.cpp", "--abi",
                        f"linux-{os.uname().machine}", llama_bench], env=env, check=True,
                       capture_output=True, cwd=REPO)
        job = ["--runner", "llama.cpp", "--model", str(model), "--param", "p=512",
               "--param", "n=128", "--param", "t=1", "--repetitions", "3", "--json"]
        push_figures(server, kh, tmp)
        for dev in ("local", "board"):  # first runs push; not timed
            timed([*cli, "run", "--device", dev, *job], env)
        ratios = []
        for _ in range(PAIRS):
            tl, _ = timed([*cli, "run", "--device", "local", *job], env)
            ts, out = timed([*cli, "run", "--device", "board", *job], env)
            assert json.loads(out)["bytes_pushed"] == 0
            ratios.append(ts / tl)
            print(f"  pair: local {tl:.2f} s, ssh {ts:.2f} s, ratio {ts / tl:.3f}")
        print(f"ssh overhead: median ratio {statistics.median(ratios):.3f} over {PAIRS} pairs "
              f"(target <= 1.15)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
