"""Run one Job on one device and record the Run.

Phases: resolve artifacts -> push (skipping what the device has, by hash) -> one invocation per
measured phase -> parse -> analyze -> store. Each phase's start and end are taken on the
device's clock. The run row is written first and results are committed after every invocation,
so a failure at any point leaves a `failed` run with its reason and everything measured so far
(reasons: runner_exit, parse_error, timeout, device_lost, transport_error, interrupted,
bad_input and internal_error, the last two re-raised so the CLI exits 2 / shows the bug).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__
from .artifacts import RunnerRegistry, artifact_for, host_abi, place
from .config import ConfigError, DeviceConfig
from .job import BadInput, Job
from .results import ParseError, Result, warning_events
from .runners import get_runner
from .runners.formats import abi_mismatch
from .runners.host import HostScript, host_runner_for
from .transports import CommandTimeout, DeviceUnavailable, TransportError, open_transport

STDERR_TAIL = 2000


@dataclass
class Outcome:
    run_id: int
    status: str
    reason: str | None = None
    error: str | None = None
    results: list[Result] = field(default_factory=list)
    bytes_pushed: int = 0


def _quantization(results: list[Result]) -> str | None:
    """llama-bench names models like 'llama 60M Q4_0': the type after the size is the quant."""
    for r in results:
        m = re.match(r"^\S+\s+[\d.?]+[KMBT]?\s+(.+)$", str(r.case.get("model", "")))
        if m:
            return m.group(1).strip()
    return None


def add_bandwidth(results: list[Result], peak_gbps: float | None) -> None:
    """Decode reads every weight once per token: bytes x tokens/s is the achieved bandwidth."""
    for r in results:
        tps = r.metrics.get("decode_tokens_per_s")
        size = r.case.get("model_size_bytes")
        if tps and size:
            bw = float(size) * tps / 1e9
            r.metrics["bandwidth_gbps"] = bw
            if peak_gbps:
                r.metrics["bandwidth_utilization"] = bw / peak_gbps


def resolve(job: Job, device: DeviceConfig, registry: RunnerRegistry):
    """Check everything that can be checked on the host, before any device is touched."""
    runner = get_runner(job.runner)
    model = Path(job.model).expanduser()
    if not model.is_file():
        raise BadInput(f"--model {job.model}: no such file")
    try:
        fmt = runner.check_model(model)
    except OSError as exc:
        raise BadInput(f"--model {job.model}: cannot read: {exc.strerror}") from None
    abi = device.abi or (host_abi() if device.transport == "local" else None)
    binary = registry.find(runner.name, abi) if abi else None
    host = host_runner_for(runner, device) if binary is None else None
    if host is not None:  # no native build for this ABI: the framework's Python wheel
        runner, binary = host, HostScript(runner.name, abi)
    elif binary is None:
        others = ", ".join(b.abi for b in registry.list() if b.runner == runner.name)
        known = ", ".join(f"{b.runner}/{b.abi}" for b in registry.list()) or "none"
        raise BadInput(f"no {runner.name} binary registered for ABI {abi} of device "
                       f"{device.name}" + (f" (only for {others})" if others else "") +
                       f" (`bench runners add {runner.name} --abi {abi} PATH`; registered: {known})")
    else:
        path = registry.file(binary.sha256, binary.name)
        if not path.is_file():
            raise BadInput(f"{runner.name}/{abi}: registered binary {path} is missing "
                           f"(`bench runners add {runner.name} --abi {abi} PATH` again)")
        actual = abi_mismatch(path, abi)
        if actual:
            raise BadInput(f"{runner.name} binary {binary.name} registered for {abi} is an ELF "
                           f"binary for {actual}, but device {device.name} is {abi}")
    runner.invocations(device, job, binary.name, str(model))  # bad --param: before any push
    return runner, model, fmt, binary


def execute(job: Job, device: DeviceConfig, sessions, registry: RunnerRegistry | None = None,
            on_phase: Callable[[str], None] | None = None,
            on_start: Callable[[int], None] | None = None) -> Outcome:
    """Run `job`; `on_start(run_id)` is called once the run row exists (a suite links it)."""
    from results_db import store
    from results_db.models import Run

    registry = registry or RunnerRegistry()
    notify = on_phase or (lambda _p: None)
    runner, model_path, fmt, binary = resolve(job, device, registry)
    model_art = artifact_for(model_path)

    with sessions() as s:
        dev = store.get_or_create_device(s, device.name, device.transport, device.abi,
                                         device.soc, device.model_dump(exclude_none=True))
        art = store.get_or_create_artifact(s, model_art.sha256, kind="model",
                                           name=model_path.name, format=fmt,
                                           size_bytes=model_art.size)
        mode = "host" if isinstance(binary, HostScript) else "native"
        run = Run(device=dev, model=art, runner=runner.name, status="running",
                  job={**job.model_dump(), "runner_mode": mode, "runner_binary": binary.name},
                  harness_version=__version__)
        s.add(run)
        s.commit()
        outcome = Outcome(run.id, "running")
        if on_start is not None:
            on_start(run.id)
        phases: list[dict] = []
        transport = None
        tele = None

        def fail(reason: str, error: str) -> Outcome:
            outcome.status, outcome.reason, outcome.error = "failed", reason, error
            return outcome

        try:
            notify("connect")
            transport = open_transport(device)
            if hasattr(transport, "prepare"):  # a phone: awake, task profile, affinity
                state, events = transport.prepare()
                run.device_state = {**(run.device_state or {}), **state}
                run.events = list(run.events or []) + events
            # a remote `~` is the device user's home (ssh: SshTransport.expand)
            workdir = getattr(transport, "expand", str)(device.resolved_workdir())
            t0 = transport.device_time()
            notify("push")
            files = [model_art] + [artifact_for(registry.file(x["sha256"], x["name"]), "lib")
                                   for x in binary.libs]
            bin_path = binary.path if mode == "host" else registry.file(binary.sha256,
                                                                        binary.name)
            bin_art = artifact_for(bin_path, "runner")
            remote_model, _ = place(transport, workdir, model_art)
            remote_bin, _ = place(transport, workdir, bin_art)
            lib_dirs = sorted({place(transport, workdir, a)[0].rsplit("/", 1)[0]
                               for a in files[1:]})
            extra = {}  # files the model needs beside it (ncnn: its .bin), by role
            if hasattr(runner, "companions"):
                extra = {role: place(transport, workdir, artifact_for(p))[0]
                         for role, p in runner.companions(model_path, fmt).items()}
            phases.append({"phase": "push", "start": t0, "end": transport.device_time()})
            env = {"LD_LIBRARY_PATH": ":".join(lib_dirs)} if lib_dirs else {}
            if job.telemetry:  # sampler runs from before warm-up to after the last phase
                from .telemetry.recorder import Recorder
                notify("telemetry")
                tele = Recorder(transport, device, job, workdir, notify)
                tele.prepare(phases)
            invocations = (runner.invocations(device, job, remote_bin, remote_model, files=extra)
                           if extra else runner.invocations(device, job, remote_bin, remote_model))
            until = time.monotonic() + job.sustained_s if job.sustained_s else None
            for it in itertools.count(1):  # once, or repeated for --sustained DURATION
                for inv in invocations:
                    phase = inv.phase if it == 1 else f"{inv.phase}#{it}"
                    notify(phase)
                    start = transport.device_time()
                    res = transport.run(inv.argv, timeout=job.timeout_s, env={**env, **inv.env})
                    phases.append({"phase": phase, "start": start,
                                   "end": transport.device_time()})
                    if res.exit_code != 0:
                        tail = res.stderr.strip()[-STDERR_TAIL:]
                        fail("runner_exit", f"{runner.binary} ({phase}) exited with code "
                             f"{res.exit_code}: {tail}")
                        break
                    try:
                        rows = runner.parse(res.stdout, res.stderr)
                    except ParseError as exc:
                        fail("parse_error", f"{phase}: {exc}")
                        break
                    for r in rows:
                        r.case.setdefault("phase", phase)
                        if until is not None:
                            r.case["iteration"] = it
                    add_bandwidth(rows, device.memory_bandwidth_gbps)
                    warned = warning_events(rows, phases[-1]["end"] - t0, phase)
                    if warned:  # output cut off: rows kept, the reason recorded
                        run.events = list(run.events or []) + warned
                    outcome.results += rows
                    store.add_results(s, run, rows)
                    run.phases = list(phases)
                    s.commit()
                if outcome.status != "running" or until is None or time.monotonic() >= until:
                    break
        except CommandTimeout as exc:
            fail("timeout", str(exc))
        except DeviceUnavailable as exc:
            fail("device_lost", str(exc))
        except TransportError as exc:
            fail("transport_error", str(exc))
        except KeyboardInterrupt:
            fail("interrupted", "interrupted by the user")
            raise
        except (BadInput, ConfigError) as exc:  # found only once the device answered: exit 2
            fail("bad_input", str(exc))
            raise
        except Exception as exc:  # a bug must not leave the run `ok` (the finally below)
            fail("internal_error", f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if tele is not None:
                try:
                    tele.finish(s, run, phases)
                except Exception as exc:  # telemetry never turns a measured run into a crash
                    run.events = list(run.events or []) + [
                        {"t_s": 0.0, "kind": "telemetry_warning", "detail": f"telemetry: {exc}"}]
            if transport is not None:
                outcome.bytes_pushed = transport.bytes_sent
                transport.close()
            if outcome.status == "running":
                outcome.status = "ok"
            art.quantization = art.quantization or _quantization(outcome.results)
            versions = {str(r.case["framework_version"]) for r in outcome.results
                        if r.case.get("framework_version")}
            run.runner_version = run.runner_version or (", ".join(sorted(versions)) or None)
            run.phases = phases
            run.bytes_pushed = outcome.bytes_pushed
            store.finish(run, outcome.status, outcome.reason, outcome.error)
            s.commit()
    return outcome
