from __future__ import annotations

import pytest

from bot.models import RecordMeeting, Route, RouteSpec
from bot.routing import (
    RouteOptionError,
    normalize_channel,
    parse_route_options,
    password_hidden,
    quarantine_reason,
    route_matches,
    targets_for,
)


def rec(subject: str = "产品周会 第12期", userid: str = "alice", code: str = "123456789"):
    return RecordMeeting(
        meeting_record_id="r1",
        meeting_id="m1",
        meeting_code=code,
        userid=userid,
        media_start_time=1_700_000_000_000,
        subject=subject,
        state=3,
    )


def route(id: int | None, channel: str, **kw) -> Route:
    return Route(id=id, channel=channel, **kw)


@pytest.mark.parametrize(
    ("fields", "meeting", "expected"),
    [
        ({}, rec(), True),
        ({"match_host": "alice"}, rec(), True),
        ({"match_host": "alice"}, rec(userid="bob"), False),
        ({"match_subject": "周会"}, rec(), True),
        ({"match_subject": "WEEKLY"}, rec("Weekly sync"), True),
        ({"match_subject": "weekly"}, rec("周会"), False),
        ({"match_subject_regex": r"第\d+期$"}, rec(), True),
        ({"match_subject_regex": r"^Weekly"}, rec("weekly sync"), False),
        ({"match_subject_regex": r"(unclosed"}, rec("(unclosed"), False),  # bad regex: no match
        # \w \d \s keep Python's Unicode meaning on RE2, so these routes keep matching
        ({"match_subject_regex": r"^\w+周会"}, rec(), True),
        ({"match_subject_regex": r"\d{4}"}, rec("２０２４ 年度规划"), True),
        ({"match_subject_regex": r"^[\w-]+\s第"}, rec(), True),
        ({"match_code": "123456789"}, rec(code="123-456-789"), True),
        ({"match_code": "123 456 789"}, rec(), True),
        ({"match_code": "999999999"}, rec(), False),
        ({"match_host": "alice", "match_subject": "周会"}, rec(), True),
        ({"match_host": "alice", "match_subject": "月会"}, rec(), False),
    ],
)
def test_route_matches(fields, meeting, expected):
    assert route_matches(route(1, "C1", **fields), meeting) is expected


def test_targets_one_per_channel_lowest_id_wins():
    routes = [
        route(5, "C1", match_subject="周会", password_policy="hide"),
        route(2, "C1", match_host="alice"),
        route(3, "C2", match_subject="周会"),
        route(4, "C3", match_host="bob"),
        route(1, "CDEF", is_default=True),
    ]
    got = targets_for(rec(), routes, "CSETTINGS")
    assert [(r.id, r.channel) for r in got] == [(2, "C1"), (3, "C2")]


def test_targets_default_when_none_match():
    routes = [route(1, "C1", match_host="bob"), route(2, "CDEF", is_default=True)]
    assert targets_for(rec(), routes, "CSETTINGS") == [routes[1]]
    assert targets_for(rec(), routes[:1], "CSETTINGS") == [
        Route(id=None, channel="CSETTINGS", is_default=True)
    ]
    assert targets_for(rec(), routes[:1], None) == []
    assert targets_for(rec(), [], "") == []


def test_broken_route_still_claims_the_recording():
    routes = [route(1, "CPRIV", match_host="alice", broken_reason="not_in_channel")]
    assert [r.channel for r in targets_for(rec(), routes, "CPUBLIC")] == ["CPRIV"]


def test_describe():
    r = route(2, "C123", match_host="alice", match_subject="周会")
    assert r.describe() == (
        "#2 → <#C123>: host=alice, subject contains 周会, password: button, download: off"
    )
    everything = route(7, "C9", password_policy="hide", download=True, match_subject_regex="^W")
    assert everything.describe() == (
        "#7 → <#C9>: subject matches /^W/, password: hide, download: on"
    )
    assert route(None, "C1", is_default=True).describe() == (
        "default → <#C1>: everything, password: button, download: off"
    )


