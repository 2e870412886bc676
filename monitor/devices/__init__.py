"""Pure decoders for the wearables sitmon reads: bytes in, samples in g on the sensor's time line out.

One module per wire format; none of them does IO, reads a clock or touches asyncio:
- `polar_pmd`: Polar H10 / Verity Sense PMD accelerometer stream and control point
- `thingy52`: Nordic Thingy:52 motion service (raw data, gravity vector), LED and speaker prompts
- `witmotion`: WitMotion BLE 5.0 IMU frames and register commands
- `metawear`: MetaWear accelerometer, battery and haptic messages
- `sitmon_profile`: the open sitmon sensor profile (docs/sensor-profile.md)
- `heart_rate`: standard Heart Rate Measurement and Battery Level values
`base` holds the shared malformed-input policy; `timeline` maps sensor time onto the host clock.
"""

from monitor.devices.base import DecodeFailure, Decoder
from monitor.devices.timeline import Timeline

__all__ = ["DecodeFailure", "Decoder", "Timeline"]
