"""`recordings-bot db copy`: every row of one store into another (SQLite to PostgreSQL, usually).

The destination is migrated first, then each table is copied in foreign-key order, in batches,
as upserts on its primary key: a second run brings the destination up to date and adds nothing
twice. Search indexes are not copied: each engine builds its own (triggers, pg_trgm). Leases,
budget waiters and the schema version belong to the running processes, not to the data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from bot.store import Store

BATCH = 2000
COPIED_FROM = "db_copy_source"  # bot_state key: which store filled this one
_NOT_DATA = {"leases", "api_waiters", "schema_version", "sqlite_sequence"}


class CopyRefused(Exception):
    """The destination holds other data: copying into it would mix two bots' histories."""


@dataclass
class CopyReport:
    tables: dict[str, int] = field(default_factory=dict)  # rows copied (upserted) per table
    seconds: float = 0.0


def _data_tables(engine: sqlalchemy.Engine) -> list[sqlalchemy.Table]:
    """The bot's tables in foreign-key order (parents first), without indexes' shadow tables."""
    metadata = sqlalchemy.MetaData()
    names = [
        name
        for name in sqlalchemy.inspect(engine).get_table_names()
        if name not in _NOT_DATA and "_fts" not in name and not name.startswith("preflight")
    ]
    metadata.reflect(engine, only=names)
    return list(metadata.sorted_tables)


def _source_rows(source: Store, table: str, columns: list[str], key: list[str]) -> Iterator[list]:
    order = ", ".join(f'"{c}"' for c in key)
    select = ", ".join(f'"{c}"' for c in columns)
    rows = source.conn.execute(f'SELECT {select} FROM "{table}" ORDER BY {order}')  # noqa: S608
    batch: list = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _upsert(destination: Store, table: sqlalchemy.Table, key: list[str]) -> Any:
    insert = (postgresql if destination.is_postgresql else sqlite).insert(table)
    others = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in key}
    if not others:
        return insert.on_conflict_do_nothing(index_elements=key)
    return insert.on_conflict_do_update(index_elements=key, set_=others)


# When a bot last wrote to a database: the newest of these times (the poller's health, the
# ledger, the API budget, webhooks, routes, links).
_LAST_WRITE = (
    "SELECT MAX(t) FROM ("
    "SELECT MAX(updated_at) AS t FROM bot_state WHERE key != 'db_copy_source' "
    "UNION ALL SELECT MAX(updated_at) FROM deliveries "
    "UNION ALL SELECT MAX(at) FROM api_calls "
    "UNION ALL SELECT MAX(received_at) FROM webhook_events "
    "UNION ALL SELECT MAX(created_at) FROM routes "
    "UNION ALL SELECT MAX(set_at) FROM user_links"
    ") AS writes"
)


def _check_destination(source: Store, destination: Store) -> None:
    """Refuse a destination holding other data, or one a bot has used since the last copy:
    copying again would overwrite what that bot did (a message it posted would be due again)."""
    marker = destination.state.get(COPIED_FROM) or {}
    holds = destination.conn.execute(
        "SELECT (SELECT COUNT(*) FROM record_meetings) + (SELECT COUNT(*) FROM routes)"
    ).scalar()
    if int(holds or 0) and marker.get("source") != source.path:
        raise CopyRefused(
            f"{destination.path} already holds recordings or routes that did not come from "
            f"{source.path}: copy into an empty database, or one an earlier `db copy` from "
            "this same source filled"
        )
    copied_at = marker.get("at")
    last_write = destination.conn.execute(_LAST_WRITE).scalar()
    if copied_at is not None and last_write is not None and float(last_write) > float(copied_at):
        raise CopyRefused(
            f"{destination.path} was used by a bot after the last copy from {source.path}: "
            "copying again would overwrite what it did since (posts, routes, links). Keep "
            "running on it, or copy into a new, empty database"
        )


def copy_store(
    source: Store, destination: Store, *, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy every row of `source` into `destination` (both opened, so both migrated)."""
    _check_destination(source, destination)
    started = time.monotonic()
    report = CopyReport()
    source_columns = {
        table.name: {c.name for c in table.columns} for table in _data_tables(source.engine)
    }
    # One snapshot of the source (BEGIN IMMEDIATE on SQLite: the bot should be stopped anyway).
    with source.transaction(lock=None):
        for table in _data_tables(destination.engine):
            if table.name not in source_columns:
                continue
            key = [c.name for c in table.primary_key.columns]
            columns = [c.name for c in table.columns if c.name in source_columns[table.name]]
            if not key:
                continue
            statement = _upsert(destination, table, key)
            copied = 0
            for batch in _source_rows(source, table.name, columns, key):
                with destination.transaction() as conn:
                    conn.execute(statement, batch)
                copied += len(batch)
                if progress:
                    progress(table.name, copied)
            report.tables[table.name] = copied
            if destination.is_postgresql and "id" in key and table.c.id.identity is not None:
                highest = f'SELECT COALESCE(MAX(id), 0) FROM "{table.name}"'  # noqa: S608
                destination.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence(:t, 'id'), GREATEST(({highest}), 1))",
                    {"t": table.name},
                )
    # Stamped after the newest time copied: a later write there means a bot used it.
    newest = destination.conn.execute(_LAST_WRITE).scalar()
    at = max(source.now(), float(newest or 0))
    destination.state.set(COPIED_FROM, {"source": source.path, "at": at})
    report.seconds = time.monotonic() - started
    return report
