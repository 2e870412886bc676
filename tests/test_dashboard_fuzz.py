"""Schemathesis against /openapi.json: generated requests, valid and not, never get a server error."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from test_dashboard import SETTINGS, fill

from dashboard.app import create_app
from monitor.adapters.store import Store
from monitor.clock import ManualClock


def test_api_never_answers_with_a_server_error(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'sitmon.sqlite3'}")
    clock = ManualClock(fill(store, 40))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(store, SETTINGS, clock))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    calls: list[int] = []
    for operation in operations:
        # Bounded: a few examples per operation keeps the whole run to seconds on two cores.
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call()
            calls.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        no_server_error()
    store.close()
    assert len(calls) > 3 * len(operations) and any(code < 300 for code in calls)
