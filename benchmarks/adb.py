"""Issue 3's speed figures against the real adb server and fake phones (tests/adbd_fixture.py).

- `bench devices` wall time with 8 phones connected (target < 2 s), next to the sum of the
  8 property probes run one after another (what parallel probing saves)
- adb round trips (device services opened: shell and sync sessions) of a cached 10-repetition
  `bench run`, against a 1-repetition run: the harness may add at most 3 per repetition
- push of a 200 MB file through AdbTransport vs `adb push` of the same file in the same run
  (target >= 70% of adb push throughput)
Run with `LLAMA_BENCH=... .venv/bin/python benchmarks/adb.py`.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from adbd_fixture import AdbServer, FakeAdbd  # noqa: E402

PHONE_ABI = {"aarch64": "arm64-v8a"}.get(os.uname().machine, os.uname().machine)

PUSH_MB = int(os.environ.get("PUSH_MB", "200"))


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-adb-"))
    server = AdbServer(tmp)
    os.environ["ANDROID_ADB_SERVER_PORT"] = str(server.port)
    env = {**os.environ, "BENCH_HOME": str(tmp / "home"), "BENCH_DB": f"sqlite:///{tmp}/r.db",
           "BENCH_CONFIG_DIR": str(tmp / "cfg")}
    (tmp / "cfg").mkdir()
    cli = [sys.executable, "-m", "harness.cli"]
    phones = []
    try:
        for i in range(8):
            # the fake phones report the host's ABI, so the host's llama-bench is a valid build
            d = FakeAdbd(tmp / f"phone{i}", v2=i % 2 == 0, abi=PHONE_ABI)
            phones.append(d)
            server.adb("connect", d.serial)
            assert server.wait_state(d.serial, "device") == "device"

        # 1. discovery
        walls, cpus = [], []
        for _ in range(3):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            p = subprocess.run([*cli, "devices", "--json"], env=env, text=True,
                               capture_output=True, check=True, cwd=REPO)
            walls.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
            found = [r for r in json.loads(p.stdout)["devices"] if r.get("properties")]
            assert len(found) == 8, p.stdout
        from harness.discovery import probe
        t0 = time.perf_counter()
        for d in phones:
            probe(d.serial)
        serial_s = time.perf_counter() - t0
        shells = [sum(s.startswith("shell") for s in d.services) for d in phones]
        print(f"bench devices, 8 phones: median wall {statistics.median(walls):.2f} s "
              f"(target < 2 s), CLI process CPU {statistics.median(cpus):.2f} s, machine load "
              f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; the 8 probes one after "
              f"another take {serial_s:.2f} s in-process; shell round trips per phone per "
              f"listing: {shells[0] / 4:.0f}")

        # 2. round trips per repetition
        llama = os.environ.get("LLAMA_BENCH")
        if llama:
            model = tmp / "m.gguf"
            subprocess.run([*cli, "models", "synth", "--params", "8M", "--quant", "q4_0", "-o",
                            str(model)], env=env, check=True, capture_output=True, cwd=REPO)
            subprocess.run([*cli, "runners", "add", "llama.cpp", "--abi", f"android-{PHONE_ABI}",
                            llama], env=env, check=True, capture_output=True, cwd=REPO)
            phone = phones[0]

            def trips(reps: int, telemetry: str) -> int:
                before = len(phone.services)
                subprocess.run([*cli, "run", "--device", phone.serial, "--runner", "llama.cpp",
                                "--model", str(model), "--param", "p=16", "--param", "n=4",
                                "--repetitions", str(reps), telemetry, "--json"],
                               env=env, check=True, capture_output=True, cwd=REPO)
                return len(phone.services) - before
            for flag in ("--no-telemetry", "--telemetry"):
                trips(1, flag)  # pushes (runner, sampler); later runs are cached
                one, ten = trips(1, flag), trips(10, flag)
                print(f"adb round trips ({flag[2:]}): 1-repetition run {one}, 10-repetition run "
                      f"{ten}; added per repetition {(ten - one) / 9:.1f} (target <= 3), per "
                      f"iteration 0 (llama-bench repeats on the device)")
        else:
            print("adb round trips: skipped (set LLAMA_BENCH to a llama-bench binary)")

        # 3. push throughput
        big = tmp / "model.bin"
        with open(big, "wb") as f:
            for _ in range(PUSH_MB):
                f.write(os.urandom(1 << 20))
        # our push in its own process, like `adb push` (the fake phones share this one's GIL)
        code = ("import sys, time; from pathlib import Path; "
                "from harness.transports.adb import AdbTransport; "
                "t = AdbTransport(sys.argv[1]); t0 = time.perf_counter(); "
                "t.push(Path(sys.argv[2]), sys.argv[3]); print(time.perf_counter() - t0)")
        ours, theirs = [], []
        for i in range(3):
            r = subprocess.run([sys.executable, "-c", code, phones[0].serial, str(big),
                                f"/data/local/tmp/ours{i}.bin"], env=env, text=True,
                               capture_output=True, check=True, cwd=REPO)
            ours.append(float(r.stdout.split()[-1]))
            t0 = time.perf_counter()
            r = server.adb("-s", phones[0].serial, "push", str(big),
                           f"/data/local/tmp/theirs{i}.bin", timeout=600)
            assert r.returncode == 0, r.stderr
            theirs.append(time.perf_counter() - t0)
            for name in (f"ours{i}.bin", f"theirs{i}.bin"):
                (phones[0].root / "data/local/tmp" / name).unlink()
        mb = big.stat().st_size / 1e6
        a, b = mb / min(ours), mb / min(theirs)
        print(f"push {mb:.0f} MB: AdbTransport {a:.0f} MB/s, adb push {b:.0f} MB/s, "
              f"ratio {a / b:.2f} (target >= 0.70)")
    finally:
        for d in phones:
            server.adb("disconnect", d.serial)
            d.kill()
        server.close()


if __name__ == "__main__":
    main()
