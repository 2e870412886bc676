"""Which of a wearer's arrived batches to process next (pure).

Batches of one wearer reach the central service out of order and more than once: a shared subscription
hands consecutive batches to different workers, a gateway re-sends what the broker did not acknowledge,
and two gateways hear a wearer who walks between them. Each batch covers the stream's sample numbers
[seq, seq + n). The cursor `next_seq` says how far the wearer's pipeline has come. From the batches at
hand, sorted by seq, `plan` takes those that continue the stream, trims what was already processed, and
stops at a hole, because the batch that fills it is usually just in flight through another worker. A hole
that is still open `grace` seconds after the batch behind it arrived is a real gap (nobody heard the
sensor), and the stream moves on across it; the tracker counts the gap as unknown time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arrived:
    seq: int
    n: int
    received: float  # when a worker stored it, on that worker's clock


@dataclass(frozen=True, slots=True)
class Take:
    index: int  # position in the sequence given to `plan`
    skip: int  # leading samples already processed


def plan(next_seq: int | None, arrived: Sequence[Arrived], now: float, grace: float) -> tuple[list[Take], int | None]:
    """The batches to feed, in order, and the cursor after them. `arrived` must be sorted by seq.

    A stream without a cursor starts at sample 0 at once; one that starts later (the sensor numbers its
    samples from its own epoch) waits `grace` in case its earlier batches are still on their way.
    """
    takes: list[Take] = []
    cursor = next_seq
    for index, batch in enumerate(arrived):
        end = batch.seq + batch.n
        if cursor is not None and end <= cursor:
            continue  # a duplicate or an overlap already processed
        if cursor is None:
            if batch.seq != 0 and now - batch.received < grace:
                break
            skip = 0
        elif batch.seq > cursor:
            if now - batch.received < grace:
                break
            skip = 0
        else:
            skip = cursor - batch.seq
        takes.append(Take(index, skip))
        cursor = end
    return takes, cursor
