"""Who may use the dashboard, and proof that a state change came from its own pages.

- Loopback by default. On any other address the dashboard refuses to start without an access
  token (`dashboard.token_file`); with one, every request must carry it, as a bearer token or as
  the session cookie the login form sets.
- CSRF: HTML forms carry a per-browser token that must match a SameSite=Strict cookie; the JSON
  API only takes `application/json` bodies, which a foreign page cannot send without a CORS
  preflight that this server never grants. Cross-site `Origin`/`Sec-Fetch-Site` are refused outright.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.tokens import session_value

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
CSRF_COOKIE = "sitmon_csrf"
SESSION_COOKIE = "sitmon_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Reachable without the token: the login form itself, the files it needs and the health probe.
PUBLIC_PATHS = ("/login", "/static/", "/api/v1/health")


def load_token(settings: Settings) -> str | None:
    """The access token, or None when none is configured; ConfigError if the dashboard may not start."""
    d = settings.dashboard
    if d.token_file is None:
        if d.host not in LOOPBACK:
            raise ConfigError([f"dashboard.token_file: required when dashboard.host is {d.host!r}, which is not a "
                               "loopback address; the dashboard will not serve the network without a token"],
                              "dashboard settings")
        return None
    path = d.token_file.expanduser()
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"dashboard.token_file: {path} cannot be read ({exc})"], "dashboard settings") from None
    if len(token) < 16:
        raise ConfigError([f"dashboard.token_file: the token in {path} is shorter than 16 characters"],
                          "dashboard settings")
    return token


def authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, session_value(token))


def is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC_PATHS)


def cross_site(request: Request) -> bool:
    """True when the browser tells us the request comes from another site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc != request.headers.get("host", "")


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(request: Request) -> str:
    """This browser's form token (set by the middleware on every response that lacks the cookie)."""
    return str(getattr(request.state, "csrf", "") or request.cookies.get(CSRF_COOKIE, ""))


def csrf_ok(request: Request, submitted: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and bool(submitted) and hmac.compare_digest(cookie, submitted)
