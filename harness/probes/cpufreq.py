"""CPU clusters from cpufreq, for both probes (Android over adb, Linux boards over SSH).

Linux Documentation/admin-guide/pm/cpufreq.rst: one `policyN/` directory per cluster under
`/sys/devices/system/cpu/cpufreq`, with `related_cpus` (`0 1 2 3`), `cpuinfo_max_freq` /
`cpuinfo_min_freq` / `scaling_cur_freq` (kHz) and `scaling_governor`. `listing()` prints them
as `<dir>/policyN/<attr>:<value>` lines (what `grep -H .` prints); `parse_policies` reads them.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

ATTRS = ("related_cpus", "cpuinfo_max_freq", "cpuinfo_min_freq", "scaling_governor")
_POLICY_LINE = re.compile(r"/policy(\d+)/(\w+):(.*)$")


def listing(sysfs_root: str = "/", root_var: str | None = None) -> str:
    """The shell loop printing each policy's attributes; under `sysfs_root`, or under the
    script's shell variable `root_var` when the caller sets one."""
    base = (f'"${root_var}"/sys/devices/system/cpu/cpufreq' if root_var else
            shlex.quote(f"{sysfs_root.rstrip('/')}/sys/devices/system/cpu/cpufreq"))
    return (f"for p in {base}/policy*; do for a in {' '.join(ATTRS)}; do "
            f"[ -r \"$p/$a\" ] && echo \"$p/$a:$(cat \"$p/$a\")\"; done; done")


def parse_cpu_list(value: str) -> list[int]:
    """`0 1 2 3` (related_cpus) or `0-3,6` (sysfs cpulist) -> [0, 1, 2, 3, (6)]."""
    cpus: list[int] = []
    for part in re.split(r"[\s,]+", value.strip()):
        if not part:
            continue
        a, _, b = part.partition("-")
        if a.isdigit() and (not b or b.isdigit()):
            cpus += list(range(int(a), int(b or a) + 1))
    return cpus


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_policies(text: str) -> list[dict[str, Any]]:
    """CPU clusters from `<...>/cpufreq/policyN/<attr>:<value>` lines, sorted by policy.

    Each cluster: `policy`, `cpus`, `max_khz`/`max_mhz` (cpuinfo_max_freq), `min_khz`,
    `cur_khz`, `governor` when those attributes were listed.
    """
    raw: dict[int, dict[str, str]] = {}
    for line in text.splitlines():
        m = _POLICY_LINE.search(line.strip())
        if m:
            raw.setdefault(int(m.group(1)), {})[m.group(2)] = m.group(3).strip()
    clusters = []
    for n in sorted(raw):
        attrs = raw[n]
        c: dict[str, Any] = {"policy": n,
                             "cpus": parse_cpu_list(attrs.get("related_cpus")
                                                    or attrs.get("affected_cpus") or str(n))}
        for attr, key in (("cpuinfo_max_freq", "max_khz"), ("cpuinfo_min_freq", "min_khz"),
                          ("scaling_cur_freq", "cur_khz")):
            v = _int(attrs.get(attr))
            if v is not None:
                c[key] = v
        if "max_khz" in c:
            c["max_mhz"] = c["max_khz"] / 1000
        if "scaling_governor" in attrs:
            c["governor"] = attrs["scaling_governor"]
        clusters.append(c)
    return clusters
