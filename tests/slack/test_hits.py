"""`/recordings search` hits inside transcripts: subject, speaker, time, snippet with the match."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import use_language
from bot.meeting_content import HIT_END, HIT_START
from bot.slack.hits import MAX_HITS_SHOWN, hit_text, snippet_text, transcript_hit_blocks
from bot.slack.markdown import ZWSP
from tests.slack.kit_checks import assert_inert, assert_message, section_texts

S, E = HIT_START, HIT_END
HOSTILE = "<!channel> <@U123> <#C1> & *x* _y_ ~z~ `c`"


@dataclass(frozen=True)
class Hit:
    subject: str
    speaker_name: str
    start_ms: int
    snippet: str


@dataclass(frozen=True)
class DatedHit(Hit):
    meeting_start_seconds: int = 1_790_000_000
    cut_start: bool = False
    cut_end: bool = False


def test_a_chinese_hit() -> None:
    hit = DatedHit("产品周会", "张三", 754_000, f"我们决定{S}预算{E}下周再议")
    assert hit_text(hit) == (
        "*产品周会* · <!date^1790000000^{date_short_pretty} {time}|Mon, Sep 21 22:13>\n"
        ":speaking_head_in_silhouette: 张三 at `12:34`\n"
        f"> 我们决定{ZWSP}*预算*{ZWSP}下周再议"
    )
    with use_language("zh"):  # a Chinese reader's answer
        assert hit_text(hit) == (
            "*产品周会* · <!date^1790000000^{date_short_pretty} {time}|9月21日 周一 22:13>\n"
            ":speaking_head_in_silhouette: 张三，位于 `12:34`\n"
            f"> 我们决定{ZWSP}*预算*{ZWSP}下周再议"
        )


def test_an_english_hit_over_an_hour_in() -> None:
    hit = Hit("Weekly sync", "Alice", 3_725_000, f"we will {S}ship{E} on Friday, {S}ship{E} it")
    assert hit_text(hit) == (
        "*Weekly sync*\n:speaking_head_in_silhouette: Alice at `1:02:05`\n"
        "> we will *ship* on Friday, *ship* it"
    )


def test_unknown_speaker_and_subject() -> None:
    text = hit_text(Hit("", " ", 0, f"{S}x{E}"))
    assert text.startswith(
        "*(no subject)*\n:speaking_head_in_silhouette: _Unknown speaker_ at `0:00`"
    )


def test_hostile_everything_is_inert() -> None:
    hit = Hit(HOSTILE, HOSTILE, 1000, f"{HOSTILE} {S}{HOSTILE}{E} {HOSTILE}")
    text = hit_text(hit)
    assert_inert(text)
    for token in ("<!channel>", "<@U123>", "<#C1>"):
        assert token not in text
    assert "*&lt;!channel&gt;" in text  # the match is bold, and still escaped


def test_control_characters_and_lone_surrogates() -> None:
    hit = Hit("周会\ud800\x00", "Bob\udfff\x07", 0, f"a\ud83d{S}b{E}\x1b")
    text, blocks = transcript_hit_blocks([hit], title="t")
    assert_message(text, blocks)
    assert "周会\ufffd" in section_texts(blocks)[0] and "Bob\ufffd" in section_texts(blocks)[0]


def test_stray_and_unbalanced_markers() -> None:
    assert snippet_text(f"a{E}b{S}c{S}d") == f"ab{ZWSP}*cd*"
    assert snippet_text(f"{S}{E}plain") == "plain"
    assert snippet_text("no markers\x00 at\nall") == "no markers at all"


def test_ellipsis_when_cut() -> None:
    # The store's own ellipses, or its flags, or ours for a long snippet: one "…" either side.
    assert snippet_text(f"...中间的{S}词{E}被截断…") == f"…中间的{ZWSP}*词*{ZWSP}被截断…"
    hit = DatedHit("s", "p", 0, f"ord {S}match{E} mid-wo", cut_start=True, cut_end=True)
    assert hit_text(hit).endswith("\n> …ord *match* mid-wo…")
    long = "前" * 1000 + f"{S}关键{E}" + "后" * 1000
    text = snippet_text(long)
    assert text.startswith("…") and text.endswith("…")
    assert "*关键*" in text and len(text) < 400


def test_match_is_kept_when_ellipsis_is_the_match() -> None:
    assert snippet_text(f"{S}...{E}") == "*...*"


def test_blocks_page_with_more_button() -> None:
    hits = [Hit(f"会议 {i} <!here>", "李四", i * 1000, f"说到{S}上线{E}了") for i in range(10)]
    text, blocks = transcript_hit_blocks(
        hits, title="Search: 上线", offset=10, total=35, more_value="q:abc"
    )
    assert_message(text, blocks)
    assert text == "Search: 上线: 35 hits in what was said"
    assert blocks[0]["type"] == "header"
    assert blocks[1]["elements"][0]["text"].startswith("35 hits · showing 11–20 · newest first")
    assert len(section_texts(blocks)) == 10
    more = blocks[-1]
    assert more["type"] == "actions" and more["block_id"] == "more"
    assert more["elements"][0]["text"]["text"] == "More (15 left)"
    assert more["elements"][0]["value"] == "q:abc"


def test_blocks_without_total_or_more() -> None:
    text, blocks = transcript_hit_blocks([Hit("s", "p", 0, "x")], title="Search: x")
    assert_message(text, blocks)
    assert blocks[-1]["type"] == "section"
    assert blocks[1]["elements"][0]["text"].startswith("Hits · showing 1–1")
    _, blocks = transcript_hit_blocks([Hit("s", "p", 0, "x")], title="t", total=1)
    assert blocks[1]["elements"][0]["text"].startswith("1 hit · ")


def test_no_hits() -> None:
    text, blocks = transcript_hit_blocks([], title="Search: <!channel>")
    assert_message(text, blocks)
    assert text == "Search: &lt;!channel&gt;: no matches"
    assert blocks[0]["text"]["text"] == "Search: <!channel>"  # plain_text: never parsed
    assert section_texts(blocks)[0].startswith("Nothing said matches.")


def test_too_many_hits_stay_within_fifty_blocks() -> None:
    hits = [Hit("s" * 5000, "p" * 5000, 0, "w " * 5000 + f"{S}x{E}") for _ in range(200)]
    text, blocks = transcript_hit_blocks(hits, title="t" * 500, total=10_000, more_value="v")
    assert_message(text, blocks)
    assert len(section_texts(blocks)) == MAX_HITS_SHOWN


@settings(max_examples=300, deadline=None)
@given(
    subject=st.text(max_size=300),
    speaker=st.text(max_size=100),
    start_ms=st.integers(min_value=-(10**6), max_value=10**9),
    snippet=st.lists(
        st.sampled_from([S, E, "<!channel>", "&", "*", "_", "~", "`", "中文", "word", " ", "…"])
        | st.text(max_size=5),
        max_size=80,
    ).map("".join),
)
def test_any_hit_is_valid_and_inert(
    subject: str, speaker: str, start_ms: int, snippet: str
) -> None:
    text, blocks = transcript_hit_blocks(
        [Hit(subject, speaker, start_ms, snippet)], title=subject or "t", more_value="v"
    )
    assert_message(text, blocks)
    body = section_texts(blocks)[0]
    assert S not in body and E not in body
