"""Getting a phone ready to measure, in one adb round trip, recorded in the run.

A benchmark started from `adb shell` runs in the shell's cgroup, which Android may schedule as
background work; on Android 13+ (SDK 33) `settaskprofile $$ MaxPerformance` moves the wrapper
shell (and so the runner it starts) to the top-app profile. `affinity` (a `taskset` hex mask,
e.g. `f0` for the big cores) pins the runner. The device must be awake: `dumpsys power`
(`mWakefulness=Awake`), optionally after `svc power stayon usb` (`adb.stay_awake`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..probes.android import SECTION, parse_dumpsys_power_awake, split_sections
from .base import DeviceUnavailable

if TYPE_CHECKING:
    from .adb import AdbTransport

TASK_PROFILE = "MaxPerformance"


def prepare_command(stay_awake: bool) -> str:
    parts = []
    if stay_awake:
        parts.append(("stayon", "svc power stayon usb && echo ok"))
    parts += [("sdk", "getprop ro.build.version.sdk"),
              ("power", "dumpsys power | grep -E 'mWakefulness=|Display Power: state='"),
              ("tools", "for t in taskset settaskprofile; do command -v $t >/dev/null 2>&1 "
                        "&& echo $t; done")]
    return "; ".join(f"echo {SECTION}{n}; {{ {c}; }} 2>/dev/null" for n, c in parts)


def prepare(t: "AdbTransport") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Set the transport's preamble/affinity; return (device_state, events) for the run."""
    s = t.settings
    res = t._run_raw(prepare_command(s.stay_awake), 60)
    sec = split_sections(res.stdout)
    tools = set(sec.get("tools", "").split())
    try:
        sdk = int(sec.get("sdk", "").strip())
    except ValueError:
        sdk = None
    awake = parse_dumpsys_power_awake(sec.get("power", ""))
    state: dict[str, Any] = {"android_sdk": sdk, "awake": awake, "shell_v2": t.v2}
    events: list[dict[str, Any]] = []
    if s.stay_awake:
        state["stay_awake"] = sec.get("stayon", "").strip() == "ok"
    if awake is False and s.require_awake:
        raise DeviceUnavailable(f"adb device {t.serial} is asleep (screen off): wake it, or set "
                                f"adb.stay_awake: true in its config")
    if s.task_profile and sdk is not None and sdk >= 33 and "settaskprofile" in tools:
        t.preamble = f"settaskprofile $$ {TASK_PROFILE} >/dev/null 2>&1; "
        state["task_profile"] = TASK_PROFILE
    else:
        state["task_profile"] = None
    if t.affinity:
        if "taskset" in tools:
            state["affinity"] = t.affinity
        else:
            events.append({"t_s": 0.0, "kind": "warning",
                           "detail": f"affinity {t.affinity}: no taskset on the device, ignored"})
            t.affinity = None
            state["affinity"] = None
    return state, events
