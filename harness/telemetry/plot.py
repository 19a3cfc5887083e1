"""`--sustained` durations. The run figure itself (throughput per phase above temperatures,
frequencies and power with throttling shaded) is `harness.plots.telemetry_timeline`, shared by
`bench trace RUN --format png` and the suite report.
"""

from __future__ import annotations

import re

from ..job import BadInput


def parse_duration(text: str, option: str) -> float:
    """`90s`, `10m`, `1h`, `1.5h` or plain seconds -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise BadInput(f"{option} {text!r}: expected a duration such as 90s, 10m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
