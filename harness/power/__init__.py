"""External power meters: host-side plug-ins behind one small interface (`base.PowerMeter`).

```yaml
telemetry:
  meter: {kind: csv, path: /var/log/usbmeter.csv, time_column: epoch_s, power_column: power_w,
          power_scale: 1000}
```
"""

from __future__ import annotations

from typing import Any

from ..job import BadInput
from .base import PowerMeter, measure_offset


def make_meter(spec: dict[str, Any]) -> PowerMeter:
    from .csv_meter import CsvMeter

    kinds = {"csv": CsvMeter}
    kind = spec.get("kind", "csv")
    if kind not in kinds:
        raise BadInput(f"telemetry.meter.kind {kind!r}: unknown (known: {', '.join(kinds)})")
    return kinds[kind](**{k: v for k, v in spec.items() if k != "kind"})


__all__ = ["PowerMeter", "make_meter", "measure_offset"]
