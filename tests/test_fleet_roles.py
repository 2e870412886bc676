"""`[role] kind` starts a gateway or a central worker; the default stays the single-wearer daemon."""

from __future__ import annotations

import asyncio
import threading

from fleet_support import FleetBroker
from pg_support import pg_schema
from sqlalchemy import select

from monitor.adapters.store import Store
from monitor.config import Settings, parse_settings
from monitor.fleet.run import run_central, run_gateway
from monitor.fleet.schema import fleet_streams


def test_single_is_the_default_role():
    assert parse_settings({}, environ={}).role.kind == "single"
    settings = parse_settings({}, environ={"SITMON_ROLE__KIND": "central", "SITMON_FLEET__PARTITIONS": "8"})
    assert (settings.role.kind, settings.fleet.partitions) == ("central", 8)


async def test_a_gateway_and_a_central_worker_started_from_settings_process_the_emulated_wearers(tmp_path):
    broker = FleetBroker(tmp_path / "broker")
    broker.start()
    try:
        with pg_schema() as url:
            common = {"mqtt": {"port": broker.port, "base_topic": "roles", "protocol": "5"},
                      "store": {"url": url}, "wearer": {"timezone": "UTC"}}
            central = Settings.model_validate(common | {"role": {"kind": "central"},
                                                        "fleet": {"worker_id": "c1", "partitions": 4}})
            gateway = Settings.model_validate(common | {"role": {"kind": "gateway"}, "fleet": {
                "gateway_id": "g1", "emulated_wearers": ["ann", "bob"], "batch_seconds": 0.2,
                "buffer_path": str(tmp_path / "buffer.sqlite3")}})
            stop_central = threading.Event()
            worker = threading.Thread(target=run_central, args=(central, stop_central))
            worker.start()
            store = Store.open(url)

            def both_arrived() -> bool:
                with store.engine.connect() as conn:
                    return {r[0] for r in conn.execute(select(fleet_streams.c.wearer))} == {"ann", "bob"}

            stop_gateway = asyncio.Event()
            task = asyncio.create_task(run_gateway(gateway, stop_gateway))
            try:
                arrived = await asyncio.to_thread(_wait, both_arrived, 60)
                assert arrived, "the central worker never saw both wearers"
            finally:
                stop_gateway.set()
                await task
                stop_central.set()
                worker.join(60)
                store.close()
    finally:
        broker.stop()


def _wait(predicate, timeout: float) -> bool:
    """Re-check `predicate` on a short timer: the worker runs in another thread and signals nothing here."""
    done = threading.Event()
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return True
        done.wait(0.1)
    return predicate()
