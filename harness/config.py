"""Device configs: one YAML file per device, validated; errors name file, line and field.

Unknown fields are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .device_facts import CpuCluster
from .telemetry.settings import ConditioningConfig, TelemetryConfig
from .transports.adb_settings import AdbSettings


class ConfigError(ValueError):
    """Bad input in a config file; the message names file:line and field."""


class DeviceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    transport: Literal["local", "adb", "ssh"] = "local"
    serial: str | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    key_file: str | None = None
    known_hosts: str | None = None
    jump_host: str | None = None  # ssh ProxyJump: [user@]host[:port]
    password_env: str | None = None  # ssh: NAME of an environment variable; never a password
    workdir: str = "~/.cache/devicebench/device"
    abi: str | None = None
    soc: str | None = None
    memory_bandwidth_gbps: float | None = Field(default=None, gt=0)
    sysfs_root: str = "/"
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    conditioning: ConditioningConfig = Field(default_factory=ConditioningConfig)
    affinity: str | None = None
    python: str | None = None  # host runners' interpreter (default: ours on local, else python3)
    adb: AdbSettings = Field(default_factory=AdbSettings)
    cpu_clusters: list[CpuCluster] = Field(default_factory=list)

    def resolved_workdir(self) -> str:
        if self.transport == "adb" and "workdir" not in self.model_fields_set:
            return "/data/local/tmp/devicebench"  # writable by adbd's shell user
        return os.path.expanduser(self.workdir) if self.transport == "local" else self.workdir


def _key_lines(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Map each key path to its 1-based line, so validation errors can point at it."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            p = path + (key.value,)
            lines[p] = key.start_mark.line + 1
            lines.update(_key_lines(value, p))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            lines.update(_key_lines(item, path + (i,)))
    return lines


def load_yaml(path: Path) -> tuple[Any, dict[tuple, int]]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: malformed YAML: {getattr(exc, 'problem', exc)}") from None
    return data, (_key_lines(node) if node is not None else {})


def line_of(lines: dict[tuple, int], loc: tuple) -> int:
    """The line of a key path in a `load_yaml` file: the deepest of its parents that has one."""
    return next((lines[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in lines), 1)


def invalid(path: Path, lines: dict[tuple, int], exc: ValidationError,
            branches: tuple[str, ...] = ()) -> ConfigError:
    """A pydantic error as `file:line: field 'a.b': message`. `branches`: union member names
    pydantic puts in locations (`str | RunnerSpec`); a mapping's complaint under the `str`
    branch is noise, so the first error outside it is shown, without the branch names."""
    errors = exc.errors()
    err = next((e for e in errors if "str" not in e["loc"]), errors[0]) if branches else errors[0]
    loc = tuple(p for p in err["loc"] if p not in branches)
    field = ".".join(str(p) for p in loc) or "(top level)"
    msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
    return ConfigError(f"{path}:{line_of(lines, loc)}: field '{field}': {msg}")


def load_device(path: Path) -> DeviceConfig:
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a device config is a mapping of fields")
    data.setdefault("name", path.stem)
    try:
        return DeviceConfig.model_validate(data)
    except ValidationError as exc:
        raise invalid(path, lines, exc) from None


def load_devices(config_dir: Path) -> dict[str, DeviceConfig]:
    devices: dict[str, DeviceConfig] = {}
    if config_dir.is_dir():
        for path in sorted(config_dir.glob("*.yaml")):
            dev = load_device(path)
            devices[dev.name] = dev
    devices.setdefault("local", DeviceConfig(name="local", transport="local"))
    return devices
