"""Tencent's markdown as Slack mrkdwn: formatting kept, hostile text inert, long lines cut."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import markdown
from bot.slack.markdown import ZWSP, render
from tests.slack.kit_checks import assert_inert, words

OFFICIAL_MINUTE = "## 会议摘要\n\n#### 测试主题测试主题\n\n测试内容…\n\n"
OFFICIAL_TODO = "## 会议待办\n\n- 测试测试\n- 测试测试\n "
HOSTILE = "<!channel> <!here> <!everyone> <@U123> <#C1|general> <https://evil.example|x> & &amp;"


def test_the_official_example() -> None:
    assert render(OFFICIAL_MINUTE) == "*会议摘要*\n\n*测试主题测试主题*\n\n测试内容…"
    assert render(OFFICIAL_TODO, bullets=True) == "*会议待办*\n\n• 测试测试\n• 测试测试"


def test_headings_lists_and_emphasis() -> None:
    source = (
        "# Weekly sync\n"
        "Plain **bold** and *italic* and __also bold__ and _also italic_ and ~~gone~~.\n"
        "- one\n"
        "  - nested\n"
        "      - deeper\n"
        "* star item\n"
        "1. first\n"
        "2) second\n"
        "3、第三\n"
        "> quoted **bit**\n"
    )
    assert render(source).split("\n") == [
        "*Weekly sync*",
        "Plain *bold* and _italic_ and *also bold* and _also italic_ and ~gone~.",
        "• one",
        "    ◦ nested",
        "        ▪ deeper",
        "• star item",
        "1. first",
        "2. second",
        "3. 第三",
        "> quoted *bit*",
    ]


def test_a_heading_is_one_bold_run() -> None:
    assert render("### 结论：**上线** [计划](https://p.example)") == (
        "*结论：上线* *<https://p.example|计划>*"
    )


def test_chinese_emphasis_gets_word_boundaries() -> None:
    # Slack ignores markers inside a word; a zero-width space makes the boundary.
    out = render("今天**确定**了方案")
    assert out == f"今天{ZWSP}*确定*{ZWSP}了方案"
    assert render("**确定**。") == f"*确定*{ZWSP}。"
    assert render("a **b** c") == "a *b* c"  # spaces already: nothing added


def test_spaces_inside_markers_move_outside() -> None:
    assert render("x** bold **y") == "x∗∗ bold ∗∗y"  # not emphasis at all (space after opener)
    assert render("**bold **x") == "∗∗bold ∗∗x"
    assert render("a **b c** d") == "a *b c* d"


def test_links_only_for_http() -> None:
    assert render("[文档](https://docs.example/a?b=1&c=2)") == (
        "<https://docs.example/a?b=1&amp;c=2|文档>"
    )
    assert render("[x](javascript:alert)") == "x"
    assert render("[x](mailto:a@b.c)") == "x"
    assert render("[](https://a.example)") == "<https://a.example|https://a.example>"
    assert render("see **[spec](http://s.example)**") == "see *<http://s.example|spec>*"
    assert render("[a|b](https://x.example/p|q)") == "<https://x.example/p%7Cq|a¦b>"
    long = "https://x.example/" + "a" * 2000
    assert render(f"[t]({long})") == "t"


def test_code_spans_and_fences() -> None:
    assert render("run `make <all>` now") == "run `make &lt;all&gt;` now"
    assert render("```python\nx = a*b_c <!here>\n```") == "```\nx = a*b_c &lt;!here&gt;\n```"
    assert render("```\nnested ``` fence\n```") == "```\nnested ˋˋˋ fence\n```"
    assert render("```\nnever closed") == "```\nnever closed\n```"


def test_tables_and_rules() -> None:
    out = render("| 名称 | 负责人 |\n|---|:---:|\n| API | 张三 |\n\n---\n\nafter")
    assert out == "名称 · 负责人\nAPI · 张三\n\nafter"


def test_plain_lines_as_bullets_for_todos() -> None:
    assert render("跟进合同\n1. 发邮件\n- 已是列表", bullets=True) == (
        "• 跟进合同\n1. 发邮件\n• 已是列表"
    )


def test_hostile_text_is_inert() -> None:
    out = render(f"## {HOSTILE}\n\n- {HOSTILE}\n\n{HOSTILE} **{HOSTILE}**\n\n> {HOSTILE}")
    assert_inert(out)
    for token in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C1"):
        assert token not in out
    assert "&lt;!channel&gt;" in out and "&amp;amp;" in out


def test_stray_markers_cannot_format() -> None:
    out = render("5 * 3 = 15, ~approx, _lead and trail_ing, a`b, snake_case ok")
    assert "*" not in out and "~" not in out and "`" not in out
    assert "snake_case" in out  # inside a word an underscore is harmless and kept
    assert out == "5 ∗ 3 = 15, ∼approx, ˍlead and trail_ing, aˋb, snake_case ok"


def test_control_characters_dropped() -> None:
    assert render("a\x00b\x02c\x03d\r\ne\rf\tg") == "abcd\ne\nf    g"


def test_pathological_lines_stay_fast() -> None:
    for text in ("*a " * 20_000, "`" * 40_000, "[a](" * 10_000, "_a " * 20_000, "**a " * 20_000):
        assert_inert(render(text))


def test_split_line_at_sentences_and_never_inside_an_entity() -> None:
    sentence = "决定采用方案B & 下周上线。"
    line = markdown.parse("**" + sentence * 400 + "**")[0].lines[0]
    pieces = markdown.split_line(line, 3000)
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= 3000
        assert piece.startswith("*") and piece.endswith("*")  # every piece bold on its own
        assert piece.count("*") == 2
        assert_inert(piece)
        assert piece.rstrip("*").endswith("。")
    assert words("".join(pieces)) == words(sentence * 400)


def test_split_line_without_any_boundary() -> None:
    line = markdown.parse("&<" * 3000 + "中" * 5000)[0].lines[0]
    pieces = markdown.split_line(line, 1000)
    assert all(len(p) <= 1000 for p in pieces)
    for piece in pieces:
        assert_inert(piece)
    assert "".join(pieces) == "&amp;&lt;" * 3000 + "中" * 5000


def test_split_keeps_combining_marks_and_continuations() -> None:
    line = markdown.parse("- " + "e\u0301" * 2000)[0].lines[0]
    pieces = markdown.split_line(line, 999)
    assert pieces[0].startswith("• ")
    assert all(p.startswith("  ") for p in pieces[1:])
    assert all(not p.lstrip().startswith("\u0301") for p in pieces)


TOKENS = list("#*-_~`[]()!<>&@|>\n\t 1.。、中文abcXYZ\x00\x02\u0301") + [
    "https://x.example/",
    "<!channel>",
    "<@U1>",
    "**",
    "```",
    "- ",
    "## ",
    "1. ",
    "> ",
]
MARKDOWNISH = st.lists(st.sampled_from(TOKENS), max_size=200).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=MARKDOWNISH | st.text(max_size=300))
def test_any_markdown_renders_inert(text: str) -> None:
    out = render(text)
    assert_inert(out)
    assert "\x00" not in out and "\x02" not in out


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("*~#-> \n.。中文ab12&<")), min_size=1, max_size=600),
    limit=st.integers(min_value=40, max_value=300),
)
def test_split_line_respects_limits_and_loses_nothing(text: str, limit: int) -> None:
    for paragraph in markdown.parse(text):
        for line in paragraph.lines:
            pieces = markdown.split_line(line, limit)
            assert all(len(p) <= limit for p in pieces)
            for piece in pieces:
                assert_inert(piece)
            assert words("".join(pieces)) == words(markdown.render_line(line))
            assert all(p.strip() for p in pieces)
