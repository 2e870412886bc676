"""The fleet's wire format (pure): a gateway's batch of one wearer's raw samples, as JSON on MQTT.

Topic `<base>/fleet/samples/<wearer>`, QoS 1, not retained. Payload (docs/fleet.md, "Batches"):

    {"schema": 1, "wearer": "w-0042", "wearable": "thigh", "placement": "thigh", "gateway": "gw-3",
     "seq": 90150, "t0": 1800001803.0, "rate_hz": 50, "n": 50, "xyz_mg": "<base64>", "sent": 1800001804.02}

`xyz_mg` holds n samples as little-endian int16 triples (x, y, z) in milli-g: 6 bytes a sample instead of
about 60 as JSON numbers, and a resolution (0.001 g) finer than the sensors' noise. `seq` is the index of
the first sample in the wearer's stream, counted by the sensor (or from its timestamps), not by the
gateway: two gateways hearing the same sensor give the same sample the same number, which is what lets
the central service drop overlaps when a wearer walks from one gateway's range into another's.
Sample i of the batch was taken at t0 + i / rate_hz. `sent` is the gateway's wall clock at publication,
for latency figures only.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.model import Placement, SampleBlock

SCHEMA = 1
MILLI_G = 1000.0
INT16_LIMIT = 32767
MAX_SAMPLES = 4000
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class BatchError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Batch:
    wearer: str
    wearable: str
    placement: Placement
    gateway: str
    seq: int
    t0: float
    rate_hz: float
    xyz_mg: bytes  # n little-endian int16 triples
    sent: float | None = None

    @property
    def n(self) -> int:
        return len(self.xyz_mg) // 6

    def block(self, skip: int = 0) -> SampleBlock:
        """The samples from index `skip` on, times in s and acceleration in g."""
        raw = np.frombuffer(self.xyz_mg, dtype="<i2").reshape(-1, 3)[skip:]
        t = self.t0 + np.arange(skip, self.n, dtype=np.float64) / self.rate_hz
        return SampleBlock(t, raw.astype(np.float64) / MILLI_G)


def quantize(xyz: np.ndarray) -> bytes:
    """Acceleration in g -> the int16 milli-g bytes of the wire (clipped at +-32.767 g)."""
    mg = np.clip(np.rint(np.asarray(xyz, dtype=np.float64) * MILLI_G), -INT16_LIMIT, INT16_LIMIT)
    return mg.astype("<i2").tobytes()


def samples_topic(base: str, wearer: str) -> str:
    return f"{base.strip('/')}/fleet/samples/{wearer}"


def shared_samples_filter(base: str, group: str) -> str:
    """The MQTT 5 shared subscription through which the central workers split the batches."""
    return f"$share/{group}/{base.strip('/')}/fleet/samples/+"


def gateway_status_topic(base: str, gateway: str) -> str:
    return f"{base.strip('/')}/fleet/gateway/{gateway}/status"


def partition_of(wearer: str, partitions: int) -> int:
    """A stable partition per wearer (CRC-32, the same in every process and Python version)."""
    return zlib.crc32(wearer.encode()) % partitions


def encode(batch: Batch) -> bytes:
    payload: dict[str, Any] = {
        "schema": SCHEMA, "wearer": batch.wearer, "wearable": batch.wearable, "placement": batch.placement.value,
        "gateway": batch.gateway, "seq": batch.seq, "t0": batch.t0, "rate_hz": batch.rate_hz, "n": batch.n,
        "xyz_mg": base64.b64encode(batch.xyz_mg).decode("ascii"),
    }
    if batch.sent is not None:
        payload["sent"] = batch.sent
    return json.dumps(payload, separators=(",", ":")).encode()


def _identifier(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not set(value) <= _ID_CHARS:
        raise BatchError(f"{key} must be 1-64 letters, digits, '-' or '_' (got {value!r})")
    return value


def _finite(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BatchError(f"{key} must be a finite number (got {value!r})")
    return float(value)


def decode(payload: bytes) -> Batch:
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise BatchError("payload is not JSON") from None
    if not isinstance(data, dict):
        raise BatchError("payload must be a JSON object")
    if data.get("schema") != SCHEMA:
        raise BatchError(f"unsupported schema {data.get('schema')!r} (this sitmon reads {SCHEMA})")
    seq = data.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise BatchError(f"seq must be a non-negative integer (got {seq!r})")
    rate = _finite(data, "rate_hz")
    if not 0 < rate <= 1000:
        raise BatchError(f"rate_hz must be in (0, 1000] (got {rate})")
    try:
        placement = Placement(str(data.get("placement")))
        raw = base64.b64decode(str(data.get("xyz_mg", "")), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise BatchError(str(exc)) from None
    if not raw or len(raw) % 6 or len(raw) // 6 > MAX_SAMPLES:
        raise BatchError(f"xyz_mg must hold 1 to {MAX_SAMPLES} int16 triples (got {len(raw)} bytes)")
    if data.get("n") != len(raw) // 6:
        raise BatchError(f"n says {data.get('n')!r} samples, xyz_mg holds {len(raw) // 6}")
    sent = _finite(data, "sent") if "sent" in data else None
    return Batch(_identifier(data, "wearer"), _identifier(data, "wearable"), placement,
                 _identifier(data, "gateway"), seq, _finite(data, "t0"), rate, raw, sent)
