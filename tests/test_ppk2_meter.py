"""The Nordic PPK2 meter plug-in without the hardware: sample streams built per the protocol
(32-bit little-endian words: ADC bits 0-13, range 14-16, 6-bit counter 18-23, logic 24-31;
calibration from the `key: value ... END` metadata answer), decoded and aligned; and the meter
itself against a pseudo-terminal that answers as a PPK2 does (the outermost edge: the USB
serial device)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from harness.job import BadInput
from harness.power import make_meter
from harness.power.ppk2 import ADC_MULT, RATE_HZ, Ppk2Decoder, parse_metadata, regulator_command

META = ("Calibrated: 0\nR0: 1003.3\nR1: 101.4\nR2: 10.3\nR3: 0.98\nR4: 0.045\n"
        "GS0: 0.0001\nGS1: 0.0002\nGS2: 0\nGS3: 0\nGS4: 0\nGI0: 1.01\nGI1: 0.99\nGI2: 1\n"
        "GI3: 1.02\nGI4: 1\nO0: 112.5\nO1: 75.2\nO2: 64.0\nO3: 40.1\nO4: 0\n"
        "S0: -0.000000039\nS1: 0.0000012\nS2: 0\nS3: 0.0003\nS4: 0\nI0: 0\nI1: -0.0000007\n"
        "I2: 0\nI3: 0.00011\nI4: 0\nUG0: 1\nUG1: 1.003\nUG2: 1\nUG3: 0.998\nUG4: 1\n"
        "HW: 9173\nmode: 2\nIA: 56\nEND\n")


def word(adc: int, rng: int, counter: int, logic: int = 0) -> bytes:
    return (adc | rng << 14 | (counter % 64) << 18 | logic << 24).to_bytes(4, "little")


def amps(cal, adc: int, rng: int, v: float) -> float:
    """The spec's conversion, written out for the expected values."""
    x = (adc * 4 - cal["O"][rng]) * 1.8 / 163840 / cal["R"][rng]
    return cal["UG"][rng] * (x * (cal["GS"][rng] * x + cal["GI"][rng])
                             + cal["S"][rng] * v + cal["I"][rng])


def test_metadata_calibration_and_commands():
    cal = parse_metadata(META)
    assert cal["R"] == [1003.3, 101.4, 10.3, 0.98, 0.045]
    assert cal["O"][1] == 75.2 and cal["UG"][3] == 0.998 and cal["S"][0] == -0.000000039
    nominal = parse_metadata("R0: 0\nR2: nan\nEND")  # 0 ohm / nan keep the nominal value
    assert nominal["R"][0] == 1031.64 and nominal["R"][2] == 10.15 and nominal["GI"] == [1.0] * 5
    with pytest.raises(BadInput, match="no END"):
        parse_metadata("garbage from another serial device")
    assert regulator_command(3700) == bytes([0x0D, 0x0E, 0x74])  # 3700 = 0x0E74
    assert regulator_command(800) == bytes([0x0D, 3, 32])
    with pytest.raises(BadInput, match="800-5000 mV"):
        regulator_command(5500)
    assert ADC_MULT == 1.8 / 163840 and RATE_HZ == 100_000


