"""bot.passwords: no password is kept for a recording every route hides (password:hide), even
with PASSWORD_KEY; a route changed to hide drops the kept ones at the next start."""

from __future__ import annotations

import sqlite3
import time

from bot.models import RouteSpec
from bot.wiring import build_services
from tests.conftest import PRODUCT_CHANNEL, BotEnv, make_bot_settings

KEY = "a test PASSWORD_KEY value"  # noqa: S105 (a test key)


def stored_passwords(db: str) -> dict[str, tuple[str | None, int]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT m.subject, f.password, f.has_password FROM record_files f "
            "JOIN record_meetings m USING (meeting_record_id)"
        ).fetchall()
    finally:
        conn.close()
    return {subject: (password, has) for subject, password, has in rows}


def test_hidden_recordings_keep_no_password_shown_ones_keep_it_encrypted(bot_env: BotEnv) -> None:
    settings = make_bot_settings(
        bot_env.tencent.url,
        bot_env.slack.api_url,
        bot_env.settings.recordings_db,
        PASSWORD_KEY=KEY,
    )
    services = build_services(settings)
    bot_env.opened.append(services)
    services.store.routes.add(
        PRODUCT_CHANNEL, RouteSpec(match_subject="Board", password_policy="hide")
    )
    now = time.time()
    bot_env.dataset.add_meeting(start=now - 3600, duration=600, subject="Board", password="hid-1")
    bot_env.dataset.add_meeting(start=now - 3500, duration=600, subject="Sync", password="shw-2")
    services.poller.run_cycle()

    rows = stored_passwords(settings.recordings_db)
    assert rows["Board"] == (None, 1)  # every route hides it: nothing kept
    shown, has = rows["Sync"]
    assert has == 1 and shown is not None and "shw-2" not in shown  # kept, encrypted

    # An admin now hides "Sync" too: the next start drops the password it kept.
    services.store.routes.add(
        PRODUCT_CHANNEL, RouteSpec(match_subject="Sync", password_policy="hide")
    )
    again = build_services(settings)
    bot_env.opened.append(again)
    assert stored_passwords(settings.recordings_db)["Sync"] == (None, 1)
