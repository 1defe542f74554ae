"""Thread replies with the minutes, to-dos and chapters; the parent's summary note."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.meeting_content import Chapter, Minutes
from bot.slack import minutes as render
from bot.slack.blocks import recording_message
from bot.slack.minutes import (
    SUMMARY_NOTE_BLOCK_ID,
    offset_text,
    parent_summary_note,
    thread_reply_messages,
    with_summary_note,
)
from bot.tencent.records import parse_meeting
from tests.slack.kit_checks import assert_blocks, assert_inert, assert_message, section_texts, words
from tests.slack.test_markdown import MARKDOWNISH

HOSTILE = "<!channel> <!here> <@U123> <#C1> & *x* _y_ ~z~"
MINUTE_ZH = (
    "## 会议摘要\n\n#### 项目进度\n\n本周完成了**接口联调**，下周进入测试。\n\n"
    "#### 风险\n\n- 供应商交付可能延期\n- 测试环境不足\n"
)
TODO_ZH = "## 会议待办\n\n- 张三：周五前提交方案\n- 李四：联系供应商\n "
MINUTE_EN = (
    "## Summary\n\nThe team agreed to **ship on Friday**. See [the plan](https://plan.example/x).\n"
)
CHAPTERS = [
    Chapter("c2", "需求评审", 65_000),
    Chapter("c1", "Opening <!channel>", 3_190),
    Chapter("c3", "Wrap-up & next steps", 3_725_000),
]


def minutes(minute: str = MINUTE_ZH, todo: str = TODO_ZH) -> Minutes:
    return Minutes("file-1", minute, todo)


def all_blocks(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [block for message in messages for block in message["blocks"]]


def check(messages: list[dict[str, Any]], budget: int = render.MESSAGE_CHARS) -> None:
    for message in messages:
        assert set(message) == {"text", "blocks"}
        assert_message(message["text"], message["blocks"])
        assert message["blocks"][0]["type"] == "header"
        assert len("".join(section_texts(message["blocks"]))) <= budget


# --------------------------------------------------------------------------- basics
def test_offset_text() -> None:
    assert offset_text(0) == "0:00"
    assert offset_text(3_190) == "0:03"
    assert offset_text(65_000) == "1:05"
    assert offset_text(3_599_999) == "59:59"
    assert offset_text(3_725_000) == "1:02:05"
    assert offset_text(-5) == "0:00"
    assert offset_text(100 * 3_600_000) == "100:00:00"


def test_chinese_minutes_todos_and_chapters_in_one_message() -> None:
    messages = thread_reply_messages(minutes(), CHAPTERS, subject="周会 <!channel>")
    check(messages)
    assert len(messages) == 1
    blocks = messages[0]["blocks"]
    assert blocks[0]["text"]["text"] == "Minutes: 周会 <!channel>"  # plain_text: never parsed
    assert messages[0]["text"] == "Minutes of 周会 &lt;!channel&gt;"
    texts = section_texts(blocks)
    assert texts[0] == (
        "*会议摘要*\n\n*项目进度*\n\n本周完成了\u200b*接口联调*\u200b，下周进入测试。\n\n"
        "*风险*\n\n• 供应商交付可能延期\n• 测试环境不足"
    )
    assert texts[1] == "*会议待办*\n\n• 张三：周五前提交方案\n• 李四：联系供应商"
    assert texts[2] == (
        "*Chapters*\n`0:03` Opening &lt;!channel&gt;\n`1:05` 需求评审\n"
        "`1:02:05` Wrap-up &amp; next steps"
    )
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "divider",
        "section",
        "divider",
        "section",
    ]


def test_english_minutes_with_plain_todos() -> None:
    messages = thread_reply_messages(
        minutes(MINUTE_EN, "Alice to send the draft\nBob: book the room"), [], subject="Sync"
    )
    check(messages)
    texts = section_texts(messages[0]["blocks"])
    assert texts[0] == (
        "*Summary*\n\nThe team agreed to *ship on Friday*. See <https://plan.example/x|the plan>."
    )
    assert texts[1] == "*To-dos*\n\n• Alice to send the draft\n• Bob: book the room"


def test_plain_text_minutes_get_a_label() -> None:
    messages = thread_reply_messages(minutes("只是一段纯文本纪要。", ""), [], subject="s")
    check(messages)
    blocks = messages[0]["blocks"]
    assert section_texts(blocks) == ["*Summary*\n\n只是一段纯文本纪要。"]
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "No to-dos were noted."}],
    }


# --------------------------------------------------------------------------- empty parts
def test_nothing_at_all_gives_no_message() -> None:
    assert thread_reply_messages(None, [], subject="s") == []
    assert thread_reply_messages(minutes("", ""), [], subject="s") == []
    assert thread_reply_messages(minutes(" \n\n ", "## 会议待办\n\n"), [], subject="s") == []


def test_only_chapters() -> None:
    messages = thread_reply_messages(None, CHAPTERS[:1], subject="s")
    check(messages)
    assert [b["type"] for b in messages[0]["blocks"]] == ["header", "section"]


def test_only_todos_and_headings_without_body() -> None:
    messages = thread_reply_messages(minutes("## 会议摘要\n\n", TODO_ZH), [], subject="")
    check(messages)
    blocks = messages[0]["blocks"]
    assert blocks[0]["text"]["text"] == "Minutes: (no subject)"
    assert section_texts(blocks) == ["*会议待办*\n\n• 张三：周五前提交方案\n• 李四：联系供应商"]


def test_untitled_and_odd_chapters() -> None:
    chapters = [Chapter("a", "", -10), Chapter("b", "x\n\x00y" + "长" * 1000, 10**10)]
    messages = thread_reply_messages(None, chapters, subject="s")
    check(messages)
    text = section_texts(messages[0]["blocks"])[0]
    assert text.startswith("*Chapters*\n`0:00` (untitled)\n`2777:46:40` x y长")
    assert text.endswith("…")


# --------------------------------------------------------------------------- hostile content
def test_hostile_minutes_are_inert() -> None:
    minute = f"## {HOSTILE}\n\n#### {HOSTILE}\n\n{HOSTILE}\n\n- **{HOSTILE}**\n1. [{HOSTILE}](https://x.example)"
    messages = thread_reply_messages(
        minutes(minute, f"- {HOSTILE}"), [Chapter("c", HOSTILE, 0)], subject=HOSTILE
    )
    check(messages)
    dumped = repr(messages)
    for token in ("<!channel>", "<!here>", "<@U123>", "<#C1>"):
        assert token not in "".join(section_texts(all_blocks(messages)))
        assert token not in messages[0]["text"]
    assert "&lt;!channel&gt;" in dumped


def test_control_characters_and_lone_surrogates() -> None:
    odd = "a\ud800b\x00c\x1b\x7f"
    messages = thread_reply_messages(
        minutes(f"## {odd}\n\n{odd}", odd), [Chapter("c", odd, 0)], subject=odd
    )
    check(messages)
    assert messages[0]["blocks"][0]["text"]["text"] == "Minutes: a\ufffdbc"


# --------------------------------------------------------------------------- long minutes
def long_minutes(target: int) -> str:
    """Chinese and English paragraphs, headings, lists and bold: about `target` characters."""
    parts = ["## 会议摘要"]
    n = 0
    while sum(len(p) for p in parts) < target:
        n += 1
        parts.append(f"#### 议题 {n} Topic {n}")
        parts.append(
            f"第{n}项讨论了**预算 & 排期**，大家同意先上线核心功能。" * 12
            + f" In item {n} the team reviewed the <rollout> plan and agreed to **ship** it." * 6
        )
        parts.append("\n".join(f"- 负责人{i}：完成第{n}项任务的第{i}步。" for i in range(8)))
    return "\n\n".join(parts)


def test_100_kb_minutes_split_cleanly_with_nothing_lost() -> None:
    minute = long_minutes(100_000)
    assert len(minute) >= 100_000
    messages = thread_reply_messages(minutes(minute, ""), CHAPTERS, subject="长会议 Long meeting")
    check(messages)
    count = len(messages)
    assert count > 5
    for index, message in enumerate(messages, start=1):
        mark = f"({index}/{count})"
        assert message["blocks"][0]["text"]["text"].endswith(mark)
        assert message["text"].endswith(mark)
        assert message["blocks"][1]["type"] != "divider"
        assert message["blocks"][-1]["type"] != "divider"
    texts = section_texts(all_blocks(messages))
    summary = texts[: next(i for i, t in enumerate(texts) if t.startswith("*Chapters*"))]
    assert words("".join(summary)) == words(minute)
    for text in summary:  # cut between paragraphs: no section ends mid-sentence
        assert re.search(r"(。|\.|\*)$", text), text[-40:]
        assert not re.search(r"\*议题 \d+ Topic \d+\*$", text)  # a heading stays with its text
        assert text.count("*") % 2 == 0  # no bold pair cut in two
        assert not re.search(r"&(?!amp;|lt;|gt;)", text)


def test_a_heading_is_kept_with_what_it_heads() -> None:
    first = "前文。" * 980  # nearly fills the first section
    minute = f"{first}\n\n#### 下一节\n\n" + "内容。" * 50
    texts = section_texts(all_blocks(thread_reply_messages(minutes(minute, ""), [], subject="s")))
    assert texts[1].startswith("*下一节*\n\n内容。")


def test_one_enormous_paragraph_is_cut_at_sentences() -> None:
    sentence = "我们讨论了 <!here> 的问题 & 解决方案。The fix ships **today**. "
    minute = sentence * 3000  # ~150 KB on one line
    messages = thread_reply_messages(minutes(minute, ""), [], subject="s")
    check(messages)
    texts = section_texts(all_blocks(messages))
    assert words("".join(texts)) == words("Summary" + minute)
    for text in texts[1:]:
        assert text.rstrip().endswith((".", "。", "*")), text[-30:]


def test_a_huge_line_without_any_break_is_cut_anyway() -> None:
    minute = "&" * 20_000 + "中" * 20_000
    messages = thread_reply_messages(minutes(minute, ""), [], subject="s")
    check(messages)
    joined = "".join(section_texts(all_blocks(messages)))
    assert joined.count("&amp;") == 20_000 and joined.count("中") == 20_000


def test_long_fenced_code_keeps_its_fences() -> None:
    minute = "```\n" + "\n".join(f"line {i} <!here> `x`" for i in range(2000)) + "\n```"
    messages = thread_reply_messages(minutes(minute, ""), [], subject="s")
    check(messages)
    texts = section_texts(all_blocks(messages))
    assert len(texts) > 5
    for text in texts:
        assert text.removeprefix("*Summary*\n\n").startswith("```\n") and text.endswith("\n```")
    assert "".join(texts).count("line ") == 2000


def test_many_chapters_and_a_small_message_budget() -> None:
    chapters = [Chapter(str(i), f"第{i}章 Chapter {i}", i * 61_000) for i in range(3000)]
    messages = thread_reply_messages(None, chapters, subject="s", message_chars=3000)
    check(messages)
    joined = "\n".join(section_texts(all_blocks(messages)))
    assert joined.count("Chapter ") == 3000
    assert len(messages) > 10
    assert all(len(m["blocks"]) <= 50 for m in messages)


def test_many_small_paragraphs_stay_within_fifty_blocks() -> None:
    minute = "\n\n".join(f"```\n{i}\n```" for i in range(5000))
    messages = thread_reply_messages(minutes(minute, ""), [], subject="s", message_chars=10**7)
    check(messages, budget=10**7)
    assert all(len(m["blocks"]) <= 50 for m in messages)


def test_long_subject_keeps_the_part_mark() -> None:
    messages = thread_reply_messages(
        minutes(long_minutes(20_000), ""), [], subject="<!channel> " + "长" * 500
    )
    check(messages)
    assert len(messages) > 1
    title = messages[-1]["blocks"][0]["text"]["text"]
    assert len(title) <= 150 and title.endswith(f"({len(messages)}/{len(messages)})")
    assert "…" in title


@settings(max_examples=150, deadline=None)
@given(minute=MARKDOWNISH | st.text(max_size=300), todo=MARKDOWNISH, subject=st.text(max_size=200))
def test_any_markdown_gives_valid_inert_messages(minute: str, todo: str, subject: str) -> None:
    messages = thread_reply_messages(minutes(minute, todo), CHAPTERS[:1], subject=subject)
    check(messages)


@settings(max_examples=25, deadline=None)
@given(
    unit=MARKDOWNISH.filter(lambda s: s.strip()),
    repeat=st.integers(min_value=50, max_value=400),
    budget=st.integers(min_value=3000, max_value=20_000),
)
def test_long_arbitrary_markdown_respects_every_limit(unit: str, repeat: int, budget: int) -> None:
    messages = thread_reply_messages(
        minutes(unit * repeat, unit), [], subject="s", message_chars=budget
    )
    for message in messages:
        assert_message(message["text"], message["blocks"])
        assert len("".join(section_texts(message["blocks"]))) <= max(budget, 3000)


# --------------------------------------------------------------------------- the parent
def meeting_blocks() -> list[dict[str, Any]]:
    meeting = parse_meeting(
        {
            "meeting_record_id": "rec-1",
            "meeting_id": "m-1",
            "meeting_code": "123",
            "userid": "host",
            "media_start_time": 1_790_000_000_000,
            "subject": "Weekly",
            "state": 3,
            "record_files": [
                {
                    "record_file_id": "f-1",
                    "record_start_time": 1_790_000_000_000,
                    "record_end_time": 1_790_003_600_000,
                    "record_size": 1,
                    "sharing_state": 1,
                    "sharing_url": "https://meeting.tencent.com/crm/x",
                }
            ],
        }
    )
    return recording_message(meeting)[1]


def test_parent_summary_note() -> None:
    note = parent_summary_note()
    assert note == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": ":memo: Summary, to-dos and chapters are in the thread."}
        ],
        "block_id": SUMMARY_NOTE_BLOCK_ID,
    }
    linked = parent_summary_note("https://team.slack.com/archives/C1/p123?thread_ts=1.2&cid=C1")
    text = linked["elements"][0]["text"]
    assert (
        "<https://team.slack.com/archives/C1/p123?thread_ts=1.2&amp;cid=C1|in the thread>" in text
    )
    assert_inert(text)
    assert parent_summary_note("javascript:x")["elements"][0]["text"].endswith("in the thread.")
    assert "<" not in parent_summary_note("https://x/" + "a" * 2000)["elements"][0]["text"]


def test_with_summary_note_on_a_real_parent() -> None:
    parent = meeting_blocks()
    note = parent_summary_note()
    edited = with_summary_note(parent, note)
    assert edited[:-1] == parent and edited[-1] == note
    assert_blocks(edited)
    again = with_summary_note(edited, parent_summary_note("https://x.example/p"))
    assert len(again) == len(edited) and again[-1]["elements"][0]["text"].count("<") == 1
    assert_blocks(again)
    full = [{"type": "divider"}] * 50
    capped = with_summary_note(full, note)
    assert len(capped) == 50 and capped[-1] == note
    assert recording_message.__name__ and meeting_blocks() == parent  # parent untouched
