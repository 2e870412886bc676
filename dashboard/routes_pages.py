"""Server-rendered pages: complete without JavaScript; forms post back here and redirect."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from dashboard import fleet, models, queries
from dashboard.context import Dashboard
from dashboard.control import MAX_SNOOZE_MINUTES, CalibrationError
from dashboard.forms import SECTION_TITLES, changes_from_form, settings_form
from dashboard.routes_api import history_model, history_range
from dashboard.security import SESSION_COOKIE, csrf_ok, csrf_token
from monitor import tokens
from monitor.errors import ConfigError
from monitor.stretches import PROFESSIONAL_NOTE, STRETCHES, THOMAS_TEST_NOTE, suggest_routine

# Where a form may send the browser back to; anything else goes to Today.
RETURN_PATHS = frozenset({"/", "/sensors", "/settings"})
NOTICES = {
    "snoozed": "Prompts are snoozed.",
    "paused": "Prompts are paused until you resume them.",
    "resumed": "Prompts are back on.",
    "calibrating": "Calibration started: sit tall on your sit bones, feet flat, and keep still for a minute.",
    "saved": "Settings saved; the running daemon applies them now.",
}
SNOOZE_CHOICES = (15, 30, 60)
# Our forms are a few hundred bytes; anything near this is not one of them.
MAX_FORM_BYTES = 64 * 1024


class FormError(Exception):
    """A form that cannot be acted on; the page says why with a 4xx status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _timeline_context(detail: queries.DayDetail) -> dict[str, Any]:
    start, end = queries.timeline_span(detail)
    span = end - start
    return {
        "timeline": queries.timeline(detail.bouts, start, end),
        "hours": [(h, (h - start) / span * 100) for h in range(int(start), int(end) + 1, 3600)],
        "prompt_marks": [(p, (p.event.t - start) / span * 100) for p in detail.prompts
                         if start <= p.event.t <= end],
    }


def _return_path(form: dict[str, str]) -> str:
    target = form.get("next", "/")
    return target if target in RETURN_PATHS else "/"