def test_parse_route_options():
    spec = parse_route_options(
        [
            "host:alice",
            "subject:周会",
            "subject~^产品",
            "code:123-456-789",
            "password:HIDE",
            "download:on",
        ]
    )
    assert spec == RouteSpec(
        match_host="alice",
        match_subject="周会",
        match_subject_regex="^产品",
        match_code="123456789",
        password_policy="hide",
        download=True,
    )
    assert parse_route_options([]) == RouteSpec()
    assert parse_route_options(['subject:"产品 周会"']).match_subject == "产品 周会"
    assert parse_route_options(["subject~a:b"]).match_subject_regex == "a:b"


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (["colour:red"], "Unknown option `colour:`"),
        (["alice"], "I don't understand `alice`"),
        (["password:maybe"], "`password:maybe` is not a policy"),
        (["download:yes"], "download:on or download:off"),
        (["subject~(unclosed"], "is not a valid regex: missing )"),
        (["host:a", "host:b"], "`host:` is given twice"),
        (["subject:"], "`subject:` needs a value"),
        (["code:abc"], "is not a meeting code"),
        (["subject~" + "a" * 201], "too long"),
    ],
)
def test_parse_route_options_errors(tokens, message):
    with pytest.raises(RouteOptionError) as info:
        parse_route_options(tokens)
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("C0123ABCD", "C0123ABCD"),
        (" <#C0123ABCD|general> ", "C0123ABCD"),
        ("<#C0123ABCD>", "C0123ABCD"),
        ("<#G0123ABCD|private>", "G0123ABCD"),
    ],
)
def test_normalize_channel(text, channel):
    assert normalize_channel(text) == channel


def test_normalize_channel_rejects_names():
    with pytest.raises(RouteOptionError, match="channel picker"):
        normalize_channel("#general")
    for bad in ["general", "<@U0123ABCD>", "<#C0123ABCD", "c0123abcd", ""]:
        with pytest.raises(RouteOptionError):
            normalize_channel(bad)


def test_password_hidden_only_when_every_route_taken_hides_it() -> None:
    from bot.routing import password_hidden

    hide = Route(id=1, channel="C1", match_subject="周会", password_policy="hide")
    show = Route(id=2, channel="C2", match_host="alice", password_policy="button")
    weekly = rec("产品周会", userid="bob")
    both = rec("产品周会", userid="alice")
    other = rec("Other", userid="bob")
    assert password_hidden(weekly, [hide, show], None) is True
    assert password_hidden(both, [hide, show], None) is False  # one channel shows it
    assert password_hidden(other, [hide, show], "C9") is False  # the default channel
    assert password_hidden(other, [hide, show], None) is False  # posted nowhere: no policy


def test_a_stored_regex_re2_refuses_is_quarantined_and_holds_its_recordings():
    """A route an older release saved with a backreference matches nothing; what it might have
    matched does not fall back to the default channel (it may be meant for a private one)."""
    held = route(2, "CHR", match_host="bob", match_subject_regex=r"(\w)\1", password_policy="hide")
    other = route(3, "CPROD", match_subject="Weekly")
    default = route(1, "CALL", is_default=True, password_policy="show")
    routes = [default, held, other]
    assert "backreferences" in (quarantine_reason(held) or "")
    assert quarantine_reason(other) is None
    assert not route_matches(held, rec("Budget", userid="bob"))
    assert targets_for(rec("Budget", userid="bob"), routes, None) == []  # held, not default
    assert password_hidden(rec("Budget", userid="bob"), routes, None)  # held: hide wins
    assert targets_for(rec("Weekly sync", userid="bob"), routes, None) == [other]
    assert targets_for(rec("Budget", userid="alice"), routes, None) == [default]


def test_an_exponential_regex_is_matched_in_linear_time():
    evil = route(2, "CEVIL", match_subject_regex="(a+)+$")
    assert quarantine_reason(evil) is None
    assert targets_for(rec("a" * 34 + "!"), [evil], "CALL")[0].channel == "CALL"
    assert targets_for(rec("a" * 34), [evil], "CALL") == [evil]


def test_a_subject_with_a_lone_surrogate_is_routed_not_raised():
    # JSON may carry "\ud800" in a subject; RE2 works on UTF-8, which cannot hold it.
    meeting = rec("周会 \ud800 notes")
    assert route_matches(route(1, "C1", match_subject_regex=r"周会 . notes"), meeting)
    assert not route_matches(route(1, "C1", match_subject_regex=r"^Weekly"), meeting)


def test_a_regex_with_a_lone_surrogate_is_refused_with_a_message():
    with pytest.raises(RouteOptionError, match="not a valid regex"):
        parse_route_options(["subject~a\ud800b"])


def test_summary_option_is_parsed_and_defaults_to_thread():
    assert parse_route_options([]).summary == "thread"
    assert parse_route_options(["summary:OFF"]).summary == "off"
    assert parse_route_options(["summary:always", "host:a"]).summary == "always"
    assert route(3, "C1", summary="off").describe().endswith("summary: off")


def test_a_wrong_summary_option_says_what_to_use():
    with pytest.raises(RouteOptionError) as err:
        parse_route_options(["summary:yes"])
    assert "summary:thread" in err.value.message and "summary:off" in err.value.message
    with pytest.raises(RouteOptionError):
        parse_route_options(["summary:off", "summary:always"])
