"""Editing a posted message after its route was removed: the edit keeps the password hidden
(a regression found in review), over loopback against the emulator and the Slack stand-in."""

from __future__ import annotations

import time

from bot.admin import add_route, remove_route
from tests.conftest import PRODUCT_CHANNEL, BotEnv


def test_an_edit_after_its_route_was_removed_never_offers_a_password(bot_env: BotEnv) -> None:
    """A `password:hide` route is removed, then the recording gains a file: the edited message
    must not fall back to the default policy's Show password button."""
    store = bot_env.services.store
    route = add_route(store, None, PRODUCT_CHANNEL, ["subject:Secret", "password:hide"])
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 3600,
        duration=600,
        transcode_seconds=60,
        subject="Secret board",
        password="123456",
    )
    bot_env.cycle()
    (post,) = bot_env.posts(PRODUCT_CHANNEL)
    assert "show_password" not in str(post["blocks"])

    remove_route(store, route.id)
    store.deliveries.flag_for_update([mid])
    report = bot_env.services.deliverer.deliver_due()
    assert report.updated == 1
    (edited,) = bot_env.posts(PRODUCT_CHANNEL)
    assert edited["ts"] == post["ts"]
    assert "show_password" not in str(edited["blocks"])
    assert "123456" not in str(edited)
