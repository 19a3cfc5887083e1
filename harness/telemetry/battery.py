"""Battery current unit and sign, decided against the fuel gauge's charge counter.

`current_now` is microamps, negative while discharging on stock Android
(BatteryManager.BATTERY_PROPERTY_CURRENT_NOW; kernel Documentation/ABI/testing/sysfs-class-power
says uA), but vendors ship milliamps and either sign. `charge_counter` (uAh, same ABI) is the
gauge's own integral of that current, so over the run its change must equal the integrated
current: the ratio is ~1 for uA and ~1000 for mA, and its sign says the convention (the counter
falls while discharging). Decision order, recorded as `units_from` / `sign_from`: the device
config, else the charge counter when it moved enough to be conclusive, else the value's
magnitude (units) and the `status` file (sign), else Android's negative convention (`default`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .trace import Series, Trace

COUNTER = "charge_counter_battery_mah"
CURRENT = "current_battery_ma"
POWER = "power_battery_mw"
MIN_STEPS = 3  # counter changes needed inside the window (it is quantized to 1 uAh or coarser)
_TO_MW = {("uA", "uV"): 1e-9, ("mA", "mV"): 1e-3, ("uA", "mV"): 1e-6, ("mA", "uV"): 1e-6}


def power_scale(units: dict[str, Any]) -> float:
    """mW per (raw current x raw voltage), positive for power drawn from the battery."""
    s = _TO_MW[(units["current_unit"], units["voltage_unit"])]
    return -s if units["discharge"] == "negative" else s


def counter_verdict(current: Series, counter_mah: Series
                    ) -> tuple[dict[str, Any] | None, str]:
    """({current_unit, discharge, ratio}, "") or (None, why it is inconclusive).

    The window runs from the counter's first change to its last, so the quantization of the
    counter does not bias the difference; the raw current is integrated over the same window."""
    q, tq = counter_mah.v * 1000.0, counter_mah.t  # uAh
    changes = np.flatnonzero(np.diff(q) != 0) + 1
    if len(changes) < MIN_STEPS:
        return None, f"charge counter changed {len(changes)} times (< {MIN_STEPS})"
    a, b = float(tq[changes[0]]), float(tq[changes[-1]])
    dq = float(q[changes[-1]] - q[changes[0]])
    inside = (current.t > a) & (current.t < b)
    t = np.concatenate(([a], current.t[inside], [b]))
    i = np.interp(t, current.t, current.v)
    charge = float(np.sum((i[1:] + i[:-1]) * np.diff(t)) / 2) / 3600.0  # raw unit x hours
    if charge == 0 or b <= a:
        return None, "battery current integrates to 0 while the charge counter moved"
    ratio = dq / charge
    log = math.log10(abs(ratio))
    if abs(log) < 0.5:
        unit = "uA"
    elif abs(log - 3) < 0.5:
        unit = "mA"
    else:
        return None, (f"charge counter moved {ratio:.3g} x the integrated current "
                      "(neither uA nor mA)")
    return {"current_unit": unit, "discharge": "negative" if ratio > 0 else "positive",
            "ratio": round(ratio, 4)}, ""


def refine(trace: Trace, info: dict[str, Any], cfg_battery: Any) -> str | None:
    """Settle the battery's units and sign on the sampled trace, rescale `power_battery_mw`
    and turn the raw `current_battery_ma` into mA (discharge positive). Updates `info` (the
    run's `device_state.battery`) in place; returns a note when the counter was inconclusive."""
    cur, cnt = trace.series.get(CURRENT), trace.series.get(COUNTER)
    before = power_scale(info)
    note = None
    if cur is not None and cnt is not None and not (cfg_battery.current_unit
                                                   and cfg_battery.discharge):
        verdict, why = counter_verdict(cur, cnt)
        if verdict is None:
            note = f"battery: {why}; units from magnitude, sign from status"
            info["charge_counter"] = why
        else:
            info["charge_counter_ratio"] = verdict["ratio"]
            if not cfg_battery.current_unit:
                info["current_unit"], info["units_from"] = verdict["current_unit"], \
                    "charge_counter"
            if not cfg_battery.discharge:
                info["discharge"], info["sign_from"] = verdict["discharge"], "charge_counter"
    after = power_scale(info)
    pw = trace.series.get(POWER)
    if pw is not None and after != before:
        pw.v = pw.v * (after / before)
        pw.meta.update({k: info[k] for k in ("current_unit", "discharge", "sign_from",
                                             "units_from") if k in info})
    if cur is not None:
        to_ma = 1.0 if info["current_unit"] == "mA" else 1e-3
        cur.v = cur.v * (-to_ma if info["discharge"] == "negative" else to_ma)
        cur.meta["converted"] = True
    return note
