"""A private anonymous Mosquitto for the fleet tests and the load bench: own port, MQTT 5, no persistence.

The queue limits are raised from Mosquitto's defaults (20 in flight, 1000 queued per client) because a
central worker acknowledges batches only once they are stored; with the defaults a burst larger than
the queue would be dropped by the broker, which the fleet must never see (docs/fleet.md, "Broker").
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from support import free_port

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


class FleetBroker:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(CONFIG.format(port=self.port))
        self.proc: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stderr=subprocess.PIPE, text=True)
        ready = threading.Event()
        stderr = self.proc.stderr
        assert stderr is not None

        def read() -> None:
            for line in stderr:
                self.log.append(line)
                if " running" in line:
                    ready.set()
            ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        assert ready.wait(20), "mosquitto did not start"
        assert self.proc.poll() is None, "".join(self.log)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        if self.proc is not None and self.proc.stderr is not None:
            self._reader.join(20)
            self.proc.stderr.close()
        self.proc = None
