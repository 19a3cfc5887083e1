"""Power campaigns: a list of jobs measured under controlled conditions, resumable, grouped.

```yaml
# campaigns/power.yaml  ->  bench campaign run campaigns/power.yaml
name: q4-energy
device: pixel8
repeat: 3                      # runs of every job
baseline_s: 5                  # idle power measured before each run, subtracted
cooldown: {below_c: 38, max_slope_c_per_min: 0.5, timeout_s: 600}
charging: {cut: "uhubctl -l 1-1 -p 2 -a off", restore: "uhubctl -l 1-1 -p 2 -a on"}
screen_off: true               # adb devices: KEYCODE_SLEEP
airplane: true                 # adb devices: cmd connectivity airplane-mode enable
jobs:
  - {runner: llama.cpp, model: models/q4_0.gguf, params: {p: 128, n: 64}}
  - {runner: llama.cpp, model: models/q8_0.gguf, params: {p: 128, n: 64}}
```

Charging is cut by a host command (e.g. a USB hub's port power switch) and always verified by
reading the battery's `status` on the device: a campaign never measures energy while charging.
The campaign row is keyed by name and the spec's hash; running the same file again resumes it,
skipping every (job, repetition) that already has an `ok` run.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .config import ConfigError, DeviceConfig, invalid, load_yaml
from .job import Job
from .telemetry.settings import ConditioningConfig

NOT_CHARGING = {"discharging", "not charging"}


class CampaignError(RuntimeError):
    """The campaign cannot measure under the conditions it asked for (exit 1)."""


class CampaignJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runner: str
    model: str
    params: dict[str, str] = Field(default_factory=dict)
    repetitions: int = Field(default=3, ge=1)
    warmup: int = Field(default=1, ge=0)
    timeout_s: float = Field(default=1800, gt=0)

    @field_validator("params", mode="before")
    @classmethod
    def _strings(cls, v: Any) -> Any:
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else v


class Charging(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cut: str | None = None  # (not `off`/`on`: YAML reads those words as booleans)
    restore: str | None = None
    verify: bool = True


class CampaignSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    device: str
    repeat: int = Field(default=1, ge=1)
    baseline_s: float = Field(default=5.0, ge=0)
    cooldown: ConditioningConfig = Field(default_factory=ConditioningConfig)
    charging: Charging | None = None
    screen_off: bool = False
    airplane: bool = False
    jobs: list[CampaignJob] = Field(min_length=1)


def load_campaign(path: Path) -> tuple[CampaignSpec, str]:
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a campaign is a mapping of fields")
    base = path.parent
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise invalid(path, lines, exc) from None
    for j in spec.jobs:  # model paths are relative to the campaign file
        if not Path(j.model).expanduser().is_absolute():
            j.model = str((base / j.model).resolve())
    digest = hashlib.sha256(json.dumps(spec.model_dump(), sort_keys=True).encode()).hexdigest()
    return spec, digest


def host_command(cmd: str, what: str) -> None:
    argv = shlex.split(cmd)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CampaignError(f"charging.{what} `{cmd}`: {exc}") from None
    if p.returncode != 0:
        raise CampaignError(f"charging.{what} `{cmd}` exited {p.returncode}: "
                            f"{p.stderr.strip()[-300:]}")


@dataclass
class CampaignReport:
    campaign_id: int
    name: str
    ran: list[int] = field(default_factory=list)
    skipped: int = 0
    failed: list[int] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    conditions: dict[str, Any] = field(default_factory=dict)
    device_lost: bool = False


class Conditions:
    """Charging cut (verified), screen off, airplane mode; restored on exit."""

    def __init__(self, spec: CampaignSpec, device: DeviceConfig):
        self.spec, self.device = spec, device
        self.record: dict[str, Any] = {}

    def _battery_status(self) -> str | None:
        from .telemetry.session import discover, place_sampler, telemetry_config
        from .transports import open_transport
        t = open_transport(self.device)
        try:
            script = place_sampler(t, self.device.resolved_workdir())
            d = discover(t, script, self.device.sysfs_root, telemetry_config(self.device))
            return d.state.get("charging_state")
        finally:
            t.close()

    def __enter__(self) -> "Conditions":
        ch = self.spec.charging
        if ch and ch.cut:
            host_command(ch.cut, "cut")
            self.record["charging_cut"] = ch.cut
        if ch and ch.verify and ch.cut:
            status = self._battery_status()
            self.record["battery_status"] = status
            if status is None or status.lower() not in NOT_CHARGING:
                self.__exit__(None, None, None)
                raise CampaignError(f"charging still on after `{ch.cut}`: battery status is "
                                    f"{status or 'unreadable'} (want Discharging)")
        if self.device.transport == "adb" and (self.spec.screen_off or self.spec.airplane):
            from .transports import open_transport
            t = open_transport(self.device)
            try:
                if self.spec.screen_off:
                    t.run(["input", "keyevent", "KEYCODE_SLEEP"], timeout=30)
                    self.record["screen_off"] = True
                if self.spec.airplane:
                    t.run(["cmd", "connectivity", "airplane-mode", "enable"], timeout=30)
                    self.record["airplane"] = True
            finally:
                t.close()
        return self

    def __exit__(self, *exc) -> None:
        ch = self.spec.charging
        if ch and ch.restore and self.record.pop("charging_cut", None):
            host_command(ch.restore, "restore")


def _summary(s, campaign_id: int, spec: CampaignSpec) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from results_db.models import CampaignRun, Run
    from results_db.store import load_run
    rows = []
    links = s.scalars(select(CampaignRun).where(CampaignRun.campaign_id == campaign_id)).all()
    for idx, job in enumerate(spec.jobs):
        by_phase: dict[str, dict[str, list[float]]] = {}
        runs = [load_run(s, c.run_id) for c in links if c.job_index == idx]
        ok = [r for r in runs if r is not None and r.status == "ok"]
        for r in ok:
            for res in r.results:
                ph = by_phase.setdefault(str(res.case.get("phase", "")), {})
                for m in ("energy_mj_per_token", "energy_mj_per_inference", "avg_power_mw",
                          "tokens_per_s", "latency_avg_ms"):
                    if m in res.metrics:
                        ph.setdefault(m, []).append(res.metrics[m])
        for phase, metrics in by_phase.items():
            rows.append({"job": idx, "model": Path(job.model).name, "runner": job.runner,
                         "phase": phase, "runs": len(ok),
                         **{m: statistics.median(v) for m, v in metrics.items()}})
    return rows


def run_campaign(spec: CampaignSpec, digest: str, device: DeviceConfig, sessions,
                 max_runs: int | None = None,
                 notify: Callable[[str], None] | None = None) -> CampaignReport:
    from sqlalchemy import select

    from results_db.models import Campaign, CampaignRun, Run
    from .execute import execute

    with sessions() as s:
        camp = s.scalar(select(Campaign).where(Campaign.name == spec.name,
                                               Campaign.spec_sha256 == digest))
        if camp is None:
            camp = Campaign(name=spec.name, spec_sha256=digest, spec=spec.model_dump())
            s.add(camp)
            s.commit()
        done = {(c.job_index, c.repetition) for c, st in s.execute(
            select(CampaignRun, Run.status).join(Run, Run.id == CampaignRun.run_id)
            .where(CampaignRun.campaign_id == camp.id)).all() if st == "ok"}
        camp_id = camp.id
    report = CampaignReport(camp_id, spec.name)
    notify = notify or (lambda _m: None)
    todo = [(i, k) for i in range(len(spec.jobs)) for k in range(spec.repeat)
            if (i, k) not in done]
    report.skipped = len(spec.jobs) * spec.repeat - len(todo)
    if max_runs is not None:
        todo = todo[:max_runs]
    tele = device.telemetry.model_copy(update={"baseline_s": spec.baseline_s})
    dev = device.model_copy(update={"telemetry": tele})
    cooldown = spec.cooldown.model_dump(exclude_unset=True)
    if todo:
        with Conditions(spec, dev) as cond:
            report.conditions = dict(cond.record)
            for i, k in todo:
                j = spec.jobs[i]
                notify(f"job {i + 1}/{len(spec.jobs)} ({Path(j.model).name}) "
                       f"repetition {k + 1}/{spec.repeat}")
                job = Job(device=spec.device, runner=j.runner, model=j.model, params=j.params,
                          repetitions=j.repetitions, warmup=j.warmup, telemetry=True,
                          timeout_s=j.timeout_s, conditioning=cooldown)
                out = execute(job, dev, sessions)
                with sessions() as s:
                    s.add(CampaignRun(campaign_id=camp_id, job_index=i, repetition=k,
                                      run_id=out.run_id))
                    run = s.get(Run, out.run_id)
                    run.device_state = {**(run.device_state or {}),
                                        "campaign": {"id": camp_id, "name": spec.name,
                                                     "job": i, "repetition": k,
                                                     **cond.record}}
                    s.commit()
                report.ran.append(out.run_id)
                if out.status != "ok":
                    report.failed.append(out.run_id)
                    if out.reason == "device_lost":
                        report.device_lost = True
                        break
    with sessions() as s:
        camp = s.get(Campaign, camp_id)
        remaining = len(spec.jobs) * spec.repeat - report.skipped - len(report.ran) \
            + len(report.failed)
        camp.status = "done" if remaining == 0 else "running"
        report.rows = _summary(s, camp_id, spec)
        s.commit()
    return report
