"""The exceptions sitmon raises on purpose.

SitmonError
 ├── ConfigError      invalid configuration: every problem, each naming its key
 ├── RecordingError   a recording file that cannot be read
 └── BrokerError      an MQTT broker that cannot be used
"""

from __future__ import annotations


class SitmonError(Exception):
    """Base of every error sitmon raises deliberately."""


class ConfigError(SitmonError):
    def __init__(self, problems: list[str], source: str = "configuration") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid {source}:\n{lines}")


class RecordingError(SitmonError):
    pass


class BrokerError(SitmonError):
    pass
