"""Two languages everywhere: the catalog matches the code (nothing untranslated, nothing unused,
the same placeholders), and every view and message renders in English and Chinese within Block
Kit's limits, valid for slack_sdk's own models, with no English left in the Chinese one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from babel.messages.pofile import read_po
from slack_sdk.models.views import View

from bot.health import Health
from bot.i18n import use_language
from bot.i18n_catalog import extract, po_path, problems
from bot.meeting_content import HIT_END, HIT_START, Chapter, Minutes
from bot.models import Route, RouteSpec
from bot.slack import blocks as kit
from bot.slack.access_blocks import access_request_message
from bot.slack.forms import link_form, route_form
from bot.slack.hits import transcript_hit_blocks
from bot.slack.home import AdminPart, HomeData, home_view
from bot.slack.minutes import parent_summary_note, thread_reply_messages
from bot.slack.status import status_blocks
from bot.slack.unfurl import unfurl_card
from bot.store.access import AccessRequestRow
from bot.tencent.records import parse_meeting
from tests.slack.kit_checks import assert_blocks, text_objects

TZ = "Asia/Shanghai"
START_MS = 1_790_000_000_000
SHARE = "https://meeting.tencent.com/crm/share?id=abc"
# The data the views show: Chinese subjects and names, so any English left is ours. User ids
# and meeting codes are ASCII by nature: they are allowed below.
SUBJECT = "产品周会 第42期"


def meeting(n_files: int = 1, state: int = 3, **file_fields: Any):
    files = [
        {
            "record_file_id": f"file-{i}",
            "record_start_time": START_MS + i * 3_600_000,
            "record_end_time": START_MS + i * 3_600_000 + 3_900_000,
            "record_size": 480_000_000,
            "sharing_state": 1,
            "sharing_url": f"{SHARE}&part={i}",
            "password": "pw42",
            "allow_download": True,
            "required_same_corp": True,
            "sharing_expire": START_MS + 86_400_000,
        }
        | file_fields
        for i in range(n_files)
    ]
    return parse_meeting(
        {
            "meeting_record_id": "rec-1",
            "meeting_id": "m-1",
            "meeting_code": "123456789",
            "userid": "zhangwei",
            "media_start_time": START_MS,
            "subject": SUBJECT,
            "state": state,
            "record_files": files,
        }
    )


def health() -> Health:
    return Health(
        healthy=False,
        summary="",
        last_success_at=None,
        last_cycle={"fetched": 4, "sent": 2, "calls": 3},
        next_run_at=1_795_000_120.0,
        consecutive_failures=2,
        last_error={"at": 1_795_000_000.0, "message": "错误"},
        poller_holder="host-1",
        stuck=[meeting(state=2)],
        calls_last_minute=7,
        calls_today=120,
        webhook={"last_event_at": 1_795_000_000.0, "accepted": 3, "duplicates": 1, "rejected": 0},
        content={"ready": 3, "generating": 1, "off": 1, "no_sts": 1, "error": 1},
        sts_needed=True,
        malformed={"at": 1_795_000_000.0, "count": 1, "records": ["{}"]},
        broken_routes=[Route(id=3, channel="CPRODUCT1", broken_reason="is_archived")],
    )


def access_row(decision: str | None = None) -> AccessRequestRow:
    return AccessRequestRow(
        apply_id="a1",
        meeting_record_id="rec-1",
        meeting_id="m-1",
        subject=SUBJECT,
        host_userid="zhangwei",
        requester_userid="lina",
        requester_name="李娜",
        note="我错过了会议",
        requested_at=1_795_000_000.0,
        state="posted",
        channel="D1",
        host_slack_id="U0HOST01",
        ts="1.0",
        attempts=1,
        last_error=None,
        decision=decision,
        decided_by="U0HOST01" if decision else None,
        decided_at=1_795_000_100.0 if decision else None,
        created_at=1_795_000_000.0,
    )


ROUTES = [
    Route(id=1, channel="CPRODUCT1", match_host="zhangwei", password_policy="show"),
    Route(id=2, channel="CPRODUCT1", match_subject="周会", lang="zh", summary="always"),
    Route(id=3, channel="CGENERAL1", is_default=True),
]


@dataclass(frozen=True)
class Hit:
    subject: str = SUBJECT
    speaker_name: str = ""  # an unknown speaker
    start_ms: int = 754_000
    snippet: str = f"我们决定{HIT_START}预算{HIT_END}下周再议"
    meeting_start_seconds: int = 1_790_000_000


Rendered = tuple[str, list[dict[str, Any]]]
BLOCK_VIEWS: dict[str, Callable[[], Rendered]] = {
    "recording, two parts, password shown": lambda: kit.recording_message(
        meeting(2), password_policy="show", download=True, tz_name=TZ
    ),
    "recording, password button": lambda: kit.recording_message(meeting(), tz_name=TZ),
    "recording, transcoding": lambda: kit.recording_message(meeting(state=2), tz_name=TZ),
    "recording, sharing off": lambda: kit.recording_message(meeting(sharing_state=0), tz_name=TZ),
    "recording, no files": lambda: kit.recording_message(meeting(0, state=2), tz_name=TZ),
    "recording, many parts": lambda: kit.recording_message(meeting(30), tz_name=TZ),
    "recording deleted": lambda: kit.deleted_message(meeting(), tz_name=TZ),
    "list": lambda: kit.recordings_list(
        [meeting(), meeting(2), meeting(state=2)],
        title="录制",
        tz_name=TZ,
        page_size=2,
        more_value="x",
    ),
    "list, more than a page without a button": lambda: kit.recordings_list(
        [meeting()] * 3, title="录制", tz_name=TZ, page_size=2
    ),
    "list, empty": lambda: kit.recordings_list([], title="录制", tz_name=TZ),
    "list, past the end": lambda: kit.recordings_list(
        [meeting()], title="录制", tz_name=TZ, page=3
    ),
    "help": lambda: kit.help_blocks(is_admin=False),
    "help for admins": lambda: kit.help_blocks(is_admin=True),
    "status": lambda: status_blocks(health(), TZ),
    "access request": lambda: access_request_message(access_row(), tz_name=TZ, to_admins=False),
    "access request to admins": lambda: access_request_message(
        access_row(), tz_name=TZ, to_admins=True
    ),
    "access approved": lambda: access_request_message(
        access_row("approved"), tz_name=TZ, to_admins=False
    ),
    "access ignored": lambda: access_request_message(
        access_row("ignored"), tz_name=TZ, to_admins=True
    ),
    "unfurl": lambda: ("", unfurl_card(meeting(), f"{SHARE}&part=0", tz_name=TZ)["blocks"]),
    "unfurl, sharing off": lambda: (
        "",
        unfurl_card(meeting(sharing_state=0), f"{SHARE}&part=0", tz_name=TZ)["blocks"],
    ),
    "thread replies": lambda: (
        "",
        [
            block
            for message in thread_reply_messages(
                Minutes("file-0", minute="## 结论\n- 预算通过", todo="- 张伟：下周提交"),
                [Chapter("c1", name="开场", start_ms=0), Chapter("c2", name="", start_ms=60_000)],
                subject=SUBJECT,
            )
            for block in message["blocks"]
        ],
    ),
    "thread replies without to-dos": lambda: (
        "",
        thread_reply_messages(Minutes("file-0", minute="预算通过", todo=""), [], subject="")[0][
            "blocks"
        ],
    ),
    "summary note": lambda: ("", [parent_summary_note("https://example.slack.com/p1")]),
    "transcript hits": lambda: transcript_hit_blocks(
        [Hit(), Hit(speaker_name="张伟")], title="搜索", tz_name=TZ, total=3, more_value="x"
    ),
    "transcript hits, none": lambda: transcript_hit_blocks([], title="搜索", tz_name=TZ, total=0),
}
VIEWS: dict[str, Callable[[], dict[str, Any]]] = {
    "home, member": lambda: home_view(HomeData(TZ, userid="zhangwei", mine=[meeting()])),
    "home, unknown member": lambda: home_view(HomeData(TZ, latest=[])),
    "home, member without recordings": lambda: home_view(
        HomeData(TZ, userid="zhangwei", latest=[meeting()])
    ),
    "home, guest": lambda: home_view(HomeData(TZ, is_guest=True)),
    "home, admin": lambda: home_view(
        HomeData(TZ, userid="zhangwei", mine=[meeting()], admin=AdminPart(health(), ROUTES))
    ),
    "home, admin without routes": lambda: home_view(HomeData(TZ, admin=AdminPart(health(), []))),
    "route form": lambda: route_form(),
    "route form, editing": lambda: route_form(ROUTES[0]),
    "link form": lambda: link_form(),
}

# What may stay in Latin letters in a Chinese view: names of things, not words.
ALLOWED = {
    "tencent", "meeting", "slack", "api", "sts", "token", "userid", "tencent_userid",
    "password_key", "tencent_meeting_webhook_token", "tencent_meeting_operator_id", "re2",
    "https", "com", "crm", "share", "abc", "part", "zhangwei", "lina", "host",
    "pw42", "home", "invite", "recordings", "id", "ids", "english", "webhook", "is_archived",
}  # fmt: skip
IGNORED = [
    re.compile(r"<[^<>]*>"),  # mentions, channels, date tokens, links: Slack renders them
    re.compile(r"`[^`]*`"),  # command words, option grammar, ids
    re.compile(r":[a-z_]+:"),  # emoji
    re.compile(r"\b(?:host|subject|code|password|download|summary|lang)(?:: |[:~])[\w|:.~]*"),
    re.compile(r"https?://\S+"),
    re.compile(r"\b\d+(?:\.\d+)?\s?(?:MB|GB|KB|TB|B)\b"),
]


def english_left(texts: list[str]) -> set[str]:
    """Latin words in `texts` that are not names of things."""
    left = set()
    for text in texts:
        for pattern in IGNORED:
            text = pattern.sub(" ", text)
        left |= {w for w in re.findall(r"[A-Za-z_]{3,}", text) if w.lower() not in ALLOWED}
    return left


def all_texts(node: Any) -> list[str]:
    texts = [t["text"] for t in text_objects(node)]
    if isinstance(node, dict):
        for key in ("title", "submit", "close"):
            if isinstance(node.get(key), dict):
                texts.append(node[key]["text"])
    return texts


# -- the catalog --------------------------------------------------------------------------------
def test_every_marked_string_is_translated_and_every_entry_used() -> None:
    found = problems("zh")
    assert found.untranslated == [], "translate these in bot/locale/zh: " + repr(found.untranslated)
    assert found.unused == [], "run `python -m bot.i18n_catalog update`: " + repr(found.unused)


def test_translations_keep_every_placeholder() -> None:
    with po_path("zh").open("rb") as f:
        catalog = read_po(f)
    placeholder = re.compile(r"\{[a-z_]*\}")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        wanted = set(placeholder.findall(ids[0]))
        for string in strings:
            assert set(placeholder.findall(string)) == wanted, (ids[0], string)
    assert len(extract()) > 250  # the scan found the marked strings


# -- every view, both languages -----------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(BLOCK_VIEWS))
def test_every_message_renders_in_both_languages(name: str, lang: str) -> None:
    with use_language(lang):
        text, blocks = BLOCK_VIEWS[name]()
    assert_blocks(blocks)  # slack_sdk's models and Block Kit's limits, in either language
    assert len(text) <= 3000
    if lang == "zh":
        left = english_left([text, *all_texts(blocks)])
        assert not left, f"{name}: untranslated in Chinese: {sorted(left)}"
        assert re.search(r"[\u4e00-\u9fff]", json.dumps(blocks, ensure_ascii=False))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_view_renders_in_both_languages(name: str, lang: str) -> None:
    with use_language(lang):
        view = VIEWS[name]()
    View(**view).validate_json()  # slack_sdk's own model: limits of views and their blocks
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        if block.get("type") != "input":
            assert_blocks([block])
    if lang == "zh":
        left = english_left(all_texts(view))
        assert not left, f"{name}: untranslated in Chinese: {sorted(left)}"


def test_dates_read_naturally_in_each_language() -> None:
    with use_language("zh"):
        _text, blocks = kit.recording_message(meeting(), tz_name=TZ)
    assert "|9月21日 周一 22:13>" in json.dumps(blocks, ensure_ascii=False)
    with use_language("en"):
        _text, blocks = kit.recording_message(meeting(), tz_name=TZ)
    assert "|Mon, Sep 21 22:13>" in json.dumps(blocks)


def test_a_route_in_chinese_describes_itself_in_chinese() -> None:
    route = Route(id=2, channel="C1", **vars(RouteSpec(match_subject="周会")))
    with use_language("zh"):
        assert "主题包含 周会" in route.describe()
    assert "subject contains 周会" in route.describe()  # the terminal stays English
