"""The dashboard against a store filled by a replayed day: JSON API in-process, pages in real Chromium."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.async_api import async_playwright
from support import free_port

from dashboard.app import create_app
from monitor.adapters.store import Store
from monitor.clock import ManualClock
from monitor.config import parse_settings
from monitor.model import Activity, Placement
from monitor.pipeline import Pipeline
from monitor.scripted_day import DEMO_DAY, ThighMotion, seconds_of
from monitor.tracker import TrackerRules

T0 = 1_795_597_200.0  # 2026-11-25 09:00 UTC
OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "dashboard"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
SETTINGS = parse_settings({"wearer": {"id": "w", "name": "Robin", "timezone": "UTC"}}, environ={})


def fill(store: Store, minutes: float) -> float:
    """Replay the demo script through the real pipeline into the store; return the replay's end."""
    pipeline = Pipeline("w", Placement.THIGH, TrackerRules())
    motion = ThighMotion(DEMO_DAY, T0)
    t = T0
    while t < T0 + minutes * 60:
        step = pipeline.push(motion.samples(t, t + 30))
        store.record("w", step.output.bouts, step.output.events, pipeline.tracker.snapshot)
        t += 30
    return t


@pytest.fixture
def filled(store: Store) -> tuple[Store, ManualClock]:
    end = fill(store, 100)
    return store, ManualClock(end)


def test_today_api_reports_the_replayed_day(filled):
    store, clock = filled
    client = TestClient(create_app(store, SETTINGS, clock))
    day = client.get("/api/v1/today").json()
    expected = seconds_of(DEMO_DAY, Activity.SIT, until=100 * 60)
    assert abs(day["totals"]["sitting_seconds"] - expected) <= 0.02 * expected
    assert day["totals"]["prompts"] == 2 and len(day["prompts"]) == 2
    assert day["current"]["activity"] == "sit" and day["current"]["streak_seconds"] > 0
    assert day["now"].startswith("2026-11-25T10:40")
    prompts = client.get("/api/v1/events", params={"type": "prompt"}).json()
    assert [e["type"] for e in prompts] == ["prompt", "prompt"]


def test_api_errors_are_json_with_a_message(filled):
    store, clock = filled
    client = TestClient(create_app(store, SETTINGS, clock))
    bad = client.get("/api/v1/events", params={"type": "nonsense"})
    assert bad.status_code == 422 and "detail" in bad.json()
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "Not Found"
    assert client.get("/openapi.json").json()["info"]["title"] == "sitmon"
    assert client.get("/api/v1/health").json()["status"] == "ok"


def test_pages_carry_a_strict_content_security_policy(filled):
    store, clock = filled
    response = TestClient(create_app(store, SETTINGS, clock)).get("/")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_an_empty_store_shows_a_friendly_page(store):
    response = TestClient(create_app(store, SETTINGS, ManualClock(T0))).get("/")
    assert response.status_code == 200 and "No data yet today" in response.text


@pytest.fixture
async def served(filled) -> AsyncIterator[str]:
    store, clock = filled
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, SETTINGS, clock), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.mark.parametrize(("width", "height", "scheme"), [
    (1280, 900, "light"), (1280, 900, "dark"), (390, 844, "light"), (390, 844, "dark")])
async def test_today_page_in_chromium(served, width, height, scheme):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        await page.goto(served)
        assert await page.title() == "Today · sitmon"
        assert await page.locator("h1").inner_text() == "Today, Robin"
        sitting = await page.locator("#sitting").inner_text()
        assert sitting.startswith("1 h ")
        assert await page.locator("#prompts").inner_text() == "2"
        assert await page.locator(".timeline rect.bout").count() > 5
        assert await page.locator(".timeline rect.mark").count() == 2
        # Keyboard: the skip link is the first stop.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        await page.get_by_text("Timeline as a table").click()
        assert await page.locator("details table tbody tr").count() > 5
        # Live refresh runs without errors (CSP allows only our own script).
        await page.wait_for_function("document.getElementById('now').textContent.length === 5")
        await page.screenshot(path=str(OUTPUT / f"today-{width}x{height}-{scheme}.png"), full_page=True)
        await browser.close()
    assert errors == []


def test_the_api_reference_is_served_offline(filled):
    store, clock = filled
    page = TestClient(create_app(store, SETTINGS, clock)).get("/api/docs")
    assert page.status_code == 200
    assert "GET /api/v1/today" in page.text and "/openapi.json" in page.text
    assert "http://" not in page.text.replace("http://testserver", "") and "https://" not in page.text
