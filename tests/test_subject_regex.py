"""bot.subject_regex: route regexes on RE2, linear time whatever the pattern; what RE2 cannot
run is refused with a reason an admin can act on."""

from __future__ import annotations

import time

import pytest

from bot.subject_regex import MAX_REGEX_LENGTH, compiled, regex_problem


@pytest.mark.timeout(10)
@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "(a*)*b", "^(\\w+\\s?)*$"])
def test_catastrophic_patterns_run_in_linear_time(pattern):
    regex = compiled(pattern)
    assert regex is not None
    started = time.monotonic()
    for _ in range(100):
        regex.search("a" * 34 + "!")
        regex.search("a" * 5000 + "!")
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(\w)\1", "backreferences such as `\\1` are not supported"),
        (r"(?=weekly)", "lookaheads"),
        (r"(?!x)y", "lookaheads"),
        (r"(?<=a)b", "lookbehinds"),
        (r"(?<!a)b", "lookbehinds"),
        ("(unclosed", "not a valid regex"),
        ("a" * (MAX_REGEX_LENGTH + 1), "too long"),
        ("((a{100}){100}){100}", "not a valid regex"),
        (r"\pL{1000}", "too complex"),  # over MAX_MEM
    ],
)
def test_what_re2_cannot_run_is_refused_with_why(pattern, reason):
    problem = regex_problem(pattern)
    assert problem is not None and reason in problem
    assert compiled(pattern) is None


def test_usual_patterns_are_accepted():
    for pattern in [r"^Weekly", r"第\d+期$", "(?i)standup", "周会|例会"]:
        assert regex_problem(pattern) is None
    assert compiled("(?i)standup").search("Daily STANDUP") is not None
