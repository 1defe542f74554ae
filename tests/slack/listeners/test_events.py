"""bot.slack.listeners.events: App Home over the real stack, a signed app_home_opened event in,
views.publish at the Slack stand-in out."""

from __future__ import annotations

import json
import time

from bot.models import RouteSpec
from bot.slack.answers.home_tab import publish_home
from bot.slack.home import COMPANY_LIMIT, MAX_HOME_BLOCKS
from bot.sync import sync_range

ADMIN, MEMBER = "UADMIN001", "UMEMBER01"  # as in conftest.py
CHANNEL, ADMIN_CHANNEL = "CGENERAL1", "CADMINS01"


def open_home(env, user: str, tab: str = "home") -> dict | None:
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user}",
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    assert env.event(event).status_code == 200
    if tab != "home":
        return None
    return env.slack.wait_for(lambda: env.slack.views.get(user))


def seed(env) -> None:
    now = time.time()
    env.tencent.dataset.add_meeting(
        start=now - 5 * 3600, subject="Mo's <!channel> standup", userid="mo"
    )
    env.tencent.dataset.add_meeting(
        start=now - 4 * 3600, subject="Company all hands", userid="zhangwei"
    )
    sync_range(env.services.store, env.services.tencent, int(now - 86400), int(now), notify=False)
    env.services.store.routes.add(
        CHANNEL, RouteSpec(match_subject="<b>standup"), channel_name="general"
    )
    state = env.services.store.state
    state.set("poller.last_started_at", now - 30)
    state.set("poller.consecutive_failures", 3)
    state.set("poller.last_error", {"at": now - 30, "message": "Tencent Meeting: <boom>"})


def recordings_shown(view: dict) -> int:
    return sum(1 for b in view["blocks"] if "\nhost " in (b.get("text") or {}).get("text", ""))


def text_of(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_member_sees_own_recordings_but_no_admin_parts(slack_env) -> None:
    seed(slack_env)

    view = open_home(slack_env, MEMBER)

    shown = text_of(view)
    assert view["type"] == "home"
    assert "Your recent recordings" in shown and "`mo`" in shown  # found by e-mail local part
    assert "&lt;!channel&gt; standup" in shown and "<!channel>" not in shown
    assert "Company all hands" not in shown  # only their own
    assert "Routes" not in shown and "Health" not in shown
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS


def test_admin_sees_routes_and_health(slack_env) -> None:
    seed(slack_env)

    view = open_home(slack_env, ADMIN)  # an admin through ADMIN_USER_IDS

    shown = text_of(view)
    assert "*Routes*" in shown and f"<#{CHANNEL}>" in shown
    assert "subject contains &lt;b&gt;standup" in shown
    assert "*Health*" in shown and "failing" in shown
    assert "&lt;boom&gt;" in shown and "<boom>" not in shown
    # ada has no recordings: the company's latest are shown with a hint
    assert "No recordings hosted by `ada`" in shown and "The company's latest" in shown
    assert recordings_shown(view) == COMPANY_LIMIT


def test_unknown_user_gets_company_latest_with_a_hint(slack_env) -> None:
    seed(slack_env)
    slack_env.slack.add_user("UNOMAIL01", name="nm")  # no e-mail, not linked

    view = open_home(slack_env, "UNOMAIL01")

    shown = text_of(view)
    assert "don't know your Tencent Meeting user" in shown
    assert "/recordings link" in shown
    assert recordings_shown(view) == COMPANY_LIMIT


def test_linked_user_sees_linked_host(slack_env) -> None:
    seed(slack_env)
    slack_env.services.store.users.link(MEMBER, "zhangwei", set_by=ADMIN)

    shown = text_of(open_home(slack_env, MEMBER))

    assert "`zhangwei`" in shown and "Company all hands" in shown
    assert "standup" not in shown


def test_guest_sees_no_recordings(slack_env) -> None:
    seed(slack_env)

    view = open_home(slack_env, "UGUEST001")

    shown = text_of(view)
    assert "guests can" in shown
    assert "standup" not in shown and "host " not in shown


def test_messages_tab_publishes_nothing(slack_env) -> None:
    open_home(slack_env, MEMBER, tab="messages")
    slack_env.settle()  # the event's work after the ack has finished
    assert slack_env.slack.calls_to("views.publish") == []
    # The same path does publish the Home tab: the assertion above was not vacuous.
    open_home(slack_env, MEMBER)
    slack_env.settle()
    assert len(slack_env.slack.calls_to("views.publish")) == 1


def test_home_stays_within_limits_with_many_routes(slack_env) -> None:
    store = slack_env.services.store
    for i in range(150):
        store.routes.add(CHANNEL, RouteSpec(match_host=f"host{i:03d}"))

    view = publish_home(slack_env.deps, slack_env.services.slack, ADMIN)

    assert len(view["blocks"]) <= MAX_HOME_BLOCKS
    for block in view["blocks"]:
        assert len((block.get("text") or {}).get("text", "")) <= 3000
    assert "… and 120 more" in text_of(view)
    assert slack_env.slack.views[ADMIN]["blocks"] == view["blocks"]
