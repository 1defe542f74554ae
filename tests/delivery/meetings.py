"""Recordings for the delivery tests: one completed an hour ago, or a quiet backfill."""

from __future__ import annotations

import time

from bot.backfill import backfill
from tests.conftest import BotEnv


def completed(bot_env: BotEnv, subject: str = "Weekly sync", **kwargs) -> str:
    """A meeting that ended and finished transcoding within the last hour; its id."""
    return bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject=subject, **kwargs
    )


def quiet_backfill(bot_env: BotEnv, days: int, **options):
    """Backfill the last DAYS days quietly, as `recordings-bot backfill` does."""
    now = int(time.time())
    services = bot_env.services
    return backfill(
        services.store,
        services.tencent,
        now - days * 86400,
        now,
        rate_limit=100,
        progress=False,
        echo=lambda _: None,
        **options,
    )
