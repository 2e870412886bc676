"""The dashboard's API, controls, settings and security against a real SQLite store filled by a replayed day."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_dashboard import SETTINGS, T0, fill

from dashboard.app import create_app
from dashboard.control import StoreControl
from monitor.adapters import mailbox
from monitor.adapters.store import Store
from monitor.clock import ManualClock
from monitor.config import parse_settings
from monitor.errors import ConfigError
from monitor.model import Activity, Bout, Event, EventType, Posture

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def filled(store: Store) -> tuple[Store, ManualClock]:
    end = fill(store, 100)
    return store, ManualClock(end)


@pytest.fixture
def client(filled: tuple[Store, ManualClock]) -> TestClient:
    store, clock = filled
    return TestClient(create_app(store, SETTINGS, clock))


def test_today_reports_posture_and_the_controls(client):
    day = client.get("/api/v1/today").json()
    totals = day["totals"]
    # A thigh sensor cannot see the trunk, so the replayed day's posture is mostly unknown.
    assert totals["upright_seconds"] + totals["slumped_seconds"] <= totals["sitting_seconds"]
    assert day["status"] == {"paused": False, "snoozed_until": None, "wearables": [
        {"name": "thigh", "kind": "emulated", "placement": "thigh", "connected": None, "battery_percent": None,
         "last_data_at": day["current"]["last_data_at"], "calibration_requested_at": None,
         "calibrated_at": None}]}


def test_prompts_show_how_they_were_answered(store):
    prompts = [Event(f"p{i}", EventType.PROMPT, T0 + 1800 * i, "w", {"streak_seconds": 1800, "number": 1})
               for i in (1, 2, 3)]
    outcomes = [Event("o1", EventType.PROMPT_OUTCOME, T0 + 1900, "w", {"prompt_id": "p1", "outcome": "answered"}),
                Event("o2", EventType.PROMPT_OUTCOME, T0 + 3900, "w", {"prompt_id": "p2", "outcome": "snoozed"})]
    store.record("w", [Bout(T0, T0 + 6000, Activity.SIT, Posture.SLUMPED)], prompts + outcomes, None)
    client = TestClient(create_app(store, SETTINGS, ManualClock(T0 + 6000)))
    day = client.get("/api/v1/today").json()
    assert [p["outcome"] for p in day["prompts"]] == ["answered", "snoozed", None]
    assert day["totals"]["slumped_seconds"] == 6000
    page = client.get("/").text
    assert "answered" in page and "no answer recorded" in page and "0 % upright" in page


def test_a_day_holds_its_bouts_and_an_empty_day_is_empty(client):
    day = client.get("/api/v1/days/2026-11-25").json()
    assert day["bouts"][0]["start"].startswith("2026-11-25T09:00") and len(day["bouts"]) > 5
    empty = client.get("/api/v1/days/2026-11-20").json()
    assert empty["bouts"] == [] and empty["totals"]["sitting_seconds"] == 0
    bad = client.get("/api/v1/days/2026-02-30")
    assert bad.status_code == 422 and "not a date" in bad.json()["error"]


def _year_of_days(store: Store, days: int) -> None:
    """Simple synthetic days: sit 50 min, walk 5, repeated from 09:00 to 17:00, with break events."""
    for d in range(days):
        start = T0 - (d + 1) * 86400
        bouts, events = [], []
        for block in range(8):
            s = start + block * 3600
            bouts += [Bout(s, s + 3000, Activity.SIT, Posture.SLUMPED if block % 2 else Posture.UPRIGHT),
                      Bout(s + 3000, s + 3300, Activity.MOVE, Posture.UNKNOWN)]
            events.append(Event(f"b{d}-{block}", EventType.BREAK_TAKEN, s + 3060, "w", {"streak_seconds": 3000}))
        store.record("w", bouts, events, None)


def test_history_counts_long_streaks_breaks_and_the_goal(filled):
    store, clock = filled
    _year_of_days(store, 10)
    client = TestClient(create_app(store, SETTINGS, clock))
    history = client.get("/api/v1/history", params={"from": "2026-11-16", "to": "2026-11-25"}).json()
    assert [d["date"] for d in history["days"]][:2] == ["2026-11-16", "2026-11-17"] and len(history["days"]) == 10
    past = history["days"][-2]
    assert past["sitting_seconds"] == 8 * 3000 and past["breaks"] == 8 and past["streaks_over_30"] == 8
    assert past["streaks_over_60"] == 0 and past["over_goal"] is True and past["breaks_per_sitting_hour"] == 1.2
    assert history["goal_seconds"] == 6 * 3600
    assert sum(w["days_tracked"] for w in history["weeks"]) == 10


def test_history_cache_sees_rows_written_after_it_filled(filled):
    store, clock = filled
    client = TestClient(create_app(store, SETTINGS, clock))
    params = {"from": "2026-11-20", "to": "2026-11-25"}
    before = client.get("/api/v1/history", params=params).json()["days"][0]
    assert before["sitting_seconds"] == 0
    store.record("w", [Bout(T0 - 5 * 86400, T0 - 5 * 86400 + 600, Activity.SIT, Posture.UPRIGHT)], [], None)
    after = client.get("/api/v1/history", params=params).json()["days"][0]
    assert after["sitting_seconds"] == 600


def test_history_rejects_bad_ranges_with_a_message(client):
    assert "after" in client.get("/api/v1/history", params={"from": "2026-11-25", "to": "2026-11-01"}).json()["error"]
    assert "at most" in client.get("/api/v1/history", params={"from": "2024-01-01", "to": "2026-11-01"}).json()["error"]
    assert client.get("/api/v1/history", params={"from": "yesterday"}).status_code == 422


def test_export_as_csv_and_json(client):
    response = client.get("/api/v1/export", params={"format": "csv", "from": "2026-11-24", "to": "2026-11-25"})
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="sitmon-w-2026-11-24-2026-11-25.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["date"] for r in rows] == ["2026-11-24", "2026-11-25"] and int(rows[1]["sitting_seconds"]) > 3000
    data = client.get("/api/v1/export", params={"format": "json", "from": "2026-11-25", "to": "2026-11-25"}).json()
    assert data["days"][0]["sitting_seconds"] == int(rows[1]["sitting_seconds"])


def test_stretches_and_the_suggestion_with_its_reason(client):
    library = client.get("/api/v1/stretches").json()
    assert len(library) >= 8 and all(s["steps"] and s["cautions"] and s["dose"]["text"] for s in library)
    assert client.get("/api/v1/stretches/dead-bug").json()["dose"]["text"] == "2 sets of 10 per side"
    assert client.get("/api/v1/stretches/nope").status_code == 404
    routine = client.get("/api/v1/suggestion").json()
    assert routine["reason"] and len(routine["stretches"]) >= 3


def test_snooze_pause_resume_and_calibrate_become_commands_for_the_daemon(filled):
    store, clock = filled
    client = TestClient(create_app(store, SETTINGS, clock))
    status = client.post("/api/v1/snooze", json={"minutes": 30}).json()
    assert status["snoozed_until"].startswith("2026-11-25T11:10")
    assert client.post("/api/v1/pause").json()["paused"] is True
    assert client.post("/api/v1/resume").json() == {**status, "snoozed_until": None, "paused": False}
    calibrating = client.post("/api/v1/calibrate", json={"wearable": "thigh"}).json()["wearables"][0]
    assert calibrating["calibration_requested_at"] and calibrating["calibrated_at"] is None
    pending = mailbox.pending(store.engine, "w")
    assert [c.name for c in pending] == ["snooze", "pause", "resume", "calibrate"]
    mailbox.finish(store.engine, pending[-1].id, "done", clock.now() + 60)
    assert client.get("/api/v1/status").json()["wearables"][0]["calibrated_at"]
    assert mailbox.pending(store.engine, "w")[-1].name == "resume"


def test_bad_control_requests_are_refused_with_a_message(client):
    assert client.post("/api/v1/snooze", json={"minutes": 0}).status_code == 422
    assert client.post("/api/v1/snooze", json={"minutes": "soon"}).json()["problems"]
    unknown = client.post("/api/v1/calibrate", json={"wearable": "wrist"})
    assert unknown.status_code == 422 and "no wearable named 'wrist'" in unknown.json()["error"]


def test_settings_are_validated_all_or_nothing_and_kept_in_the_store(filled):
    store, clock = filled
    client = TestClient(create_app(store, SETTINGS, clock))
    bad = client.put("/api/v1/settings", json={"tracker": {"prompt_after_minutes": -5, "break_seconds": 90},
                                               "schedule": {"quiet_hours": ["22:00-25:00"]},
                                               "mqtt": {"host": "evil"}})
    problems = bad.json()["problems"]
    assert bad.status_code == 422 and "mqtt: not a setting the dashboard can change" in problems
    bad = client.put("/api/v1/settings", json={"tracker": {"prompt_after_minutes": -5, "break_seconds": 90},
                                               "schedule": {"quiet_hours": ["22:00-25:00"]}})
    problems = bad.json()["problems"]
    assert any(p.startswith("tracker.prompt_after_minutes:") for p in problems)
    assert any(p.startswith("schedule.quiet_hours") for p in problems)
    assert client.get("/api/v1/settings").json()["tracker"]["break_seconds"] == 60
    good = client.put("/api/v1/settings", json={"tracker": {"prompt_after_minutes": 45}})
    assert good.json()["tracker"]["prompt_after_minutes"] == 45
    # A fresh control over the same store (the daemon's view) sees the saved change.
    assert StoreControl(store, SETTINGS, clock).settings().tracker.prompt_after_minutes == 45
    refused = client.put("/api/v1/settings", json={"dashboard": {"host": "0.0.0.0"}})
    assert "dashboard.host: set in the configuration file only" in refused.json()["problems"]


def test_api_writes_take_only_json(client):
    response = client.post("/api/v1/snooze", content="minutes=30",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and "JSON" in response.json()["error"]


def test_cross_site_writes_are_refused(client):
    response = client.post("/api/v1/pause", headers={"Origin": "http://evil.example", **JSON})
    assert response.status_code == 403
    assert client.post("/api/v1/pause", headers={"Sec-Fetch-Site": "cross-site", **JSON}).status_code == 403
    assert client.post("/api/v1/pause", headers={"Origin": "http://testserver", **JSON}).status_code == 200


def test_forms_need_the_csrf_token_of_this_browser(client):
    page = client.get("/")
    token = page.cookies.get("sitmon_csrf") or client.cookies.get("sitmon_csrf")
    assert token and f'value="{token}"' in page.text
    forged = client.post("/actions/pause", data={"csrf_token": "guess"}, follow_redirects=False)
    assert forged.status_code == 403 and "expired" in forged.text
    done = client.post("/actions/pause", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/?notice=paused"


def test_settings_form_with_errors_keeps_what_was_typed(client):
    client.get("/settings")
    token = client.cookies["sitmon_csrf"]
    response = client.post("/settings", data={"csrf_token": token, "tracker.prompt_after_minutes": "-3",
                                              "tracker.repeat_minutes": "12", "notify.desktop": "on"})
    assert response.status_code == 422 and "Nothing was saved" in response.text
    assert 'value="-3"' in response.text and 'value="12"' in response.text
    assert "tracker.prompt_after_minutes: Input should be greater than 0" in response.text


def test_templates_escape_data(store):
    settings = parse_settings({"wearer": {"id": "w", "name": "<script>alert(1)</script>", "timezone": "UTC"}},
                              environ={})
    page = TestClient(create_app(store, settings, ManualClock(T0))).get("/")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_network_address_without_a_token_refuses_to_start(store):
    settings = parse_settings({"dashboard": {"host": "0.0.0.0"}}, environ={})
    with pytest.raises(ConfigError, match=r"dashboard\.token_file: required"):
        create_app(store, settings, ManualClock(T0))


def test_with_a_token_every_request_must_carry_it(store, tmp_path: Path):
    token = "a-long-enough-test-token-1234"
    (tmp_path / "token").write_text(token + "\n")
    settings = parse_settings({"dashboard": {"host": "0.0.0.0", "token_file": str(tmp_path / "token")}},
                              environ={})
    client = TestClient(create_app(store, settings, ManualClock(T0)))
    assert client.get("/api/v1/today").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/today", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    client.get("/login")
    wrong = client.post("/login", data={"csrf_token": client.cookies["sitmon_csrf"], "token": "nope"})
    assert wrong.status_code == 401
    right = client.post("/login", data={"csrf_token": client.cookies["sitmon_csrf"], "token": token},
                        follow_redirects=False)
    assert right.status_code == 303 and token not in right.headers["set-cookie"]
    assert client.get("/").status_code == 200


def test_a_short_or_missing_token_file_is_a_config_error(store, tmp_path: Path):
    (tmp_path / "short").write_text("abc")
    for path in (tmp_path / "short", tmp_path / "missing"):
        settings = parse_settings({"dashboard": {"token_file": str(path)}}, environ={})
        with pytest.raises(ConfigError, match=r"dashboard\.token_file"):
            create_app(store, settings, ManualClock(T0))


def test_other_parts_can_add_routes(store):
    from fastapi import APIRouter

    extra = APIRouter()

    @extra.get("/metrics")
    def metrics() -> dict[str, int]:
        return {"up": 1}

    client = TestClient(create_app(store, SETTINGS, ManualClock(T0), extra_routers=[extra]))
    response = client.get("/metrics")
    assert response.json() == {"up": 1} and "default-src 'none'" in response.headers["content-security-policy"]
