"""Emulated Bluetooth wearables over bumble, reached through bleak: for tests and `sitmon demo`.

Nothing in the daemon imports this package; it is handed the backend classes instead. bumble
(a dev/demo dependency) is imported only here.

- `world.EmulatedWorld`: a LocalLink, a central behind bleak and the peripherals; gives
  `scanner_backend` / `client_backend` for `BleakScanner(backend=...)` / `BleakClient(backend=...)`.
- `backend`: the bleak backend classes.
- `peripheral`: the shared base and `RecordingSource`; one module per family:
  `polar`, `thingy`, `witmotion`, `metawear`, `sitmon`.
- `emulated_peripheral(kind, source)`: the peripheral for a configured wearable kind.
"""

from __future__ import annotations

from monitor.emulation.metawear import EmulatedMetaWear
from monitor.emulation.peripheral import EmulatedPeripheral, RecordingSource, SampleSource
from monitor.emulation.polar import EmulatedPolarH10, EmulatedPolarVerity
from monitor.emulation.sitmon import EmulatedSitmonSensor
from monitor.emulation.thingy import EmulatedThingy52
from monitor.emulation.witmotion import EmulatedWitMotion
from monitor.emulation.world import EmulatedWorld

PERIPHERALS: dict[str, type[EmulatedPeripheral]] = {
    "polar-h10": EmulatedPolarH10,
    "polar-verity": EmulatedPolarVerity,
    "thingy52": EmulatedThingy52,
    "witmotion": EmulatedWitMotion,
    "metawear": EmulatedMetaWear,
    "sitmon": EmulatedSitmonSensor,
}


def emulated_peripheral(kind: str, source: SampleSource, **kwargs: object) -> EmulatedPeripheral:
    """The emulated wearable for a configured kind ("emulated" means the sitmon profile)."""
    cls = PERIPHERALS["sitmon" if kind == "emulated" else kind]
    return cls(source, **kwargs)  # type: ignore[arg-type]


__all__ = ["PERIPHERALS", "EmulatedMetaWear", "EmulatedPeripheral", "EmulatedPolarH10",
           "EmulatedPolarVerity", "EmulatedSitmonSensor", "EmulatedThingy52", "EmulatedWitMotion",
           "EmulatedWorld", "RecordingSource", "SampleSource", "emulated_peripheral"]
