"""A meter that writes CSV lines: a USB power meter's logger, a bench supply script, or a
serial port (give the tty as `path`; lines are read as they arrive).

Options: `path`; `power_column` (or `current_column` + `voltage_column`), each with a scale
to mW/mA/mV (`power_scale`, `current_scale`, `voltage_scale`); `time_column` with epoch
seconds, or none to stamp each line with the host clock on arrival; `delimiter` (`,`).
A header line names the columns; without one, columns are given as 0-based indices.
Only lines written after start() count (a file is read from its end at start).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..job import BadInput


class CsvMeter:
    name = "csv"

    def __init__(self, path: str, power_column: str | int | None = None,
                 current_column: str | int | None = None,
                 voltage_column: str | int | None = None, time_column: str | int | None = None,
                 power_scale: float = 1.0, current_scale: float = 1.0,
                 voltage_scale: float = 1.0, delimiter: str = ",", poll_s: float = 0.02):
        if power_column is None and (current_column is None or voltage_column is None):
            raise BadInput("telemetry.meter: give power_column, or current_column and "
                           "voltage_column")
        self.path = Path(path).expanduser()
        self.cols = {"p": power_column, "i": current_column, "v": voltage_column,
                     "t": time_column}
        self.scale = {"p": power_scale, "i": current_scale, "v": voltage_scale}
        self.delimiter, self.poll_s = delimiter, poll_s
        self._samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._index: dict[str, int] = {}
        self.bad_lines = 0

    def _resolve(self, header: list[str]) -> None:
        names = [h.strip() for h in header]
        for key, col in self.cols.items():
            if col is None:
                continue
            if isinstance(col, int) or str(col).isdigit():
                self._index[key] = int(col)
            elif col in names:
                self._index[key] = names.index(col)
            else:
                raise BadInput(f"telemetry.meter: column {col!r} not in {self.path} header "
                               f"({', '.join(names)})")

    def _line(self, line: str, stamp: float) -> None:
        parts = line.strip().split(self.delimiter)
        if not self._index:
            if any(not _is_number(p) for p in parts):
                self._resolve(parts)
                return
            self._resolve([])
        try:
            get = {k: float(parts[i]) for k, i in self._index.items()}
        except (IndexError, ValueError):
            self.bad_lines += 1
            return
        mw = (get["p"] * self.scale["p"] if "p" in get else
              get["i"] * self.scale["i"] * get["v"] * self.scale["v"] / 1000)
        self._samples.append((get.get("t", stamp), mw))

    def _header_of_existing(self) -> int:
        """Read the header if the file has one already; return the offset to tail from."""
        try:
            with open(self.path, "r", errors="replace") as f:
                first = f.readline()
                if first and any(not _is_number(p) for p in first.strip().split(self.delimiter)):
                    self._resolve(first.strip().split(self.delimiter))
                f.seek(0, os.SEEK_END)
                return f.tell()
        except OSError:
            return 0

    def _run(self, offset: int) -> None:
        is_file = self.path.is_file()
        while not self._stop.is_set() and not self.path.exists():
            self._stop.wait(self.poll_s)
        with open(self.path, "r", errors="replace") as f:
            if is_file:
                f.seek(offset)
            buf = ""
            while True:
                chunk = f.readline()
                if chunk:
                    buf += chunk
                    if buf.endswith("\n"):
                        self._line(buf, time.time())
                        buf = ""
                    continue
                if self._stop.is_set():
                    break
                self._stop.wait(self.poll_s)

    def start(self) -> None:
        offset = self._header_of_existing() if self.path.is_file() else 0
        self._thread = threading.Thread(target=self._run, args=(offset,), daemon=True)
        self._thread.start()

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        return list(self._samples)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False
