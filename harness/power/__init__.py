"""External power meters: host-side plug-ins behind one small interface (`base.PowerMeter`).

```yaml
telemetry:
  meter: {kind: csv, path: /var/log/usbmeter.csv, time_column: epoch_s, power_column: power_w,
          power_scale: 1000}
  # or a Nordic PPK2 (pip install 'devicebench[ppk2]'):
  # meter: {kind: ppk2, port: /dev/ttyACM0, mode: source, voltage_mv: 3700}
```
"""

from __future__ import annotations

from typing import Any

from ..job import BadInput
from .base import PowerMeter, measure_offset


def make_meter(spec: dict[str, Any]) -> PowerMeter:
    from .csv_meter import CsvMeter
    from .ppk2 import Ppk2Meter  # pyserial is imported only when it starts

    kinds = {"csv": CsvMeter, "ppk2": Ppk2Meter}
    kind = spec.get("kind", "csv")
    if kind not in kinds:
        raise BadInput(f"telemetry.meter.kind {kind!r}: unknown (known: {', '.join(kinds)})")
    try:
        return kinds[kind](**{k: v for k, v in spec.items() if k != "kind"})
    except TypeError as exc:  # a missing or unknown option
        raise BadInput(f"telemetry.meter ({kind}): {exc}") from exc


__all__ = ["PowerMeter", "make_meter", "measure_offset"]
