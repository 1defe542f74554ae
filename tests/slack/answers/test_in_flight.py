"""bot.slack.answers.in_flight: one question being fetched per person, across processes."""

from __future__ import annotations

import time

from bot.slack.answers.in_flight import InFlight
from bot.store import open_store


def test_one_question_per_person_until_it_is_released(tmp_path):
    store = open_store(tmp_path / "q.db")
    questions = InFlight(store)
    first = questions.claim("U1", "365d")
    assert first is not None
    assert questions.claim("U1", "today") is None  # the same person: refused
    assert questions.running("U1") == "365d"
    other = questions.claim("U2", "")  # another person: not held up
    assert other is not None and questions.running("U2") == ""
    questions.release(first)
    assert questions.running("U1") is None
    assert questions.claim("U1", "today") is not None
    store.close()


def test_the_claim_holds_across_processes_and_expires_with_its_holder(tmp_path):
    db = tmp_path / "q.db"
    one, two = open_store(db), open_store(db)
    alive = InFlight(one, ttl=0.6, renew_every=0.1)
    claim = alive.claim("U1", "last month")
    assert claim is not None
    elsewhere = InFlight(two, ttl=0.6)
    time.sleep(1.0)  # longer than the ttl: the keeper renewed it
    assert elsewhere.claim("U1", "today") is None
    assert elsewhere.running("U1") == "last month"
    alive.release(claim)
    later = elsewhere.claim("U1", "today")
    assert later is not None
    # A process that dies holding a claim (no keeper renews it) frees its asker after the ttl.
    dead = InFlight(one, ttl=0.3, renew_every=60)
    assert dead.claim("U2", "365d") is not None
    assert elsewhere.claim("U2", "today") is None
    time.sleep(0.4)
    assert elsewhere.claim("U2", "today") is not None
    one.close()
    two.close()
