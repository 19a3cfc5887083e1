"""The `telemetry:` and `conditioning:` sections of a device config (unknown fields are errors).

```yaml
telemetry:
  interval_ms: 100
  zones: [cpu-0-0-usr, gpuss-0-usr]   # thermal zone types to keep (default: all)
  exclude: [temp_battery_c]            # channel names to drop
  channels:                            # extra channels (or replace a discovered one by name)
    - {name: temp_soc_c, path: /sys/class/thermal/thermal_zone3/temp, scale: 0.001, unit: C}
  battery: {current_unit: mA, voltage_unit: uV, discharge: positive}  # default: detected
  baseline_s: 2                        # idle power before measuring (default: 2 s if power is read)
  thermal_status_s: 5                  # poll `dumpsys thermalservice` (adb default; 0 = off)
  tegrastats: auto                     # Jetson: stream `tegrastats --interval` (auto|on|off)
  meter: {kind: csv, path: /tmp/meter.csv, time_column: t, power_column: mw}  # harness/power
conditioning:
  zones: [cpu-0-0-usr]
  below_c: 40          # wait until every chosen zone is below this...
  max_slope_c_per_min: 0.5   # ...or stable (|dT/dt| under this)
  timeout_s: 300
  hot_c: 45            # a run that starts above this is flagged started_hot
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ChannelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    path: str  # relative to the device's sysfs_root unless it starts with /proc
    scale: float = 1.0
    unit: str = ""


class BatterySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_unit: Literal["uA", "mA"] | None = None
    voltage_unit: Literal["uV", "mV"] | None = None
    discharge: Literal["positive", "negative"] | None = None


class TelemetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval_ms: int = Field(default=100, ge=10, le=60000)
    discover: bool = True
    zones: list[str] | None = None
    exclude: list[str] = Field(default_factory=list)
    channels: list[ChannelSpec] = Field(default_factory=list)
    battery: BatterySpec = Field(default_factory=BatterySpec)
    baseline_s: float | None = Field(default=None, ge=0)  # None: 2 s when power is measured
    thermal_status_s: float | None = Field(default=None, ge=0)  # None: 5 s on adb, else off
    odpm_s: float = Field(default=1.0, ge=0)  # Pixel ODPM energy counters, when present; 0 = off
    vcgencmd_s: float = Field(default=2.0, ge=0)  # Raspberry Pi get_throttled, when present
    tegrastats: Literal["auto", "on", "off"] = "auto"  # Jetson live streamer (tegrastats.py)
    meter: dict[str, Any] | None = None  # external power meter (harness/power), e.g. kind: csv


class ConditioningConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zones: list[str] | None = None
    below_c: float | None = None
    max_slope_c_per_min: float | None = Field(default=None, gt=0)
    timeout_s: float = Field(default=300, ge=0)
    poll_s: float = Field(default=1.0, gt=0)
    window_s: float = Field(default=10.0, gt=0)
    hot_c: float | None = None
