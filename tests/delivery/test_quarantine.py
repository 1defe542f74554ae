"""bot.delivery.quarantine: a stored route RE2 refuses is told to the admins once, not blocking."""

from __future__ import annotations

from bot.admin import add_route, remove_route
from bot.held import SETTLE_SECONDS
from bot.models import RouteSpec
from tests.conftest import ADMIN_CHANNEL_ID, PRODUCT_CHANNEL, REC_CHANNEL, BotEnv
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


def _sent(store, mid: str) -> list[str]:
    """The channels a recording's ledger says it was posted to."""
    return [d.channel for d in store.deliveries.sent_for(mid)]


def test_recordings_held_by_a_quarantined_route_are_posted_once_it_is_replaced(
    bot_env: BotEnv,
) -> None:
    services = bot_env.services
    store, slack, default = services.store, services.slack, bot_env.settings.default_channel
    # Stored by an older release that accepted regexes RE2 refuses (written straight to the
    # store: today's `route add` refuses them).
    bad = store.routes.add(PRODUCT_CHANNEL, RouteSpec(match_subject_regex=r"(?<=HR )review"))
    plan = store.routes.add(
        "CPLANS001", RouteSpec(match_subject="plan", match_subject_regex=r"(?=Q)plan")
    )
    hr = completed(bot_env, "HR review")
    lunch = completed(bot_env, "Team lunch")  # fits only the first quarantined route
    quarterly = completed(bot_env, "Quarterly plan")  # fits both
    bot_env.cycle()
    assert bot_env.posts() == []  # all three held: posted nowhere, not to the default channel
    assert store.deliveries.undelivered() == []

    # Replaced the way the admin notice says: removed, then added again with a usable match.
    remove_route(store, bad.id, default_channel=default)
    assert store.deliveries.undelivered() == []  # nothing rushed to the default channel
    add_route(store, slack, PRODUCT_CHANNEL, ["subject:HR review"], default_channel=default)
    bot_env.cycle()
    bot_env.cycle()
    assert len(bot_env.posts(PRODUCT_CHANNEL)) == 1
    assert _sent(store, hr) == [PRODUCT_CHANNEL]
    assert bot_env.posts(REC_CHANNEL) == []  # the default channel waits for the routes to settle

    # Routes unchanged for a while: no route matches the lunch and no quarantined route fits it
    # any more, so the default channel; the quarterly plan still fits the second one: held.
    later = bot_env.restart(clock_offset=SETTLE_SECONDS + 60)
    bot_env.cycle(later)
    bot_env.cycle(later)
    assert _sent(store, lunch) == [REC_CHANNEL]
    assert len(bot_env.posts(REC_CHANNEL)) == 1
    assert store.deliveries.sent_for(quarterly) == []
    assert store.deliveries.get(quarterly, REC_CHANNEL) is None

    remove_route(store, plan.id, default_channel=default)
    bot_env.cycle(later)
    bot_env.cycle(bot_env.restart(clock_offset=3 * SETTLE_SECONDS))
    assert _sent(store, quarterly) == [REC_CHANNEL]
    assert _sent(store, hr) == [PRODUCT_CHANNEL] and _sent(store, lunch) == [REC_CHANNEL]
    assert len(bot_env.posts(PRODUCT_CHANNEL)) == 1 and len(bot_env.posts(REC_CHANNEL)) == 2


def test_held_recordings_are_routed_again_by_the_poller_after_any_route_change(
    bot_env: BotEnv,
) -> None:
    """A route changed by a path that did not route them again (here: no default channel
    given to bot.admin) still frees what it held once the routes have settled."""
    store = bot_env.services.store
    bad = store.routes.add(PRODUCT_CHANNEL, RouteSpec(match_subject_regex=r"(?<=HR )review"))
    mid = completed(bot_env, "HR review")
    bot_env.cycle()
    assert bot_env.posts() == []
    remove_route(store, bad.id)
    add_route(store, None, PRODUCT_CHANNEL, ["subject:HR review"])
    bot_env.cycle()
    bot_env.cycle(bot_env.restart(clock_offset=SETTLE_SECONDS + 60))
    assert _sent(store, mid) == [PRODUCT_CHANNEL]
    assert len(bot_env.posts(PRODUCT_CHANNEL)) == 1 and bot_env.posts(REC_CHANNEL) == []
