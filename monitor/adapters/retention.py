"""Retention: forget what is older than the settings say. Bouts and events are kept forever by default;
raw recordings (large, only for calibration and replay) for 30 days."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete

from monitor.schema import bouts, events, revisions

from .store import Store

log = logging.getLogger(__name__)
DAY = 86_400.0
RAW_SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class Pruned:
    bouts: int = 0
    events: int = 0
    recordings: int = 0


def prune(store: Store, recordings: Path | None, now: float, keep_days: float, raw_keep_days: float,
          files_now: float | None = None) -> Pruned:
    """Delete bouts, events and revision notes that ended more than `keep_days` ago (0: keep them)
    and raw recording files last written more than `raw_keep_days` ago (0: keep them). `now` is
    epoch seconds on the daemon's clock (the stored times); `files_now` is wall time for file ages,
    `now` if not given."""
    removed_bouts = removed_events = removed_files = 0
    if keep_days > 0:
        cutoff = now - keep_days * DAY
        with store.engine.begin() as conn:
            removed_bouts = conn.execute(delete(bouts).where(bouts.c.end < cutoff)).rowcount or 0
            removed_events = conn.execute(delete(events).where(events.c.t < cutoff)).rowcount or 0
            # The notes on when the day was judged again go with the bouts they were about.
            conn.execute(delete(revisions).where(revisions.c.end < cutoff))
    if raw_keep_days > 0 and recordings is not None and recordings.is_dir():
        cutoff = (now if files_now is None else files_now) - raw_keep_days * DAY
        for path in sorted(recordings.iterdir()):
            if path.is_file() and path.name.endswith(RAW_SUFFIXES) and path.stat().st_mtime < cutoff:
                path.unlink()
                removed_files += 1
    result = Pruned(removed_bouts, removed_events, removed_files)
    if result != Pruned():
        log.info("retention removed %d bouts, %d events and %d raw recordings", *vars(result).values())
    return result
