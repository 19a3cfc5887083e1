"""A fake sysfs tree (the sensors of a phone or board that cannot exist here) and a background
writer that changes it during a run: a heating SoC whose governor caps the big cluster at a trip
point, and a battery that reports milliamps with a positive discharge sign.

Files are rewritten atomically (temp file + rename), as the kernel presents a value whole.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def write(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, path)


class FakeSysfs:
    def __init__(self, root: Path, battery_ma: bool = True):
        self.root = root
        s = root / "sys"
        self.zones = {"cpu-1-0-usr": 0, "gpuss-0-usr": 1, "battery": 2}
        for ztype, i in self.zones.items():
            z = s / "class/thermal" / f"thermal_zone{i}"
            write(z / "type", ztype)
            write(z / "temp", 35000)
        z0 = s / "class/thermal/thermal_zone0"
        write(z0 / "trip_point_0_temp", 75000)
        write(z0 / "trip_point_0_type", "passive")
        write(z0 / "trip_point_1_temp", 110000)
        write(z0 / "trip_point_1_type", "critical")
        for pol, cpus, top in (("policy0", "0 1 2 3", 1800000), ("policy4", "4 5 6 7", 3000000)):
            p = s / "devices/system/cpu/cpufreq" / pol
            write(p / "related_cpus", cpus)
            write(p / "cpuinfo_max_freq", top)
            write(p / "scaling_max_freq", top)
            write(p / "scaling_cur_freq", top)
        g = s / "class/devfreq/3d00000.gpu"
        write(g / "cur_freq", 585000000)
        write(g / "max_freq", 900000000)
        b = s / "class/power_supply/battery"
        write(b / "type", "Battery")
        write(b / "status", "Discharging")
        write(b / "capacity", 87)
        write(b / "current_now", 500 if battery_ma else -500000)  # mA, discharge positive
        write(b / "voltage_now", 3900000)  # uV
        write(s / "class/power_supply/usb/type", "USB")
        h = s / "class/hwmon/hwmon0"
        write(h / "name", "ina3221")
        for k, label, ma, mv in ((1, "VDD_IN", 1200, 5000), (2, "VDD_CPU_GPU_CV", 400, 5000),
                                 (3, "NC", 0, 0)):
            write(h / f"in{k}_label", label)
            write(h / f"in{k}_input", mv)
            write(h / f"curr{k}_input", ma)
        write(h / "in7_label", "sum of shunt voltages")
        write(h / "in7_input", 10)
        write(h / "curr7_input", 1600)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def set_temp(self, zone: str, celsius: float) -> None:
        write(self.root / f"sys/class/thermal/thermal_zone{self.zones[zone]}/temp",
              int(celsius * 1000))

    def set_cap(self, policy: str, khz: int) -> None:
        p = self.root / "sys/devices/system/cpu/cpufreq" / policy
        write(p / "scaling_max_freq", khz)
        write(p / "scaling_cur_freq", khz)

    def set_battery_ma(self, ma: int) -> None:
        write(self.root / "sys/class/power_supply/battery/current_now", ma)


class Heater(threading.Thread):
    """Heats the big cluster 1 C per step; at the 75 C trip the governor caps 3.0 -> 2.2 GHz.
    The battery draws `load_ma` while heating (after `idle_steps` steps at `idle_ma`)."""

    def __init__(self, fs: FakeSysfs, start_c: float = 70.0, step_s: float = 0.05,
                 idle_steps: int = 0, idle_ma: int = 300, load_ma: int = 800):
        super().__init__(daemon=True)
        self.fs, self.temp, self.step_s = fs, start_c, step_s
        self.idle_steps, self.idle_ma, self.load_ma = idle_steps, idle_ma, load_ma
        self.stop_event = threading.Event()
        self.capped_at: float | None = None

    def run(self) -> None:
        step = 0
        while not self.stop_event.wait(self.step_s):
            step += 1
            if step <= self.idle_steps:
                self.fs.set_battery_ma(self.idle_ma)
                continue
            self.fs.set_battery_ma(self.load_ma)
            self.temp = min(self.temp + 1.0, 90.0)
            self.fs.set_temp("cpu-1-0-usr", self.temp)
            if self.temp >= 78 and self.capped_at is None:
                self.capped_at = self.temp
                self.fs.set_cap("policy4", 2200000)

    def stop(self) -> None:
        self.stop_event.set()
        self.join()