def pages_router(dash: Dashboard, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        who = getattr(request.state, "principal", None)
        # In a fleet the signed-in wearer's id is all the dashboard knows of them; [wearer] is the server's.
        shown = who.name if dash.fleet and who is not None else dash.settings().wearer.name
        base = {"wearer": shown, "csrf": csrf_token(request), "fleet": dash.fleet,
                "role": who.role if dash.fleet and who is not None else None,
                "notice": NOTICES.get(request.query_params.get("notice", ""))}
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)

    async def checked_form(request: Request) -> dict[str, str]:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if kind != "application/x-www-form-urlencoded" or len(body) > MAX_FORM_BYTES:
            raise FormError("This form could not be read; please send it from the dashboard's page.", 400)
        try:
            values = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200))
        except (UnicodeDecodeError, ValueError):
            raise FormError("This form could not be read; please send it from the dashboard's page.", 400) from None
        if not csrf_ok(request, values.get("csrf_token", "")):
            raise FormError("This form has expired or did not come from this dashboard. Reload the page and "
                            "try again.", 403)
        return values

    def form_failure(request: Request, error: FormError) -> HTMLResponse:
        return render(request, "error.html", {"message": error.message}, status=error.status)

    def fleet_refusal(request: Request) -> HTMLResponse | None:
        """Controls and settings are the single daemon's; on a fleet dashboard they are the operator's."""
        if not dash.fleet:
            return None
        return render(request, "error.html", {"message": "Prompts and settings are set by the operator of "
                                              "this service, not on this dashboard."}, status=403)

    @router.get("/", response_class=HTMLResponse)
    def today_page(request: Request) -> Response:
        who = getattr(request.state, "principal", None)
        if dash.fleet and who is not None and who.role == "admin":
            return RedirectResponse("/admin", status_code=303)
        wearer = dash.wearer_of(request)
        detail = queries.today(dash.store, wearer, dash.clock.now(), dash.tz)
        status = dash.status_for(wearer)
        return render(request, "today.html", {
            "data": detail, "model": models.day_model(detail, wearer, dash.tz), "status": status,
            "snooze_choices": SNOOZE_CHOICES, "page": "today", **_timeline_context(detail)})

    @router.get("/history", response_class=HTMLResponse)
    def history_page(request: Request) -> HTMLResponse:
        wearer = dash.wearer_of(request)
        first = request.query_params.get("from") or None
        last = request.query_params.get("to") or None
        try:
            start, end = history_range(dash, first, last)
        except HTTPException as exc:
            return render(request, "error.html", {"message": exc.detail}, status=422)
        history = history_model(dash, wearer, start, end)
        peak = max([d.sitting_seconds for d in history.days] + [history.goal_seconds, 1])
        return render(request, "history.html", {
            "history": history, "peak": peak, "page": "history",
            "earlier": (start - timedelta(days=28), start - timedelta(days=1)),
            "later": (end + timedelta(days=1), end + timedelta(days=28)) if end < dash.today_date() else None})

    @router.get("/history/{day}", response_class=HTMLResponse)
    def day_page(request: Request, day: str) -> HTMLResponse:
        wearer = dash.wearer_of(request)
        try:
            when = models.parse_date(day)
        except ValueError as exc:
            return render(request, "error.html", {"message": str(exc)}, status=404)
        detail = queries.day_detail(dash.store, wearer, when, dash.clock.now(), dash.tz)
        return render(request, "day.html", {
            "data": detail, "model": models.day_model(detail, wearer, dash.tz), "page": "history",
            "previous": when - timedelta(days=1),
            "next_day": when + timedelta(days=1) if when < dash.today_date() else None,
            **_timeline_context(detail)})

    @router.get("/suggestions", response_class=HTMLResponse)
    def suggestions_page(request: Request) -> HTMLResponse:
        today = dash.today_date()
        detail = queries.day_detail(dash.store, dash.wearer_of(request), today, dash.clock.now(), dash.tz)
        routine = suggest_routine(detail.signals, today.weekday())
        return render(request, "suggestions.html", {"routine": routine, "signals": detail.signals,
                                                    "day": today, "page": "suggestions"})

    @router.get("/stretches", response_class=HTMLResponse)
    def stretches_page(request: Request) -> HTMLResponse:
        return render(request, "stretches.html", {"stretches": STRETCHES, "professional": PROFESSIONAL_NOTE,
                                                  "thomas": THOMAS_TEST_NOTE, "page": "stretches"})

    @router.get("/api/docs", response_class=HTMLResponse)
    def api_reference(request: Request) -> HTMLResponse:
        spec = request.app.openapi()
        operations = [
            {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
             "description": op.get("description", ""),
             "parameters": [(p["name"], p["in"], p.get("required", False), p.get("description", ""))
                            for p in op.get("parameters", [])],
             "body": "requestBody" in op}
            for path, methods in sorted(spec.get("paths", {}).items())
            for method, op in methods.items()]
        return render(request, "api.html", {"operations": operations, "info": spec.get("info", {}),
                                            "page": "api"})

    @router.get("/sensors", response_class=HTMLResponse)
    def sensors_page(request: Request) -> HTMLResponse:
        return render(request, "sensors.html", {"status": dash.status_for(dash.wearer_of(request)),
                                                "page": "sensors"})

    @router.get("/settings", response_class=HTMLResponse)
    def settings_page(request: Request) -> HTMLResponse:
        dash.wearer_of(request)
        if (refused := fleet_refusal(request)) is not None:
            return refused
        return render(request, "settings.html", {"sections": settings_form(dash.settings()), "problems": [],
                                                 "titles": SECTION_TITLES, "page": "settings"})

    @router.post("/settings", response_class=HTMLResponse)
    async def save_settings(request: Request) -> Response:
        dash.wearer_of(request)
        if (refused := fleet_refusal(request)) is not None:
            return refused
        try:
            form = await checked_form(request)
        except FormError as error:
            return form_failure(request, error)
        current = dash.settings()
        try:
            dash.control.apply_settings(changes_from_form(current, form))
        except ConfigError as exc:
            # Keep what the user typed so that nothing is lost while they fix it.
            return render(request, "settings.html", {"sections": settings_form(current, form),
                                                     "problems": exc.problems, "titles": SECTION_TITLES,
                                                     "page": "settings"}, status=422)
        return RedirectResponse("/settings?notice=saved", status_code=303)

    @router.post("/actions/{action}")
    async def action(request: Request, action: str) -> Response:
        dash.wearer_of(request)
        if (refused := fleet_refusal(request)) is not None:
            return refused
        try:
            form = await checked_form(request)
            notice = _act(dash, action, form)
        except FormError as error:
            return form_failure(request, error)
        return RedirectResponse(f"{_return_path(form)}?notice={notice}", status_code=303)

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> HTMLResponse:
        return render(request, "login.html", {"failed": False, "page": "login"})

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        try:
            form = await checked_form(request)
        except FormError as error:
            return form_failure(request, error)
        probe = form.get("token", "").strip()
        if dash.fleet:
            who = tokens.by_token(dash.store.engine, probe) if probe else None
            if who is None:
                return render(request, "login.html", {"failed": True, "page": "login"}, status=401)
            response = RedirectResponse("/admin" if who.role == "admin" else "/", status_code=303)
            response.set_cookie(SESSION_COOKIE, tokens.session_value(probe), httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")
            return response
        token = dash.token
        if token is None:
            return RedirectResponse("/", status_code=303)
        if not probe or not hmac.compare_digest(probe, token):
            return render(request, "login.html", {"failed": True, "page": "login"}, status=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, tokens.session_value(token), httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        try:
            await checked_form(request)
        except FormError as error:
            return form_failure(request, error)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return response

    @router.get("/admin", response_class=HTMLResponse)
    def admin_page(request: Request) -> HTMLResponse:
        fleet.require_admin(request)
        return render(request, "admin.html", {"health": fleet.fleet_model(dash), "page": "admin"})

    return router


def _act(dash: Dashboard, action: str, form: dict[str, str]) -> str:
    """Carry out a control form; return the notice to show, or raise FormError."""
    if action == "snooze":
        try:
            minutes = float(form.get("minutes", ""))
        except ValueError:
            raise FormError("Snooze needs a number of minutes.", 422) from None
        if not 0 < minutes <= MAX_SNOOZE_MINUTES:
            raise FormError(f"Snooze for more than 0 and at most {MAX_SNOOZE_MINUTES} minutes.", 422)
        dash.control.snooze(minutes)
        return "snoozed"
    if action == "pause":
        dash.control.pause()
        return "paused"
    if action == "resume":
        dash.control.resume()
        return "resumed"
    if action == "calibrate":
        try:
            dash.control.start_calibration(form.get("wearable", ""))
        except CalibrationError as exc:
            raise FormError(str(exc), 422) from None
        return "calibrating"
    raise FormError(f"There is no action called {action!r}.", 404)
