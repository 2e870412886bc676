"""The fleet dashboard (dashboard.mode = "fleet") on real SQLite and PostgreSQL stores.

Two wearers' days go through the real pipeline into the store; each signs in with a token made by
`sitmon token add` and must never see the other's numbers, whatever they put in a URL. The admin sees
fleet health and aggregates that name nobody and are withheld under `dashboard.min_wearers` wearers.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pg_support import pg_schema
from playwright.async_api import async_playwright
from sqlalchemy import select
from test_dashboard import CHROMIUM_ARGS, OUTPUT, T0

from dashboard.app import create_app
from monitor.adapters.store import Store
from monitor.cli import cli
from monitor.clock import ManualClock
from monitor.config import Settings, parse_settings
from monitor.model import Activity, Bout, Event, EventType, Placement, Posture
from monitor.pipeline import Pipeline
from monitor.scripted_day import DEMO_DAY, ThighMotion
from monitor.tokens import dashboard_tokens
from monitor.tracker import TrackerRules

A, B = "wearer-alpha", "wearer-bravo"
TODAY = "2026-11-25"
JSON = {"Content-Type": "application/json"}


def replay(store: Store, wearer: str, script_start: float, minutes: float) -> None:
    """The demo script through the real pipeline into the store, for one wearer, from 09:00 (T0)."""
    pipeline = Pipeline(wearer, Placement.THIGH, TrackerRules())
    motion = ThighMotion(DEMO_DAY, script_start)
    t = T0
    while t < T0 + minutes * 60:
        step = pipeline.push(motion.samples(t, t + 30))
        store.record(wearer, step.output.bouts, step.output.events, pipeline.tracker.snapshot)
        t += 30


@dataclass
class Fleet:
    store: Store
    settings: Settings
    config: Path
    clock: ManualClock
    tokens: dict[str, str]

    def token(self, *args: str) -> str:
        result = CliRunner().invoke(cli, ["token", *args, "--config", str(self.config)])
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    def app(self) -> Any:
        return create_app(self.store, self.settings, self.clock)


def _settings(url: str) -> Settings:
    # A fleet dashboard may face the network: its logins are the per-wearer tokens, not a token file.
    return parse_settings({"wearer": {"id": "server", "name": "Server", "timezone": "UTC"},
                           "store": {"url": url}, "dashboard": {"mode": "fleet", "host": "0.0.0.0"}}, environ={})


@pytest.fixture(params=["sqlite", "postgresql"])
def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fleet]:
    with pg_schema() if request.param == "postgresql" else _sqlite(tmp_path) as url:
        store = Store.open(url)
        try:
            # B's script is half an hour ahead of A's, so their days differ second by second.
            replay(store, A, T0, 100)
            replay(store, B, T0 - 1800, 70)
            config = tmp_path / "sitmon.toml"
            config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
            f = Fleet(store, _settings(url), config, ManualClock(T0 + 100 * 60), {})
            f.tokens = {A: f.token("add", A), B: f.token("add", B), "admin": f.token("add", "--admin", "ops")}
            yield f
        finally:
            store.close()


class _sqlite:
    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'fleet.sqlite3'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_exc: object) -> None:
        return None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get_routes(client: TestClient, token: str) -> list[str]:
    spec = client.get("/openapi.json", headers=bearer(token)).json()
    return [p for p, ops in spec["paths"].items() if "get" in ops]


def test_a_wearer_sees_only_their_own_data_through_every_route(fleet: Fleet) -> None:
    client = TestClient(fleet.app())
    own = client.get("/api/v1/today", headers=bearer(fleet.tokens[A])).json()
    other = client.get("/api/v1/today", headers=bearer(fleet.tokens[B])).json()
    assert own["wearer"] == A and other["wearer"] == B
    assert own["totals"]["sitting_seconds"] != other["totals"]["sitting_seconds"]
    # Whatever names B in the request, A's answers stay A's and never carry B's id or numbers.
    tricks = {"wearer": B, "wearer_id": B, "id": B, "user": B, "date": TODAY, "from": "2026-11-20", "to": TODAY}
    fills = {"{day}": TODAY, "{stretch_id}": "glute-bridge"}
    checked = 0
    for route in _get_routes(client, fleet.tokens[A]):
        path = route
        for hole, value in fills.items():
            path = path.replace(hole, value)
        assert "{" not in path, f"a route this test does not know how to fill: {route}"
        response = client.get(path, params=tricks, headers=bearer(fleet.tokens[A]))
        assert B not in response.text, route
        if route == "/api/v1/fleet":
            assert response.status_code == 404  # admins only
        else:
            assert response.status_code in (200, 404), (route, response.text)
        checked += 1
    assert checked >= 10
    assert client.get("/api/v1/today", params=tricks, headers=bearer(fleet.tokens[A])).json()["totals"] == \
        own["totals"]
    day = client.get(f"/api/v1/days/{TODAY}", params={"wearer": B}, headers=bearer(fleet.tokens[A])).json()
    assert day["wearer"] == A and day["totals"]["sitting_seconds"] == own["totals"]["sitting_seconds"]
    export = client.get("/api/v1/export", params={"wearer": B}, headers=bearer(fleet.tokens[A]))
    assert f"sitmon-{A}-" in export.headers["content-disposition"]
    # No route takes a wearer id, so asking for B's data by name finds nothing.
    for path in (f"/api/v1/wearers/{B}/today", f"/{B}", f"/history/{B}", f"/api/v1/today/{B}"):
        assert client.get(path, headers=bearer(fleet.tokens[A])).status_code == 404, path


def test_pages_are_scoped_to_the_signed_in_wearer(fleet: Fleet) -> None:
    client = TestClient(fleet.app())
    login = client.get("/login")
    csrf = login.cookies.get("sitmon_csrf") or client.cookies.get("sitmon_csrf")
    signed_in = client.post("/login", data={"token": fleet.tokens[A], "csrf_token": csrf}, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    assert fleet.tokens[A] not in signed_in.headers["set-cookie"]
    for page in ("/", f"/?wearer={B}", "/history", f"/history/{TODAY}", "/suggestions", "/sensors",
                 "/stretches"):
        response = client.get(page)
        assert response.status_code == 200 and B not in response.text, page
    today = client.get("/").text
    assert f"Today, {A}" in today and "Snooze" not in today  # the central service takes no controls
    # Controls and settings belong to the service's operator.
    assert client.get("/settings").status_code == 403
    assert client.post("/actions/pause", data={"csrf_token": csrf}).status_code == 403
    for method, path, body in (("POST", "/api/v1/pause", None), ("POST", "/api/v1/snooze", {"minutes": 15}),
                               ("PUT", "/api/v1/settings", {"tracker": {"prompt_after_minutes": 45}})):
        assert client.request(method, path, json=body, headers=JSON).status_code == 403, path


def test_the_admin_sees_fleet_health_and_k_anonymous_aggregates_without_ids(fleet: Fleet) -> None:
    client = TestClient(fleet.app())
    admin = bearer(fleet.tokens["admin"])
    assert client.get("/api/v1/today", headers=admin).status_code == 404
    assert client.get(f"/api/v1/days/{TODAY}", headers=admin).status_code == 404
    assert client.get("/", headers=admin, follow_redirects=False).headers["location"] == "/admin"
    assert client.get("/history", headers=admin).status_code == 404
    assert client.get("/admin", headers=bearer(fleet.tokens[A])).status_code == 404
    health = client.get("/api/v1/fleet", headers=admin)
    assert health.status_code == 200 and A not in health.text and B not in health.text
    data = health.json()
    assert data["wearers_known"] == 2 and data["wearer_tokens"] == 2
    assert sum(c["count"] for c in data["last_data"]) == 2
    # Two wearers are fewer than five: every aggregate is withheld, and says so.
    assert all(a["withheld"] and a["value"] is None for a in data["aggregates"])
    page = client.get("/admin", headers=admin)
    assert page.status_code == 200 and "withheld" in page.text and A not in page.text and B not in page.text

    # Three more wearers make five: now the aggregates show, still naming no one.
    for i in range(3):
        wearer = f"wearer-extra-{i}"
        prompt = Event(f"p-{i}", EventType.PROMPT, T0 + 1800, wearer, {"streak_seconds": 1800, "number": 1})
        outcome = Event(f"o-{i}", EventType.PROMPT_OUTCOME, T0 + 1900, wearer,
                        {"prompt_id": f"p-{i}", "outcome": "answered" if i else "ignored"})
        fleet.store.record(wearer, [Bout(T0, T0 + 3600 * (i + 1), Activity.SIT, Posture.UPRIGHT)],
                           [prompt, outcome], None)
        fleet.store.record(wearer, [], [], fleet.store.snapshot(A))  # a live row: the wearer is known
    data = client.get("/api/v1/fleet", headers=admin).json()
    by_name = {a["name"]: a for a in data["aggregates"]}
    sitting = by_name["sitting_hours_per_day"]
    assert sitting["wearers"] == 5 and not sitting["withheld"] and 0 < sitting["value"] < 24
    answered = by_name["prompts_answered_share"]
    assert answered["wearers"] >= 3 and answered["withheld"] is (answered["wearers"] < 5)
    text = client.get("/admin", headers=admin).text
    assert "wearer-" not in text and "wearer-" not in client.get("/api/v1/fleet", headers=admin).text


def test_tokens_sessions_and_csrf(fleet: Fleet) -> None:
    client = TestClient(fleet.app())
    assert client.get("/api/v1/today").status_code == 401
    assert client.get("/api/v1/today", headers=bearer("smt_" + "x" * 43)).status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/api/v1/health").status_code == 200
    # The store holds digests only.
    with fleet.store.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(dashboard_tokens)) for v in row)
    assert all(t not in stored for t in fleet.tokens.values())
    csrf = client.get("/login").cookies.get("sitmon_csrf") or client.cookies.get("sitmon_csrf")
    # A login form without the form token, or from another site, is refused.
    assert client.post("/login", data={"token": fleet.tokens[A]}).status_code == 403
    assert client.post("/login", data={"token": fleet.tokens[A], "csrf_token": csrf},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/login", data={"token": "wrong", "csrf_token": csrf}).status_code == 401
    assert client.post("/login", data={"token": fleet.tokens[A], "csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    assert client.get("/api/v1/today").json()["wearer"] == A  # the session cookie serves the API too
    # Revoking ends the bearer token and every browser session made with it.
    fleet.token("revoke", A)
    assert client.get("/api/v1/today").status_code == 401
    assert client.get("/api/v1/today", headers=bearer(fleet.tokens[A])).status_code == 401
    # A new token for B replaces the old one.
    fresh = fleet.token("add", B)
    assert client.get("/api/v1/today", headers=bearer(fleet.tokens[B])).status_code == 401
    assert client.get("/api/v1/today", headers=bearer(fresh)).json()["wearer"] == B
    # What other parts of sitmon add to the dashboard (metrics) describes the service: admins only.
    probe = APIRouter()
    probe.add_api_route("/probe", lambda: {"service": "figures"}, methods=["GET"])
    with_probe = TestClient(create_app(fleet.store, fleet.settings, fleet.clock, extra_routers=[probe]))
    assert with_probe.get("/probe", headers=bearer(fresh)).status_code == 404
    assert with_probe.get("/probe", headers=bearer(fleet.tokens["admin"])).json() == {"service": "figures"}
    assert with_probe.get("/probe", follow_redirects=False).headers["location"] == "/login"
    result = CliRunner().invoke(cli, ["token", "revoke", "nobody", "--config", str(fleet.config)])
    assert result.exit_code != 0 and "no wearer token" in result.output
    listed = CliRunner().invoke(cli, ["token", "list", "--config", str(fleet.config)]).stdout
    assert "admin   ops" in listed and B in listed and A not in listed


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, Fleet]]:
    url = f"sqlite:///{tmp_path / 'fleet.sqlite3'}"
    store = Store.open(url)
    replay(store, A, T0, 60)
    replay(store, B, T0 - 1800, 60)
    config = tmp_path / "sitmon.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    f = Fleet(store, _settings(url), config, ManualClock(T0 + 3600), {})
    f.tokens = {A: f.token("add", A), "admin": f.token("add", "--admin", "ops")}
    # The socket listens before the server starts, so the browser's first connection waits in the
    # backlog instead of the test polling for the server to come up.
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(f.app(), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", f
    server.should_exit = True
    await task
    sock.close()
    store.close()


async def test_a_wearer_and_the_admin_sign_in_with_chromium(served: tuple[str, Fleet]) -> None:
    base, f = served
    OUTPUT.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        await page.goto(base)
        assert page.url.endswith("/login")
        await page.fill("#token", f.tokens[A])
        await page.click("button[type=submit]")
        await page.wait_for_url(base + "/")
        assert await page.locator("h1").inner_text() == f"Today, {A}"
        assert B not in await page.content()
        await page.screenshot(path=str(OUTPUT / "fleet-wearer.png"), full_page=True)
        await page.click("form.signout button")
        await page.wait_for_url(base + "/login")
        await page.fill("#token", f.tokens["admin"])
        await page.click("main button[type=submit]")
        await page.wait_for_url(base + "/admin")
        assert await page.locator("h1").inner_text() == "Fleet"
        content = await page.content()
        assert "withheld" in content and A not in content and B not in content
        await page.screenshot(path=str(OUTPUT / "fleet-admin.png"), full_page=True)
        await browser.close()
        assert errors == []
