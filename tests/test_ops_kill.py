"""kill -9 at random points of a replayed day: the store always opens, its totals hold together, and
every step the daemon saw committed is still there. One real daemon process per kill."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

from monitor.adapters.store import Store
from monitor.model import Activity
from monitor.scripted_day import DEMO_DAY, script_seconds, seconds_of

HERE = Path(__file__).resolve().parent
T0 = 1_795_597_200.0  # 09:00 UTC
# Long enough that the fifty short runs cannot finish it even on an idle, fast machine: each child
# runs at most MAX_RUN wall seconds, and a replay covers roughly one to two hours of the day per second.
DAY_SECONDS = 24 * 3600.0
KILLS = 50
# The longest a child runs before its kill, after its first commit.
MAX_RUN = 0.2
# Each restart may misplace a bout edge by the classifier's warm-up; fifty of them, a few seconds each.
SITTING_TOLERANCE = 0.03


def _check_store(db: Path, journal: Path) -> dict[str, float]:
    """Open the store as the daemon would, then check it against everything journaled as committed."""
    Store.open(f"sqlite:///{db}").close()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        bouts = conn.execute("SELECT start, \"end\", activity FROM bouts WHERE wearer = 'replay' "
                             "ORDER BY start").fetchall()
        event_ids = {r[0] for r in conn.execute("SELECT id FROM events")}
        prompts = [r[0] for r in conn.execute("SELECT t FROM events WHERE type = 'prompt' ORDER BY t")]
        row = conn.execute("SELECT t FROM live_state WHERE wearer = 'replay'").fetchone()
    finally:
        conn.close()
    stored = {(s, e, a) for s, e, a in bouts}
    last_t = row[0] if row else None
    for line in journal.read_text().splitlines():
        step = json.loads(line)
        assert {tuple(b) for b in step["bouts"]} <= stored, "a committed bout is missing"
        assert set(step["events"]) <= event_ids, "a committed event is missing"
        if step["t"] is not None:
            assert last_t is not None and last_t >= step["t"], "the snapshot went back in time"
    for (s1, e1, _), (s2, _e2, _) in pairwise(bouts):
        assert e1 > s1
        assert s2 >= e1 - 1e-6, f"bouts overlap at {s2 - T0:.0f} s"
    assert len(prompts) == len(set(prompts)), "a prompt was issued twice"
    sitting = sum(e - s for s, e, a in bouts if a == Activity.SIT.value)
    return {"sitting": sitting, "last_t": last_t or T0, "prompts": len(prompts)}


def test_fifty_kills_during_a_replayed_day_lose_nothing_committed(tmp_path):
    db, journal = tmp_path / "replay.sqlite3", tmp_path / "journal.jsonl"
    rng = random.Random(8)
    started = time.monotonic()
    with (tmp_path / "zygote.log").open("w") as errors:
        zygote = subprocess.Popen([sys.executable, str(HERE / "ops_replay.py"), str(db), str(journal), str(T0),
                                   str(DAY_SECONDS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=errors, text=True)
    try:
        assert zygote.stdout.readline() == "ready\n"  # type: ignore[union-attr]
        kills, progress = 0, []
        while kills < KILLS:
            zygote.stdin.write("run\n")  # type: ignore[union-attr]
            zygote.stdin.flush()  # type: ignore[union-attr]
            pid = int(zygote.stdout.readline().split()[1])  # type: ignore[union-attr]
            cue = zygote.stdout.readline().split()  # type: ignore[union-attr]
            assert cue[0] == "started", f"the child stopped before its first commit: {cue}"
            time.sleep(rng.uniform(0, MAX_RUN))  # the kill point, not a wait: a random instant of the run
            with contextlib.suppress(ProcessLookupError):  # it may have just finished
                os.kill(pid, signal.SIGKILL)
            _, _, status = zygote.stdout.readline().split()  # type: ignore[union-attr]
            assert os.WIFSIGNALED(int(status)) and os.WTERMSIG(int(status)) == signal.SIGKILL, \
                "the replay ended before the kill: make DAY_SECONDS longer"
            kills += 1
            progress.append(_check_store(db, journal)["last_t"])
        assert progress[-1] - T0 < DAY_SECONDS and progress == sorted(progress)

        # The last daemon finishes the day undisturbed.
        zygote.stdin.write("run\n")  # type: ignore[union-attr]
        zygote.stdin.flush()  # type: ignore[union-attr]
        pid = int(zygote.stdout.readline().split()[1])  # type: ignore[union-attr]
        assert zygote.stdout.readline().split()[0] == "started"  # type: ignore[union-attr]
        assert zygote.stdout.readline().split() == ["exit", str(pid), "0"]  # type: ignore[union-attr]
    finally:
        zygote.stdin.close()  # type: ignore[union-attr]
        zygote.wait(30)
        zygote.stdout.close()  # type: ignore[union-attr]

    final = _check_store(db, journal)
    assert kills == KILLS
    assert final["last_t"] >= T0 + DAY_SECONDS - 1
    cycles, rest = divmod(DAY_SECONDS, script_seconds(DEMO_DAY))  # the script repeats through the day
    expected = cycles * seconds_of(DEMO_DAY, Activity.SIT) + seconds_of(DEMO_DAY, Activity.SIT, until=rest)
    assert abs(final["sitting"] - expected) <= SITTING_TOLERANCE * expected
    assert final["prompts"] >= 4
    print(f"{(progress[-1] - T0) / 3600:.1f} h of the day under the kills; "
          f"{kills} kills, sitting {final['sitting'] / 60:.1f} min (script {expected / 60:.1f}), "
          f"{final['prompts']} prompts, {time.monotonic() - started:.1f} s")
