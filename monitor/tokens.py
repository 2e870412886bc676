"""Dashboard logins for a fleet: one token per wearer, and tokens for admins (revision 0005_wearer_tokens).

A token is shown once, when it is made (`sitmon token add`), and stored only as digests: one of the
token itself, for `Authorization: Bearer`, and one of the session cookie value derived from it, for
browsers. Neither digest lets anyone in, so a copy of the database leaks no login. Tokens are 256
random bits, so a plain SHA-256 is enough: a slow password hash protects guessable secrets, and
these cannot be guessed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Column, Engine, Float, MetaData, String, Table, delete, select

from monitor.adapters.store import upsert

metadata = MetaData()

Role = Literal["wearer", "admin"]
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Marks a string as a sitmon dashboard token (for secret scanners and people); not a secret itself.
TOKEN_PREFIX = "smt_"  # noqa: S105

dashboard_tokens = Table(
    "dashboard_tokens",
    metadata,
    # An admin and a wearer may share a name; each (role, name) has at most one token at a time.
    Column("role", String(8), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("session_digest", String(64), nullable=False, unique=True),
    Column("created", Float, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request comes from: a wearer (sees only their own data) or an admin (sees only the fleet)."""

    role: Role
    name: str

    @property
    def wearer(self) -> str | None:
        return self.name if self.role == "wearer" else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def session_value(token: str) -> str:
    """What a browser's session cookie holds: derived from the token, so the token never sits in a cookie."""
    return hmac.new(token.encode(), b"sitmon dashboard session", hashlib.sha256).hexdigest()


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid name (letters, digits, '-' and '_'; at most 64)")
    return name


def add(engine: Engine, role: Role, name: str, now: float) -> str:
    """Make a new token for (role, name), replacing any earlier one; return it (it is not stored)."""
    check_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digests = {"token_digest": _digest(token), "session_digest": _digest(session_value(token)), "created": now}
    with engine.begin() as conn:
        # One statement, so that two processes adding the same name at once cannot collide.
        stmt = upsert(conn)(dashboard_tokens).values(role=role, name=name, **digests)
        conn.execute(stmt.on_conflict_do_update(index_elements=["role", "name"], set_=digests))
    return token


def revoke(engine: Engine, role: Role, name: str) -> bool:
    """Remove the token of (role, name); its sessions end with it. False if there was none."""
    with engine.begin() as conn:
        result = conn.execute(delete(dashboard_tokens).where(dashboard_tokens.c.role == role,
                                                             dashboard_tokens.c.name == name))
    return bool(result.rowcount)


def listed(engine: Engine) -> list[tuple[str, str, float]]:
    """(role, name, created) of every token, without anything secret."""
    query = select(dashboard_tokens.c.role, dashboard_tokens.c.name, dashboard_tokens.c.created).order_by(
        dashboard_tokens.c.role, dashboard_tokens.c.name)
    with engine.connect() as conn:
        return [(r.role, r.name, float(r.created)) for r in conn.execute(query)]


def _find(engine: Engine, column: Column[str], value: str) -> Principal | None:
    if not value or len(value) > 200:
        return None
    query = select(dashboard_tokens.c.role, dashboard_tokens.c.name).where(column == _digest(value))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.role not in ("wearer", "admin"):
        return None
    return Principal("wearer" if row.role == "wearer" else "admin", str(row.name))


def by_token(engine: Engine, token: str) -> Principal | None:
    return _find(engine, dashboard_tokens.c.token_digest, token.strip())


def by_session(engine: Engine, cookie: str) -> Principal | None:
    return _find(engine, dashboard_tokens.c.session_digest, cookie)
