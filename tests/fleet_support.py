"""A private anonymous Mosquitto for the fleet tests and the load bench: own port, MQTT 5, no persistence.

The queue limits are raised from Mosquitto's defaults (20 in flight, 1000 queued per client) because a
central worker acknowledges batches only once they are stored; with the defaults a burst larger than
the queue would be dropped by the broker, which the fleet must never see (docs/fleet.md, "Broker").
"""

from __future__ import annotations

from pathlib import Path

from support import MosquittoProcess, free_port

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 1000
max_queued_messages 1000000
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
user root
"""


class FleetBroker(MosquittoProcess):
    def __init__(self, folder: Path, port: int | None = None) -> None:
        super().__init__()
        folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(CONFIG.format(port=self.port))

