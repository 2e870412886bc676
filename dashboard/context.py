"""What every route needs: the store, the settings in force, the clock and the daemon's controls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo

from fastapi import HTTPException
from starlette.requests import Request

from dashboard import queries
from dashboard.control import ControlStatus, DaemonControl, WearableStatus
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
    def fleet(self) -> bool:
        return self.base.dashboard.mode == "fleet"

    def wearer_of(self, request: Request) -> str:
        """Whose data this request may see: the configured wearer, or in a fleet the signed-in one.

        An admin (or anyone without a wearer) gets 404, as if the data did not exist: the admin view
        shows the fleet, never one person's day.
        """
        if not self.fleet:
            return self.wearer
        who = getattr(request.state, "principal", None)
        wearer = getattr(who, "wearer", None)
        if not isinstance(wearer, str):
            raise HTTPException(404, "Not Found")
        return wearer

    def status_for(self, wearer: str) -> ControlStatus:
        if not self.fleet:
            return self.control.status()
        # The central service takes no pause, snooze or calibration yet, and knows one stream per wearer.
        snapshot = self.store.snapshot(wearer)
        last = snapshot.last_t + 1.0 if snapshot is not None and snapshot.last_t is not None else None
        return ControlStatus(paused=False, snoozed_until=None, wearables=(WearableStatus(
            name="sensor", kind="fleet", placement="", connected=None, battery_percent=None, last_data_at=last,
            calibration_requested_at=None, calibrated_at=None),))

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
