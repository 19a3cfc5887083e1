"""Issue 6's telemetry figures, each measured against its own baseline in the same run.

- perturbation: llama-bench decode tokens/s with the sampler (16 channels, 100 ms) running vs
  not, interleaved pairs; target median ratio >= 0.99
- sampler CPU: the sampler's own CPU time (shell + its `sleep` forks) per second of wall time,
  as a share of one core; target < 1 %
- storage: a 1-hour trace of 16 channels at 100 Hz written to SQLite; target < 1 s, < 20 MB
Run: `LLAMA_BENCH=$(tail -1 .venv/llama-bench.path) .venv/bin/python benchmarks/telemetry.py`
(PAIRS=5 by default; needs no phone: the sampler reads a fake sysfs tree of the same shape).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from harness.telemetry.channels import channels_from_listing, parse_listing  # noqa: E402
from harness.telemetry.session import SAMPLER  # noqa: E402
from harness.telemetry.settings import TelemetryConfig  # noqa: E402
from harness.telemetry.trace import Series, Trace  # noqa: E402

PAIRS = int(os.environ.get("PAIRS", "5"))


def fake_tree(root: Path) -> list[str]:
    """A 16-channel phone-shaped tree; returns the files the sampler reads."""
    from sysfs_fixture import FakeSysfs, write
    FakeSysfs(root)
    for i in range(3, 6):  # three more zones -> 6 temps
        z = root / f"sys/class/thermal/thermal_zone{i}"
        write(z / "type", f"skin-{i}")
        write(z / "temp", 33000)
    listing = parse_listing(subprocess.run(["sh", str(SAMPLER), "discover", str(root)],
                                           capture_output=True, text=True).stdout)
    chans = channels_from_listing(listing, TelemetryConfig(), str(root)).channels
    files = sorted({f for c in chans for f in c.files})
    return files, len(chans)


def sampler(files: list[str], interval: float = 0.1, env: dict | None = None,
            shell: tuple[str, ...] = ("sh",)) -> subprocess.Popen:
    return subprocess.Popen([*shell, str(SAMPLER), "sample", str(interval), *files],
                            env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, start_new_session=True)


def decode_tps(llama: str, model: Path) -> float:
    out = subprocess.run([llama, "-m", str(model), "-p", "0", "-n", "64", "-r", "3", "-t", "1",
                          "-o", "jsonl"], capture_output=True, text=True, check=True).stdout
    import json
    return float(json.loads(out.strip().splitlines()[-1])["avg_ts"])


def perturbation(llama: str, model: Path, files: list[str]) -> list[float]:
    ratios = []
    for i in range(PAIRS):
        order = (False, True) if i % 2 == 0 else (True, False)
        got = {}
        for on in order:
            p = sampler(files) if on else None
            try:
                got[on] = decode_tps(llama, model)
            finally:
                if p:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        ratios.append(got[True] / got[False])
    return ratios


def sampler_cpu(files: list[str], env: dict, shell: tuple[str, ...] = ("sh",),
                seconds: float = 10.0) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = sampler(files, env=env, shell=shell)
    time.sleep(seconds)
    p.send_signal(signal.SIGTERM)  # sh exits; the rusage of its reaped sleeps is included
    p.wait()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu / wall


def storage(tmp: Path) -> tuple[float, int]:
    from results_db.engine import open_db
    from results_db.models import Device, Run
    from results_db.traces import save_trace

    n = 3600 * 100
    rng = np.random.default_rng(0)
    t = 5000.0 + np.arange(n) * 0.01 + rng.normal(0, 0.0005, n)
    series = {}
    for k in range(16):
        kind = ("thermal", "cpufreq", "cpufreq_max", "battery")[k % 4]
        if kind == "thermal":  # millidegrees, slow heating
            v = np.round(35000 + np.cumsum(rng.normal(1, 50, n)) / 100) / 1000
        elif kind == "cpufreq":
            v = rng.choice([300.0, 1017.6, 1804.8, 2419.2, 3014.4], n)
        elif kind == "cpufreq_max":
            v = np.where(np.arange(n) < n // 2, 3014.4, 2419.2)
        else:  # mA x uV products
            v = np.round(rng.normal(800, 120, n)) * 3.9e6 * 1e-6
        series[f"c{k}"] = Series(f"c{k}", "x", t, v, kind)
    url = f"sqlite:///{tmp}/trace.db"
    sessions = open_db(url)
    with sessions() as s:
        run = Run(device=Device(name="d", transport="local"), runner="x", harness_version="0")
        s.add(run)
        s.commit()
        t0 = time.perf_counter()
        save_trace(s, run.id, Trace(series))
        s.commit()
        dt = time.perf_counter() - t0
    return dt, (tmp / "trace.db").stat().st_size + sum(
        p.stat().st_size for p in tmp.glob("trace.db-*"))


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-telemetry-"))
    files, nchan = fake_tree(tmp / "sysfs")
    pinned = {"DEVICEBENCH_SAMPLER_REEXEC": "1"}
    for shell, env, how in (
            (("sh",), {}, "sh as shipped (re-execs a shell with read -t: no fork per tick)"),
            (("mksh",), pinned, "mksh, Android's sh (read -t)"),
            (("busybox", "sh"), pinned, "busybox ash (read -t)"),
            (("sh",), pinned, "plain dash (forks sleep per tick)")):
        if shutil.which(shell[0]):
            cpu = sampler_cpu(files, env, shell)
            print(f"sampler CPU at 100 ms over {nchan} channels ({len(files)} files), {how}: "
                  f"{cpu:.2%} of one core (target < 1%)")
    dt, size = storage(tmp)
    print(f"1-hour trace, 16 channels at 100 Hz: stored in {dt:.2f} s (target < 1 s), "
          f"{size / 1e6:.1f} MB (target < 20 MB)")
    llama = os.environ.get("LLAMA_BENCH")
    if not llama:
        print("perturbation: skipped (set LLAMA_BENCH)")
        return
    from harness.models.synth import synth_llama
    model = tmp / "m.gguf"
    synth_llama(model, 50_000_000, "q4_0")
    ratios = perturbation(llama, model, files)
    print(f"perturbation: decode t/s sampler on/off over {PAIRS} interleaved pairs: median "
          f"{statistics.median(ratios):.4f} (target >= 0.99), ratios "
          + ", ".join(f"{r:.3f}" for r in ratios))


if __name__ == "__main__":
    main()
