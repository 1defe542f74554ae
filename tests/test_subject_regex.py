"""bot.subject_regex: route regexes on RE2, linear time whatever the pattern; what RE2 cannot
run is refused with a reason an admin can act on."""

from __future__ import annotations

import re
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.subject_regex import MAX_REGEX_LENGTH, compiled, regex_problem, subject_matches


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


# Python's `re` reads \w \d \s as Unicode on str; RE2 reads them as ASCII. Routes saved when
# subjects were matched with `re` must keep matching Chinese and full-width text on RE2.
@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        (r"^\w+周会", "产品周会", True),
        (r"\d{4}", "２０２４年度规划", True),
        (r"第\d+期", "第１２期", True),
        (r"[\w-]+周会", "产品-研发周会", True),
        (r"^[\w-]+$", "产品-研发", True),
        (r"^[\w-]+$", "产品 研发", False),
        (r"产品\s周会", "产品\u3000周会", True),  # ideographic space
        (r"[\s]周会", "\u3000周会", True),
        (r"^\S+$", "产品周会", True),
        (r"^\W", "产品", False),
        (r"^\D+$", "２０２４", False),
        (r"[\W\d]", "产品２", True),  # \W inside a positive class: still Unicode
        (r"^[\W\d]+$", "产品", False),
        (r"^[^\W]+$", "产品", True),
        (r"^[^\D]+$", "２０", True),
        (r"\\w", "a\\w", True),  # an escaped backslash, then a literal w
        (r"\\w", "产品", False),
        (r"[\\w]", "产品", False),  # backslash or w, inside a class
        (r"[\]\w]+$", "]产品", True),  # an escaped ] does not end the class
        (r"[]\w]+$", "]产品", True),  # nor does a leading ]
        (r"\Q\w\E", "\\w", True),  # RE2 literal text: left alone
        (r"\Q\w\E", "产", False),
        (r"[[:alpha:]\d]+$", "ab２", True),  # RE2's POSIX class stays as written
        (r"[\u4e00-\u9fff]+周会", "产品周会", True),  # Python's \uXXXX spelling
        (r"周会\Z", "产品周会", True),  # Python's \Z (RE2 spells it \z)
        (r"周会\Z", "周会 notes", False),
    ],
)
def test_unicode_classes_keep_python_meaning(pattern, subject, matches):
    regex = compiled(pattern)
    assert regex is not None, regex_problem(pattern)
    assert subject_matches(regex, subject) is matches
    if "\\Q" not in pattern and "[:" not in pattern:  # RE2-only syntax aside, Python agrees
        assert (re.search(pattern, subject) is not None) is matches


def test_a_negated_class_holding_a_negated_shorthand_is_refused_with_an_alternative():
    problem = regex_problem(r"^[^\W\d_]+周会")
    assert problem is not None
    assert "`[^\\W\\d_]`" in problem and "\\p{L}" in problem
    assert compiled(r"^[^\W\d_]+周会") is None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [(r"\w+(", r"missing ): \w+("), (r"[\w", r"missing ]: [\w"), (r"\s*)", r"unexpected ): \s*)")],
)
def test_syntax_errors_quote_the_pattern_as_written(pattern, message):
    problem = regex_problem(pattern)
    assert problem is not None and problem.endswith(message)


def test_word_boundaries_keep_re2_ascii_meaning():
    r"""RE2 has no Unicode \b; it is kept (ASCII), as the README says, rather than refused."""
    assert regex_problem(r"\bweekly\b") is None
    assert subject_matches(compiled(r"\bweekly\b"), "the weekly sync")
    assert subject_matches(compiled(r"\bweekly\b"), "weekly周会")  # Python: no boundary before 周


@pytest.mark.slow  # about 5 s: every code point
def test_every_code_point_is_classed_as_python_does():
    """\\w \\d \\s and their negations agree with Python on every code point Python's Unicode
    database assigns (RE2's database may be newer; surrogates cannot be UTF-8)."""
    text = "".join(
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c)) != "Cn"
    )
    for letter in "wWdDsS":
        python = re.findall("\\" + letter, text)
        assert compiled("\\" + letter).findall(text) == python, letter


_TOKENS = [
    r"\w",
    r"\W",
    r"\d",
    r"\D",
    r"\s",
    r"\S",
    r"[\w-]",
    r"[\d\s]",
    r"[^\d]",
    r"[\W\d]",
    r"[^\W]",
    "周",
    "会",
    "a",
    "W",
    " ",
    "-",
    ".",
    "+",
    "*",
    "?",
    "^",
    "$",
    "(",
    ")",
    "|",
]
_SUBJECT_CHARS = "产品周会第期年度规划１２３４０123 \u3000-_aAbWeklyé\t"


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=6).map("".join),
    subject=st.text(alphabet=_SUBJECT_CHARS, max_size=12),
)
def test_re2_after_rewrite_agrees_with_python_re(pattern, subject):
    try:
        python = re.compile(pattern)
    except re.error:
        return
    regex = compiled(pattern)
    if regex is None:  # e.g. `a**`, which Python refuses too, or an empty `()` quirk
        return
    assert subject_matches(regex, subject) is (python.search(subject) is not None)


def test_a_long_unicode_class_repeat_still_compiles():
    # \w is a large Unicode class on RE2: the memory budget still takes a realistic repeat.
    assert regex_problem(r"^[\w\s]{0,100}周会") is None
    assert subject_matches(compiled(r"^\w{150}$"), "周" * 150)
