"""bot.slack.users: who is asking (time zone, admin, guest), from users.info and the store's
cache, over a real SQLite store and the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.emulator.slack import SlackStandIn
from bot.slack.users import UserDirectory
from bot.store import Store, open_store


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = open_store(tmp_path / "q.db")
    yield s
    s.close()


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(bot_token="xoxb-t") as slack:
        slack.add_user("UADM", name="a", tz="Europe/Paris", is_admin=True, email="ann@x.org")
        slack.add_user("UGST", name="g", tz="Asia/Tokyo", is_ultra_restricted=True)
        slack.add_user("UMEM", name="m", tz="America/New_York")
        yield slack


def _directory(store: Store, slack: SlackStandIn, **kw) -> UserDirectory:
    client = WebClient(token="xoxb-t", base_url=slack.api_url)
    return UserDirectory(store, client, fallback_tz="Asia/Shanghai", **kw)


def test_users_facts_come_from_users_info_and_are_cached(store, standin):
    directory = _directory(store, standin)
    admin = directory.get("UADM")
    assert (admin.tz, admin.is_admin, admin.is_guest, admin.email_local) == (
        "Europe/Paris",
        True,
        False,
        "ann",
    )
    guest = directory.get("UGST")
    assert guest.is_guest and not guest.is_admin and guest.tz == "Asia/Tokyo"
    directory.get("UADM")
    assert len(standin.calls_to("users.info")) == 2  # the second UADM came from the cache


def test_a_row_cached_before_locales_is_asked_again_once(store, standin):
    standin.add_user("UZH", name="z", tz="Asia/Shanghai", locale="zh-CN")
    # As a release before locales left it: fresh, but without the language.
    store.users.cache_user(
        "UZH", tz="Asia/Shanghai", is_admin=False, is_guest=False, email_local=None
    )
    directory = _directory(store, standin)
    assert directory.get("UZH").lang == "zh"
    assert directory.get("UZH").lang == "zh"
    (call,) = standin.calls_to("users.info")  # asked once, then cached with the locale
    assert str(call.get("include_locale")).lower() in ("1", "true")


def test_users_cache_expires(store, standin):
    directory = _directory(store, standin, max_age=0)
    directory.get("UMEM")
    directory.get("UMEM")
    assert len(standin.calls_to("users.info")) == 2


def test_users_fallbacks_when_slack_fails(store, standin):
    directory = _directory(store, standin, admin_user_ids=("UCONF",), max_age=0)
    unknown = directory.get("UNOPE")
    assert (unknown.tz, unknown.is_admin, unknown.is_guest) == ("Asia/Shanghai", False, False)
    assert directory.get("UCONF").is_admin  # ADMIN_USER_IDS needs no Slack
    directory.get("UMEM")  # cached...
    standin.outage(True)  # ...then Slack fails: the stale facts are better than none
    assert directory.get("UMEM").tz == "America/New_York"
