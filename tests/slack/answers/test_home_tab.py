"""bot.slack.answers.home_tab: what a viewer's Home tab shows, gathered from a real store."""

from __future__ import annotations

import json
import time

from bot.slack.answers.home_tab import home_data, home_for, viewer_userid
from bot.slack.home import home_view
from bot.sync import sync_range

ADMIN, MEMBER, GUEST = "UADMIN001", "UMEMBER01", "UGUEST001"  # as in conftest.py


def text_of(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_home_view_is_pure_and_marks_non_admins(slack_env) -> None:
    view = home_view(home_data(slack_env.deps, MEMBER, is_admin=False, tencent_userid="nobody"))
    shown = text_of(view)
    assert "No recordings hosted by `nobody`" in shown
    assert "No recordings in the last 30 days." in shown
    assert "Routes" not in shown


def test_the_viewer_is_found_by_link_then_by_cached_email(slack_env) -> None:
    deps = slack_env.deps
    assert viewer_userid(deps, MEMBER) is None  # nothing cached yet
    deps.users.get(MEMBER)  # users.info: mo@example.com, cached
    assert viewer_userid(deps, MEMBER) == "mo"
    deps.store.users.link(MEMBER, "zhangwei", set_by=ADMIN)
    assert viewer_userid(deps, MEMBER) == "zhangwei"


def test_own_recordings_leave_out_the_company_latest(slack_env) -> None:
    now = time.time()
    slack_env.tencent.dataset.add_meeting(start=now - 3600, subject="Mine", userid="home-tab")
    services = slack_env.services
    sync_range(services.store, services.tencent, int(now - 86400), int(now), notify=False)
    data = home_data(slack_env.deps, MEMBER, is_admin=False, tencent_userid="home-tab")
    assert [m.subject for m in data.mine] == ["Mine"]
    assert data.latest == [] and data.admin is None


def test_guests_and_admins_get_what_the_directory_says(slack_env) -> None:
    guest = home_for(slack_env.deps, GUEST)
    assert "guests can" in text_of(guest) and len(guest["blocks"]) == 2
    admin = home_data(slack_env.deps, ADMIN, is_admin=True)
    assert admin.admin is not None and admin.admin.routes == []
    assert "*Health*" in text_of(home_for(slack_env.deps, ADMIN))
