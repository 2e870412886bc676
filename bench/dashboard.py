"""Dashboard latency with a year of history for one wearer: p50/p95 of Today page, Today API, History API.

Run from the repository root:

    .venv/bin/python bench/dashboard.py [--days 365] [--requests 200] [--db PATH]

Fills a fresh SQLite store (WAL, synchronous=FULL, as the daemon runs it) with a year of working days
drawn from a seeded generator: sitting spells of 10-80 minutes, upright and slumped in turn, broken
by short stands and walks, with the events the tracker writes (sitting started, breaks with their
streak length, prompts and their outcomes). Then it serves the dashboard with uvicorn on a free
loopback port and times real HTTP requests, one at a time, after a few warm-up requests.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dashboard.app import create_app  # noqa: E402
from monitor.adapters.store import Store  # noqa: E402
from monitor.clock import ManualClock  # noqa: E402
from monitor.config import parse_settings  # noqa: E402
from monitor.model import Activity, Bout, Event, EventType, Posture, event_id  # noqa: E402
from monitor.tracker import TrackerSnapshot  # noqa: E402

WEARER = "bench"


def working_day(start: float, rng: random.Random, until: float | None = None) -> tuple[list[Bout], list[Event]]:
    """One day from 08:30 to about 18:00: bouts and the events the tracker would have written."""
    bouts: list[Bout] = []
    events: list[Event] = []
    seq = 0

    def event(type_: EventType, t: float, data: dict[str, object]) -> Event:
        nonlocal seq
        seq += 1
        return Event(event_id(WEARER, type_, t, seq), type_, t, WEARER, data)

    t = start + 8.5 * 3600 + rng.uniform(-1800, 1800)
    end = start + 18 * 3600 + rng.uniform(-3600, 3600)
    if until is not None:
        end = min(end, until)
    while t < end:
        spell = rng.uniform(10, 80) * 60
        streak_start = t
        events.append(event(EventType.SITTING_STARTED, t, {}))
        spell_end = min(t + spell, end)
        prompt_at = streak_start + 1800
        while t < spell_end:
            chunk = min(rng.uniform(3, 15) * 60, spell_end - t)
            posture = Posture.SLUMPED if rng.random() < 0.3 else Posture.UPRIGHT
            bouts.append(Bout(t, t + chunk, Activity.SIT, posture))
            t += chunk
            if t < spell_end and rng.random() < 0.3:  # reaching for a file: too short to be a break
                bouts.append(Bout(t, t + 20, Activity.STAND, Posture.UNKNOWN))
                t += 20
            while prompt_at < t:
                prompt = event(EventType.PROMPT, prompt_at, {"streak_seconds": round(prompt_at - streak_start),
                                                             "number": 1})
                outcome = rng.choice(["answered", "snoozed", "ignored"])
                events += [prompt, event(EventType.PROMPT_OUTCOME, prompt_at + 120,
                                         {"prompt_id": prompt.id, "outcome": outcome})]
                prompt_at += 600
        if t >= end:
            break
        away = rng.uniform(1, 12) * 60
        bouts += [Bout(t, t + away / 2, Activity.STAND, Posture.UNKNOWN),
                  Bout(t + away / 2, t + away, Activity.MOVE, Posture.UNKNOWN)]
        events.append(event(EventType.BREAK_TAKEN, t + 60, {"streak_seconds": round(t - streak_start)}))
        t += away
    return bouts, events


def fill(store: Store, days: int, now: float, seed: int = 7) -> int:
    rng = random.Random(seed)
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    count = 0
    for back in range(days, -1, -1):
        start = (today - timedelta(days=back)).timestamp()
        if (today - timedelta(days=back)).weekday() >= 5 and back:
            continue
        bouts, events = working_day(start, rng, until=now if back == 0 else None)
        snapshot = None
        if back == 0 and bouts:
            last = bouts[-1]
            snapshot = TrackerSnapshot(last_t=now - 1, activity=Activity.SIT, posture=Posture.UPRIGHT,
                                       confidence=0.9, bout_start=last.end, streak_start=last.end)
        store.record(WEARER, bouts, events, snapshot)
        count += len(bouts)
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timings(client: httpx.Client, path: str, requests: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        client.get(path).raise_for_status()
    out = []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", type=Path, help="SQLite file to fill (default: a temporary one)")
    args = parser.parse_args(argv)

    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC).timestamp()
    folder = tempfile.TemporaryDirectory()
    path = args.db or Path(folder.name) / "bench.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    t0 = time.perf_counter()
    bouts = fill(store, args.days, now)
    print(f"filled {args.days} days ({bouts} bouts) in {time.perf_counter() - t0:.1f} s")

    settings = parse_settings({"wearer": {"id": WEARER, "name": "Bench", "timezone": "Europe/Berlin"}}, environ={})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, settings, ManualClock(now)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    year_ago = (datetime.fromtimestamp(now, UTC) - timedelta(days=args.days)).date().isoformat()
    cases = [("Today page        GET /", "/"),
             ("Today API         GET /api/v1/today", "/api/v1/today"),
             ("History API       GET /api/v1/history (28 days)", "/api/v1/history"),
             ("History API, year GET /api/v1/history?from=...", f"/api/v1/history?from={year_ago}")]
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            t0 = time.perf_counter()
            client.get(f"/api/v1/history?from={year_ago}").raise_for_status()
            print(f"first year of history (cold cache): {(time.perf_counter() - t0) * 1000:.0f} ms")
            print(f"{'request':50} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for name, target in cases:
                ms = timings(client, target, args.requests)
                print(f"{name:50} {statistics.median(ms):8.1f} {percentile(ms, 0.95):8.1f} {max(ms):8.1f}")
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()
        folder.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
