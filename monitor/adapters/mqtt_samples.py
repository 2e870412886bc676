"""Accelerometer samples arriving over MQTT (phone apps, ESPHome boards), into the same pipeline.

Topic `<base>/<wearer>/samples/<wearable>`, for a wearable configured with `kind = "mqtt"`.
The payload format is documented in docs/mqtt.md ("Samples in") and docs/schemas/samples.json:
a block `{"t0": ..., "rate_hz": ..., "xyz": [[x, y, z], ...]}` or `{"t": [...], "xyz": [...]}`,
or one sample `{"t": ..., "x": ..., "y": ..., "z": ...}`; acceleration in g unless `"unit": "m/s2"`.
`decode_samples` is pure; `MqttSampleInput` checks order per wearable and hands each block to the
daemon's `samples(wearable, block)` on the daemon's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from monitor.messages import Topics
from monitor.model import SampleBlock

from .publisher import Publisher

log = logging.getLogger(__name__)

STANDARD_GRAVITY = 9.80665
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_SAMPLES = 4000
MAX_G = 32.0
UNITS = {"g": 1.0, "m/s2": 1.0 / STANDARD_GRAVITY}


class SampleFormatError(ValueError):
    pass


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SampleFormatError(f"{what} must be a finite number (got {value!r})")
    return float(value)


def _rows(value: Any) -> list[list[float]]:
    if not isinstance(value, list) or not value:
        raise SampleFormatError("xyz must be a non-empty list of [x, y, z] triples")
    if len(value) > MAX_SAMPLES:
        raise SampleFormatError(f"at most {MAX_SAMPLES} samples per message (got {len(value)})")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != 3:
            raise SampleFormatError(f"xyz[{i}] must be [x, y, z] (got {row!r})")
        rows.append([_number(v, f"xyz[{i}]") for v in row])
    return rows


def decode_samples(payload: bytes) -> SampleBlock:
    """One MQTT sample message -> a SampleBlock (times in s since the epoch, acceleration in g)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise SampleFormatError(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SampleFormatError("payload is not JSON") from None
    if not isinstance(data, dict):
        raise SampleFormatError("payload must be a JSON object")
    if data.get("schema", 1) != 1:
        raise SampleFormatError(f"unsupported schema {data.get('schema')!r} (this sitmon reads schema 1)")
    unit = data.get("unit", "g")
    if unit not in UNITS:
        raise SampleFormatError(f"unit must be one of {', '.join(UNITS)} (got {unit!r})")
    if "xyz" in data:
        rows = _rows(data["xyz"])
        if "t0" in data:
            t0, rate = _number(data["t0"], "t0"), _number(data.get("rate_hz"), "rate_hz")
            if not 0 < rate <= 1000:
                raise SampleFormatError(f"rate_hz must be in (0, 1000] (got {rate})")
            times = [t0 + i / rate for i in range(len(rows))]
        elif isinstance(data.get("t"), list):
            if len(data["t"]) != len(rows):
                raise SampleFormatError(f"t has {len(data['t'])} times for {len(rows)} samples")
            times = [_number(v, f"t[{i}]") for i, v in enumerate(data["t"])]
        else:
            raise SampleFormatError("a block needs t0 and rate_hz, or a list t of sample times")
    elif "x" in data:
        times = [_number(data.get("t"), "t")]
        rows = [[_number(data.get(axis), axis) for axis in ("x", "y", "z")]]
    else:
        raise SampleFormatError("no samples: expected xyz (a block) or x, y, z (one sample)")
    t = np.asarray(times, dtype=np.float64)
    if len(t) > 1 and not np.all(np.diff(t) > 0):
        raise SampleFormatError("sample times must increase strictly")
    xyz = np.asarray(rows, dtype=np.float64) * UNITS[unit]
    if np.any(np.abs(xyz) > MAX_G):
        raise SampleFormatError(f"acceleration beyond {MAX_G:g} g: wrong unit?")
    return SampleBlock(t, xyz)


class MqttSampleInput:
    """Subscribes to the sample topics of the wearables fed over MQTT and feeds the daemon's sink."""

    def __init__(self, topics: Topics, wearables: Collection[str], sink: Callable[[str, SampleBlock], None],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.topics = topics
        self.wearables = set(wearables)
        self.sink = sink
        self.loop = loop
        self._last_t: dict[str, float] = {}
        self._lock = threading.Lock()
        self.accepted = 0
        self.rejected = 0

    def attach(self, publisher: Publisher) -> None:
        if self.wearables:
            publisher.route(self.topics.all_samples, self.on_message)

    def on_message(self, topic: str, payload: bytes, _properties: object = None) -> None:
        wearable = topic.rsplit("/", 1)[-1]
        try:
            if wearable not in self.wearables:
                raise SampleFormatError(f"no wearable named {wearable!r} with kind \"mqtt\" is configured")
            block = decode_samples(payload)
            with self._lock:
                last = self._last_t.get(wearable)
                if last is not None and block.t[0] <= last:
                    raise SampleFormatError(f"samples from t={block.t[0]:.3f} do not follow the last one "
                                            f"(t={last:.3f}): repeated or out of order")
                self._last_t[wearable] = float(block.t[-1])
                self.accepted += 1
        except SampleFormatError as exc:
            with self._lock:
                self.rejected += 1
            log.warning("samples on %s rejected: %s", topic, exc)
            return
        self.loop.call_soon_threadsafe(self.sink, wearable, block)

    def metrics(self) -> dict[str, int]:
        with self._lock:
            return {"accepted_total": self.accepted, "rejected_total": self.rejected}
