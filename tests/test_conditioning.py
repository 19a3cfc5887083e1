"""Conditioning waits (on an injected clock) and the telemetry config's validation."""

from __future__ import annotations

import pytest

from harness.config import ConfigError, load_device
from harness.telemetry.condition import condition
from harness.telemetry.settings import ConditioningConfig


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def cooling(start: float, per_s: float, floor: float, clock: Clock):
    return lambda: {"cpu": max(start - per_s * clock.t, floor)}


def test_waits_until_below_threshold():
    c = Clock()
    r = condition(cooling(60, 1.0, 20, c), ConditioningConfig(below_c=45, poll_s=1,
                                                             timeout_s=100), c, c.sleep)
    assert r.outcome == "below" and r.waited_s == 16 and r.start_temps_c == {"cpu": 44}
    assert not r.started_hot


def test_stable_ends_the_wait_when_the_floor_is_above_threshold():
    c = Clock()
    cfg = ConditioningConfig(below_c=30, max_slope_c_per_min=0.5, window_s=10, poll_s=1,
                             timeout_s=300)
    r = condition(cooling(60, 1.0, 42, c), cfg, c, c.sleep)
    # reaches the 42 C floor at t=18; 10 s of flat readings later the slope is 0
    assert r.outcome == "stable" and r.waited_s == 28 and r.start_temps_c == {"cpu": 42}


def test_timeout_flags_started_hot():
    c = Clock()
    r = condition(cooling(60, 0.1, 20, c), ConditioningConfig(below_c=40, poll_s=1,
                                                             timeout_s=5), c, c.sleep)
    assert r.outcome == "timeout" and r.started_hot and r.waited_s == 5


def test_hot_threshold_without_waiting():
    c = Clock()
    r = condition(lambda: {"cpu": 47.0}, ConditioningConfig(hot_c=45), c, c.sleep)
    assert r.outcome == "skipped" and r.started_hot and r.waited_s == 0


def test_telemetry_section_unknown_field_names_file_and_line(tmp_path):
    p = tmp_path / "phone.yaml"
    p.write_text("name: phone\ntransport: local\ntelemetry:\n  interval_ms: 50\n"
                 "  batery: {}\n")
    with pytest.raises(ConfigError) as e:
        load_device(p)
    assert str(e.value) == f"{p}:5: field 'telemetry.batery': unknown field"
    p.write_text("name: phone\ntelemetry:\n  battery:\n    current_unit: A\n")
    with pytest.raises(ConfigError, match=r":4: field 'telemetry.battery.current_unit'"):
        load_device(p)
    p.write_text("name: phone\ntelemetry:\n  interval_ms: 50\n  battery: {discharge: positive}\n"
                 "conditioning: {below_c: 40, timeout_s: 60}\n")
    d = load_device(p)
    assert d.telemetry.interval_ms == 50 and d.telemetry.battery.discharge == "positive"
    assert d.conditioning.below_c == 40
