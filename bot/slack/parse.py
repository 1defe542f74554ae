"""Pure parsing of `/recordings` command text into a typed request.

`parse_command(text, now=...)` never raises for any text: what it does not understand becomes
`Invalid(message)`, the message saying what was wrong. Time ranges are half-open [start, end),
whole days in the time zone of `now` (the asker's zone).

Query forms (keywords are case-insensitive; Chinese words in brackets):
    "" | today [今天]            yesterday [昨天]
    week | this week [本周]      last week [上周]      month | this month [本月]  last month [上月]
    7d | 7 days | last 7 days [最近7天, 7天]   (N from 1 to 366: the N days ending today)
    2026-11-20 | 2026/11/20      2026-11-01..2026-11-20 | 2026-11-01 to 2026-11-20 (inclusive)
    mine [我的] | host USERID [主持人]    search WORDS... [搜索]  (the rest of the text)
A period may be combined with mine, host and search, e.g. `last week mine search 周会`;
without a period, mine / host / search look at the last 30 days.

Other forms: help | ? [帮助]; summary MEETING_CODE | summary SHARE_LINK [纪要]; status [状态];
route [路由] add [添加] CHANNEL OPTIONS...; route list [列表]; route remove [删除] ID;
route default [默认] CHANNEL; link [关联] @user TENCENT_USERID.

Messages (what an `Invalid` says, a period's label) are in the language of the context
(bot.i18n): parse in the asker's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.i18n import _

DEFAULT_SEARCH_DAYS = 30
MAX_DAYS = 366


# --- what a command can be ---------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """Recordings that started in [start, end), optionally narrowed."""

    start: datetime
    end: datetime
    label: str
    search: str | None = None
    host: str | None = None
    mine: bool = False


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class RouteAdd:
    channel_token: str
    option_tokens: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RouteList:
    pass


@dataclass(frozen=True)
class RouteRemove:
    route_id: int


@dataclass(frozen=True)
class RouteDefault:
    channel_token: str


@dataclass(frozen=True)
class Link:
    """Link a Slack user to a Tencent Meeting userid; `slack_user_id` is taken from the token."""

    user_token: str
    tencent_userid: str
    slack_user_id: str = ""

    def __post_init__(self) -> None:
        if not self.slack_user_id:
            object.__setattr__(self, "slack_user_id", slack_user_id(self.user_token) or "")


@dataclass(frozen=True)
class Summary:
    """One recording's minutes, to-dos and chapters: by meeting code (digits only) or by its
    Tencent Meeting share link (exactly one of the two is set)."""

    meeting_code: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Invalid:
    message: str


Command = (
    Query
    | Help
    | Status
    | Summary
    | RouteAdd
    | RouteList
    | RouteRemove
    | RouteDefault
    | Link
    | Invalid
)
AdminCommand = (RouteAdd, RouteList, RouteRemove, RouteDefault, Link, Status)


# --- tokens ------------------------------------------------------------------------------------

_HELP = {"help", "?", "？", "帮助", "h", "-h", "--help"}
_SEARCH = {"search", "搜索", "find"}
_MINE = {"mine", "我的"}
_HOST = {"host", "主持人"}
_STATUS = {"status", "状态"}
_LINK = {"link", "关联"}
_ROUTE = {"route", "routes", "路由"}
_SUMMARY = {"summary", "minutes", "纪要", "总结"}
_RANGE_SEPARATORS = {"to", "..", "~", "～", "-", "–", "—", "至", "到"}

_DATE = r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})"
_DATE_RE = re.compile(rf"^{_DATE}$")
_RANGE_RE = re.compile(
    rf"^{_DATE}\s*(?:\.\.|~|～|至|到|–|—|\s-\s|\sto\s)\s*{_DATE}$", re.IGNORECASE
)
_DAYS_RE = re.compile(r"^(?:最近)?([0-9]{1,6})(?:d|days?|天)$", re.IGNORECASE)
_NUMBER_RE = re.compile(r"^[0-9]{1,6}$")
_USER_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_BARE_USER_RE = re.compile(r"^([UW][A-Z0-9]{2,})$")
_ROUTE_ID_RE = re.compile(r"^#?([0-9]{1,18})$")
_CODE_RE = re.compile(r"^[0-9][0-9 \-]*$")
_LINK_RE = re.compile(r"^<?(https?://[^\s|<>]+)(?:\|[^>]*)?>?$", re.IGNORECASE)
_TENCENT_HOST_RE = re.compile(r"^https://(?:[a-z0-9-]+\.)*meeting\.tencent\.com(?:[/?#]|$)", re.I)
MIN_CODE_DIGITS, MAX_CODE_DIGITS = 6, 20
_UNESCAPES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY_RE = re.compile(r"&(?:amp|lt|gt);")


def unescape(text: str) -> str:
    """Undo Slack's escaping of &, < and > (one pass, so `&amp;lt;` becomes `&lt;`)."""
    return _ENTITY_RE.sub(lambda m: _UNESCAPES[m.group(0)], text)


