"""`GET /metrics` for the dashboard app, in Prometheus text format.

Inside the daemon it renders the live registry. A dashboard in its own process (its own unit) serves
the daemon's last `metrics.prom` instead, which the daemon rewrites every few seconds; its age is
added as `sitmon_metrics_file_age_seconds` so a stale file can be alerted on.
"""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import Response

from monitor.config import Settings
from monitor.metrics import CONTENT_TYPE, DAEMON_RUNNING, REGISTRY
from monitor.status_file import METRICS_NAME, state_dir


def metrics_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    path = state_dir(settings) / METRICS_NAME

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        if DAEMON_RUNNING.value() == 1:
            return Response(REGISTRY.render(), media_type=CONTENT_TYPE)
        try:
            text = path.read_text(encoding="utf-8")
            age = time.time() - path.stat().st_mtime
        except OSError:
            return Response("# the daemon has not written its metrics yet\n" + REGISTRY.render(),
                            media_type=CONTENT_TYPE)
        extra = ("# HELP sitmon_metrics_file_age_seconds Age of the daemon's metrics file.\n"
                 "# TYPE sitmon_metrics_file_age_seconds gauge\n"
                 f"sitmon_metrics_file_age_seconds {age:.1f}\n")
        return Response(text + extra, media_type=CONTENT_TYPE)

    return router
