"""The `adb:` section of an Android device config (validated; unknown fields are errors).

```yaml
transport: adb
serial: 192.168.1.20:5555   # USB serial or host:port
adb:
  server: 127.0.0.1:5037     # default: ANDROID_ADB_SERVER_HOST/PORT, else 127.0.0.1:5037
  connect: true              # `adb connect <serial>` first (Wi-Fi debugging)
  stay_awake: true           # `svc power stayon usb` before the run
  require_awake: true        # refuse to run while the screen is off (dumpsys power)
  task_profile: true         # Android 13+: `settaskprofile $$ MaxPerformance` when present
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AdbSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server: str | None = None
    connect: bool = False
    stay_awake: bool = False
    require_awake: bool = True
    task_profile: bool = True
