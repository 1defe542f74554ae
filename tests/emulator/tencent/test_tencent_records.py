"""GET /v1/corp/records over loopback: the documented answer, the parameters (31-day rule, page
sizes), paging and the time filter."""

from __future__ import annotations

import pytest

from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator
from bot.tencent.records import parse_page
from tests.emulator.tencent.signed_calls import (
    DAY,
    NOW,
    FakeClock,
    call,
    error_code,
    records_uri,
    week_uri,
)


# -- the documented answer --------------------------------------------------------------------
def test_good_request_gets_the_documented_shape(emu: TencentEmulator) -> None:
    resp = call(emu, week_uri(page_size=20, page=1))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {
        "total_count",
        "current_size",
        "current_page",
        "total_page",
        "record_meetings",
    }
    assert body["current_page"] == 1
    assert body["current_size"] == len(body["record_meetings"]) == min(20, body["total_count"])
    page = parse_page(body)
    starts = [m.media_start_time for m in page.record_meetings]
    assert starts == sorted(starts, reverse=True)
    for meeting in body["record_meetings"]:
        assert {
            "meeting_record_id",
            "meeting_id",
            "meeting_code",
            "userid",
            "media_start_time",
            "subject",
            "state",
        } <= set(meeting)
        assert meeting["meeting_record_id"].isdigit()
        assert ("record_files" in meeting) == (meeting["state"] == 3)


# -- parameters -------------------------------------------------------------------------------
def test_a_range_of_exactly_31_days_is_accepted_and_one_second_more_is_not(
    emu: TencentEmulator,
) -> None:
    assert call(emu, records_uri(NOW - 31 * DAY, NOW)).status_code == 200
    resp = call(emu, records_uri(NOW - 31 * DAY - 1, NOW))
    assert resp.status_code == 400
    assert error_code(resp) == 190004


@pytest.mark.parametrize(
    "uri",
    [
        week_uri(page_size=21),
        week_uri(page_size=0),
        week_uri(page=0),
        "/v1/corp/records?start_time=1759000000",
        "/v1/corp/records?end_time=1759000000",
        "/v1/corp/records",
        "/v1/corp/records?start_time=abc&end_time=1759000000",
        "/v1/corp/records?start_time=1759000000.5&end_time=1759000001",
        "/v1/corp/records?start_time=-1&end_time=1759000001",
        week_uri(page_size="ten"),
        records_uri(NOW, NOW - 1),
    ],
)
def test_bad_parameters_get_190004(emu: TencentEmulator, uri: str) -> None:
    resp = call(emu, uri)
    assert resp.status_code == 400
    assert error_code(resp) == 190004


def test_optional_parameters_are_accepted(emu: TencentEmulator) -> None:
    uri = week_uri(operator_id="admin", operator_id_type=1, query_record_type=0)
    assert call(emu, uri).status_code == 200


def test_page_size_defaults_to_10(emu: TencentEmulator) -> None:
    body = call(emu, week_uri()).json()
    assert body["total_count"] > 10
    assert body["current_size"] == 10


# -- paging and the time filter ---------------------------------------------------------------
def test_paging_covers_every_meeting_once_newest_first(clock: FakeClock) -> None:
    ds = Dataset()
    ids = [ds.add_meeting(start=NOW - DAY + i * 600, duration=300) for i in range(25)]
    with TencentEmulator(dataset=ds, clock=clock, rate_limit=100) as emu:
        pages = [call(emu, week_uri(page_size=10, page=p)).json() for p in (1, 2, 3, 4)]
    assert [p["total_page"] for p in pages] == [3, 3, 3, 3]
    assert [p["current_size"] for p in pages] == [10, 10, 5, 0]
    assert [p["current_page"] for p in pages] == [1, 2, 3, 4]
    assert all(p["total_count"] == 25 for p in pages)
    seen = [m["meeting_record_id"] for p in pages for m in p["record_meetings"]]
    assert seen == list(reversed(ids))


def test_no_meetings_means_zero_pages(clock: FakeClock) -> None:
    with TencentEmulator(dataset=Dataset(), clock=clock) as emu:
        body = call(emu, week_uri()).json()
    assert body == {
        "total_count": 0,
        "current_size": 0,
        "current_page": 1,
        "total_page": 0,
        "record_meetings": [],
    }


def test_a_meeting_is_in_range_by_its_media_start_time_inclusive(clock: FakeClock) -> None:
    ds = Dataset()
    t0 = int(NOW - 2 * DAY)
    at_start = ds.add_meeting(start=t0, duration=60)
    at_end = ds.add_meeting(start=t0 + 3600, duration=60)
    ds.add_meeting(start=t0 - 0.001, duration=60)
    ds.add_meeting(start=t0 + 3600.001, duration=60)
    with TencentEmulator(dataset=ds, clock=clock) as emu:
        body = call(emu, records_uri(t0, t0 + 3600)).json()
    assert [m["meeting_record_id"] for m in body["record_meetings"]] == [at_end, at_start]
