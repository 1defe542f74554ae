"""Pure routing rules: which channels a recording goes to, and parsing route options.

No SQL and no I/O here: the store keeps routes (bot/store/routes.py), this module decides.
A route's match fields are ANDed; a route with none of them set matches every recording.
Subject regexes run on RE2 (bot/subject_regex.py): linear time, whatever the pattern.
"""

from __future__ import annotations

import re

from bot.i18n import _
from bot.models import (
    CONTENT_LANGS,
    PASSWORD_POLICIES,
    SUMMARY_POLICIES,
    RecordFile,
    RecordMeeting,
    Route,
    RouteSpec,
)
from bot.subject_regex import compiled, regex_problem, subject_matches


class RouteOptionError(ValueError):
    """A route option the user typed is wrong; the message says how to fix it."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _digits(code: str) -> str:
    return re.sub(r"[\s-]", "", code)


def quarantine_reason(route: Route) -> str | None:
    """Why a stored route cannot be used (e.g. a regex an older release accepted that RE2
    refuses), or None. A quarantined route matches nothing, see `targets_for`."""
    if route.match_subject_regex:
        return regex_problem(route.match_subject_regex)
    return None


def _plain_fields_match(route: Route, meeting: RecordMeeting) -> bool:
    """The match fields other than the regex fit the recording."""
    host_ok = not route.match_host or meeting.userid == route.match_host
    subject = route.match_subject
    subject_ok = not subject or subject.casefold() in meeting.subject.casefold()
    code = route.match_code
    code_ok = not code or _digits(meeting.meeting_code) == _digits(code)
    return host_ok and subject_ok and code_ok


def route_matches(route: Route, meeting: RecordMeeting) -> bool:
    """True if every match field the route sets fits the recording (never for a route whose
    regex RE2 refuses)."""
    if not _plain_fields_match(route, meeting):
        return False
    if route.match_subject_regex:
        pattern = compiled(route.match_subject_regex)
        if pattern is None or not subject_matches(pattern, meeting.subject):
            return False
    return True


def _decide(
    meeting: RecordMeeting, routes: list[Route], default_channel: str | None
) -> tuple[list[Route], list[Route]]:
    """(targets, held): `held` are the quarantined routes whose other fields fit, i.e. that
    might have matched had their regex been usable."""
    chosen: dict[str, Route] = {}
    held: list[Route] = []
    ordered = sorted(
        (r for r in routes if not r.is_default), key=lambda r: (r.id is None, r.id or 0)
    )
    for route in ordered:
        if quarantine_reason(route) is not None:
            if _plain_fields_match(route, meeting):
                held.append(route)
        elif route.channel not in chosen and route_matches(route, meeting):
            chosen[route.channel] = route
    if chosen or held:
        return list(chosen.values()), held
    stored_default = next((r for r in routes if r.is_default), None)
    if stored_default is not None:
        return [stored_default], held
    if default_channel:
        return [Route(id=None, channel=default_channel, is_default=True)], held
    return [], held


def targets_and_held(
    meeting: RecordMeeting, routes: list[Route], default_channel: str | None
) -> tuple[list[Route], list[Route]]:
    """(`targets_for`'s routes, the quarantined routes whose other fields fit the recording).
    A recording with no target and some such route is held (bot/held.py)."""
    return _decide(meeting, routes, default_channel)


def routes_key(routes: list[Route]) -> str:
    """What routing depends on in `routes`, as a string: equal keys route alike."""
    fields = [
        (r.id, r.channel, r.match_host, r.match_subject, r.match_subject_regex, r.match_code)
        + (r.is_default,)
        for r in sorted(routes, key=lambda r: r.id or 0)
    ]
    return repr(fields)


def targets_for(
    meeting: RecordMeeting, routes: list[Route], default_channel: str | None
) -> list[Route]:
    """The routes a recording is posted through: one per channel, lowest route id first.

    Matching non-default routes win; when none match, the default route (the stored one, else
    one built from `default_channel`), or nothing. A broken route still counts as a match, so
    a recording meant for a (private) channel never falls back to the default channel. A
    quarantined route (see `quarantine_reason`) matches nothing, and a recording it might have
    matched does not fall back to the default channel either: it is held (kept unposted) and
    routed again when the routes change (bot/held.py).
    """
    return _decide(meeting, routes, default_channel)[0]


def password_hidden(
    meeting: RecordMeeting, routes: list[Route], default_channel: str | None
) -> bool:
    """True when every route the recording goes through says `password:hide`: then the bot
    hands its password to nobody, in no channel and not through `/recordings` either. Held
    by a quarantined route, it is hidden if any route it might have gone through hides it."""
    targets, held = _decide(meeting, routes, default_channel)
    if held and not targets:
        fallback = _decide(meeting, [r for r in routes if r not in held], default_channel)[0]
        return any(r.password_policy == "hide" for r in held + fallback)  # noqa: S105
    hides = [route.password_policy == "hide" for route in targets]  # noqa: S105 (a policy)
    return bool(hides) and all(hides)


_OPTIONS = "host:USERID, subject:WORD, subject~REGEX, code:MEETING_CODE, "
_OPTIONS += "password:show|button|hide, download:on|off, summary:thread|off|always, "
_OPTIONS += "lang:default|zh|en|ja"
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}


def _unquote(value: str) -> str:
    if len(value) >= 2 and _QUOTES.get(value[0]) == value[-1]:
        return value[1:-1]
    return value


def parse_route_options(tokens: list[str]) -> RouteSpec:
    """`["host:alice", "subject:周会", "password:hide"]` -> RouteSpec; RouteOptionError if wrong."""
    values: dict[str, str | bool | None] = {}

    def put(field: str, name: str, value: str | bool) -> None:
        if field in values:
            raise RouteOptionError(
                _("{option} is given twice: give each option once").format(option=f"`{name}`")
            )
        values[field] = value

    for token in tokens:
        if token.startswith("subject~"):
            name, raw = "subject~", token[len("subject~") :]
        elif ":" in token:
            key, raw = token.split(":", 1)
            name = key.lower() + ":"
        else:
            raise RouteOptionError(
                _("I don't understand {token}. Options: {options}").format(
                    token=f"`{token}`", options=_OPTIONS
                )
            )
        value = _unquote(raw.strip())
        if not value:
            raise RouteOptionError(
                _("{option} needs a value, e.g. {example}").format(
                    option=f"`{name}`", example=_example(name)
                )
            )
        if name == "host:":
            put("match_host", name, value)
        elif name == "subject:":
            put("match_subject", name, value)
        elif name == "subject~":
            put("match_subject_regex", name, _check_regex(value))
        elif name == "code:":
            code = _digits(value)
            if not code.isdigit():
                raise RouteOptionError(
                    _("{option} is not a meeting code: use its digits, e.g. code:123456789").format(
                        option=f"`code:{value}`"
                    )
                )
            put("match_code", name, code)
        elif name == "password:":
            if value.lower() not in PASSWORD_POLICIES:
                raise RouteOptionError(
                    _(
                        "{option} is not a policy: use password:show, password:button "
                        "(a button reveals it to the person who clicks) or password:hide"
                    ).format(option=f"`password:{value}`")
                )
            put("password_policy", name, value.lower())
        elif name == "download:":
            if value.lower() not in ("on", "off"):
                raise RouteOptionError(
                    _("{option} must be download:on or download:off").format(
                        option=f"`download:{value}`"
                    )
                )
            put("download", name, value.lower() == "on")
        elif name == "summary:":
            if value.lower() not in SUMMARY_POLICIES:
                raise RouteOptionError(
                    _(
                        "{option} is not a choice: use summary:thread (AI minutes in the "
                        "post's thread for recordings shared company-wide), summary:always or "
                        "summary:off"
                    ).format(option=f"`summary:{value}`")
                )
            put("summary", name, value.lower())
        elif name == "lang:":
            if value.lower() not in CONTENT_LANGS:
                raise RouteOptionError(
                    _(
                        "{option} is not a language the minutes come in: use lang:zh, lang:en, "
                        "lang:ja (Tencent translates) or lang:default (the meeting's own)"
                    ).format(option=f"`lang:{value}`")
                )
            put("lang", name, value.lower())
        else:
            raise RouteOptionError(
                _("Unknown option {option}. Options: {options}").format(
                    option=f"`{name}`", options=_OPTIONS
                )
            )
    return RouteSpec(**values)  # type: ignore[arg-type]


def _example(name: str) -> str:
    return {
        "host:": "host:alice",
        "subject:": "subject:周会",
        "subject~": "subject~^Weekly",
        "code:": "code:123456789",
        "password:": "password:button",
        "download:": "download:off",
        "summary:": "summary:off",
        "lang:": "lang:en",
    }.get(name, name)


def _check_regex(pattern: str) -> str:
    problem = regex_problem(pattern)
    if problem is not None:
        raise RouteOptionError(
            _("{option} cannot be used: {problem}").format(option="`subject~`", problem=problem)
        )
    return pattern


_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
_CHANNEL_ESCAPED = re.compile(r"<#([CG][A-Z0-9]{6,})(?:\|[^>]*)?>")


def normalize_channel(text: str) -> str:
    """A channel ID from `C0123ABCD`, `<#C0123ABCD>` or `<#C0123ABCD|name>`."""
    text = text.strip()
    if _CHANNEL_ID.fullmatch(text):
        return text
    match = _CHANNEL_ESCAPED.fullmatch(text)
    if match:
        return match.group(1)
    if text.startswith("#"):
        raise RouteOptionError(
            _(
                "{text} is a channel name, not a channel: type # and use the channel picker so "
                "Slack sends its ID"
            ).format(text=f"`{text}`")
        )
    raise RouteOptionError(
        f"`{text}` is not a channel: pick one with # (or give its ID, such as C0123ABCD)"
    )


def summary_allowed(policy: str, file: RecordFile) -> bool:
    """May a channel whose route says `summary:<policy>` get this file's minutes in the thread?
    `thread`: only a file shared company-wide or to everyone (sharing on, not participant-only);
    `always`: whatever its sharing; `off` (or anything unknown): never."""
    if policy == "always":
        return True
    if policy == "thread":
        return file.shared and not file.required_participant
    return False
