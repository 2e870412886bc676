"""Push notifications against a local HTTP server standing in for ntfy or a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.adapters.notifiers import PushNotifier, prompt_text
from monitor.model import Event, EventType

PROMPT = Event("p1", EventType.PROMPT, 1_795_599_000.0, "w", {
    "number": 1, "streak_seconds": 1800, "movement": "Stand up and move for 2-3 minutes.",
    "stretch": {"id": "standing-marching", "name": "Standing marching", "dose": "10 per side"}})


class Receiver:
    def __init__(self, failures: int = 0, status: int = 500) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.failures = failures
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                code = status if receiver.failures > 0 else 200
                receiver.failures -= 1
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sitmon-topic"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


async def test_ntfy_format_carries_title_and_text(receiver):
    title, body = prompt_text(PROMPT)
    assert await PushNotifier(receiver.url, "ntfy", retry_delay=0).notify(title, body, PROMPT)
    [(headers, data)] = receiver.requests
    assert headers["Title"] == "Time to move" and headers["Priority"] == "high"
    assert data.decode().startswith("You have been sitting for 30 minutes. Stand up and move")
    assert "Standing marching" in data.decode()


async def test_json_format_posts_the_mqtt_event_payload(receiver):
    assert await PushNotifier(receiver.url, "json", retry_delay=0).notify("t", "b", PROMPT)
    payload = json.loads(receiver.requests[0][1])
    assert payload["id"] == "p1" and payload["type"] == "prompt" and payload["schema"] == 1


async def test_server_errors_are_retried_then_succeed():
    r = Receiver(failures=2, status=503)
    try:
        assert await PushNotifier(r.url, retry_delay=0).notify("t", "b", PROMPT)
        assert len(r.requests) == 3
    finally:
        r.close()


async def test_a_refused_request_is_not_retried_and_does_not_raise(caplog):
    r = Receiver(failures=5, status=403)
    try:
        assert await PushNotifier(r.url, retry_delay=0).notify("t", "b", PROMPT) is False
        assert len(r.requests) == 1
    finally:
        r.close()
    assert "HTTP 403" in caplog.text and r.url not in caplog.text  # the URL is a secret


async def test_an_unreachable_receiver_is_reported_not_raised(caplog):
    r = Receiver()
    url = r.url
    r.close()
    assert await PushNotifier(url, retry_delay=0).notify("t", "b", PROMPT) is False
    assert "push notification failed after 3 attempt(s)" in caplog.text


def test_a_non_http_url_is_refused():
    with pytest.raises(ValueError, match="http"):
        PushNotifier("file:///etc/passwd")
