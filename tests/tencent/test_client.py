"""The Tencent Meeting client against the emulator, over loopback."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.stopping import ShuttingDown
from bot.store import Store, open_store
from bot.tencent.client import CallCount, TencentMeetingClient, split_windows
from bot.tencent.errors import (
    AuthenticationError,
    BudgetExhaustedError,
    ClockSkewError,
    DailyLimitError,
    MalformedRecordError,
    MalformedResponseError,
    ParameterError,
    PermissionDeniedError,
    ServerError,
    TransportError,
)
from bot.tencent.signing import Credentials
from bot.tencent.throttle import Throttle
from tests.tencent.meetings import DAY, END, record, records

RECORDS = "/v1/corp/records"


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    store = open_store(tmp_path / "client.db")
    yield store
    store.close()


@pytest.fixture
def make_emulator() -> Iterator:
    started: list[TencentEmulator] = []

    def make(dataset: Dataset | None = None, **kwargs) -> TencentEmulator:
        kwargs.setdefault("rate_limit", 600)
        emulator = TencentEmulator(dataset=dataset or Dataset.from_records([]), **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


def demo_creds(**changes) -> Credentials:
    return dataclasses.replace(Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY), **changes)


@pytest.fixture
def make_client(store):
    def make(emulator: TencentEmulator, *, limit: int = 600, window: float = 60.0, **kwargs):
        throttle = Throttle(
            store.budget, limit=limit, window=window, margin=kwargs.pop("margin", 0.5)
        )
        kwargs.setdefault("backoff_base", 0.01)
        kwargs.setdefault("timeout", (1.0, 2.0))
        creds = kwargs.pop("creds", demo_creds())
        return TencentMeetingClient(emulator.url, creds, throttle, **kwargs)

    return make


def records_calls(emulator: TencentEmulator):
    return [c for c in emulator.calls if c.path == RECORDS]


# -- windows ---------------------------------------------------------------------------------
def test_split_windows():
    assert split_windows(0, 10 * DAY) == [(0, 10 * DAY)]
    assert split_windows(0, 31 * DAY) == [(0, 31 * DAY)]
    windows = split_windows(100, 100 + 70 * DAY)
    assert windows == [
        (100, 100 + 31 * DAY),
        (100 + 31 * DAY, 100 + 62 * DAY),
        (100 + 62 * DAY, 100 + 70 * DAY),
    ]
    assert split_windows(5, 5) == [(5, 5)]
    with pytest.raises(ValueError):
        split_windows(10, 5)


# -- paging ----------------------------------------------------------------------------------
def test_all_pages_of_a_range(make_emulator, make_client, caplog):
    emulator = make_emulator(Dataset.from_records(records(45)))
    client = make_client(emulator, operator_id="admin")
    pages = []
    with caplog.at_level(logging.DEBUG):
        meetings = list(
            client.list_corp_records(
                END - 11 * DAY, END, on_page=lambda w, n, p: pages.append((w, n, p.total_page))
            )
        )
    assert len(meetings) == 45
    assert {m.meeting_record_id for m in meetings} == {str(1_000_000 + i) for i in range(45)}
    assert pages == [(0, 1, 3), (0, 2, 3), (0, 3, 3)]
    calls = records_calls(emulator)
    assert [c.query["page"] for c in calls] == ["1", "2", "3"]
    assert all(c.query["page_size"] == "20" and c.status == 200 for c in calls)
    assert all(c.query["operator_id"] == "admin" for c in calls)
    assert all(c.query["operator_id_type"] == "1" for c in calls)
    assert client.calls_made == 3
    assert client.throttle.calls_in_last(60) == 3
    logged = caplog.text
    assert "pw0secret" not in logged and "token=" not in logged and "Signature" not in logged


def test_operator_id_needing_escapes_is_signed_as_sent(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(3)))
    client = make_client(emulator, operator_id="王伟+ops@corp&x=1")
    assert len(list(client.list_corp_records(END - 11 * DAY, END))) == 3
    (call,) = records_calls(emulator)
    assert call.status == 200  # the emulator verified the signature over the raw URI
    assert call.query["operator_id"] == "王伟+ops@corp&x=1"


def test_seventy_days_in_three_windows_and_boundary_dedup(make_emulator, make_client):
    start = END - 70 * DAY
    data = [record(i, start + i * DAY + 3600) for i in range(69)]
    data.append(record(500, start + 31 * DAY))  # exactly on the first boundary: in two windows
    emulator = make_emulator(Dataset.from_records(data))
    client = make_client(emulator)
    windows = []
    meetings = list(client.list_corp_records(start, END, on_page=lambda w, n, p: windows.append(w)))
    calls = records_calls(emulator)
    spans = [(int(c.query["start_time"]), int(c.query["end_time"])) for c in calls]
    assert sorted(set(spans)) == [
        (start, start + 31 * DAY),
        (start + 31 * DAY, start + 62 * DAY),
        (start + 62 * DAY, END),
    ]
    assert all(hi - lo <= 31 * DAY for lo, hi in spans)
    assert sorted(set(windows)) == [0, 1, 2]
    ids = [m.meeting_record_id for m in meetings]
    assert len(ids) == len(set(ids)) == 70
    assert ids.count(str(1_000_500)) == 1


def test_meeting_shifted_onto_the_next_page_is_yielded_once(make_emulator, make_client):
    dataset = Dataset.from_records(records(40))
    emulator = make_emulator(dataset)
    client = make_client(emulator)
    seen_raw: list[str] = []

    def on_page(window: int, number: int, page) -> None:
        seen_raw.extend(m.meeting_record_id for m in page.record_meetings)
        if number == 1:  # a new meeting appears while we page: everything shifts down one
            dataset.add_record(record(99, END - DAY))

    meetings = list(client.list_corp_records(END - 11 * DAY, END, on_page=on_page))
    ids = [m.meeting_record_id for m in meetings]
    assert len(seen_raw) == 41 and len(set(seen_raw)) == 40  # one meeting came twice
    assert len(ids) == len(set(ids)) == 40
    assert client.calls_made == 3  # total_page grew from 2 to 3 and was followed


def test_empty_page_stops_early(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records([]))
    client = make_client(emulator)
    assert list(client.list_corp_records(END - DAY, END)) == []
    assert client.calls_made == 1


# -- retried failures ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["500", "503_html", "drop"])
def test_transient_failures_are_retried(make_emulator, make_client, kind):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add(kind, count=2)
    client = make_client(emulator)
    assert len(list(client.list_corp_records(END - 11 * DAY, END))) == 5
    calls = records_calls(emulator)
    assert len(calls) == 3 and client.calls_made == 3
    assert calls[-1].status == 200
    assert calls[0].status == (0 if kind == "drop" else int(kind[:3]))


def test_replay_rejection_is_retried_with_a_new_nonce(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("error", code=190301)
    client = make_client(emulator)
    assert len(client.fetch_page(END - 11 * DAY, END, 1).record_meetings) == 5
    assert [c.error_code for c in records_calls(emulator)] == [190301, None]


def test_slow_answer_past_the_timeout_is_retried(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("slow", delay=1.5)
    client = make_client(emulator, timeout=(1.0, 0.3))
    started = time.monotonic()
    assert len(list(client.list_corp_records(END - 11 * DAY, END))) == 5
    assert time.monotonic() - started < 1.4  # gave up on the slow one, did not wait it out
    assert client.calls_made == 2


def test_retries_stop_at_max_retries(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("500", count=None)
    client = make_client(emulator, max_retries=2)
    with pytest.raises(ServerError) as info:
        client.fetch_page(END - DAY, END, 1)
    assert info.value.http_status == 500
    assert len(records_calls(emulator)) == 3 == client.calls_made


def test_backoff_sleeps_through_the_injected_sleep_with_capped_full_jitter(
    make_emulator, make_client, caplog
):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("500", count=None)
    slept: list[float] = []
    client = make_client(
        emulator, max_retries=4, backoff_base=0.5, backoff_cap=1.5, sleep=slept.append
    )
    with caplog.at_level(logging.WARNING), pytest.raises(ServerError):
        client.fetch_page(END - DAY, END, 1)
    assert client.calls_made == 5 and len(slept) == 4  # one wait before each retry
    for delay, high in zip(slept, [0.5, 1.0, 1.5, 1.5], strict=True):
        assert 0 <= delay <= high  # uniform in [0, min(cap, base * 2 ** (retry - 1))]
    assert "retry 4/4 in" in caplog.text and "failed after 5 attempts" in caplog.text


def test_a_stop_during_the_backoff_ends_the_retries(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("500", count=None)

    def stopping(seconds: float) -> None:
        raise ShuttingDown("stopping")

    client = make_client(emulator, max_retries=4, sleep=stopping)
    with pytest.raises(ShuttingDown):
        client.fetch_page(END - DAY, END, 1)
    assert client.calls_made == 1


def test_a_throttling_answer_waits_in_the_throttle_not_in_the_backoff(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("throttle")
    slept: list[float] = []
    client = make_client(emulator, throttle_penalty=0.2, sleep=slept.append)
    assert len(client.fetch_page(END - 11 * DAY, END, 1).record_meetings) == 5
    assert slept == [] and client.calls_made == 2


def test_network_failure_after_retries_is_a_transport_error(make_emulator, make_client):
    emulator = make_emulator()
    emulator.faults.add("drop", count=None)
    client = make_client(emulator, max_retries=1)
    with pytest.raises(TransportError):
        client.fetch_page(END - DAY, END, 1)
    assert client.calls_made == 2


def test_connection_refused_is_a_transport_error(store):
    emulator = TencentEmulator().start()
    url = emulator.url
    emulator.stop()
    throttle = Throttle(store.budget, limit=600)
    client = TencentMeetingClient(
        url, demo_creds(), throttle, max_retries=1, backoff_base=0.01, timeout=(0.5, 0.5)
    )
    with pytest.raises(TransportError, match="network error"):
        client.fetch_page(END - DAY, END, 1)
    assert client.calls_made == 2


@pytest.mark.parametrize("kind", ["throttle", "throttle_app"])
def test_throttling_answer_pauses_the_bucket_then_retries(make_emulator, make_client, kind):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add(kind)
    client = make_client(emulator, throttle_penalty=0.4)
    started = time.monotonic()
    page = client.fetch_page(END - 11 * DAY, END, 1)
    assert len(page.record_meetings) == 5
    assert time.monotonic() - started >= 0.35  # waited out the pause
    calls = records_calls(emulator)
    assert [c.error_code for c in calls] == [190313 if kind == "throttle" else 190310, None]


def test_throttling_pause_longer_than_max_wait_raises_budget_error(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("throttle")
    client = make_client(emulator, throttle_penalty=30)
    with pytest.raises(BudgetExhaustedError) as info:
        client.fetch_page(END - 11 * DAY, END, 1, priority="interactive", max_wait=1)
    assert 29 < info.value.retry_after <= 30
    assert client.calls_made == 1


# -- failures that must not be retried -------------------------------------------------------
def test_malformed_json_is_reported(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("malformed_json")
    client = make_client(emulator)
    with pytest.raises(MalformedResponseError, match="not JSON"):
        client.fetch_page(END - 11 * DAY, END, 1)
    assert client.calls_made == 1


@pytest.mark.parametrize(
    ("variant", "named"),
    [("no_total_page", "total_page"), ("meetings_not_list", "record_meetings")],
)
def test_wrong_shape_names_what_is_wrong(make_emulator, make_client, variant, named):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("wrong_shape", variant=variant)
    client = make_client(emulator)
    with pytest.raises(MalformedResponseError, match=named):
        client.fetch_page(END - 11 * DAY, END, 1)
    assert client.calls_made == 1


def test_a_record_missing_a_field_is_left_out_with_an_error_naming_the_field(
    make_emulator, make_client, caplog
):
    emulator = make_emulator(Dataset.from_records(records(5)))
    emulator.faults.add("missing_field", field="userid")
    client = make_client(emulator)
    page = client.fetch_page(END - 11 * DAY, END, 1)
    # The four good records are kept: one broken record must not block the others.
    assert len(page.record_meetings) == 4
    [problem] = page.rejected
    assert isinstance(problem, MalformedRecordError)
    assert problem.path == "record_meetings[0].userid"
    assert "(meeting_record_id " in str(problem)
    assert "record_meetings[0].userid" in caplog.text and "is missing" in caplog.text


def test_wrong_secret_fails_once_naming_the_variable(make_emulator, make_client):
    emulator = make_emulator(Dataset.from_records(records(5)))
    client = make_client(emulator, creds=demo_creds(secret_key="not-the-key"))
    with pytest.raises(AuthenticationError) as info:
        list(client.list_corp_records(END - 11 * DAY, END))
    assert info.value.error_code == 200003
    assert "TENCENT_MEETING_SECRET_KEY" in str(info.value)
    assert "not-the-key" not in str(info.value)
    assert len(emulator.calls) == 1 == client.calls_made


def test_unknown_app_id_names_the_variables(make_emulator, make_client):
    emulator = make_emulator()
    client = make_client(emulator, creds=demo_creds(app_id="999"))
    with pytest.raises(AuthenticationError, match="TENCENT_MEETING_APP_ID"):
        client.fetch_page(END - DAY, END, 1)
    assert client.calls_made == 1


def test_clock_skew_is_explained(make_emulator, make_client):
    emulator = make_emulator(auth_clock=lambda: time.time() + 600)
    client = make_client(emulator)
    with pytest.raises(ClockSkewError, match="clock") as info:
        client.fetch_page(END - DAY, END, 1)
    assert info.value.error_code == 190300
    assert client.calls_made == 1


def test_range_over_31_days_is_a_parameter_error(make_emulator, make_client):
    emulator = make_emulator()
    client = make_client(emulator)
    with pytest.raises(ParameterError, match="31 days") as info:
        client.fetch_page(END - 40 * DAY, END, 1)
    assert info.value.error_code == 190004
    assert client.calls_made == 1


@pytest.mark.parametrize(
    ("code", "error"), [(9042, PermissionDeniedError), (190311, DailyLimitError)]
)
def test_permission_and_daily_limit_are_not_retried(make_emulator, make_client, code, error):
    emulator = make_emulator()
    emulator.faults.add("error", code=code)
    client = make_client(emulator)
    with pytest.raises(error):
        client.fetch_page(END - DAY, END, 1)
    assert client.calls_made == 1


# -- the throttle across the client ----------------------------------------------------------
def test_client_never_provokes_the_servers_limit(make_emulator, store):
    emulator = make_emulator(Dataset.from_records(records(5)), rate_limit=5, rate_window=1.0)
    throttle = Throttle(store.budget, limit=5, window=1.0, margin=0.2, reserve=0)
    client = TencentMeetingClient(emulator.url, demo_creds(), throttle, backoff_base=0.01)
    since = store.now()
    for _ in range(9):
        client.fetch_page(END - 11 * DAY, END, 1)
    calls = records_calls(emulator)
    assert len(calls) == 9
    assert all(c.status == 200 and c.error_code is None for c in calls)
    times = store.budget.call_times("corp_records", since)
    assert times[5] - times[0] >= 1.2  # the 6th call waited for the window


# -- addresses -------------------------------------------------------------------------------
def test_get_addresses_uses_its_own_bucket(make_emulator, store):
    dataset = Dataset.from_records([])
    dataset.add_meeting(start=time.time() - 7200, duration=1800, transcode_seconds=60)
    emulator = make_emulator(dataset)
    throttle = Throttle(store.budget, limit=600)
    client = TencentMeetingClient(emulator.url, demo_creds(), throttle, operator_id="admin")
    (meeting,) = client.list_corp_records(int(time.time()) - DAY, int(time.time()))
    file_id = meeting.record_files[0].record_file_id
    addresses = client.get_addresses(file_id)
    assert addresses.record_file_id == file_id
    assert addresses.download_address and addresses.download_address.startswith(emulator.url)
    assert addresses.view_address and addresses.audio_address
    assert "token" not in repr(addresses)
    (call,) = [c for c in emulator.calls if c.path.startswith("/v1/addresses/")]
    assert call.query == {"operator_id": "admin", "operator_id_type": "1"}
    assert store.budget.calls_since("addresses", 0) == 1
    assert store.budget.calls_since("corp_records", 0) == 1


# -- counting calls per request ---------------------------------------------------------------
def test_each_listing_logs_its_own_calls_when_two_run_at_once(make_emulator, make_client, caplog):
    """Two requests of one page each, overlapping: each logs "1 calls", not the calls of both
    (a difference of the shared counter logged "18 meetings in 17 calls" under load)."""
    emulator = make_emulator(Dataset.from_records(records(30, start=END - 20 * DAY, step=DAY // 2)))
    client = make_client(emulator)
    both_fetched = threading.Barrier(2, timeout=10)
    outcomes: dict[str, int] = {}

    def listing(name: str, start: int, end: int) -> None:
        count = CallCount()
        meetings = list(
            client.list_corp_records(
                start, end, on_page=lambda *_: both_fetched.wait(), count=count
            )
        )
        outcomes[name] = count.calls
        assert meetings

    with caplog.at_level(logging.INFO, logger="bot.tencent.client"):
        threads = [
            threading.Thread(target=listing, args=("a", END - 20 * DAY, END - 12 * DAY)),
            threading.Thread(target=listing, args=("b", END - 8 * DAY, END)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert outcomes == {"a": 1, "b": 1}
    assert client.calls_made == 2  # the total is still the sum
    lines = [r.getMessage() for r in caplog.records if "meetings in" in r.getMessage()]
    assert len(lines) == 2
    assert all(line.endswith("in 1 calls") for line in lines), lines
