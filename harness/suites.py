"""Suite files (`suites/*.yaml`): a matrix of devices x runners x models x runner params.

```yaml
name: nightly
devices: [local]
runners: [llama.cpp]              # or [{name: llama.cpp, params: {fa: [0, 1]}}]
models:
  - {name: tiny-q4, synth: {params: 8M, quant: q4_0}}   # generated into BENCH_HOME/synth
  - {name: real, path: models/m.gguf}                    # relative to the suite file
params: {p: [64], n: [16], t: [1, 2]}                    # each list is one matrix axis
repetitions: 10
warmup: 1
telemetry: false
cooldown: {pause_s: 2, below_c: 40, timeout_s: 300}   # pause_s: host-side pause between two
    # jobs on a device; the other keys are the device config's `conditioning:` (below_c,
    # max_slope_c_per_min, timeout_s, zones, hot_c, ...), override it per job, and turn
    # telemetry on (the wait reads the thermal zones through the sampler)
thresholds: {default: {min_effect: 0.03}, latency_avg_ms: {max_cv: 0.08}}
overrides: [{device: local, params: {t: [2]}, repetitions: 5}]
excludes: [{device: local, model: tiny-q4, params: {t: 1}}]
```

`load_suite` validates the file (unknown fields are errors, messages `file:line: ...`);
`check_names` checks devices, runners and model files against what exists, before anything
runs; `expand` turns the matrix into jobs keyed by a stable string, the unit a suite run records
and `bench suite resume` skips when done.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .config import ConfigError, invalid, line_of, load_yaml
from .job import Job
from .telemetry.settings import ConditioningConfig

Scalar = str | int | float | bool
ParamAxes = dict[str, list[Scalar]]


def _as_axes(v: Any) -> Any:
    """`t: 2` is shorthand for `t: [2]`."""
    if isinstance(v, dict):
        return {k: (x if isinstance(x, list) else [x]) for k, x in v.items()}
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SynthSpec(_Strict):
    params: str | int
    quant: str = "q4_0"
    arch: str = "llama"
    seed: int = 0


class ModelSpec(_Strict):
    name: str | None = None
    path: str | None = None
    synth: SynthSpec | None = None

    def label(self) -> str:
        if self.name:
            return self.name
        if self.synth:
            return f"synth-{self.synth.params}-{self.synth.quant}".lower()
        return Path(self.path or "model").stem


class RunnerSpec(_Strict):
    name: str
    params: ParamAxes = Field(default_factory=dict)
    _axes = field_validator("params", mode="before")(_as_axes)


class Override(_Strict):
    device: str
    runner: str | None = None
    model: str | None = None
    params: ParamAxes | None = None
    repetitions: int | None = Field(default=None, ge=1)
    warmup: int | None = Field(default=None, ge=0)
    timeout_s: float | None = Field(default=None, gt=0)
    _axes = field_validator("params", mode="before")(_as_axes)


class Exclude(_Strict):
    device: str | None = None
    runner: str | None = None
    model: str | None = None
    params: dict[str, Scalar] = Field(default_factory=dict)


class Cooldown(ConditioningConfig):
    """The device config's `conditioning:` names (harness/telemetry/settings.py), plus the
    host-side pause between two jobs on a device."""

    pause_s: float = Field(default=0, ge=0)

    def conditioning(self) -> dict[str, Any]:
        """What the suite sets, for `Job.conditioning` (the device config fills the rest)."""
        return self.model_dump(exclude_unset=True, exclude={"pause_s"})

    def waits(self) -> bool:
        return any(k in self.model_fields_set for k in ("below_c", "max_slope_c_per_min",
                                                         "hot_c"))


class SuiteSpec(_Strict):
    name: str
    devices: list[str] = Field(min_length=1)
    runners: list[str | RunnerSpec] = Field(min_length=1)
    models: list[str | ModelSpec] = Field(min_length=1)
    params: ParamAxes = Field(default_factory=dict)
    repetitions: int = Field(default=10, ge=1)
    warmup: int = Field(default=1, ge=0)
    telemetry: bool = False
    timeout_s: float = Field(default=1800, gt=0)
    cooldown: Cooldown = Field(default_factory=Cooldown)
    thresholds: dict[str, dict[str, float]] = Field(default_factory=dict)
    overrides: list[Override] = Field(default_factory=list)
    excludes: list[Exclude] = Field(default_factory=list)
    _axes = field_validator("params", mode="before")(_as_axes)

    @field_validator("thresholds")
    @classmethod
    def _known_threshold_keys(cls, v: dict[str, dict[str, float]]):
        allowed = {"min_effect", "max_cv", "alpha"}
        for metric, th in v.items():
            bad = sorted(set(th) - allowed)
            if bad:
                raise ValueError(f"thresholds.{metric}: unknown key {bad[0]!r} "
                                 f"(known: {', '.join(sorted(allowed))})")
        return v

    def runner_specs(self) -> list[RunnerSpec]:
        return [RunnerSpec(name=r) if isinstance(r, str) else r for r in self.runners]

    def model_specs(self) -> list[ModelSpec]:
        return [ModelSpec(path=m) if isinstance(m, str) else m for m in self.models]


@dataclass
class Suite:
    spec: SuiteSpec
    path: Path
    lines: dict[tuple, int]

    def where(self, *loc: Any) -> str:
        """`file:line` of a key path (falls back to its parents, then line 1)."""
        return f"{self.path}:{line_of(self.lines, tuple(loc))}"


@dataclass(frozen=True)
class SuiteJob:
    key: str          # stable identity within the suite: device/runner/model/params
    device: str
    runner: str
    model: str        # label
    params: dict[str, str]
    job: Job


def load_suite(path: Path) -> Suite:
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a suite file is a mapping of fields")
    data.setdefault("name", path.stem)
    try:
        spec = SuiteSpec.model_validate(data)
    except ValidationError as exc:
        raise invalid(path, lines, exc, branches=("str", "RunnerSpec", "ModelSpec")) from None
    suite = Suite(spec, path, lines)
    for i, m in enumerate(spec.models):
        if isinstance(m, ModelSpec) and (m.path is None) == (m.synth is None):
            raise ConfigError(f"{suite.where('models', i)}: field 'models.{i}': "
                              "give exactly one of 'path' or 'synth'")
    labels = [m.label() for m in spec.model_specs()]
    for i, lab in enumerate(labels):
        if labels.index(lab) != i:
            raise ConfigError(f"{suite.where('models', i)}: field 'models.{i}': model name "
                              f"{lab!r} is used twice (give each a distinct 'name')")
    return suite


def check_names(suite: Suite, devices: dict[str, Any], runners: list[str]) -> None:
    """Unknown device/runner/model or an unreadable/invalid synth spec: ConfigError naming
    file:line, so a suite fails before any job starts."""
    from .models.synth import QUANTS, parse_params

    spec = suite.spec
    known_dev = ", ".join(sorted(devices))
    for i, d in enumerate(spec.devices):
        if d not in devices:
            raise ConfigError(f"{suite.where('devices', i)}: unknown device {d!r} "
                              f"(known: {known_dev})")
    for i, r in enumerate(spec.runner_specs()):
        if r.name not in runners:
            raise ConfigError(f"{suite.where('runners', i)}: unknown runner {r.name!r} "
                              f"(known: {', '.join(sorted(runners))})")
    labels = [m.label() for m in spec.model_specs()]
    for i, m in enumerate(spec.model_specs()):
        if m.path is not None and not model_path(suite, m).is_file():
            raise ConfigError(f"{suite.where('models', i)}: model {m.path!r}: no such file")
        if m.synth is not None:
            try:
                parse_params(m.synth.params)
            except ValueError as exc:
                raise ConfigError(f"{suite.where('models', i, 'synth', 'params')}: {exc}") \
                    from None
            if m.synth.quant.lower() not in QUANTS:
                raise ConfigError(f"{suite.where('models', i, 'synth', 'quant')}: unknown quant "
                                  f"{m.synth.quant!r} (known: {', '.join(QUANTS)})")
            if m.synth.arch != "llama":
                raise ConfigError(f"{suite.where('models', i, 'synth', 'arch')}: unknown arch "
                                  f"{m.synth.arch!r} (known: llama)")
    for kind, items in (("overrides", spec.overrides), ("excludes", spec.excludes)):
        for i, o in enumerate(items):
            if o.device is not None and o.device not in spec.devices:
                raise ConfigError(f"{suite.where(kind, i, 'device')}: {kind}: device "
                                  f"{o.device!r} is not in the suite's devices")
            if o.model is not None and o.model not in labels:
                raise ConfigError(f"{suite.where(kind, i, 'model')}: {kind}: model {o.model!r} "
                                  f"is not in the suite's models (known: {', '.join(labels)})")


def model_path(suite: Suite, m: ModelSpec) -> Path:
    p = Path(os.path.expanduser(m.path or ""))
    return p if p.is_absolute() else (suite.path.parent / p)


def synth_path(m: SynthSpec) -> Path:
    from .models.synth import parse_params
    from .paths import bench_home

    n = parse_params(m.params)
    return bench_home() / "synth" / f"{m.arch}-{n}-{m.quant.lower()}-s{m.seed}.gguf"


def materialize_models(suite: Suite) -> dict[str, Path]:
    """Model label -> file; synthetic ones are generated once into BENCH_HOME/synth."""
    from .models.synth import synth_llama

    out: dict[str, Path] = {}
    for m in suite.spec.model_specs():
        if m.synth is None:
            out[m.label()] = model_path(suite, m).resolve()
            continue
        target = synth_path(m.synth)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            synth_llama(tmp, m.synth.params, m.synth.quant.lower(), seed=m.synth.seed)
            tmp.replace(target)  # atomic: a parallel or killed suite never sees half a file
        out[m.label()] = target
    return out


def _product(axes: ParamAxes) -> list[dict[str, str]]:
    keys = sorted(axes)
    return [dict(zip(keys, (str(v) for v in combo)))
            for combo in itertools.product(*(axes[k] for k in keys))]


def job_key(device: str, runner: str, model: str, params: dict[str, str]) -> str:
    p = ",".join(f"{k}={params[k]}" for k in sorted(params))
    return f"{device}/{runner}/{model}/{p}"


def _matches(ex: Exclude, device: str, runner: str, model: str, params: dict[str, str]) -> bool:
    return ((ex.device is None or ex.device == device)
            and (ex.runner is None or ex.runner == runner)
            and (ex.model is None or ex.model == model)
            and all(params.get(k) == str(v) for k, v in ex.params.items()))


def expand(suite: Suite, models: dict[str, Path] | None = None) -> list[SuiteJob]:
    """The matrix as jobs, in device order then runner, model, params. `models` maps labels to
    files (from `materialize_models`); without it the job's model is the label."""
    spec = suite.spec
    conditioning = spec.cooldown.conditioning()
    # the wait reads the thermal zones through the sampler: a cooldown turns telemetry on
    telemetry = spec.telemetry or spec.cooldown.waits()
    jobs: list[SuiteJob] = []
    for device in spec.devices:
        for r in spec.runner_specs():
            for m in spec.model_specs():
                label = m.label()
                axes: ParamAxes = {**spec.params, **r.params}
                reps, warm, timeout = spec.repetitions, spec.warmup, spec.timeout_s
                for o in spec.overrides:
                    if o.device == device and o.runner in (None, r.name) \
                            and o.model in (None, label):
                        axes = {**axes, **(o.params or {})}
                        reps = o.repetitions or reps
                        warm = o.warmup if o.warmup is not None else warm
                        timeout = o.timeout_s or timeout
                for params in _product(axes):
                    if any(_matches(x, device, r.name, label, params) for x in spec.excludes):
                        continue
                    model = str(models[label]) if models else label
                    job = Job(device=device, runner=r.name, model=model, params=params,
                              repetitions=reps, warmup=warm, telemetry=telemetry,
                              timeout_s=timeout, conditioning=conditioning)
                    jobs.append(SuiteJob(job_key(device, r.name, label, params), device,
                                         r.name, label, params, job))
    return jobs
