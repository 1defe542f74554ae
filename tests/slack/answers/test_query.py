"""bot.slack.answers.query: what to fetch, and answering a query, over a real SQLite store and
the Tencent emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.slack.answers.deps import Deps
from bot.slack.answers.query import (
    FetchPart,
    ResultWindow,
    answer_query,
    fetch_plan,
    tencent_error_message,
)
from bot.slack.parse import Query
from bot.store import Store, open_store
from bot.tencent.errors import (
    AuthenticationError,
    DailyLimitError,
    MalformedResponseError,
    TransportError,
)
from bot.wiring import build_services

HOUR, DAY = 3600, 86400
NOW = 1_795_000_000  # a fixed "now" for the pure planning tests


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = open_store(tmp_path / "q.db")
    yield s
    s.close()


def plan(store: Store, start: int, end: int) -> list[FetchPart]:
    return fetch_plan(store, start, end, now=NOW, fresh_for=180, lookback_seconds=12 * HOUR)


# --------------------------------------------------------------------------- fetch_plan
def test_a_synced_range_needs_no_fetch(store):
    store.recordings.mark_synced(NOW - 10 * DAY, NOW - 60)
    assert plan(store, NOW - 5 * DAY, NOW - 4 * DAY) == []


def test_the_future_is_never_fetched(store):
    assert plan(store, NOW + 60, NOW + DAY) == []


def test_nothing_before_the_epoch_is_fetched(store):
    store.recordings.mark_synced(0, NOW - 60)
    assert plan(store, -8 * HOUR, DAY) == []


def test_a_fresh_recent_tail_is_left_to_the_poller(store):
    store.recordings.mark_synced(NOW - DAY, NOW - 100)  # 100 s old: within 180 s
    store.state.set("poller.watermark", NOW - 100)  # ...by the poller
    assert plan(store, NOW - HOUR, NOW + DAY) == []


def test_a_stale_recent_tail_is_fetched_up_to_now_and_posts_what_completes(store):
    store.recordings.mark_synced(NOW - DAY, NOW - 1000)
    store.state.set("poller.watermark", NOW - 1000)
    assert plan(store, NOW - HOUR, NOW + DAY) == [FetchPart(NOW - 1000, NOW, notify=True)]


def test_old_history_is_fetched_without_posting_and_split_at_the_pollers_reach(store):
    parts = plan(store, NOW - 2 * DAY, NOW + DAY)  # nothing synced yet
    cutoff = NOW - 12 * HOUR
    assert parts == [
        FetchPart(NOW - 2 * DAY, cutoff, notify=False),
        FetchPart(cutoff, NOW, notify=True),
    ]


def test_a_hole_between_synced_ranges_is_fetched_without_posting(store):
    store.recordings.mark_synced(NOW - 10 * DAY, NOW - 8 * DAY)
    store.recordings.mark_synced(NOW - 5 * DAY, NOW - 60)
    assert plan(store, NOW - 9 * DAY, NOW - 6 * DAY) == [
        FetchPart(NOW - 8 * DAY, NOW - 6 * DAY, notify=False)
    ]


# --------------------------------------------------------------------------- ResultWindow
def test_result_window_pretends_to_be_the_whole_result():
    loaded = ["k", "l"]
    window = ResultWindow(loaded, offset=10, total=25)  # type: ignore[arg-type]
    assert len(window) == 25
    assert window[10:20] == ["k", "l"]
    assert window[0:10] == []
    assert window[11] == "l"
    with pytest.raises(IndexError):
        window[3]


# --------------------------------------------------------------------------- answer_query
@pytest.fixture
def services(tmp_path) -> Iterator[tuple[Deps, TencentEmulator]]:
    now = time.time()
    emulator = TencentEmulator(rate_limit=10, dataset=Dataset.generate(now, days=3, seed=5)).start()
    settings = load_settings(
        {
            "TENCENT_MEETING_API_URL": emulator.url,
            "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
            "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
            "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
            "RECORDINGS_DB": str(tmp_path / "svc.db"),
        },
        dotenv=False,
    )
    built = build_services(settings, with_slack=False)
    yield Deps.build(settings, built.store, built.tencent, None), emulator
    built.close()
    emulator.stop()


def _query(days: int, **kw) -> Query:
    tz = datetime.now().astimezone().tzinfo
    end = datetime.fromtimestamp(time.time() + 1, tz)
    start = datetime.fromtimestamp(time.time() - days * DAY, tz)
    return Query(start=start, end=end, label="test", **kw)


def test_answer_query_fetches_then_reads_pages_from_the_store(services):
    svc, emulator = services
    waits: list[float] = []
    first = answer_query(svc, _query(3), on_wait=waits.append, page_size=5)
    assert waits == [] and first.calls >= 1 and emulator.call_count() == first.calls
    listed = [m for m in emulator.dataset.meetings() if m.state(time.time()) is not None]
    assert first.total == len(listed) and first.has_more
    starts = [m.media_start_time for m in first.meetings]
    assert starts == sorted(starts, reverse=True) and len(starts) == 5
    second = answer_query(svc, _query(3), on_wait=waits.append, page=1, page_size=5)
    assert second.calls == 0 and emulator.call_count() == first.calls
    assert {m.meeting_record_id for m in second.meetings}.isdisjoint(
        {m.meeting_record_id for m in first.meetings}
    )


def test_answer_query_filters_by_host_and_search(services):
    svc, _ = services
    everything = answer_query(svc, _query(3), on_wait=lambda s: None, page_size=20)
    host = everything.meetings[0].userid
    by_host = answer_query(svc, _query(3, host=host), on_wait=lambda s: None, page_size=20)
    assert by_host.total >= 1 and {m.userid for m in by_host.meetings} == {host}
    word = everything.meetings[0].subject.split()[0]
    found = answer_query(svc, _query(3, search=word), on_wait=lambda s: None, page_size=20)
    assert found.total >= 1 and all(word.lower() in m.subject.lower() for m in found.meetings)


def test_answer_query_tells_the_wait_and_reports_an_incomplete_fetch(services):
    svc, emulator = services
    for _ in range(10):  # the whole minute's budget, just spent
        granted = svc.store.budget.try_acquire(
            "corp_records", limit=10, window=60.5, priority="interactive"
        )
        assert granted == 0.0
    waits: list[float] = []
    result = answer_query(svc, _query(1), on_wait=waits.append, wait_limit=0.5)
    assert len(waits) == 1 and 55 < waits[0] <= 61
    assert result.waited and result.incomplete and result.retry_after > 50
    assert emulator.call_count() == 0


# --------------------------------------------------------------------------- messages
def test_tencent_errors_read_clearly():
    refused = AuthenticationError(190303, "invalid AppId", hint="check the app id")
    assert tencent_error_message(refused).startswith("Tencent Meeting refused the request: ")
    assert "could not be reached" in tencent_error_message(TransportError("timeout"))
    assert "could not read" in tencent_error_message(MalformedResponseError("bad"))
    assert "daily" in tencent_error_message(DailyLimitError(190311, "limit"))


def test_a_recent_range_someone_else_synced_does_not_count_as_the_pollers(store):
    # A query or a webhook synced the last minutes, but the poller last ran 3 days ago: the
    # gap is the poller's to catch up on, so a query fetching it posts what completed there.
    store.state.set("poller.watermark", NOW - 3 * DAY)
    store.recordings.mark_synced(NOW - 300, NOW - 60)
    parts = plan(store, NOW - 2 * DAY, NOW - 400)
    assert parts == [FetchPart(NOW - 2 * DAY, NOW - 400, notify=True)]
