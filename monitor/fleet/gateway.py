"""A gateway: the wearables in its Bluetooth range, batched per wearer onto the broker (docs/fleet.md).

Every `batch_seconds` the gateway takes each wearer's new samples and queues one batch per wearer in
its disk buffer; the sender moves the buffer to the broker. Sample numbers come from the wearer's
stream (`WearerStream`), so a gateway that starts hearing a wearer continues the numbering the previous
gateway used, and any overlap between the two is recognised centrally.

Wearables here are emulated (a scripted day per wearer); a Bluetooth wearable fits the same
`WearerStream` shape once its decoder's sample counter or timestamps give the sample number.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from monitor.clock import Clock
from monitor.model import Placement, SampleBlock
from monitor.scripted_day import ThighMotion

from .buffer import BufferedSender, DiskBuffer
from .wire import MAX_SAMPLES, Batch, encode, gateway_status_topic, quantize, samples_topic

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WearerStream:
    """One wearer's emulated thigh sensor: samples numbered from the start of its script."""

    wearer: str
    motion: ThighMotion
    wearable: str = "thigh"
    placement: Placement = Placement.THIGH

    def seq_at(self, t: float) -> int:
        """The number of the first sample at or after `t`."""
        return max(0, math.ceil(round((t - self.motion.start) * self.motion.rate_hz, 6)))

    def between(self, t_from: float, t_to: float) -> tuple[int, SampleBlock]:
        return self.seq_at(t_from), self.motion.samples(t_from, t_to)


@dataclass(slots=True)
class Gateway:
    gateway_id: str
    base_topic: str
    buffer: DiskBuffer
    sender: BufferedSender | None = None
    wall: Callable[[], float] | None = None  # stamps `sent`, for latency figures only
    batches: int = field(default=0, init=False)

    def publish(self, stream: WearerStream, seq: int, block: SampleBlock) -> int:
        """Queue `block` (whose first sample is number `seq`) as batches; returns how many."""
        items = []
        for start in range(0, len(block), MAX_SAMPLES):
            part = slice(start, start + MAX_SAMPLES)
            batch = Batch(stream.wearer, stream.wearable, stream.placement, self.gateway_id, seq + start,
                          float(block.t[start]), stream.motion.rate_hz, quantize(block.xyz[part]),
                          self.wall() if self.wall is not None else None)
            items.append((samples_topic(self.base_topic, stream.wearer), encode(batch)))
        self.buffer.put(items)
        self.batches += len(items)
        if self.sender is not None:
            self.sender.kick()
        return len(items)

    def forward(self, stream: WearerStream, t_from: float, t_to: float) -> int:
        """The stream's samples in [t_from, t_to) as batches."""
        seq, block = stream.between(t_from, t_to)
        return self.publish(stream, seq, block) if len(block) else 0

    def status_payload(self, online: bool, wearers: Sequence[str]) -> bytes:
        return json.dumps({"schema": 1, "gateway": self.gateway_id, "online": online,
                           "wearers": sorted(wearers)}, separators=(",", ":")).encode()

    def status_topic(self) -> str:
        return gateway_status_topic(self.base_topic, self.gateway_id)

    async def run(self, streams: Sequence[WearerStream], clock: Clock, batch_seconds: float,
                  stop: asyncio.Event, start: float | None = None) -> None:
        """Forward every stream's samples up to the clock's present, one batch per wearer per period."""
        sent_until = clock.now() if start is None else start
        while not stop.is_set():
            now = clock.now()
            if now > sent_until:
                for stream in streams:
                    self.forward(stream, sent_until, now)
                sent_until = now
            # The period is the batching cadence, in wall time (a sped-up clock batches more per period).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=clock.wall_delay(batch_seconds) or batch_seconds)
