"""What every route needs: the store, the settings in force, the clock and the daemon's controls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo

from dashboard import queries
from dashboard.control import DaemonControl
from monitor.adapters.store import Store
from monitor.clock import Clock
from monitor.config import Settings


@dataclass
class Dashboard:
    store: Store
    base: Settings
    clock: Clock
    control: DaemonControl
    token: str | None = None
    cache: queries.HistoryCache = field(default_factory=queries.HistoryCache)

    @property
    def wearer(self) -> str:
        return self.base.wearer.id

    @property
    def tz(self) -> tzinfo | None:
        # The zone decides where days begin, and it is a file-only setting: the base one holds.
        return self.base.tz()

    def settings(self) -> Settings:
        return self.control.settings()

    def today_date(self) -> date:
        return queries.local_date(self.clock.now(), self.tz)

    def goal_seconds(self) -> float:
        return self.settings().dashboard.sitting_goal_hours * 3600
