"""Thousands of random `/recordings` texts through the real Bolt listener: each is acknowledged
with HTTP 200 and gets an ephemeral answer at its response_url, never a failure.

Bolt is driven in-process (`app.dispatch` with properly signed requests) to keep this fast;
the answers still travel over loopback HTTP to the Slack stand-in's response_url.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings
from bot.emulator.slack import SlackStandIn
from bot.emulator.slack.signed_requests import signed_headers, slash_body
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.models import RecordFile, RecordMeeting
from bot.slack.app import build_app
from bot.wiring import Services, build_services

SECRET = "fuzz-signing-secret"
TOKEN = "xoxb-fuzz"
USERS = ("UFADMIN01", "UFMEMBER1", "UFGUEST01")
CHANNEL = "CFUZZ0001"
pytestmark = pytest.mark.slow  # thousands of commands through Bolt, answered over loopback

WORDS = [
    "today", "yesterday", "week", "this", "last", "month", "7d", "30d", "400d", "0d", "d",
    "days", "2026-11-20", "2026/2/30", "2026-11-01..2026-11-20", "..", "to", "1970-01-01",
    "9999-12-31", "search", "host", "mine", "help", "?", "route", "add", "list", "remove",
    "default", "link", "status", "今天", "昨天", "本周", "上周", "我的", "搜索", "帮助", "周会",
    "<@UFMEMBER1>", "<@U1|x>", f"<#{CHANNEL}|fuzz>", "<#CNOPE0001>", "#fuzz", "<!channel>",
    "&amp;", "&lt;", "&gt;", "host:alice", "subject:周会", "subject~(", "subject~^a.*$",
    "password:show", "password:nope", "download:on", "code:123-456-789", "1", "#2", "-1",
    "\u3000", "\t", "\n", "🚀", "'", '"', "`", "*", "_", "~",
]  # fmt: skip

texts = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), max_size=6).map(" ".join),
)


class Fuzz:
    def __init__(self, app: App, slack: SlackStandIn, tencent: TencentEmulator, services):
        self.app, self.slack, self.tencent, self.services = app, slack, tencent, services
        self.seen = 0

    def send(self, text: str, user: str) -> dict:
        url = self.slack.new_response_url()
        body = slash_body(text, user_id=user, response_url=url, channel_id=CHANNEL)
        headers = {k.lower(): [v] for k, v in signed_headers(SECRET, body).items()}
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        assert response.status == 200, (text, response.status, response.body)
        found = self.slack.wait_for(
            lambda: next((r["payload"] for r in self.slack.responses if r["url"] == url), None),
            timeout=10,
        )
        self.seen += 1
        return found


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory) -> Iterator[Fuzz]:
    tencent = TencentEmulator(dataset=Dataset.generate(time.time(), days=1, seed=9)).start()
    slack = SlackStandIn(bot_token=TOKEN).start()
    slack.add_channel(CHANNEL, "fuzz")
    slack.add_user(USERS[0], name="adm", tz="Asia/Shanghai", is_admin=True)
    slack.add_user(USERS[1], name="mem", tz="America/Los_Angeles", email="mem@example.com")
    slack.add_user(USERS[2], name="gst", tz="Europe/Berlin", is_restricted=True)
    settings_ = load_settings(
        {
            "TENCENT_MEETING_API_URL": tencent.url,
            "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
            "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
            "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
            "RECORDINGS_DB": str(tmp_path_factory.mktemp("fuzz") / "fuzz.db"),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        },
        dotenv=False,
    )
    services: Services = build_services(settings_)
    store = services.store
    now = int(time.time())
    store.recordings.save_meetings(
        RecordMeeting(
            meeting_record_id=f"fz{i}", meeting_id=f"m{i}", meeting_code="123",
            userid="mem" if i % 2 else "alice", media_start_time=(now - i * 3000) * 1000,
            subject=["周会 <!channel>", "Weekly sync & co", "设计评审"][i % 3], state=3,
            record_files=(RecordFile(
                record_file_id=f"fz{i}-f", record_start_time=(now - i * 3000) * 1000,
                record_end_time=(now - i * 3000 + 600) * 1000, record_size=1000, sharing_state=1,
                sharing_url=f"https://meeting.tencent.com/r/{i}", password="p"),),
        )
        for i in range(30)
    )  # fmt: skip
    store.recordings.mark_synced(0, 10**12)  # every period the parser accepts is synced
    logging.getLogger("bot.slack.bolt").setLevel(logging.ERROR)
    app = build_app(settings_, store, services.tencent, executors=services.executors)
    try:
        yield Fuzz(app, slack, tencent, services)
    finally:
        services.close()
        slack.stop()
        tencent.stop()


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=texts, user=st.sampled_from(USERS))
def test_any_text_is_acked_and_answered(fuzz, text, user):
    payload = fuzz.send(text, user)
    assert payload["response_type"] == "ephemeral"
    assert payload["text"]
    assert not payload["text"].startswith("Something went wrong"), (text, payload["text"])
    assert "Traceback" not in payload["text"]
    if user == USERS[2]:
        assert "guests" in payload["text"]
    blocks = payload.get("blocks") or []
    assert len(blocks) <= 50


def test_fuzzing_ran_through_the_listener_without_api_calls(fuzz):
    print(f"{fuzz.seen} commands answered")
    assert fuzz.seen >= 500  # hypothesis ran its examples through the app above
    assert fuzz.tencent.call_count() == 0
