"""Nordic Power Profiler Kit II (PPK2) as an external power meter (optional extra:
`pip install devicebench[ppk2]`, which brings pyserial).

```yaml
telemetry:
  meter: {kind: ppk2, port: /dev/ttyACM0, mode: source, voltage_mv: 3700, window_ms: 10}
```

`mode: source` has the PPK2 supply the device at `voltage_mv` (a phone's battery terminals, a
board's input); `mode: ampere` measures the current of the device's own supply, whose voltage
you give as `voltage_mv`. Power = current x that voltage.

Protocol: the PPK2 is a USB CDC-ACM serial device. Nordic documents the kit in the "Power
Profiler Kit II User Guide" (docs.nordicsemi.com, ug_ppk2); the serial protocol is the one
implemented by Nordic's open-source nRF Connect Power Profiler
(github.com/NordicSemiconductor/pc-nrfconnect-ppk, `src/device/`), also described by
IRNAS/ppk2-api-python. Facts used here, from those sources:
- one-byte opcodes: 0x19 get metadata (answered by `key: value` text lines ending in `END`:
  per-range calibration R0..R4 (ohm), O, GS, GI, S, I, UG), 0x11 power mode (1 ampere,
  2 source), 0x0D regulator (mV as two bytes, high first), 0x0C DUT power (1 on), 0x06 start
  and 0x07 stop continuous sampling;
- the stream is 100 000 samples/s, each a little-endian 32-bit word: bits 0-13 the ADC value
  (x4), bits 14-16 the measurement range (0-4), bits 18-23 a 6-bit sample counter, bits 24-31
  the digital logic inputs;
- current (A) of a sample in range r: x = (4 adc - O[r]) x 1.8 / 163840 / R[r], then
  UG[r] x (x (GS[r] x + GI[r]) + S[r] x V + I[r]) with V the supply in volts.

Alignment: the decoder numbers samples (a jump of the counter counts the lost samples) so a
sample's time is t0 + index / 100 kHz; t0 is the smallest `arrival - index_of_last / rate` over
the chunks read, since a chunk can arrive late but never before its last sample was taken.
Samples are averaged into `window_ms` windows and returned on the host wall clock, which
power.measure_offset maps onto the device clock like any meter.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..job import BadInput

RATE_HZ = 100_000
ADC_MULT = 1.8 / 163840
GET_META_DATA, SET_POWER_MODE, REGULATOR_SET = 0x19, 0x11, 0x0D
DEVICE_RUNNING_SET, AVERAGE_START, AVERAGE_STOP = 0x0C, 0x06, 0x07
MODES = {"ampere": 1, "source": 2}
DEFAULTS = {"R": [1031.64, 101.65, 10.15, 0.94, 0.043], "O": [0.0] * 5, "GS": [0.0] * 5,
            "GI": [1.0] * 5, "S": [0.0] * 5, "I": [0.0] * 5, "UG": [1.0] * 5}


def parse_metadata(text: str) -> dict[str, list[float]]:
    """Per-range calibration from the metadata answer (`R0: 1031.64` ... `END`); ranges the
    answer leaves out (or gives as 0 ohm / nan) keep the nominal values."""
    if "END" not in text:
        raise BadInput("ppk2: metadata answer has no END line (is this port a PPK2?)")
    cal = {k: list(v) for k, v in DEFAULTS.items()}
    for line in text.split("END", 1)[0].splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or len(key) < 2 or not key[-1].isdigit() or key[:-1] not in cal:
            continue
        try:
            v = float(value)
        except ValueError:
            continue
        r = int(key[-1])
        if r < 5 and v == v and not (key[:-1] == "R" and v == 0):
            cal[key[:-1]][r] = v
    return cal


def regulator_command(mv: int) -> bytes:
    if not 800 <= mv <= 5000:
        raise BadInput(f"telemetry.meter.voltage_mv {mv}: the PPK2 supplies 800-5000 mV")
    return bytes([REGULATOR_SET, mv >> 8, mv & 0xFF])


@dataclass
class Ppk2Decoder:
    """Turns the raw byte stream (in chunks of any size) into timed current samples."""

    cal: dict[str, list[float]]
    voltage_mv: float
    window_ms: float = 10.0
    lost: int = 0
    _rest: bytes = b""
    _index: int = 0
    _counter: int | None = None
    _t0: float | None = None
    _sums: dict[int, list[float]] = field(default_factory=dict)  # window -> [sum A, n]

    def current_a(self, word: int) -> float:
        adc, rng = (word & 0x3FFF) * 4, min((word >> 14) & 0x7, 4)
        c = self.cal
        x = (adc - c["O"][rng]) * ADC_MULT / c["R"][rng]
        return c["UG"][rng] * (x * (c["GS"][rng] * x + c["GI"][rng])
                               + c["S"][rng] * self.voltage_mv / 1000 + c["I"][rng])

    def feed(self, chunk: bytes, arrival: float) -> None:
        data = self._rest + chunk
        n = len(data) // 4
        self._rest = data[4 * n:]
        per_window = max(1, round(self.window_ms * RATE_HZ / 1000))
        for k in range(n):
            word = int.from_bytes(data[4 * k:4 * k + 4], "little")
            counter = (word >> 18) & 0x3F
            if self._counter is not None:
                gap = (counter - self._counter - 1) % 64
                self.lost += gap
                self._index += gap
            self._counter = counter
            acc = self._sums.setdefault(self._index // per_window, [0.0, 0])
            acc[0] += self.current_a(word)
            acc[1] += 1
            self._index += 1
        if n:
            t0 = arrival - (self._index - 1) / RATE_HZ
            self._t0 = t0 if self._t0 is None else min(self._t0, t0)

    def samples(self) -> list[tuple[float, float]]:
        """(host seconds at the window's middle, mean power mW) per window with samples."""
        if self._t0 is None:
            return []
        w = self.window_ms / 1000
        return [(self._t0 + (i + 0.5) * w, s / k * self.voltage_mv)
                for i, (s, k) in sorted(self._sums.items())]


class Ppk2Meter:
    name = "ppk2"

    def __init__(self, port: str, voltage_mv: int, mode: str = "source",
                 window_ms: float = 10.0, timeout_s: float = 3.0):
        if mode not in MODES:
            raise BadInput(f"telemetry.meter.mode {mode!r}: ampere or source")
        if window_ms <= 0:
            raise BadInput("telemetry.meter.window_ms must be > 0")
        self.port, self.voltage_mv, self.mode = port, int(voltage_mv), mode
        self.window_ms, self.timeout_s = window_ms, timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ser = None
        self.decoder: Ppk2Decoder | None = None

    def _open(self):
        try:
            import serial  # pyserial
        except ImportError as exc:
            raise BadInput("telemetry.meter.kind ppk2 needs pyserial: "
                           "pip install 'devicebench[ppk2]'") from exc
        try:
            return serial.Serial(self.port, timeout=0.05)
        except (OSError, serial.SerialException) as exc:
            raise BadInput(f"telemetry.meter.port {self.port}: {exc}") from exc

    def _metadata(self) -> str:
        self._ser.write(bytes([GET_META_DATA]))
        buf, deadline = b"", time.monotonic() + self.timeout_s
        while b"END" not in buf and time.monotonic() < deadline:
            buf += self._ser.read(4096)
        return buf.decode("ascii", "replace")

    def start(self) -> None:
        self._ser = self._open()
        cal = parse_metadata(self._metadata())
        self.decoder = Ppk2Decoder(cal, self.voltage_mv, self.window_ms)
        self._ser.write(bytes([SET_POWER_MODE, MODES[self.mode]]))
        self._ser.write(regulator_command(self.voltage_mv))
        if self.mode == "source":
            self._ser.write(bytes([DEVICE_RUNNING_SET, 1]))
        self._ser.write(bytes([AVERAGE_START]))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._ser is not None and self.decoder is not None
        while not self._stop.is_set():
            chunk = self._ser.read(max(4, self._ser.in_waiting))
            if chunk:
                self.decoder.feed(chunk, time.time())

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        if self._ser is not None:
            try:
                self._ser.write(bytes([AVERAGE_STOP]))
            finally:
                self._ser.close()
        return self.decoder.samples() if self.decoder else []
