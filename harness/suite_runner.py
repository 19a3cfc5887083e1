"""Run a suite's jobs: devices in parallel (one thread each), one job at a time per device.

Every job is an ordinary run (`harness.execute.execute`) linked to the suite run by its job key
as soon as its run row exists. `resume` re-runs exactly the keys whose run is not `ok` (never an
`ok` one twice); a run left `running` by a killed process is marked failed/`interrupted` first,
so its partial data stays, linked to nothing but visible in `bench runs`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .artifacts import RunnerRegistry
from .config import ConfigError, DeviceConfig
from .execute import execute, resolve
from .job import BadInput
from .suites import Suite, SuiteJob, SuiteSpec, check_names, expand, materialize_models

Event = Callable[[str, str, str], None]  # (kind, job key, detail): start|phase|done|skip


@dataclass
class JobOutcome:
    key: str
    run_id: int | None
    status: str
    reason: str | None = None
    error: str | None = None


@dataclass
class SuiteOutcome:
    suite_run_id: int
    status: str
    outcomes: list[JobOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # already ok before this invocation
    not_run: list[str] = field(default_factory=list)   # left for `bench suite resume`


def prepare(suite: Suite, devices: dict[str, DeviceConfig],
            registry: RunnerRegistry) -> list[SuiteJob]:
    """Everything checkable on the host, before any device is touched: names, model files and
    runner binaries; synthetic models are generated here."""
    from .runners import _registry

    check_names(suite, devices, list(_registry()))
    jobs = expand(suite, materialize_models(suite))
    if not jobs:
        raise ConfigError(f"{suite.path}:1: the matrix is empty (everything excluded?)")
    for j in jobs:
        try:
            resolve(j.job, devices[j.device], registry)
        except BadInput as exc:
            raise BadInput(f"{suite.path}: job {j.key}: {exc}") from None
    return jobs


def create(sessions, suite: Suite, jobs: list[SuiteJob], baseline: str | None) -> int:
    from results_db.suites import SuiteRun

    with sessions() as s:
        sr = SuiteRun(name=suite.spec.name, file=str(suite.path.resolve()),
                      spec={"suite": suite.spec.model_dump(mode="json"),
                            "jobs": [j.key for j in jobs]},
                      baseline=baseline, status="running")
        s.add(sr)
        s.commit()
        return sr.id


def load(sessions, suite_run_id: int) -> tuple[Suite, dict[str, Any]]:
    """The suite as it was when the suite run started (not as the file reads now)."""
    from results_db.suites import SuiteRun

    with sessions() as s:
        sr = s.get(SuiteRun, suite_run_id)
        if sr is None:
            raise BadInput(f"no suite run s{suite_run_id}")
        spec = SuiteSpec.model_validate(sr.spec["suite"])
        return Suite(spec, Path(sr.file), {}), {"status": sr.status, "baseline": sr.baseline}


def _stale_to_interrupted(sessions, suite_run_id: int) -> dict[str, str]:
    """Job key -> status of its linked run; runs left `running` by a dead process -> failed."""
    from results_db import store
    from results_db.suites import members

    with sessions() as s:
        out = {}
        for key, run in members(s, suite_run_id).items():
            if run.status == "running":
                store.finish(run, "failed", "interrupted",
                             "the suite process ended while this job was running")
            out[key] = run.status
        s.commit()
        return out


def run(sessions, suite_run_id: int, jobs: list[SuiteJob], devices: dict[str, DeviceConfig],
        registry: RunnerRegistry, pause_s: float = 0.0, on_event: Event | None = None,
        stop: threading.Event | None = None) -> SuiteOutcome:
    """Run the jobs of a suite run whose keys have no `ok` run yet."""
    from results_db.suites import link

    notify = on_event or (lambda *_: None)
    stop = stop or threading.Event()
    done = _stale_to_interrupted(sessions, suite_run_id)
    outcome = SuiteOutcome(suite_run_id, "running")
    todo: dict[str, list[SuiteJob]] = {}
    for j in jobs:
        if done.get(j.key) == "ok":
            outcome.skipped.append(j.key)
            notify("skip", j.key, "done before")
        else:
            todo.setdefault(j.device, []).append(j)
    lock = threading.Lock()

    def linker(key: str) -> Callable[[int], None]:
        def on_start(run_id: int) -> None:
            with lock, sessions() as s:
                link(s, suite_run_id, key, run_id)
                s.commit()
        return on_start

    def worker(device: str, queue: list[SuiteJob]) -> None:
        for i, j in enumerate(queue):
            if stop.is_set():
                with lock:
                    outcome.not_run += [x.key for x in queue[i:]]
                return
            if i and pause_s and stop.wait(pause_s):
                continue
            notify("start", j.key, device)
            try:
                res = execute(j.job, devices[device], sessions, registry,
                              on_phase=lambda p, k=j.key: notify("phase", k, p),
                              on_start=linker(j.key))
                jo = JobOutcome(j.key, res.run_id, res.status, res.reason, res.error)
            except Exception as exc:  # noqa: BLE001 - one job's bug must not stop the matrix
                jo = JobOutcome(j.key, None, "failed", "error", f"{type(exc).__name__}: {exc}")
            with lock:
                outcome.outcomes.append(jo)
            notify("done", j.key, jo.status if jo.status == "ok" else f"{jo.status} ({jo.reason})")
            if jo.reason == "device_lost":  # the rest of this device's queue waits for resume
                with lock:
                    outcome.not_run += [x.key for x in queue[i + 1:]]
                return

    threads = [threading.Thread(target=worker, args=(d, q), name=f"suite-{d}", daemon=True)
               for d, q in todo.items()]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        stop.set()
        _finish(sessions, suite_run_id, "interrupted")
        raise
    if stop.is_set() or outcome.not_run:
        status = "interrupted"
    elif all(o.status == "ok" for o in outcome.outcomes):
        status = "ok"
    else:
        status = "failed"
    outcome.status = status
    _finish(sessions, suite_run_id, status)
    return outcome


def _finish(sessions, suite_run_id: int, status: str) -> None:
    from results_db.suites import SuiteRun, finish

    with sessions() as s:
        finish(s.get(SuiteRun, suite_run_id), status)
        s.commit()
