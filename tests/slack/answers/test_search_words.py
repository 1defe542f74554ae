"""`/recordings search WORDS` treats the words as data: a NUL byte, quotes, `*`, NEAR, AND, `-`,
`:`, unmatched parens, emoji or a short CJK word each get an ordinary answer (found or not
found), never "Something went wrong". Signed slash commands into the real Bolt app over HTTP."""

from __future__ import annotations

import json
import time

import pytest

from bot.slack.texts import SORRY
from tests.slack.answers.test_slash import ask, meeting, synced_store

WORDS = [
    "a\x00b",
    "weekly\x00sync",
    "\x00",
    '"',
    '"Weekly',
    "sync*",
    "NEAR",
    "NEAR(a",
    "AND",
    "OR NOT",
    "-sync",
    "subject:sync",
    "(((",
    "sync)",
    "🚀",
    "🚀🚀🚀",
    "周",
    "周会",
]


@pytest.mark.parametrize("word", WORDS)
def test_odd_search_words_get_an_ordinary_answer(slack_env, word: str) -> None:
    synced_store(slack_env, meeting("r-1", time.time() - 3600, 'Weekly sync "周会" 🚀🚀🚀 (a'))
    answer = ask(slack_env, f"search {word}")[0]
    shown = json.dumps(answer, ensure_ascii=False)
    assert SORRY not in shown and "went wrong" not in shown, shown
    assert "Weekly sync" in shown or "No recordings found" in shown, shown
    assert "\\u0000" not in shown  # the words are repeated in the answer, without controls


def test_a_word_with_a_nul_finds_the_subject_that_holds_it(slack_env) -> None:
    synced_store(
        slack_env,
        meeting("r-nul", time.time() - 3600, "Plan\x00ning day"),
        meeting("r-other", time.time() - 3600, "Planning day"),
    )
    shown = json.dumps(ask(slack_env, "search n\x00n")[0], ensure_ascii=False)
    assert SORRY not in shown
    assert "No recordings found" not in shown
    assert "r-nul" in shown and "r-other" not in shown  # only the subject holding the NUL
    assert "\\u0000" not in shown  # shown without it
