"""Checks at start, before any work: the database opens and takes a write, and Slack answers.

Each failure is a `StartupError`: one line naming the cause, the path or address, and the
environment variable to check. The command line prints it and exits with code 2, never a
traceback (a database that fails later is a failed poll cycle, reported in `status`).
"""

from __future__ import annotations

import os

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.store import Store, open_store
from bot.store.engine import DATABASE_ERRORS, DatabaseUrlError, describe_error, target_for
from bot.store.schema import NewerSchemaError

DEFAULT_SLACK_URL = "https://slack.com/api"


class StartupError(Exception):
    """The bot cannot start: the message says why, in one line, and what to check."""


def postgresql_problem(where: str, exc: Exception) -> str:
    """One line saying what is wrong with the PostgreSQL database `where`, from its error."""
    text = describe_error(exc)
    lowered = text.lower()
    where = f"the PostgreSQL database {where} (DATABASE_URL)"
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return f"{where} refused the user or password ({text}): check DATABASE_URL"
    if "does not exist" in lowered and "database" in lowered:
        return f"{where} does not exist ({text}): create it, or check DATABASE_URL"
    if "connection refused" in lowered or "could not translate host" in lowered:
        return f"cannot reach {where} ({text}): check the host and port in DATABASE_URL"
    if "timeout" in lowered:
        return f"{where} did not answer in time ({text}): check DATABASE_URL and the network"
    if "permission denied" in lowered or "read-only" in lowered:
        return f"{where} does not let this user write ({text}): grant it, or check DATABASE_URL"
    return f"cannot use {where}: {text}; check DATABASE_URL"


def database_problem(path: str, exc: Exception, *, busy_seconds: float) -> str:
    """One line saying what is wrong with the SQLite database at `path`, from SQLite's error."""
    text = str(getattr(exc, "orig", None) or exc)
    lowered = text.lower()
    where = f"the database {path} (RECORDINGS_DB)"
    if "locked" in lowered or "busy" in lowered:
        return (
            f"{where} is locked by another process (waited {busy_seconds:g} s): find what holds "
            "it (another bot? a backup tool?), or raise RECORDINGS_DB_BUSY_SECONDS"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return (
            f"{where} is read-only: the bot writes it and the -wal and -shm files beside it; "
            "make the file and its folder writable, or point RECORDINGS_DB elsewhere"
        )
    if ("unable to open" in lowered or "cannot open" in lowered) and os.path.exists(path):
        return (
            f"{where} exists but cannot be opened for writing ({text}): the file may be "
            "read-only, or its folder may not let the bot create the -wal and -shm files beside "
            "it; make both writable, or point RECORDINGS_DB elsewhere"
        )
    if "unable to open" in lowered or "cannot open" in lowered:
        return (
            f"cannot open {where} ({text}): check RECORDINGS_DB names a file in a folder that "
            "exists and that this user may write"
        )
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return (
            f"{where} is corrupt or not a SQLite database ({text}): check RECORDINGS_DB points "
            "at the bot's database, or restore it from a backup"
        )
    return f"cannot use {where}: {type(exc).__name__}: {text}; check RECORDINGS_DB"


def _probe_write(store: Store) -> None:
    """A write, rolled back: a read-only file opens and reads fine, and fails only here."""

    class _RolledBack(Exception):
        pass

    try:
        with store.transaction() as conn:
            conn.execute("CREATE TABLE preflight_write_probe (x INTEGER)")
            raise _RolledBack
    except _RolledBack:
        pass


def open_checked_store(settings: Settings) -> Store:
    """The store at DATABASE_URL or RECORDINGS_DB, opened, migrated and shown writable; else
    StartupError."""
    return open_checked_location(settings.database_location, settings)


def open_checked_location(
    location: str, settings: Settings, *, migrate: bool = True, name: str | None = None
) -> Store:
    """The store at `location` (a SQLite path or a PostgreSQL URL), opened and (with
    `migrate`) migrated and shown writable; else StartupError. `name` is what to blame in the
    message (default: DATABASE_URL or RECORDINGS_DB)."""
    busy = settings.recordings_db_busy_seconds
    try:
        target = target_for(location)
    except DatabaseUrlError as exc:
        raise StartupError(_blame(str(exc), name)) from None
    if not migrate and not target.is_postgresql and not os.path.exists(location):
        raise StartupError(_blame(f"there is no database at {location} (RECORDINGS_DB)", name))
    store: Store | None = None
    try:
        key = settings.password_key.get_secret_value() or None
        store = open_store(location, busy_seconds=busy, password_key=key, migrate_schema=migrate)
        if migrate:
            _probe_write(store)
        else:
            with store.engine.connect():  # reachable, and the password accepted
                pass
    except NewerSchemaError as exc:
        if store is not None:
            store.close()
        raise StartupError(f"{target.describe()}: {exc}") from None
    except DATABASE_ERRORS as exc:
        if store is not None:
            store.close()
        if target.is_postgresql:
            problem = postgresql_problem(target.describe(), exc)
        else:
            problem = database_problem(location, exc, busy_seconds=busy)
        raise StartupError(_blame(problem, name)) from None
    return store


def _blame(problem: str, name: str | None) -> str:
    if name is None:
        return problem
    return problem.replace("DATABASE_URL", name).replace("RECORDINGS_DB", name)


def check_slack(client: WebClient, settings: Settings) -> None:
    """auth.test with SLACK_BOT_TOKEN; StartupError when Slack cannot be reached or refuses."""
    url = settings.slack_api_url or DEFAULT_SLACK_URL
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        raise StartupError(
            f"Slack at {url} refused SLACK_BOT_TOKEN ({error or 'no reason given'}): check "
            "SLACK_BOT_TOKEN (a bot token, xoxb-...) and SLACK_API_URL"
        ) from None
    except Exception as exc:  # connection refused, DNS, TLS, timeout: all "cannot reach"
        raise StartupError(
            f"cannot reach Slack at {url} to check SLACK_BOT_TOKEN ({type(exc).__name__}): "
            "check SLACK_API_URL (unset means Slack itself) and the network"
        ) from None
