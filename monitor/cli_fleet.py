"""`sitmon fleet-status`: how far each wearer of a fleet has been processed, and by which worker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import func, select

from monitor.cli import CONFIG_OPTION, _settings, cli


@cli.command("fleet-status")
@CONFIG_OPTION
def fleet_status(config: Path | None) -> None:
    """Per wearer: samples processed, batches waiting in the inbox, the worker that last processed it."""
    from monitor.adapters.store import Store
    from monitor.fleet.schema import fleet_inbox, fleet_streams

    settings = _settings(config)
    store = Store.open(settings.store.sqlalchemy_url())
    try:
        with store.engine.connect() as conn:
            waiting: dict[str, int] = dict(conn.execute(select(fleet_inbox.c.wearer, func.count())
                                        .group_by(fleet_inbox.c.wearer)).all())
            streams = conn.execute(select(fleet_streams.c.wearer, fleet_streams.c.next_seq, fleet_streams.c.worker,
                                          fleet_streams.c.updated).order_by(fleet_streams.c.wearer)).all()
    finally:
        store.close()
    click.echo(f"{'wearer':24} {'samples':>10} {'waiting':>8}  {'worker':24} updated (UTC)")
    for row in streams:
        updated = datetime.fromtimestamp(row.updated, UTC).isoformat(timespec="seconds") if row.updated else "-"
        click.echo(f"{row.wearer:24} {row.next_seq or 0:>10} {waiting.get(row.wearer, 0):>8}  {row.worker:24} "
                   f"{updated}")
    click.echo(f"{len(streams)} wearers, {sum(waiting.values())} batches waiting")
