"""The fleet's pure parts: the batch wire format and the stream planner (overlaps, holes, grace)."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.fleet.streams import Arrived, Take, plan
from monitor.fleet.wire import Batch, BatchError, decode, encode, partition_of, quantize
from monitor.model import Placement


def batch(seq: int = 100, n: int = 4) -> Batch:
    xyz = np.array([[1.0, -0.0123, 0.5]] * n) + np.arange(n)[:, None] * 0.001
    return Batch("w-1", "thigh", Placement.THIGH, "gw-a", seq, 1_800_000_000.0, 25.0, quantize(xyz), 12.5)


def test_a_batch_survives_the_wire_with_milli_g_resolution():
    original = batch()
    again = decode(encode(original))
    assert again == original
    block = again.block(skip=1)
    assert len(block) == 3
    assert block.t[0] == pytest.approx(1_800_000_000.0 + 1 / 25)
    assert block.xyz[0] == pytest.approx([1.001, -0.011, 0.501], abs=5e-4)
    # Six bytes a sample: a second at 50 Hz is well under a kilobyte on the wire.
    assert len(encode(Batch("w-1", "thigh", Placement.THIGH, "gw-a", 0, 0.0, 50.0, quantize(np.zeros((50, 3)))))) < 600


@pytest.mark.parametrize(("change", "message"), [
    ({"schema": 2}, "schema"), ({"seq": -1}, "seq"), ({"rate_hz": 0}, "rate_hz"), ({"n": 5}, "n says"),
    ({"wearer": "a/b"}, "wearer"), ({"xyz_mg": "!!"}, "base64|xyz_mg|Incorrect|Non-base64"),
    ({"placement": "ear"}, "ear"),
])
def test_a_bad_batch_is_refused_with_its_reason(change, message):
    import json
    data = json.loads(encode(batch())) | change
    with pytest.raises(BatchError, match=message):
        decode(json.dumps(data).encode())


def test_partitions_are_stable_and_spread():
    assert partition_of("w-1", 64) == partition_of("w-1", 64)
    assert len({partition_of(f"w-{i}", 64) for i in range(1000)}) == 64


def test_a_stream_continues_in_order_and_trims_what_it_has_seen():
    arrived = [Arrived(0, 50, 0.0), Arrived(50, 50, 0.0), Arrived(80, 40, 0.0), Arrived(100, 10, 0.0)]
    takes, cursor = plan(None, arrived, now=0.0, grace=5.0)
    # The third batch overlaps the second (another gateway cut it elsewhere): its first 20 are skipped;
    # the fourth lies wholly inside what came before.
    assert takes == [Take(0, 0), Take(1, 0), Take(2, 20)]
    assert cursor == 120
    assert plan(120, arrived, now=0.0, grace=5.0) == ([], 120)


def test_a_hole_waits_for_the_batch_in_flight_then_is_crossed_as_a_gap():
    arrived = [Arrived(150, 50, received=100.0)]
    assert plan(100, arrived, now=102.0, grace=5.0) == ([], 100)
    assert plan(100, arrived, now=105.0, grace=5.0) == ([Take(0, 0)], 200)


def test_a_stream_that_does_not_start_at_zero_waits_once_for_its_beginning():
    arrived = [Arrived(9000, 50, received=10.0)]
    assert plan(None, arrived, now=11.0, grace=5.0) == ([], None)
    assert plan(None, arrived, now=15.0, grace=5.0) == ([Take(0, 0)], 9050)
