"""The demo's embedded broker: used only when nothing answers, and a real MQTT peer for paho."""

from __future__ import annotations

import asyncio
import gc

import pytest
from support import Subscriber, free_port

from monitor.adapters.broker import EmbeddedBroker, broker_reachable
from monitor.adapters.publisher import Publisher
from monitor.config import MqttSettings
from monitor.messages import Topics


# amqtt leaves the socket of a connection that never sent a packet (our reachability probe) to the
# garbage collector; that is amqtt's warning to fix, not a fault of the daemon.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_embedded_broker_carries_retained_availability_to_a_late_subscriber():
    port = free_port()
    assert not broker_reachable("127.0.0.1", port)
    broker = EmbeddedBroker("127.0.0.1", port)
    await broker.start()
    try:
        publisher = Publisher(MqttSettings(port=port), Topics("sitmon", "w"), "embedded-test")
        publisher.start()
        assert await asyncio.to_thread(publisher.wait_connected, 10)
        sub = await asyncio.to_thread(Subscriber, "127.0.0.1", port, "sitmon/#")
        got = await asyncio.to_thread(sub.wait_for, lambda m: m[0] == "sitmon/w/availability")
        assert got[0][1] == b"online" and got[0][2] is True
        await asyncio.to_thread(publisher.stop)
        await asyncio.to_thread(sub.close)
    finally:
        await broker.stop()
    assert not broker_reachable("127.0.0.1", port)
    gc.collect()  # let amqtt's leftovers be collected here, under this test's warning filter
