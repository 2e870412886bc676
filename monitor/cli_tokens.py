"""`sitmon token add|revoke|list`: the dashboard logins of a fleet (dashboard.mode = "fleet")."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli import CONFIG_OPTION, _settings, cli

if TYPE_CHECKING:
    from monitor.adapters.store import Store


def _open(config: Path | None) -> Store:
    # Imported here, as in the other command modules, so that `sitmon --help` stays quick.
    from monitor.adapters.store import Store

    return Store.open(_settings(config).store.sqlalchemy_url())


@cli.group()
def token() -> None:
    """Dashboard login tokens: one per wearer, and admin tokens for the fleet view."""


@token.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An admin token: fleet health and anonymous aggregates, no wearer's data.")
@CONFIG_OPTION
def token_add(name: str, admin: bool, config: Path | None) -> None:
    """Make a token for wearer NAME (or admin NAME) and print it once; an earlier one stops working."""
    from monitor import tokens

    try:
        tokens.check_name(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    store = _open(config)
    try:
        secret = tokens.add(store.engine, "admin" if admin else "wearer", name, time.time())
    finally:
        store.close()
    # Only the token goes to stdout, so `sitmon token add w-1 > file` captures exactly it.
    click.echo(secret)
    click.echo(f"token for {'admin' if admin else 'wearer'} {name}: shown only now; it is stored as a digest",
               err=True)


@token.command("revoke")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Revoke the admin token NAME.")
@CONFIG_OPTION
def token_revoke(name: str, admin: bool, config: Path | None) -> None:
    """Revoke the token of wearer NAME (or admin NAME); signed-in browsers are signed out with it."""
    from monitor import tokens

    store = _open(config)
    try:
        found = tokens.revoke(store.engine, "admin" if admin else "wearer", name)
    finally:
        store.close()
    if not found:
        raise click.ClickException(f"no {'admin' if admin else 'wearer'} token named {name!r}")
    click.echo(f"revoked the token of {'admin' if admin else 'wearer'} {name}")


@token.command("list")
@CONFIG_OPTION
def token_list(config: Path | None) -> None:
    """Who has a token, and since when (the tokens themselves are not stored)."""
    from monitor import tokens

    store = _open(config)
    try:
        rows = tokens.listed(store.engine)
    finally:
        store.close()
    for role, name, created in rows:
        click.echo(f"{role:7} {name:32} {datetime.fromtimestamp(created, UTC).isoformat(timespec='seconds')}")
