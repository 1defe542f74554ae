"""Broken channels: their routes are marked, the admins hear it once, the recordings wait."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.admin import add_route, remove_route
from bot.delivery.broken_channels import AdminNotices, BrokenChannels
from bot.store import Store, open_store
from tests.conftest import ADMIN_CHANNEL_ID, BotEnv
from tests.delivery.meetings import completed


def test_a_missing_channel_breaks_the_route_tells_admins_once_and_keeps_the_recording(
    bot_env: BotEnv,
) -> None:
    bot_env.slack.add_channel("CDOOMED01", "doomed")
    route = add_route(bot_env.services.store, bot_env.services.slack, "CDOOMED01", [])
    bot_env.slack.channel("CDOOMED01").is_archived = True
    mid = completed(bot_env)
    bot_env.cycle()
    bot_env.cycle()
    store = bot_env.services.store
    assert [r.id for r in store.routes.broken()] == [route.id]
    notices = bot_env.slack.messages(ADMIN_CHANNEL_ID)
    assert len(notices) == 1 and "archived" in notices[0]["text"]
    assert store.deliveries.get(mid, "CDOOMED01").state == "failed"

    # Unarchived: the recording is posted on a later try, and the admins hear it works again.
    bot_env.slack.channel("CDOOMED01").is_archived = False
    later = bot_env.restart(clock_offset=700)
    later.deliverer.deliver_due()
    assert len(bot_env.posts("CDOOMED01")) == 1
    assert store.routes.broken() == []
    assert "works again" in bot_env.slack.messages(ADMIN_CHANNEL_ID)[-1]["text"]


def test_removing_a_broken_route_cancels_what_it_still_owed(bot_env: BotEnv) -> None:
    bot_env.slack.add_channel("CDOOMED02", "doomed-too", is_archived=True)
    route = add_route(bot_env.services.store, None, "CDOOMED02", [])
    mid = completed(bot_env)
    bot_env.cycle()
    remove_route(bot_env.services.store, route.id)
    assert bot_env.services.store.deliveries.get(mid, "CDOOMED02").state == "cancelled"
    assert bot_env.services.store.deliveries.undelivered() == []


class Notices:
    """Collects admin notices instead of posting them."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lang = "en"

    def send(self, text: str) -> None:
        self.sent.append(text)


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(tmp_path / "bot.db")
    yield store
    store.close()


def test_a_breakage_is_told_once_and_its_repair_once(store: Store) -> None:
    route = add_route(store, None, "CBROKEN01", [])
    notices = Notices()
    channels = BrokenChannels(store, notices)  # type: ignore[arg-type]
    channels.works("CBROKEN01")  # nothing was broken: nothing to say
    assert notices.sent == []

    channels.broken("CBROKEN01", "the channel is archived")
    channels.broken("CBROKEN01", "the channel is archived")
    assert [r.id for r in store.routes.broken()] == [route.id]
    assert len(notices.sent) == 1 and "the channel is archived" in notices.sent[0]
    assert "<#CBROKEN01>" in notices.sent[0]

    channels.works("CBROKEN01")
    channels.works("CBROKEN01")
    assert store.routes.broken() == []
    assert notices.sent[1:] == ["Posting to <#CBROKEN01> works again."]


class FailingClient:
    def __init__(self) -> None:
        self.calls = 0

    def chat_postMessage(self, **kwargs) -> None:  # noqa: N802 (slack_sdk's name)
        self.calls += 1
        raise ConnectionResetError("the connection was reset")


def test_an_admin_notice_never_raises(caplog) -> None:
    client = FailingClient()
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        AdminNotices(client, "CADMIN01").send("hello")  # type: ignore[arg-type]
    assert client.calls == 1
    assert "could not notify the admin channel: ConnectionResetError" in caplog.text


def test_without_an_admin_channel_a_notice_is_logged(caplog) -> None:
    client = FailingClient()
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        AdminNotices(client, None).send("hello")  # type: ignore[arg-type]
    assert client.calls == 0
    assert "admin notice (no ADMIN_CHANNEL set): hello" in caplog.text