def test_stream_decoded_with_lost_samples_and_aligned():
    cal = parse_metadata(META)
    v = 3.7
    # 3000 sample slots (30 ms): 1500 at range 1 (~mA), then range 3 (~100 mA); samples
    # 700-704 lost on the way (the counter jumps by 6), logic bits set on some samples
    slots = [(5000, 1) if i < 1500 else (9000, 3) for i in range(3000)]
    kept = [i for i in range(3000) if not 700 <= i < 705]
    stream = b"".join(word(*slots[i], counter=i, logic=0xA5 if i % 7 == 0 else 0)
                      for i in kept)
    true_t0 = 1000.0
    dec = Ppk2Decoder(cal, 3700, window_ms=10)
    pos, delays = 0, [0.004, 0.0012, 0.009, 0.0031]
    for k, size in enumerate([1023, 2, 4097, 3001, 1] * 100):  # chunks split words anywhere
        chunk = stream[pos:pos + size]
        if not chunk:
            break
        pos += size
        last = min(pos, len(stream)) // 4 - 1  # kept sample ending this chunk
        if last >= 0:
            slot = kept[last]
            dec.feed(chunk, true_t0 + slot / RATE_HZ + delays[k % len(delays)])
        else:
            dec.feed(chunk, true_t0)
    assert pos >= len(stream) and dec.lost == 5
    out = dec.samples()
    assert len(out) == 3
    # t0 is the earliest-possible alignment: the true start plus the smallest chunk delay
    assert out[0][0] == pytest.approx(true_t0 + 0.0012 + 0.005, abs=1e-9)
    assert out[2][0] - out[0][0] == pytest.approx(0.020, abs=1e-12)
    ia, ib = amps(cal, 5000, 1, v), amps(cal, 9000, 3, v)
    assert out[0][1] == pytest.approx(ia * 3700, rel=1e-12)  # window 0: 995 range-1 samples
    assert out[1][1] == pytest.approx((500 * ia + 500 * ib) / 1000 * 3700, rel=1e-12)
    assert out[2][1] == pytest.approx(ib * 3700, rel=1e-12)
    assert 1.0 < out[0][1] < 1000.0 and out[2][1] > 100.0  # mW, sane for mA and 100 mA


class FakePpk2(threading.Thread):
    """The PPK2's side of the serial line on a pty master: answers 0x19 with metadata,
    streams words after 0x06 until 0x07, and records every command byte it got."""

    def __init__(self, fd: int, adc: int, rng: int):
        super().__init__(daemon=True)
        self.fd, self.adc, self.rng = fd, adc, rng
        self.got = bytearray()
        self.streaming = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        import select
        os.set_blocking(self.fd, False)  # never stuck writing once the host stops reading
        n, pending = 0, b""
        while not self.done.is_set():
            r, _, _ = select.select([self.fd], [], [], 0.005)
            if r:
                data = os.read(self.fd, 64)
                self.got += data
                if 0x19 in data:
                    os.write(self.fd, META.encode())
                if 0x06 in data:
                    self.streaming.set()
                if 0x07 in data:
                    self.streaming.clear()
                    self.done.set()
            if self.streaming.is_set():  # 5 ms of samples per 5 ms, never a torn word
                if not pending:
                    pending = b"".join(word(self.adc, self.rng, n + k) for k in range(500))
                    n += 500
                try:
                    pending = pending[os.write(self.fd, pending):]
                except BlockingIOError:
                    pass


def test_meter_speaks_the_protocol_over_a_serial_line():
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    fake = FakePpk2(master, adc=5000, rng=1)
    fake.start()
    meter = make_meter({"kind": "ppk2", "port": os.ttyname(slave), "mode": "source",
                        "voltage_mv": 3700, "window_ms": 10})
    t_start = time.time()
    meter.start()
    assert fake.streaming.wait(3)
    time.sleep(0.3)
    samples = meter.stop()
    fake.done.wait(2)
    os.close(slave)
    os.close(master)
    got = bytes(fake.got)
    assert got.startswith(bytes([0x19, 0x11, 2, 0x0D, 0x0E, 0x74, 0x0C, 1, 0x06]))
    assert got.endswith(bytes([0x07]))
    mw = amps(parse_metadata(META), 5000, 1, 3.7) * 3700
    assert len(samples) >= 10 and all(v == pytest.approx(mw, rel=1e-9) for _, v in samples)
    assert t_start - 0.1 < samples[0][0] < samples[-1][0] < time.time() + 0.1


def test_meter_config_errors():
    with pytest.raises(BadInput, match="ampere or source"):
        make_meter({"kind": "ppk2", "port": "/dev/null", "voltage_mv": 3700, "mode": "volt"})
    with pytest.raises(BadInput, match="ppk2"):
        make_meter({"kind": "ppk2", "port": "/dev/null"})  # voltage_mv missing
    with pytest.raises(BadInput, match="known: csv, ppk2"):
        make_meter({"kind": "monsoon"})