def slack_user_id(token: str) -> str | None:
    """The user id in `<@U123>` / `<@U123|name>` (or a bare `U123`), else None."""
    match = _USER_RE.match(token) or _BARE_USER_RE.match(token)
    return match.group(1) if match else None


def _quote(token: str, limit: int = 40) -> str:
    token = unescape(token)
    return "“" + (token if len(token) <= limit else token[: limit - 1] + "…") + "”"


class _Stop(Exception):
    """Parsing ended with an Invalid answer."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# --- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    first: date  # first day included
    stop: date  # first day after the period
    label: str


def _to_date(year: str, month: str, day: str) -> date:
    text = f"{year}-{month.zfill(2)}-{day.zfill(2)}"
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        raise _Stop(_("{date} is not a date on the calendar").format(date=text)) from None
    if value.year < 1970 or value.year > 9998:
        raise _Stop(_("{date} is out of range").format(date=text))
    return value


def _days(n: int, today: date) -> _Period:
    if not 1 <= n <= MAX_DAYS:
        raise _Stop(
            _("the number of days should be from 1 to {most}, not {count}").format(
                most=MAX_DAYS, count=n
            )
        )
    label = _("today") if n == 1 else _("last {count} days").format(count=n)
    return _Period(today - timedelta(days=n - 1), today + timedelta(days=1), label)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _named_period(word: str, today: date) -> _Period | None:
    monday = today - timedelta(days=today.weekday())
    month = _month_start(today)
    if word in ("today", "今天"):
        return _Period(today, today + timedelta(days=1), _("today"))
    if word in ("yesterday", "昨天"):
        return _Period(today - timedelta(days=1), today, _("yesterday"))
    if word in ("week", "本周", "this week"):
        return _Period(monday, monday + timedelta(days=7), _("this week"))
    if word in ("last week", "上周"):
        return _Period(monday - timedelta(days=7), monday, _("last week"))
    if word in ("month", "本月", "this month"):
        return _Period(month, _next_month(month), _("this month"))
    if word in ("last month", "上月"):
        previous = _month_start(month - timedelta(days=1))
        return _Period(previous, month, _("last month"))
    return None


def _range(a: date, b: date) -> _Period:
    if b < a:
        raise _Stop(
            _("the range ends ({end}) before it starts ({start})").format(
                end=b.isoformat(), start=a.isoformat()
            )
        )
    if (b - a).days + 1 > MAX_DAYS:
        raise _Stop(
            _("a range can be at most {most} days; this one has {count}").format(
                most=MAX_DAYS, count=(b - a).days + 1
            )
        )
    return _Period(a, b + timedelta(days=1), f"{a.isoformat()} – {b.isoformat()}")


def _take_period(tokens: list[str], i: int, today: date) -> tuple[_Period, int] | None:
    """The period starting at tokens[i] and how many tokens it used, or None if none starts."""
    word = tokens[i].lower()
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    after = tokens[i + 2].lower() if i + 2 < len(tokens) else ""

    if word in ("this", "last", "past"):
        named = _named_period(f"{word} {nxt}", today) if word != "past" else None
        if named is not None:
            return named, 2
        if m := _DAYS_RE.match(nxt):
            return _days(int(m.group(1)), today), 2
        if _NUMBER_RE.match(nxt) and after in ("d", "day", "days", "天"):
            return _days(int(nxt), today), 3
        raise _Stop(_("{word} what? Try `last week` or `last 7 days`").format(word=word))
    if period := _named_period(word, today):
        return period, 1
    if m := _DAYS_RE.match(word):
        return _days(int(m.group(1)), today), 1
    if _NUMBER_RE.match(word) and nxt in ("d", "day", "days", "天"):
        return _days(int(word), today), 2

    # a range: one, two or three tokens ("A..B", "A.. B", "A to B")
    for used in (3, 2, 1):
        if i + used > len(tokens):
            continue
        if m := _RANGE_RE.match(" ".join(tokens[i : i + used])):
            a, b = _to_date(*m.group(1, 2, 3)), _to_date(*m.group(4, 5, 6))
            return _range(a, b), used
    if m := _DATE_RE.match(tokens[i]):
        day = _to_date(*m.groups())
        if nxt in _RANGE_SEPARATORS:
            raise _Stop(_("finish the range: {date} to YYYY-MM-DD").format(date=day.isoformat()))
        return _Period(day, day + timedelta(days=1), day.isoformat()), 1
    if re.match(r"^[0-9]{4}[-/]", tokens[i]):
        raise _Stop(
            _("{text} is not a date I can read; write it as YYYY-MM-DD").format(
                text=_quote(tokens[i])
            )
        )
    return None


# --- commands ----------------------------------------------------------------------------------


def _at_midnight(day: date, now: datetime) -> datetime:
    return datetime.combine(day, time(0), tzinfo=now.tzinfo)


def _query(tokens: list[str], now: datetime) -> Query:
    today = now.date()
    period: _Period | None = None
    period_text = ""
    search: str | None = None
    host: str | None = None
    mine = False
    i = 0
    while i < len(tokens):
        word = tokens[i].lower()
        if word in _SEARCH:
            search = unescape(" ".join(tokens[i + 1 :]))
            if not search:
                raise _Stop(_("say what to search for, e.g. `search weekly sync`"))
            break
        if word in _MINE:
            mine = True
            i += 1
            continue
        if word in _HOST:
            if i + 1 >= len(tokens):
                raise _Stop(_("say whose recordings: `host TENCENT_USERID`"))
            if host is not None:
                raise _Stop(_("give one host"))
            host = unescape(tokens[i + 1])
            i += 2
            continue
        taken = _take_period(tokens, i, today)
        if taken is None:
            raise _Stop(_("I don't know {text}").format(text=_quote(tokens[i])))
        found, used = taken
        text = " ".join(tokens[i : i + used])
        if period is not None:
            raise _Stop(
                _("give one period, not both {first} and {second}").format(
                    first=_quote(period_text), second=_quote(text)
                )
            )
        period, period_text = found, text
        i += used
    if mine and host is not None:
        raise _Stop(_("say either `mine` or `host USERID`, not both"))
    if period is None:
        if search is None and host is None and not mine:
            period = _named_period("today", today)
        else:
            period = _days(DEFAULT_SEARCH_DAYS, today)
    assert period is not None
    try:
        start, end = _at_midnight(period.first, now), _at_midnight(period.stop, now)
    except (OverflowError, ValueError):
        raise _Stop(_("that period is out of range")) from None
    return Query(start=start, end=end, label=period.label, search=search, host=host, mine=mine)


def _route(tokens: list[str]) -> Command:
    sub = tokens[1].lower() if len(tokens) > 1 else "list"
    rest = tokens[2:]
    if sub in ("list", "ls", "列表"):
        return RouteList()
    if sub in ("add", "添加"):
        if not rest:
            return Invalid(_("say which channel: `route add #channel [options]`"))
        return RouteAdd(channel_token=rest[0], option_tokens=list(rest[1:]))
    if sub in ("default", "默认"):
        if len(rest) != 1:
            return Invalid(_("say one channel: `route default #channel`"))
        return RouteDefault(channel_token=rest[0])
    if sub in ("remove", "rm", "delete", "del", "删除"):
        if len(rest) != 1:
            return Invalid(_("say which route: `route remove ID` (see `route list`)"))
        match = _ROUTE_ID_RE.match(rest[0])
        if not match:
            return Invalid(
                _("{text} is not a route number (see `route list`)").format(text=_quote(rest[0]))
            )
        return RouteRemove(route_id=int(match.group(1)))
    return Invalid(
        _("I don't know `route {text}`: try add, list, remove or default").format(
            text=_quote(tokens[1])
        )
    )


def _link(tokens: list[str]) -> Command:
    if len(tokens) != 3:
        return Invalid(_("say who and which Tencent user: `link @someone TENCENT_USERID`"))
    user = slack_user_id(tokens[1])
    if user is None:
        return Invalid(
            _("{text} is not a Slack user: mention them, like `@someone`").format(
                text=_quote(tokens[1])
            )
        )
    return Link(user_token=tokens[1], tencent_userid=unescape(tokens[2]), slack_user_id=user)


def _summary(tokens: list[str]) -> Command:
    rest = tokens[1:]
    usage = _("`summary MEETING_CODE` or `summary https://meeting.tencent.com/...` (a share link)")
    if not rest:
        return Invalid(_("say which recording: {usage}").format(usage=usage))
    if len(rest) == 1 and (match := _LINK_RE.match(rest[0])):
        url = unescape(match.group(1))
        if not _TENCENT_HOST_RE.match(url):
            return Invalid(
                _("{text} is not a Tencent Meeting link (https://meeting.tencent.com/...)").format(
                    text=_quote(url)
                )
            )
        return Summary(link=url)
    joined = " ".join(rest)
    if _CODE_RE.match(joined):
        digits = re.sub(r"[ \-]", "", joined)
        if MIN_CODE_DIGITS <= len(digits) <= MAX_CODE_DIGITS:
            return Summary(meeting_code=digits)
    return Invalid(
        _("{text} is not a meeting code or a share link: {usage}").format(
            text=_quote(joined), usage=usage
        )
    )


def parse_command(text: str, *, now: datetime) -> Command:
    """The request in `/recordings` text; `now` is aware, in the asker's time zone."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    tokens = str(text).replace("\u3000", " ").split()
    first = tokens[0].lower() if tokens else ""
    try:
        if first in _HELP:
            return Help()
        if first in _STATUS:
            return Status() if len(tokens) == 1 else Invalid(_("`status` takes nothing after it"))
        if first in _ROUTE:
            return _route(tokens)
        if first in _LINK:
            return _link(tokens)
        if first in _SUMMARY:
            return _summary(tokens)
        return _query(tokens, now)
    except _Stop as stop:
        return Invalid(stop.message)
