"""sitmon's daemon: from wearable samples to posture, sitting streaks, prompts and MQTT events."""

__version__ = "0.1.0"
__all__ = ["__version__"]
