"""Search words are data: whatever a word holds (NUL, quotes, `*`, NEAR, AND, `-`, `:`, parens,
emoji, one or two CJK characters), `search` and `count_search` answer without an error, and a
word taken from a subject finds that subject. On both engines: PostgreSQL's text holds no NUL,
so a NUL is U+FFFD there in the stored subject and in the searched word alike, and the same
words find the same subjects."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import RecordMeeting
from bot.store import Store, open_store
from tests.postgres_server import scratch_database

ODD_WORDS = [
    "a\x00b",
    "abc\x00def",
    "\x00",
    "\x00\x00\x00",
    '"',
    '"abc',
    'a"b"c',
    "abc*",
    "*",
    "NEAR",
    "NEAR(a b)",
    "AND",
    "OR",
    "NOT",
    "-abc",
    "-",
    "subject:abc",
    ":",
    "(",
    "((abc",
    "abc)",
    "^abc",
    "🚀",
    "🚀🚀🚀",
    "周",
    "周会",
    "%",
    "_",
    "\\",
    "\ud800abc",  # a lone surrogate
]


def _meeting(mid: str, subject: str) -> RecordMeeting:
    return RecordMeeting(
        meeting_record_id=mid,
        meeting_id="m-" + mid,
        meeting_code="123456789",
        userid="alice",
        media_start_time=1_000_000,
        subject=subject,
        state=3,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database for this module, on each engine: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield str(Path(folder) / "search.db")
        return
    server = request.getfixturevalue("postgres_server")
    with scratch_database(server, f"words_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="module")
def store(location: str) -> Iterator[Store]:
    s = open_store(location)
    try:
        s.recordings.save_meetings(
            [
                _meeting("plain", "Weekly sync"),
                _meeting("odd", 'NEAR(a b) AND "quoted" -minus subject:x abc*(( 🚀🚀🚀 产品周会'),
                _meeting("nul", "abc\x00def ghi"),
            ]
        )
        yield s
    finally:
        s.close()


@pytest.mark.parametrize("word", ODD_WORDS)
def test_odd_words_answer_like_any_word(store: Store, word: str) -> None:
    found = store.recordings.search(word)
    assert store.recordings.count_search(word) == len(found)
    assert store.recordings.count_search(f"sync {word}") >= 0


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("abc\x00def", {"nul"}),
        ("c\x00d", {"nul"}),
        ("\x00", {"nul"}),
        ('"quoted"', {"odd"}),
        ("NEAR(a", {"odd"}),
        ("AND", {"odd"}),
        ("-minus", {"odd"}),
        ("subject:x", {"odd"}),
        ("abc*((", {"odd"}),
        ("🚀🚀🚀", {"odd"}),
        ("周会", {"odd"}),
        ("周", {"odd"}),
    ],
)
def test_odd_words_find_the_subjects_that_contain_them(
    store: Store, word: str, expected: set[str]
) -> None:
    assert {m.meeting_record_id for m in store.recordings.search(word)} == expected


def test_a_word_with_nul_does_not_match_on_its_first_part_only(store: Store) -> None:
    assert store.recordings.search("Weekly\x00nothing") == []
    assert store.recordings.search("abc\x00xyz") == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=40))
def test_any_text_searches_without_an_error(store: Store, text: str) -> None:
    found = store.recordings.search(text)
    assert store.recordings.count_search(text) == len(found)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Subjects without NUL: the FTS index reads a subject only up to its first NUL.
@given(
    subject=st.text(
        st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30
    ),
    data=st.data(),
)
def test_a_word_from_a_subject_finds_it(store: Store, subject: str, data: st.DataObject) -> None:
    words = subject.split()
    if not words:
        return
    word = data.draw(st.sampled_from(words))
    start = data.draw(st.integers(0, len(word) - 1))
    part = word[start : data.draw(st.integers(start + 1, len(word)))]
    with store.transaction() as conn:
        conn.execute("DELETE FROM record_meetings WHERE meeting_record_id = 'r1'")
    # Its own host, so that the subjects already there stay out of the answer.
    store.recordings.save_meetings([_meeting("r1", subject).model_copy(update={"userid": "solo"})])
    assert [m.meeting_record_id for m in store.recordings.search(part, userid="solo")] == ["r1"]
