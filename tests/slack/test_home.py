"""bot.slack.home: the Home tab drawn from HomeData alone (no store, no Slack)."""

from __future__ import annotations

import json
import time

from bot.health import Health
from bot.models import RecordFile, RecordMeeting, Route
from bot.slack.home import (
    COMPANY_LIMIT,
    MAX_HOME_BLOCKS,
    AdminPart,
    HomeData,
    home_view,
)

TZ = "Asia/Shanghai"


def meeting(i: int, subject: str = "Weekly <!channel> sync", userid: str = "mo") -> RecordMeeting:
    begin = int((time.time() - 3600 - i * 60) * 1000)
    file = RecordFile(
        record_file_id=f"f{i}",
        record_start_time=begin,
        record_end_time=begin + 600_000,
        record_size=1000,
        sharing_state=1,
        sharing_url=f"https://meeting.tencent.com/crm/{i}",
    )
    return RecordMeeting(
        meeting_record_id=f"r{i}",
        meeting_id=f"m{i}",
        meeting_code="123",
        userid=userid,
        media_start_time=begin,
        subject=subject,
        state=3,
        record_files=(file,),
    )


def text_of(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_own_recordings_are_listed_escaped_with_a_watch_link() -> None:
    view = home_view(HomeData(TZ, userid="mo", mine=[meeting(1)]))
    shown = text_of(view)
    assert view["type"] == "home"
    assert "Your recent recordings" in shown and "`mo`" in shown
    assert "Weekly &lt;!channel&gt; sync" in shown and "<!channel>" not in shown
    assert "|Watch>" in shown
    assert "Routes" not in shown and "Health" not in shown


def test_without_own_recordings_the_company_latest_are_shown_with_a_hint() -> None:
    latest = [meeting(i, userid="zhangwei") for i in range(COMPANY_LIMIT)]
    unknown = text_of(home_view(HomeData(TZ, latest=latest)))
    assert "don't know your Tencent Meeting user" in unknown and "/recordings link" in unknown
    none_lately = text_of(home_view(HomeData(TZ, userid="ada", latest=latest)))
    assert "No recordings hosted by `ada`" in none_lately and "The company's latest" in none_lately
    empty = text_of(home_view(HomeData(TZ, userid="ada")))
    assert "No recordings in the last 30 days." in empty


def test_guests_see_the_refusal_only() -> None:
    view = home_view(HomeData(TZ, is_guest=True, mine=[meeting(1)]))
    assert "guests can" in text_of(view) and "Weekly" not in text_of(view)


def test_admins_see_health_and_routes_within_the_limits() -> None:
    health = Health(
        healthy=False,
        summary="failing: the last 3 poll cycles failed",
        last_success_at=None,
        last_cycle=None,
        next_run_at=None,
        consecutive_failures=3,
        last_error={"at": time.time() - 30, "message": "Tencent Meeting: <boom>"},
        poller_holder=None,
    )
    routes = [Route(id=i, channel="CGENERAL1", match_host=f"host{i:03d}") for i in range(150)]
    view = home_view(HomeData(TZ, userid="ada", admin=AdminPart(health, routes)))
    shown = text_of(view)
    assert "*Health*" in shown and "failing" in shown
    assert "&lt;boom&gt;" in shown and "<boom>" not in shown
    assert "*Routes*" in shown and "<#CGENERAL1>" in shown
    assert "… and 120 more" in shown
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS
    for block in view["blocks"]:
        assert len((block.get("text") or {}).get("text", "")) <= 3000
