"""Facts about a device's silicon that a config states (and `bench devices` can check).

```yaml
cpu_clusters:            # one per cpufreq policy: /sys/devices/system/cpu/cpufreq/policyN
  - {policy: 0, cpus: [0, 1, 2, 3], core: Cortex-A510, max_khz: 1704000}
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CpuCluster(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: int = Field(ge=0)
    cpus: list[int]
    core: str | None = None
    max_khz: int | None = Field(default=None, gt=0)


def affinity_mask(clusters: list[CpuCluster], policies: list[int]) -> str:
    """The `taskset` hex mask of the CPUs in the given policies (e.g. the big cores)."""
    mask = 0
    for c in clusters:
        if c.policy in policies:
            for cpu in c.cpus:
                mask |= 1 << cpu
    return f"{mask:x}"
