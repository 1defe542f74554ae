"""Block Kit rendering of recordings (pure) and the mrkdwn helpers it builds on."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.emulator.slack import SlackStandIn
from bot.i18n import use_language
from bot.models import RecordMeeting
from bot.slack import blocks as kit
from bot.slack import mrkdwn
from bot.tencent.records import parse_meeting, to_api_dict
from tests.slack.kit_checks import text_objects

EVIL = "<!channel> test <@U123> & co"
PASSWORD = "pw-<!here>&9"
VIEW = "https://view.example.invalid/SECRET-VIEW-ADDRESS"
DOWNLOAD = "https://download.example.invalid/SECRET-DOWNLOAD-ADDRESS"
SHARE = "https://meeting.tencent.com/crm/share?id=abc&k=1"
START_MS = 1_790_000_000_000  # 2026-09-21 22:13:20 in Asia/Shanghai


def make_file(i: int = 0, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "record_file_id": f"file-{i}",
        "record_start_time": START_MS + i * 3_600_000,
        "record_end_time": START_MS + i * 3_600_000 + 3_900_000,
        "record_size": 480_000_000,
        "sharing_state": 1,
        "sharing_url": f"{SHARE}&part={i}",
        "password": PASSWORD,
        "view_address": VIEW,
        "download_address": DOWNLOAD,
        "allow_download": True,
    }
    data.update(overrides)
    return data


def make_meeting(n_files: int = 1, *, subject: str = EVIL, state: int = 3, **kw) -> RecordMeeting:
    files = kw.pop("files", None) or [make_file(i) for i in range(n_files)]
    data = {
        "meeting_record_id": kw.pop("meeting_record_id", "rec-1"),
        "meeting_id": "m-1",
        "meeting_code": kw.pop("meeting_code", "<@U999>&123"),
        "userid": kw.pop("userid", "<!everyone>"),
        "media_start_time": START_MS,
        "subject": subject,
        "state": state,
        "record_files": files,
    }
    return parse_meeting(data)


# --------------------------------------------------------------------------- walking blocks
OWN_TOKENS = re.compile(r"<!date\^\d+\^[^|>]*\|[^<>|]*>|<https?://[^|<>\s]+\|[^<>|]*>")


def assert_harmless_mrkdwn(text: str) -> None:
    """After removing the tokens we generate ourselves, no control sequence may remain."""
    rest = OWN_TOKENS.sub("", text)
    assert "<" not in rest and ">" not in rest, text
    assert not re.search(r"&(?!amp;|lt;|gt;)", rest), text


def assert_valid(blocks: list[dict[str, Any]], max_blocks: int = 50) -> None:
    assert 0 < len(blocks) <= max_blocks
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block  # validators ran, nothing dropped
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids))
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element.get("value", "")) <= 2000
                assert len(element.get("url", "")) <= 3000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def assert_safe(text: str, blocks: list[dict[str, Any]]) -> None:
    assert_valid(blocks)
    assert_harmless_mrkdwn(text)
    for obj in text_objects(blocks):
        if obj["type"] == "mrkdwn":
            assert_harmless_mrkdwn(obj["text"])
        else:  # plain_text is never parsed for mentions or links by Slack
            assert "verbatim" not in obj
    dumped = json.dumps(blocks) + text
    assert VIEW not in dumped and DOWNLOAD not in dumped
    assert "SECRET" not in dumped


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


# --------------------------------------------------------------------------- mrkdwn
def test_escape():
    assert mrkdwn.escape("<!channel> test") == "&lt;!channel&gt; test"
    assert mrkdwn.escape("<@U123>") == "&lt;@U123&gt;"
    assert mrkdwn.escape("a & b") == "a &amp; b"
    assert mrkdwn.escape("&lt;") == "&amp;lt;"
    assert mrkdwn.escape(42) == "42"


def test_date_token():
    token = mrkdwn.date_token(1_790_000_000)
    assert token == "<!date^1790000000^{date_short_pretty} {time}|Mon, Sep 21 22:13>"
    utc = mrkdwn.date_token(1_790_000_000.9, "{date}", fallback_tz="UTC")
    assert utc == "<!date^1790000000^{date}|Mon, Sep 21 14:13>"
    with use_language("zh-CN"):  # the fallback reads as the reader's language does
        assert mrkdwn.date_token(1_790_000_000).endswith("|9月21日 周一 22:13>")


def test_duration():
    assert mrkdwn.duration(3900) == "1 h 05 min"
    assert mrkdwn.duration(42 * 60) == "42 min"
    assert mrkdwn.duration(35) == "35 s"
    assert mrkdwn.duration(0) == "0 s"
    assert mrkdwn.duration(3599) == "1 h 00 min"
    assert mrkdwn.duration(-5) == "0 s"


def test_size():
    assert mrkdwn.size(480_000_000) == "458 MB"
    assert mrkdwn.size(1536 * 1024 * 1024) == "1.5 GB"
    assert mrkdwn.size(500) == "500 B"
    assert mrkdwn.size(12 * 1024) == "12 KB"
    assert mrkdwn.size(3 * 1024**4) == "3.0 TB"


def test_truncate():
    assert mrkdwn.truncate("short", 10) == "short"
    assert mrkdwn.truncate("abcdefghij", 5) == "abcd…"
    assert len(mrkdwn.truncate("x" * 500, 150)) == 150
    cut = mrkdwn.truncate(mrkdwn.escape("aaaa&bbbb"), 7)  # "aaaa&amp;bbbb" -> no "&am…"
    assert cut == "aaaa…"
    assert mrkdwn.truncate("abc", 0) == ""


def test_link_and_mention():
    assert mrkdwn.link("https://x.test/?a=1&b=<2>|3", "Watch") == (
        "<https://x.test/?a=1&amp;b=&lt;2&gt;%7C3|Watch>"
    )
    assert mrkdwn.link("javascript:alert(1)", "<b>") == "&lt;b&gt;"
    assert mrkdwn.user_mention("U0123ABC") == "<@U0123ABC>"
    assert mrkdwn.user_mention("<!channel>") is None


# --------------------------------------------------------------------------- recording_message
def test_recording_message_content():
    meeting = make_meeting()
    text, blocks = kit.recording_message(meeting, tz_name="Asia/Shanghai")
    assert_safe(text, blocks)
    assert blocks[0]["type"] == "header" and EVIL in blocks[0]["text"]["text"]
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert fields[0] == "*Host*\n&lt;!everyone&gt;"
    assert fields[1] == "*Meeting code*\n&lt;@U999&gt;&amp;123"
    assert "<!date^1790000000^" in fields[2]
    assert fields[3].endswith("1 h 05 min") and fields[4].endswith("458 MB")
    assert "ready" in fields[5]
    assert "&lt;!channel&gt; test &lt;@U123&gt; &amp; co" in text
    (watch, show) = buttons(blocks)
    assert watch["url"] == f"{SHARE}&part=0" and watch["action_id"] == "watch"
    assert show["action_id"] == "show_password"
    assert kit.parse_action_value(show["value"]) == ("rec-1", "file-0")


def test_host_name_and_linked_user():
    meeting = make_meeting()
    _, blocks = kit.recording_message(meeting, host_name="<@U1> Wang & Li")
    assert blocks[1]["fields"][0]["text"] == "*Host*\n&lt;@U1&gt; Wang &amp; Li"
    _, linked = kit.recording_message(meeting, host_name="x", host_user_id="U0LINKED")
    assert linked[1]["fields"][0]["text"] == "*Host*\n<@U0LINKED>"
    _, bad = kit.recording_message(meeting, host_user_id="<!channel>")
    assert_harmless_mrkdwn(bad[1]["fields"][0]["text"])


@pytest.mark.parametrize("download", [False, True])
@pytest.mark.parametrize("policy", ["show", "button", "hide"])
def test_password_policies_and_no_addresses(policy, download):
    meeting = make_meeting(3)
    text, blocks = kit.recording_message(meeting, password_policy=policy, download=download)
    assert_safe(text, blocks)
    dumped = json.dumps(blocks)
    action_ids = [b["action_id"] for b in buttons(blocks)]
    if policy == "show":
        assert dumped.count(json.dumps(mrkdwn.escape(PASSWORD))[1:-1]) == 3
        assert PASSWORD not in dumped  # only the escaped form
    else:
        assert "pw-" not in dumped and "pw-" not in text
    assert action_ids.count("show_password") == (3 if policy == "button" else 0)
    assert action_ids.count("download") == (3 if download else 0)
    for element in buttons(blocks):
        if "value" in element:
            assert kit.parse_action_value(element["value"])[0] == "rec-1"


def test_download_needs_permission_of_file():
    meeting = make_meeting(files=[make_file(0, allow_download=False), make_file(1)])
    _, blocks = kit.recording_message(meeting, download=True)
    downloads = [e for e in buttons(blocks) if e["action_id"] == "download"]
    assert [kit.parse_action_value(e["value"])[1] for e in downloads] == ["file-1"]


def test_sharing_off_note_and_no_password_button():
    meeting = make_meeting(files=[make_file(0, sharing_state=0, password=None)])
    text, blocks = kit.recording_message(meeting)
    assert_safe(text, blocks)
    assert buttons(blocks) == []
    notes = [o["text"] for o in text_objects(blocks) if "Sharing is off" in o["text"]]
    assert notes


def test_access_notes():
    file = make_file(0, required_same_corp=True, sharing_expire=START_MS + 86_400_000)
    _, blocks = kit.recording_message(make_meeting(files=[file]))
    notes = " ".join(o["text"] for o in text_objects(blocks))
    assert "colleagues only" in notes and "link expires <!date^1790086400^" in notes


def test_several_files_get_one_line_each():
    _, blocks = kit.recording_message(make_meeting(3))
    texts = [b.get("text", {}).get("text", "") for b in blocks if b["type"] == "section"]
    parts = [t for t in texts if "*Part" in t]
    assert len(parts) == 3 and "*Part 3*" in parts[2]


def test_many_files_stay_within_limits():
    text, blocks = kit.recording_message(make_meeting(40), download=True)
    assert_safe(text, blocks)
    assert "more parts not shown" in blocks[-1]["elements"][0]["text"]


def test_long_subject_and_no_files():
    meeting = make_meeting(subject="会" * 500 + EVIL, files=None, state=2)
    meeting = parse_meeting({**to_api_dict(meeting), "record_files": []})
    text, blocks = kit.recording_message(meeting)
    assert_safe(text, blocks)
    assert len(blocks[0]["text"]["text"]) == 150
    assert text.startswith("Recording transcoding")


def test_unknown_policy_rejected():
    with pytest.raises(ValueError):
        kit.recording_message(make_meeting(), password_policy="maybe")


def test_post_through_web_client():
    meeting = make_meeting(2)
    text, blocks = kit.recording_message(meeting, download=True)
    with SlackStandIn(bot_token="xoxb-blocks") as slack:
        slack.add_channel("C1", "recordings")
        client = WebClient(token="xoxb-blocks", base_url=slack.api_url)
        client.chat_postMessage(
            channel="C1", text=text, blocks=blocks, metadata=kit.recording_metadata(meeting)
        )
        history = client.conversations_history(channel="C1", include_all_metadata=True)
    (message,) = history["messages"]
    assert message["blocks"] == blocks
    assert message["metadata"]["event_payload"]["meeting_record_id"] == "rec-1"


# --------------------------------------------------------------------------- metadata
def test_files_signature_and_metadata():
    a = make_meeting(files=[make_file(0), make_file(1)])
    b = make_meeting(files=[make_file(1), make_file(0)])
    assert kit.files_signature(a) == kit.files_signature(b)
    assert kit.files_signature(a) != kit.files_signature(make_meeting(files=[make_file(0)]))
    assert kit.files_signature(a) != kit.files_signature(
        make_meeting(files=[make_file(0), make_file(1)], state=2)
    )
    assert kit.recording_metadata(a) == {
        "event_type": "tencent_recording_posted",
        "event_payload": {"meeting_record_id": "rec-1", "files_signature": kit.files_signature(a)},
    }
    assert PASSWORD not in json.dumps(kit.recording_metadata(a))


# --------------------------------------------------------------------------- recordings_list
def many(n: int) -> list[RecordMeeting]:
    return [make_meeting(1 + i % 3, meeting_record_id=f"rec-{i}") for i in range(n)]


def test_list_of_100_recordings_pages():
    meetings = many(100)
    text, blocks = kit.recordings_list(
        meetings, title=f"Recordings: {EVIL}", tz_name="Asia/Shanghai", more_value="q:1"
    )
    assert_safe(text, blocks)
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 10
    assert "100 recordings · showing 1–10" in blocks[1]["elements"][0]["text"]
    more = blocks[-1]["elements"][0]
    assert more["action_id"] == "more_results" and more["value"] == "q:1"
    assert "90 left" in more["text"]["text"]
    _, last = kit.recordings_list(meetings, title="t", tz_name="UTC", page=9, more_value="q:10")
    assert_valid(last)
    assert all(e["action_id"] != "more_results" for e in buttons(last))
    assert "showing 91–100" in last[1]["elements"][0]["text"]


def test_list_page_size_is_clamped():
    text, blocks = kit.recordings_list(many(100), title="t", tz_name="UTC", page_size=100)
    assert_safe(text, blocks)
    assert len([b for b in blocks if b["type"] == "section"]) == kit.MAX_LIST_PAGE_SIZE
    assert "narrow the range" in blocks[-1]["elements"][0]["text"]  # no more_value given


def test_list_item_content():
    meeting = make_meeting(2, meeting_record_id="rec-7")
    _, blocks = kit.recordings_list([meeting], title="Today", tz_name="Asia/Shanghai")
    item = blocks[2]["text"]["text"]
    assert item.startswith("*&lt;!channel&gt; test &lt;@U123&gt; &amp; co*")
    assert "host &lt;!everyone&gt;" in item and "<!date^1790000000^" in item
    assert "ready" in item and "|Part 2>" in item and "&amp;part=1" in item
    assert {e["action_id"] for e in buttons(blocks)} == {"show_password", "download"}
    assert all(kit.parse_action_value(e["value"])[0] == "rec-7" for e in buttons(blocks))
    _, guest = kit.recordings_list([meeting], title="Today", tz_name="UTC", download=False)
    assert {e["action_id"] for e in buttons(guest)} == {"show_password"}


def test_list_states_and_sharing_off():
    meetings = [
        make_meeting(state=1, files=[make_file(0, sharing_state=0, password=None)]),
        make_meeting(state=2, meeting_record_id="rec-2"),
    ]
    text, blocks = kit.recordings_list(meetings, title="t", tz_name="UTC")
    assert_safe(text, blocks)
    first, second = (b["text"]["text"] for b in blocks if b["type"] == "section")
    assert ":red_circle: recording" in first and "sharing is off" in first
    assert "transcoding" in second and "|Watch>" in second


def test_list_empty():
    text, blocks = kit.recordings_list([], title="Recordings today", tz_name="UTC")
    assert_valid(blocks)
    body = blocks[1]["text"]["text"]
    assert "No recordings found" in body and "/recordings week" in body and "30d" in body
    assert "No recordings found" in text
    _, past_end = kit.recordings_list(many(3), title="t", tz_name="UTC", page=5)
    assert "No more recordings" in past_end[1]["text"]["text"]


# --------------------------------------------------------------------------- help & notice
USER_FORMS = [
    "today",
    "yesterday",
    "week",
    "this week",
    "last week",
    "7d",
    "30d",
    "2026-11-20",
    "2026-11-01..2026-11-20",
    "search WORD",
    "host USERID",
    "mine",
    "help",
]
ZH_USER_FORMS = [
    "今天",
    "昨天",
    "本周",
    "上周",
    "最近7天",
    "搜索",
    "纪要",
    "主持人",
    "我的",
    "帮助",
]
ZH_ADMIN_FORMS = ["路由 添加 #频道", "路由 列表", "路由 删除", "路由 默认", "关联 @用户", "状态"]
ADMIN_FORMS = [
    "route add #channel [host:USERID] [subject:WORD] [subject~REGEX] [code:MEETING_CODE]",
    "[password:show|button|hide] [download:on|off]",
    "route list",
    "route remove ID",
    "route default #channel",
    "link @user USERID",
    "status",
]


def test_help_for_users_and_admins():
    text, user_blocks = kit.help_blocks(is_admin=False)
    assert_valid(user_blocks)
    user_text = " ".join(o["text"] for o in text_objects(user_blocks))
    assert all(form in user_text for form in USER_FORMS)
    assert "route add" not in user_text and "/recordings" in text
    _, admin_blocks = kit.help_blocks(is_admin=True)
    assert_valid(admin_blocks)
    admin_text = " ".join(o["text"] for o in text_objects(admin_blocks))
    assert all(form in admin_text for form in USER_FORMS + ADMIN_FORMS)
    assert "今天" not in admin_text  # each language's help lists its own words


def test_chinese_help_lists_the_chinese_words():
    with use_language("zh"):
        _, user_blocks = kit.help_blocks(is_admin=False)
        _, admin_blocks = kit.help_blocks(is_admin=True)
    assert_valid(admin_blocks)
    user_text = " ".join(o["text"] for o in text_objects(user_blocks))
    admin_text = " ".join(o["text"] for o in text_objects(admin_blocks))
    assert all(f"/recordings {form}" in user_text for form in ZH_USER_FORMS)
    assert all(form in admin_text for form in ZH_ADMIN_FORMS)
    assert "route add" not in admin_text and "路由 添加" not in user_text


def test_notice():
    (block,) = kit.notice("Routes: *2*")
    assert block == {"type": "section", "text": {"type": "mrkdwn", "text": "Routes: *2*"}}
    assert_valid(kit.notice("x" * 5000))
