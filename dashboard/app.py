"""The FastAPI application: `create_app` takes the store, settings and clock it should use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from dashboard import fleet, security
from dashboard.context import Dashboard
from dashboard.control import DaemonControl, StoreControl
from dashboard.routes_api import api_router
from dashboard.routes_pages import pages_router
from monitor import __version__
from monitor.adapters.store import Store
from monitor.clock import Clock, SystemClock
from monitor.config import Settings

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
JSON_TYPES = ("application/json",)


def duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def clock_time(t: float, tz: tzinfo | None) -> str:
    moment = datetime.fromtimestamp(t, tz) if tz is not None else datetime.fromtimestamp(t).astimezone()
    return moment.strftime("%H:%M")


def _templates(tz: tzinfo | None) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    # Jinja2Templates turns autoescaping on for .html; illustrations are .svg includes of our own.
    templates.env.filters["duration"] = duration
    templates.env.filters["clock"] = lambda t: clock_time(float(t), tz)
    templates.env.filters["percent"] = lambda part, whole: round(100 * part / whole) if whole else 0
    return templates


def _error(status: int, message: str, problems: list[str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "problems": problems or [], **extra}, status_code=status)


def create_app(store: Store, settings: Settings, clock: Clock | None = None, *,
               control: DaemonControl | None = None, extra_routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The dashboard app. Raises ConfigError if it may not serve the configured address (no token).

    `control` is the running daemon's; without one, requests go through the store for a daemon to
    pick up. `extra_routers` lets other parts of sitmon add routes (e.g. metrics) under the same
    security rules.
    """
    clock = clock or SystemClock()
    in_fleet = settings.dashboard.mode == "fleet"
    # A fleet dashboard always asks for a wearer's or an admin's token (the store holds them), so it
    # may serve any address; the single access token file is the single-wearer dashboard's.
    token = None if in_fleet else security.load_token(settings)
    dash = Dashboard(store, settings, clock, control or StoreControl(store, settings, clock), token)
    # No Swagger UI: it comes from a CDN and runs inline scripts, against "works offline" and the CSP.
    # /api/docs is a server-rendered reference built from the same OpenAPI document instead.
    app = FastAPI(title="sitmon", version=__version__, docs_url=None, redoc_url=None,
                  description="sitmon's API: the day's sitting, posture and prompts, history and exports, "
                              "stretch suggestions, and the running daemon's controls and settings.")
    templates = _templates(dash.tz)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api_router(dash))
    app.include_router(pages_router(dash, templates))
    if in_fleet:
        app.include_router(fleet.fleet_router(dash))
    for router in extra_routers:
        app.include_router(router)
    # In a fleet, what other parts of sitmon add (metrics) describes the service: admins only.
    admin_paths = frozenset(getattr(r, "path", "") for router in extra_routers for r in router.routes)
    app.state.dashboard = dash

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        path = request.url.path
        unsafe = request.method in security.UNSAFE_METHODS
        if in_fleet:
            public = security.is_public(path)
            who = None if public and path != "/login" else fleet.principal(dash, request)
            request.state.principal = who
            if who is None and not public:
                if path.startswith("/api/"):
                    return _error(401, "sign in with your token (Authorization: Bearer <token>)")
                return RedirectResponse("/login", status_code=303)
            if path in admin_paths and (who is None or who.role != "admin"):
                return _error(404, "Not Found")
        elif token is not None and not security.is_public(path) and not security.authorised(request, token):
            if path.startswith("/api/"):
                return _error(401, "an access token is required (Authorization: Bearer <token>)")
            return RedirectResponse("/login", status_code=303)
        if unsafe and security.cross_site(request):
            return _error(403, "cross-site requests cannot change anything here")
        if unsafe and path.startswith("/api/"):
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind and kind not in JSON_TYPES:
                return _error(415, "send JSON (Content-Type: application/json)")
        fresh = None if request.cookies.get(security.CSRF_COOKIE) else security.new_csrf_token()
        request.state.csrf = fresh
        response: Response = await call_next(request)
        if fresh is not None:
            response.set_cookie(security.CSRF_COOKIE, fresh, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # "no-referrer" would make Chromium send `Origin: null` on our own form posts.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        detail = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return _error(422, "invalid request", problems, detail=detail)

    @app.exception_handler(ValueError)
    async def bad_value(_request: Request, exc: ValueError) -> JSONResponse:
        return _error(422, str(exc))

    return app
