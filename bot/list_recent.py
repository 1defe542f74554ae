"""`recordings-bot sync`: fetch the last days of recordings and print them.

A first check that the Tencent side works: with credentials it calls the real API; without,
it starts an in-process emulator holding a generated company and calls that instead.
Nothing secret is printed: no passwords, no view or download addresses.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import click

from bot.config import ConfigError, Settings
from bot.models import RecordMeeting, RecordsPage
from bot.preflight import StartupError, open_checked_store
from bot.tencent.client import TencentMeetingClient
from bot.tencent.errors import TencentError
from bot.wiring import demo_credentials, make_tencent_client


@contextlib.contextmanager
def _api(settings: Settings, days: int) -> Iterator[dict[str, Any]]:
    """Where to call: the settings' API (no overrides), or, when they hold no Tencent
    credentials, a local emulator started here, called with the demo credentials."""
    if settings.has_tencent_credentials:
        yield {}
        return
    from bot.emulator.tencent import TencentEmulator
    from bot.emulator.tencent.dataset import Dataset

    creds = demo_credentials(settings)
    emulator = TencentEmulator(
        app_id=creds.app_id,
        secret_id=creds.secret_id,
        secret_key=creds.secret_key,
        sdk_id=creds.sdk_id,
        rate_limit=settings.tencent_rate_limit,
        dataset=Dataset.generate(time.time(), days=days, seed=1),
    ).start()
    click.echo(
        f"No Tencent Meeting credentials set (TENCENT_MEETING_APP_ID, ...): "
        f"using a local emulator with a generated company at {emulator.url}"
    )
    try:
        yield {"api_url": emulator.url, "credentials": creds}
    finally:
        emulator.stop()


def format_line(meeting: RecordMeeting, settings: Settings) -> str:
    """One recording as a line: local start time, state, host, subject, number of files."""
    when = datetime.fromtimestamp(meeting.start_seconds, settings.tz).strftime("%Y-%m-%d %H:%M")
    files = len(meeting.record_files)
    noun = "file" if files == 1 else "files"
    return (
        f"{when}  {meeting.state_name:<11}  {meeting.userid:<12}  {meeting.subject}  "
        f"({files} {noun})"
    )


def list_recent_recordings(settings: Settings, days: int = 7) -> int:
    """List the last `days` days of recordings; returns the process exit code."""
    if days < 1:
        click.echo("--days must be at least 1", err=True)
        return 1
    try:
        with _api(settings, days) as where:
            store = open_checked_store(settings)
            try:
                client = make_tencent_client(settings, store, **where)
                return _list(client, settings, days)
            finally:
                store.close()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        return 1
    except StartupError as exc:  # the database cannot be used: one line, as every command says
        click.echo(f"Error: {exc}", err=True)
        return 2
    except TencentError as exc:
        click.echo(f"Sync failed: {exc}", err=True)
        return 1
    except OSError as exc:
        click.echo(f"Sync failed: {exc}", err=True)
        return 1


def _list(client: TencentMeetingClient, settings: Settings, days: int) -> int:
    end = int(time.time())
    start = end - days * 86400

    def progress(window: int, page_number: int, page: RecordsPage) -> None:
        if page.total_page > 1:
            click.echo(
                f"  (window {window + 1}, page {page_number} of {page.total_page})", err=True
            )

    meetings = list(client.list_corp_records(start, end, on_page=progress))
    meetings.sort(key=lambda m: m.media_start_time)
    for meeting in meetings:
        click.echo(format_line(meeting, settings))
    click.echo(
        f"{len(meetings)} recordings found in the last {days} days; "
        f"{client.calls_made} API calls made "
        f"(limit {settings.tencent_rate_limit} corp/records calls per minute)."
    )
    return 0
