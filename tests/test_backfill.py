"""Backfill over loopback: its outcome is every range's outcome, merged."""

from __future__ import annotations

import time

from bot.backfill import backfill
from bot.emulator.tencent.dataset import EmulatedFile
from tests.conftest import REC_CHANNEL, BotEnv


def test_a_backfill_keeps_every_field_of_its_ranges(bot_env: BotEnv) -> None:
    """Malformed records and changed files of each range reach the report (they were once
    dropped when the ranges were added up by hand)."""
    now = time.time()
    services = bot_env.services
    mid = bot_env.dataset.add_meeting(start=now - 2 * 86400, duration=600, subject="Two parts")

    def run(start: float, end: float, **kwargs):
        return backfill(
            services.store,
            services.tencent,
            int(start),
            int(end),
            rate_limit=100,
            default_channel=REC_CHANNEL,
            progress=False,
            echo=lambda _: None,
            **kwargs,
        )

    assert run(now - 3 * 86400, now).outcome.completed == [mid]
    meeting = bot_env.dataset.get(mid)
    meeting.files.append(EmulatedFile("9" * 19, meeting.end + 10, meeting.end + 70, 1_000_000))
    bot_env.tencent.faults.add("missing_field", field="subject")  # the older window's page
    report = run(now - 40 * 86400, now, force=True)  # two windows of at most 31 days
    outcome = report.outcome
    assert report.ranges_fetched == 2
    assert outcome.files_changed == [mid]
    assert len(outcome.malformed) == 1 and outcome.calls == 2
    assert not outcome.truncated
