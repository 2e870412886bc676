"""The emulated wearable: streams `scripted_day` samples in step with a (possibly sped-up) clock."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from monitor.clock import Clock
from monitor.model import SampleBlock
from monitor.scripted_day import Segment, ThighMotion

POLL_WALL_SECONDS = 0.1


class SampleSink(Protocol):
    def samples(self, wearable: str, block: SampleBlock) -> None: ...


class EmulatedWearable:
    def __init__(self, name: str, script: Sequence[Segment], clock: Clock, rate_hz: float = 50.0,
                 seed: int = 7, script_start: float | None = None,
                 motion: type[ThighMotion] = ThighMotion) -> None:
        self.name = name
        self.clock = clock
        # The script may have begun before now (a resumed demo picks the day up where it stopped).
        start = clock.now() if script_start is None else script_start
        self.motion = motion(script, start=start, rate_hz=rate_hz, seed=seed)
        self._sent_until = max(start, clock.now())

    async def run(self, sink: SampleSink) -> None:
        """Deliver every sample up to the clock's present, a tenth of a wall second at a time."""
        while True:
            now = self.clock.now()
            if now > self._sent_until:
                block = self.motion.samples(self._sent_until, now)
                self._sent_until = now
                if len(block):
                    sink.samples(self.name, block)
            await asyncio.sleep(POLL_WALL_SECONDS)
