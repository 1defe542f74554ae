"""bot.delivery.quarantine: a stored route RE2 refuses is told to the admins once, not blocking."""

from __future__ import annotations

from bot.models import RouteSpec
from tests.conftest import ADMIN_CHANNEL_ID, BotEnv
from tests.delivery.meetings import completed


def test_a_quarantined_route_is_told_to_the_admins_once(bot_env: BotEnv) -> None:
    store = bot_env.services.store
    bad = store.routes.add("CHRONLY01", RouteSpec(match_subject_regex=r"(?<=HR )review"))
    mid = completed(bot_env)
    bot_env.cycle()
    bot_env.cycle()
    notices = bot_env.slack.messages(ADMIN_CHANNEL_ID)
    assert len(notices) == 1
    assert f"Route #{bad.id}" in notices[0]["text"] and "lookbehinds" in notices[0]["text"]
    assert bot_env.posts() == []  # held: not posted to the default channel
    assert [d for d in store.deliveries.undelivered() if d.meeting_record_id == mid] == []
