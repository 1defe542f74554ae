"""`/recordings` command text -> typed requests."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.parse import (
    AdminCommand,
    Help,
    Invalid,
    Link,
    Query,
    RouteAdd,
    RouteDefault,
    RouteList,
    RouteRemove,
    Status,
    Summary,
    parse_command,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LA = ZoneInfo("America/Los_Angeles")
# Friday 2026-11-20 10:30 in Shanghai = Thursday 2026-11-19 18:30 in Los Angeles
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=SHANGHAI)
NOW_LA = NOW.astimezone(LA)


def at(y: int, m: int, d: int, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(y, m, d, tzinfo=tz)


def query(text: str, now: datetime = NOW) -> Query:
    result = parse_command(text, now=now)
    assert isinstance(result, Query), result
    return result


def invalid(text: str, now: datetime = NOW) -> str:
    result = parse_command(text, now=now)
    assert isinstance(result, Invalid), result
    return result.message


# --- periods ---


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("", at(2026, 11, 20), at(2026, 11, 21), "today"),
        ("   ", at(2026, 11, 20), at(2026, 11, 21), "today"),
        ("today", at(2026, 11, 20), at(2026, 11, 21), "today"),
        ("TODAY", at(2026, 11, 20), at(2026, 11, 21), "today"),
        ("今天", at(2026, 11, 20), at(2026, 11, 21), "today"),
        ("\u3000今天\u3000", at(2026, 11, 20), at(2026, 11, 21), "today"),
        ("yesterday", at(2026, 11, 19), at(2026, 11, 20), "yesterday"),
        ("昨天", at(2026, 11, 19), at(2026, 11, 20), "yesterday"),
        ("week", at(2026, 11, 16), at(2026, 11, 23), "this week"),
        ("This  Week", at(2026, 11, 16), at(2026, 11, 23), "this week"),
        ("本周", at(2026, 11, 16), at(2026, 11, 23), "this week"),
        ("last week", at(2026, 11, 9), at(2026, 11, 16), "last week"),
        ("上周", at(2026, 11, 9), at(2026, 11, 16), "last week"),
        ("month", at(2026, 11, 1), at(2026, 12, 1), "this month"),
        ("last month", at(2026, 10, 1), at(2026, 11, 1), "last month"),
        ("1d", at(2026, 11, 20), at(2026, 11, 21), "today"),
        ("7d", at(2026, 11, 14), at(2026, 11, 21), "last 7 days"),
        ("7D", at(2026, 11, 14), at(2026, 11, 21), "last 7 days"),
        ("last 7 days", at(2026, 11, 14), at(2026, 11, 21), "last 7 days"),
        ("7 days", at(2026, 11, 14), at(2026, 11, 21), "last 7 days"),
        ("30d", at(2026, 10, 22), at(2026, 11, 21), "last 30 days"),
        ("366d", at(2025, 11, 20), at(2026, 11, 21), "last 366 days"),
        ("2026-11-02", at(2026, 11, 2), at(2026, 11, 3), "2026-11-02"),
        ("2026/11/2", at(2026, 11, 2), at(2026, 11, 3), "2026-11-02"),
        ("2024-02-29", at(2024, 2, 29), at(2024, 3, 1), "2024-02-29"),
        ("2026-11-01..2026-11-20", at(2026, 11, 1), at(2026, 11, 21), "2026-11-01 – 2026-11-20"),
        ("2026-11-01 .. 2026-11-20", at(2026, 11, 1), at(2026, 11, 21), "2026-11-01 – 2026-11-20"),
        ("2026-11-01 to 2026-11-20", at(2026, 11, 1), at(2026, 11, 21), "2026-11-01 – 2026-11-20"),
        ("2026/11/01 TO 2026/11/20", at(2026, 11, 1), at(2026, 11, 21), "2026-11-01 – 2026-11-20"),
        ("2026-11-05..2026-11-05", at(2026, 11, 5), at(2026, 11, 6), "2026-11-05 – 2026-11-05"),
        ("2026-01-01..2026-06-30", at(2026, 1, 1), at(2026, 7, 1), "2026-01-01 – 2026-06-30"),
    ],
)
def test_periods_in_shanghai(text, start, end, label):
    q = query(text)
    assert (q.start, q.end, q.label) == (start, end, label)
    assert (q.search, q.host, q.mine) == (None, None, False)
    assert q.start.tzinfo is SHANGHAI and q.end.tzinfo is SHANGHAI


def test_today_depends_on_the_askers_zone():
    shanghai, la = query("today", NOW), query("today", NOW_LA)
    assert (shanghai.start, shanghai.end) == (at(2026, 11, 20), at(2026, 11, 21))
    assert (la.start, la.end) == (at(2026, 11, 19, LA), at(2026, 11, 20, LA))
    assert la.start - shanghai.start == timedelta(hours=-8)
    assert la.start.astimezone(SHANGHAI) == datetime(2026, 11, 19, 16, tzinfo=SHANGHAI)


def test_a_date_is_a_day_in_the_askers_zone():
    q = query("2026-11-02", NOW_LA)
    assert (q.start, q.end) == (at(2026, 11, 2, LA), at(2026, 11, 3, LA))
    # the DST change in Los Angeles (2026-11-01): the week still starts on Monday's midnight
    w = query("last week", NOW_LA)
    assert (w.start, w.end) == (at(2026, 11, 9, LA), at(2026, 11, 16, LA))
    d = query("2026-10-31..2026-11-01", NOW_LA)
    assert d.end.timestamp() - d.start.timestamp() == 49 * 3600  # one day had 25 hours


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        (datetime(2026, 11, 16, 0, 0, tzinfo=SHANGHAI), at(2026, 11, 16)),  # Monday 00:00
        (datetime(2026, 11, 22, 23, 59, tzinfo=SHANGHAI), at(2026, 11, 16)),  # Sunday late
        (datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI), at(2026, 11, 23)),  # next Monday
        (datetime(2027, 1, 1, 12, tzinfo=SHANGHAI), at(2026, 12, 28)),  # across the year
    ],
)
def test_week_starts_on_monday(now, monday):
    q = query("week", now)
    assert (q.start, q.end) == (monday, monday + timedelta(days=7))
    assert q.start.weekday() == 0
    last = query("last week", now)
    assert (last.start, last.end) == (monday - timedelta(days=7), monday)


def test_month_boundaries():
    q = query("last month", datetime(2026, 3, 31, 9, tzinfo=SHANGHAI))
    assert (q.start, q.end) == (at(2026, 2, 1), at(2026, 3, 1))
    q = query("month", datetime(2026, 12, 5, tzinfo=SHANGHAI))
    assert (q.start, q.end) == (at(2026, 12, 1), at(2027, 1, 1))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-02-30", "2026-02-30 is not a date"),
        ("2026-13-01", "2026-13-01 is not a date"),
        ("2025-02-29", "2025-02-29 is not a date"),
        ("2026-11-01..2026-02-30", "2026-02-30 is not a date"),
        ("0000-01-01", "0000-01-01 is not a date"),
        ("1900-01-01", "out of range"),
        ("9999-12-31", "out of range"),
        ("2026-11-20..2026-11-01", "ends (2026-11-01) before it starts (2026-11-20)"),
        ("2025-01-01..2026-11-20", "at most 366 days"),
        ("2026-11-01 to", "finish the range"),
        ("2026-1x-01", "not a date I can read"),
        ("0d", "from 1 to 366"),
        ("367d", "from 1 to 366, not 367"),
        ("last", "last what?"),
        ("last year", "last what?"),
        ("this", "this what?"),
        ("today week", "give one period"),
        ("7d 2026-11-01", "give one period"),
        ("foo", "I don't know “foo”"),
        ("today foo", "I don't know “foo”"),
        ("search", "say what to search for"),
        ("week search   ", "say what to search for"),
        ("host", "say whose recordings"),
        ("host a host b", "give one host"),
        ("mine host bob", "either `mine` or `host"),
    ],
)
def test_invalid_queries_say_what_is_wrong(text, fragment):
    assert fragment in invalid(text)


def test_a_long_unknown_word_is_shortened_in_the_message():
    message = invalid("x" * 500)
    assert len(message) < 80 and message.endswith("…”")


# --- search, host, mine ---


def test_search_takes_the_rest_over_30_days():
    q = query("search  weekly   sync today")
    assert q.search == "weekly sync today"
    assert (q.start, q.end, q.label) == (at(2026, 10, 22), at(2026, 11, 21), "last 30 days")


def test_search_with_a_period_and_chinese_alias():
    q = query("last week 搜索 周会")
    assert q.search == "周会"
    assert (q.start, q.label) == (at(2026, 11, 9), "last week")
    assert query("SEARCH Design").search == "Design"


def test_search_unescapes_slack_entities():
    assert query("search R&amp;D &lt;draft&gt;").search == "R&D <draft>"
    assert query("search &amp;lt;").search == "&lt;"  # one pass only


def test_host_and_mine():
    q = query("host alice")
    assert (q.host, q.mine, q.label) == ("alice", False, "last 30 days")
    q = query("yesterday mine")
    assert (q.mine, q.host, q.label) == (True, None, "yesterday")
    q = query("我的 7d search retro")
    assert (q.mine, q.label, q.search) == (True, "last 7 days", "retro")
    assert query("Host Bob 2026-11-01").host == "Bob"  # the value keeps its case


# --- help and admin ---


@pytest.mark.parametrize("text", ["help", "HELP", "?", "？", "帮助", "help route"])
def test_help(text):
    assert parse_command(text, now=NOW) == Help()


def test_route_commands():
    add = parse_command("route add <#C123|general> host=alice  keyword=周会", now=NOW)
    assert add == RouteAdd("<#C123|general>", ["host=alice", "keyword=周会"])
    assert parse_command("route add #general", now=NOW) == RouteAdd("#general", [])
    assert parse_command("route list", now=NOW) == RouteList()
    assert parse_command("routes", now=NOW) == RouteList()
    assert parse_command("Route Remove 12", now=NOW) == RouteRemove(12)
    assert parse_command("route rm #7", now=NOW) == RouteRemove(7)
    assert parse_command("route default <#C9>", now=NOW) == RouteDefault("<#C9>")
    assert parse_command("status", now=NOW) == Status()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("route add", "say which channel"),
        ("route remove", "say which route"),
        ("route remove x", "“x” is not a route number"),
        ("route remove 1.5", "not a route number"),
        ("route remove ３", "not a route number"),  # full-width digit
        ("route remove 9999999999999999999999", "not a route number"),
        ("route default", "say one channel"),
        ("route frobnicate", "I don't know `route “frobnicate”`"),
        ("status now", "takes nothing"),
        ("link", "link @someone"),
        ("link <@U123>", "link @someone"),
        ("link bob alice", "“bob” is not a Slack user"),
    ],
)
def test_invalid_admin_commands(text, fragment):
    assert fragment in invalid(text)


def test_link_extracts_the_slack_user_id():
    link = parse_command("link <@U0123ABC|bob> bob.tencent", now=NOW)
    assert link == Link("<@U0123ABC|bob>", "bob.tencent", "U0123ABC")
    assert parse_command("link <@W99> t1", now=NOW).slack_user_id == "W99"
    assert Link("<@U5|x>", "t").slack_user_id == "U5"


def test_admin_command_tuple():
    admin = ["route add #c", "route list", "route remove 1", "route default #c", "status"]
    admin.append("link <@U1> t")
    for text in admin:
        assert isinstance(parse_command(text, now=NOW), AdminCommand), text
    for text in ["", "help", "week", "foo"]:
        assert not isinstance(parse_command(text, now=NOW), AdminCommand), text


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_command("today", now=datetime(2026, 11, 20))


# --- fuzz ---

RESULT_TYPES = (Query, Help, Invalid, RouteAdd, RouteList, RouteRemove, RouteDefault, Link, Status)
WORDS = [
    "today", "yesterday", "week", "this", "last", "past", "month", "search", "host", "mine",
    "route", "add", "list", "remove", "default", "link", "status", "help", "?", "to", "..",
    "-", "~", "days", "d", "7d", "0d", "366d", "99999d", "7", "2026-11-01", "2026/02/30",
    "2026-11-01..2026-11-20", "9999-12-31", "0001-01-01", "<#C1|x>", "<@U1|y>", "&amp;",
    "今天", "昨天", "本周", "上周", "搜索", "帮助", "我的", "\u3000", "",
]  # fmt: skip
ZONES = [SHANGHAI, LA, ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")]


def _check(result: object) -> None:
    assert isinstance(result, RESULT_TYPES)
    if isinstance(result, Query):
        assert result.start.tzinfo is not None and result.end.tzinfo is not None
        assert result.start < result.end
        assert result.end - result.start <= timedelta(days=367)
        assert result.search is None or result.search.strip()
    if isinstance(result, Invalid):
        assert result.message
    for f in dataclasses.fields(result):
        getattr(result, f.name)


@settings(max_examples=2000, deadline=None)
@given(text=st.text(), zone=st.sampled_from(ZONES))
def test_fuzz_any_text(text, zone):
    _check(parse_command(text, now=NOW.astimezone(zone)))


@settings(max_examples=2000, deadline=None)
@given(
    words=st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=6),
    sep=st.sampled_from([" ", "  ", "\u3000", "\t"]),
    zone=st.sampled_from(ZONES),
    upper=st.booleans(),
)
def test_fuzz_keyword_combinations(words, sep, zone, upper):
    text = sep.join(words)
    _check(parse_command(text.upper() if upper else text, now=NOW.astimezone(zone)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("summary 123456789", Summary(meeting_code="123456789")),
        ("summary 123 456 789", Summary(meeting_code="123456789")),
        ("minutes 123-456-789", Summary(meeting_code="123456789")),
        ("纪要 123456789", Summary(meeting_code="123456789")),
        (
            "summary <https://meeting.tencent.com/crm/abc>",
            Summary(link="https://meeting.tencent.com/crm/abc"),
        ),
        (
            "summary https://meeting.tencent.com/v2/s?id=1&amp;x=2",
            Summary(link="https://meeting.tencent.com/v2/s?id=1&x=2"),
        ),
    ],
)
def test_summary_by_code_or_link(text, expected):
    assert parse_command(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("summary", "say which recording"),
        ("summary abc", "not a meeting code"),
        ("summary 12", "not a meeting code"),
        ("summary https://evil.example/meeting.tencent.com/x", "not a Tencent Meeting link"),
        ("summary https://meeting.tencent.com.evil.example/x", "not a Tencent Meeting link"),
    ],
)
def test_summary_refuses_what_is_not_a_code_or_a_tencent_link(text, fragment):
    result = parse_command(text, now=NOW)
    assert isinstance(result, Invalid) and fragment in result.message
