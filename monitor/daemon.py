"""The daemon: builds the edges from Settings and moves data through the pipeline.

Sources call `samples()`; each step's bouts, events and tracker snapshot are written to the store in
one transaction before anything is published, so a killed process loses nothing it announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

import tzlocal
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.calendar_ics import busy_periods
from monitor.calibration_session import CalibrationSession
from monitor.clock import Clock
from monitor.config import Settings, WearableSettings
from monitor.errors import ConfigError
from monitor.messages import (
    Topics,
    event_message,
    state_message,
    state_payload,
    wearable_message,
    wearable_payload,
)
from monitor.metrics import (
    DECODE_ERRORS,
    SAMPLES,
    SENSOR_CONNECTED,
    SENSOR_RECONNECTS,
    count_classified,
    count_event,
)
from monitor.model import Event, EventType, SampleBlock
from monitor.pipeline import Pipeline, Step, role_of
from monitor.posture import Calibration, CalibrationError
from monitor.prompts import PromptRules
from monitor.summary import DayTotals, day_bounds, day_totals
from monitor.timewindows import parse_day, parse_window
from monitor.tracker import TrackerOutput, TrackerRules

from .adapters import mailbox
from .adapters.notifiers import Notifier, prompt_text
from .adapters.publisher import Publisher
from .adapters.store import Store
from .adapters.store_guard import GuardedWriter

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60.0


class Source(Protocol):
    name: str

    async def run(self, sink: Any) -> None: ...


def rules_from(settings: Settings) -> TrackerRules:
    t = settings.tracker
    return TrackerRules(break_seconds=t.break_seconds, max_gap=t.max_gap_minutes * 60)


def wearer_zone(settings: Settings) -> tzinfo:
    """The wearer's zone; the system's own when none is configured."""
    return settings.tz() or tzlocal.get_localzone()


def prompt_rules_from(settings: Settings, tz: tzinfo | None = None) -> PromptRules:
    t, sched, slump = settings.tracker, settings.schedule, settings.slump
    return PromptRules(
        prompt_after=t.prompt_after_minutes * 60, repeat=t.repeat_minutes * 60,
        answer_window=t.answer_minutes * 60,
        escalation=tuple(tuple(step) for step in settings.notify.escalation),
        slump_hold=slump.hold_seconds, slump_interval=slump.interval_minutes * 60,
        working_hours=tuple(parse_window(w) for w in sched.working_hours),
        quiet_hours=tuple(parse_window(w) for w in sched.quiet_hours),
        days_off=frozenset(parse_day(d) for d in sched.days_off),
        tz=tz or wearer_zone(settings),
    )


class Buzzer(Protocol):
    async def buzz(self, wearable: str) -> bool: ...


class Daemon:
    def __init__(self, settings: Settings, clock: Clock, store: Store, publisher: Publisher | None,
                 notifiers: Sequence[Notifier] = (), buzzer: Buzzer | None = None) -> None:
        self.settings = settings
        self._base_settings = settings
        self._overrides_version = 0.0
        self.clock = clock
        self.store = store
        self.writer = GuardedWriter(store)  # rides out a full disk: holds steps, keeps prompting
        self.publisher = publisher
        # Channel name -> notifier; the log always hears every prompt.
        self.notifiers = {n.name: n for n in notifiers}
        self.buzzer = buzzer
        self.wearable_status: dict[str, Any] = {}
        self.wearer = settings.wearer.id
        self.tz = settings.tz()
        self.topics = Topics(settings.mqtt.base_topic, self.wearer)
        self.primary = settings.wearables[0]
        # A second sensor that sees what the first cannot (trunk beside thigh, or thigh beside trunk).
        self.companion = next((w for w in settings.wearables[1:]
                               if role_of(w.placement) != role_of(self.primary.placement)), None)
        self.pipeline = Pipeline(self.wearer, self.primary.placement, rules_from(settings),
                                 prompt_rules_from(settings), store.snapshot(self.wearer),
                                 store.prompter_snapshot(self.wearer), self._stored_calibration(self.primary),
                                 companion=self.companion.placement if self.companion else None,
                                 companion_calibration=self._stored_calibration(self.companion)
                                 if self.companion else None)
        self._calibrating: dict[str, CalibrationSession] = {}
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._last_published: tuple[str, str, float | None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # The latest prompts handed to the notifiers (for status and tests); bounded for months of uptime.
        self.prompts_delivered: deque[Event] = deque(maxlen=100)

    # --- the sink that sources call ------------------------------------------------------------
    def samples(self, wearable: str, block: SampleBlock) -> None:
        SAMPLES.inc(len(block), sensor=wearable)
        if wearable in self._calibrating:
            self._calibration_step(wearable, block)
        if wearable == self.primary.name:
            self._handle(self.pipeline.push(block))
        elif self.companion is not None and wearable == self.companion.name:
            self._handle(self.pipeline.push(block, companion=True))

    def gap(self, wearable: str, start: float, end: float) -> None:
        """No data from a wearable; the tracker sees the gap in the data's own time line."""
        log.info("%s: no data for %.0f s", wearable, end - start)

    def status(self, wearable: str, status: Any) -> None:
        """A wearable's connection, battery and error counts changed (from the Bluetooth manager)."""
        previous = self.wearable_status.get(wearable)
        self.wearable_status[wearable] = status
        SENSOR_CONNECTED.set(1.0 if status.connected else 0.0, sensor=wearable)
        reconnects = status.reconnects - (previous.reconnects if previous is not None else 0)
        errors = status.decode_errors - (previous.decode_errors if previous is not None else 0)
        if reconnects > 0:
            SENSOR_RECONNECTS.inc(reconnects, sensor=wearable)
        if errors > 0:
            DECODE_ERRORS.inc(errors, sensor=wearable)
        changed = previous is None or (previous.connected, previous.battery_percent) != (
            status.connected, status.battery_percent)
        if changed and self.publisher is not None:
            self.publisher.publish(wearable_message(self.topics, wearable_payload(
                wearable, status.kind, status.connected, status.battery_percent, self.clock.now(), self.tz)))

    # --- processing ---------------------------------------------------------------------------
    def _handle(self, step: Step) -> None:
        out = step.output
        count_classified([s.activity.value for s in step.states], self.pipeline.tracker.snapshot.activity.value)
        # Events reach MQTT through the outbox, queued in the same transaction that stores them.
        outbox = self.publisher.outbox_writer(out.events, self.tz) if self.publisher is not None else None
        # Wake the drain only when this write adds rows (its own, or ones held while the store failed).
        queued = outbox is not None or bool(self.writer.pending_also)
        if self.writer.record(self.wearer, out.bouts, out.events, self.pipeline.tracker.snapshot,
                              self.pipeline.prompter.snapshot, also=outbox,
                              revisions=out.revisions) and queued and self.publisher is not None:
            self.publisher.kick()
        for event in out.events:
            self._announce(event)
        for revision in out.revisions:
            log.info("re-learned the wearer: %s to %s judged again (%d bouts)",
                     datetime.fromtimestamp(revision.start, UTC).isoformat(),
                     datetime.fromtimestamp(revision.end, UTC).isoformat(), len(revision.bouts))
        snap = self.pipeline.tracker.snapshot
        key = (snap.activity.value, snap.posture.value, snap.streak_start)
        if out.events or out.revisions or key != self._last_published:
            self.publish_state()
        self._reschedule_prompt()

    def _announce(self, event: Event) -> None:
        count_event(event.type.value, event.data)
        log.info("event %s at %s %s", event.type.value, datetime.fromtimestamp(event.t, UTC).isoformat(),
                 event.data)
        if self.publisher is not None and self.publisher.outbox is None:
            self.publisher.publish(event_message(self.topics, event, self.tz))
        if event.type is EventType.PROMPT:
            self.prompts_delivered.append(event)
            self._deliver(event, ["log", *event.data.get("channels", [])])
        elif event.type is EventType.SLUMP_NUDGE:
            self._deliver(event, ["log", "desktop"])

    def _deliver(self, event: Event, channels: list[str]) -> None:
        title, body = prompt_text(event)
        for channel in dict.fromkeys(channels):
            if channel == "buzz":
                if self.buzzer is not None and self.settings.notify.buzz:
                    self._spawn(self.buzzer.buzz(self.primary.name))
            elif channel in self.notifiers:
                self._spawn(self.notifiers[channel].notify(title, body, event))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("a notifier failed")
        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- commands (CLI, dashboard, MQTT) -------------------------------------------------------
    def snooze(self, minutes: int) -> str:
        if not 1 <= minutes <= 240:
            return "refused: snooze for 1 to 240 minutes"
        self._apply(self.pipeline.prompter.snooze(self.clock.now(), minutes))
        return f"snoozed for {minutes} minutes"

    def pause(self, until: float | None = None) -> str:
        now = self.clock.now()
        if until is not None and until <= now:
            return "refused: the pause would end in the past"
        self._apply(self.pipeline.prompter.pause(now, until))
        return "paused" if until is None else f"paused for {round((until - now) / 60)} minutes"

    def resume(self) -> str:
        self._apply(self.pipeline.prompter.resume(self.clock.now()))
        return "resumed"

    def calibrate(self, wearable: str | None = None) -> str:
        """Start a guided calibration: the wearer is told to stand, then sit, upright and still."""
        name = wearable or self.primary.name
        settings = next((w for w in self.settings.wearables if w.name == name), None)
        if settings is None:
            return f"refused: no wearable named {name!r}"
        session = CalibrationSession(name, settings.placement, self.clock.now())
        self._calibrating[name] = session
        self._tell("sitmon calibration", session.first_instruction())
        return f"calibration of {name} started: stand upright and still, then sit upright, as the prompts say"

    def _calibration_step(self, wearable: str, block: SampleBlock) -> None:
        session = self._calibrating[wearable]
        step = session.push(block)
        if step.instruction:
            self._tell("sitmon calibration", step.instruction)
        if step.error:
            del self._calibrating[wearable]
            self._tell("sitmon calibration failed", f"{step.error}. Start it again when you are ready.")
        elif step.calibration is not None:
            del self._calibrating[wearable]
            self.store.save_calibration(self.wearer, wearable, self.clock.now(), step.calibration.to_dict())
            if wearable in (self.primary.name, self.companion.name if self.companion else None):
                self._handle(self.pipeline.recalibrate(step.calibration, companion=wearable != self.primary.name))
            self._tell("sitmon calibration", "Done: sitmon now knows your upright standing and sitting posture.")

    def _stored_calibration(self, wearable: WearableSettings) -> Calibration | None:
        data = self.store.calibration(self.wearer, wearable.name)
        if data is None:
            return None
        try:
            calibration = Calibration.from_dict(data)
        except CalibrationError as exc:
            log.warning("the stored calibration of %s is unusable (%s); running without", wearable.name, exc)
            return None
        if calibration.placement is not wearable.placement:
            log.warning("the stored calibration of %s is for a %s sensor; running without", wearable.name,
                        calibration.placement.value)
            return None
        return calibration

    def _tell(self, title: str, body: str) -> None:
        for channel in ("log", "desktop"):
            if channel in self.notifiers:
                self._spawn(self.notifiers[channel].notify(title, body))

    def run_command(self, name: str, args: dict[str, Any]) -> str:
        """One command from any source (CLI mailbox, dashboard, MQTT); the answer says what happened."""
        try:
            if name == "snooze":
                return self.snooze(int(args.get("minutes", 0)))
            if name == "pause":
                minutes = args.get("minutes")
                until = self.clock.now() + float(minutes) * 60 if minutes else None
                return self.pause(until)
            if name == "resume":
                return self.resume()
            if name == "calibrate":
                wearable = args.get("wearable")
                return self.calibrate(str(wearable) if wearable else None)
        except (TypeError, ValueError) as exc:
            return f"refused: {exc}"
        return f"refused: unknown command {name!r}"

    def expire_waiting_commands(self) -> None:
        """Commands left while no daemon ran would surprise the wearer now (a snooze from yesterday)."""
        for command in mailbox.pending(self.store.engine, self.wearer):
            mailbox.finish(self.store.engine, command.id, "expired: it was left while sitmon was not running")

    def process_mailbox(self) -> None:
        engine = self.store.engine
        for command in mailbox.pending(engine, self.wearer):
            response = self.run_command(command.name, command.args)
            log.info("command %s %s: %s", command.name, command.args, response)
            mailbox.finish(engine, command.id, response)
        version = mailbox.overrides_version(engine)
        if version > self._overrides_version:
            self._overrides_version = version
            self.apply_overrides(mailbox.overrides(engine))

    def apply_overrides(self, sections: dict[str, dict[str, Any]]) -> bool:
        """Layer settings saved on the dashboard over the configuration, without a restart."""
        try:
            settings = mailbox.effective_settings(self._base_settings, sections)
        except ConfigError as exc:
            log.error("settings saved on the dashboard are invalid and were not applied: %s", exc)
            return False
        self.settings = settings
        self.pipeline.tracker.rules = rules_from(settings)
        self.pipeline.prompter.set_rules(prompt_rules_from(settings))
        self._reschedule_prompt()
        log.info("applied settings for %s", ", ".join(sorted(sections)) or "nothing")
        return True

    def set_busy(self, busy: bool) -> None:
        """A do-not-disturb signal changed; a held prompt goes out on the next second of data."""
        self.pipeline.prompter.set_busy(self.clock.now(), busy)
        log.info("do-not-disturb: %s", "busy" if busy else "free")

    def reload_calendar(self) -> None:
        path = self.settings.schedule.calendar_file
        if path is None:
            return
        try:
            text = path.expanduser().read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            log.warning("calendar %s cannot be read (%s); keeping the previous busy periods", path, exc)
            return
        periods = busy_periods(text, wearer_zone(self.settings))
        self.pipeline.prompter.set_calendar(periods)
        log.info("calendar %s: %d busy periods", path, len(periods))

    def _apply(self, events: list[Event]) -> None:
        self._handle(Step(output=TrackerOutput(events=events)))

    def today(self) -> DayTotals:
        now = self.clock.now()
        start, end = day_bounds(now, self.tz)
        bouts = self.writer.with_held(self.store.bouts_between(self.wearer, start, end), start, end)
        open_bout = self.pipeline.tracker.open_bout()
        if open_bout is not None:
            bouts.append(open_bout)
        events = self.store.events_between(self.wearer, start, end)
        events += self.writer.held_events(start, end)
        return day_totals(bouts, events, start, end, self.pipeline.tracker.streak_seconds(now))

    def publish_state(self) -> None:
        snap = self.pipeline.tracker.snapshot
        self._last_published = (snap.activity.value, snap.posture.value, snap.streak_start)
        if self.publisher is None:
            return
        now = self.clock.now()
        prompter = self.pipeline.prompter
        payload = state_payload(self.wearer, now, snap, self.today(), prompter.next_prompt_at(), self.tz,
                                prompter.snapshot.last_prompt_at)
        self.publisher.publish(state_message(self.topics, payload))

    # --- timers ------------------------------------------------------------------------------
    def _reschedule_prompt(self) -> None:
        if not self.scheduler.running:
            return
        now = self.clock.now()
        due = self.pipeline.prompter.next_wakeup(now)
        job = self.scheduler.get_job("prompt")
        if due is None:
            # Nothing to wait for: no streak, or a due prompt now only waits for the samples that
            # cover its instant, which arrive through `samples()`.
            if job is not None:
                job.remove()
            return
        wall = datetime.now(UTC).timestamp() + self.clock.wall_delay(max(0.0, due - now))
        run_at = datetime.fromtimestamp(wall, UTC)
        if job is not None and abs(job.next_run_time.timestamp() - wall) < 0.05:
            return
        self.scheduler.add_job(self._on_prompt_timer, DateTrigger(run_at), id="prompt", replace_existing=True,
                               misfire_grace_time=None)

    async def _on_prompt_timer(self) -> None:
        # A coroutine, so APScheduler runs it on the daemon's loop and not in a worker thread.
        self._handle(self.pipeline.tick(self.clock.now()))

    async def _on_heartbeat(self) -> None:
        self.publish_state()

    async def _on_calendar(self) -> None:
        self.reload_calendar()

    async def _on_mailbox(self) -> None:
        self.process_mailbox()

    # --- lifecycle ---------------------------------------------------------------------------
    async def run(self, sources: Sequence[Source], stop: asyncio.Event,
                  extra: Sequence[Callable[[], Coroutine[Any, Any, Any]]] = ()) -> None:
        if self.publisher is not None:
            self.publisher.start()
        self.scheduler.add_job(self._on_heartbeat, IntervalTrigger(seconds=max(
            0.5, self.clock.wall_delay(HEARTBEAT_SECONDS))), id="heartbeat")
        if self.settings.schedule.calendar_file is not None:
            self.reload_calendar()
            self.scheduler.add_job(self._on_calendar, IntervalTrigger(seconds=max(
                1.0, self.clock.wall_delay(self.settings.schedule.calendar_refresh_minutes * 60))), id="calendar")
        # The mailbox is polled in wall time: people wait for their snooze, whatever the clock's speed.
        self.scheduler.add_job(self._on_mailbox, IntervalTrigger(seconds=1.0), id="mailbox")
        self.expire_waiting_commands()
        self.process_mailbox()
        self.scheduler.start()
        self._reschedule_prompt()
        tasks = [asyncio.create_task(source.run(self), name=f"source:{source.name}") for source in sources]
        tasks += [asyncio.create_task(factory()) for factory in extra]
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in [*tasks, stopper]:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self.scheduler.shutdown(wait=False)
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=3)
            self._handle(self.pipeline.finish())
            if self.publisher is not None:
                self.publisher.stop()
