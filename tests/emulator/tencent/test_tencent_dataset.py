"""The emulated company's recordings: generation, states over time, fixtures, transitions."""

from __future__ import annotations

import json
import threading
import time

import pytest

from bot.emulator.tencent.dataset import Dataset
from bot.tencent.records import parse_meeting, to_api_dict

NOW = 1_760_000_000.0
DAY = 86400

SHARING_FIELDS = {
    "sharing_url",
    "required_same_corp",
    "required_participant",
    "password",
    "sharing_expire",
    "view_address",
    "allow_download",
}


def test_generate_is_deterministic_per_seed() -> None:
    a = Dataset.generate(NOW, days=3, seed=7)
    b = Dataset.generate(NOW, days=3, seed=7)
    c = Dataset.generate(NOW, days=3, seed=8)
    ids = [m.meeting_record_id for m in a.meetings()]
    assert ids == [m.meeting_record_id for m in b.meetings()]
    assert ids != [m.meeting_record_id for m in c.meetings()]
    assert [m.subject for m in a.meetings()] == [m.subject for m in b.meetings()]


def test_generate_makes_a_varied_company() -> None:
    ds = Dataset.generate(NOW, days=7, seed=1, per_day=8)
    meetings = ds.meetings()
    assert 7 * 8 <= len(meetings) <= 7 * 8 + 5
    subjects = [m.subject for m in meetings]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in subjects)
    assert any(s.isascii() for s in subjects)
    assert len({m.userid for m in meetings}) >= 4
    assert any(len(m.files) > 1 for m in meetings)
    assert any(m.sharing for m in meetings) and any(not m.sharing for m in meetings)
    assert any(m.password for m in meetings if m.sharing)
    states = [m.state(NOW) for m in meetings]
    assert states.count(1) == 2 and states.count(2) == 2
    assert states.count(None) == 1  # one starts soon
    assert all(m.start >= NOW - 7 * DAY for m in meetings)
    hours = [((m.start + 8 * 3600) % DAY) / 3600 for m in meetings if m.state(NOW) == 3]
    assert all(9 <= h < 20 for h in hours)  # office hours in Shanghai


def test_ids_are_unique_numeric_strings() -> None:
    ds = Dataset.generate(NOW, days=7, seed=2)
    values = []
    for m in ds.meetings():
        values += [m.meeting_record_id, m.meeting_id, m.meeting_code]
        values += [f.record_file_id for f in m.files]
    assert all(v.isdigit() for v in values)
    assert len(values) == len(set(values))
    m = ds.meetings()[0]
    assert len(m.meeting_record_id) == 19 and len(m.meeting_code) == 9


def test_records_are_api_shaped_and_parse() -> None:
    ds = Dataset.generate(NOW, days=7, seed=4)
    records = ds.records(NOW)
    assert len(records) == len(ds) - 1  # the upcoming one is not listed
    starts = [r["media_start_time"] for r in records]
    assert starts == sorted(starts, reverse=True)
    for record in records:
        parsed = parse_meeting(record)
        assert to_api_dict(parsed) == record
        if record["state"] != 3:
            assert "record_files" not in record
            continue
        for f in record["record_files"]:
            assert f["record_start_time"] < f["record_end_time"] and f["record_size"] > 0
            if f["sharing_state"] == 0:
                assert not SHARING_FIELDS & set(f) and "download_address" not in f
            else:
                assert set(f) >= SHARING_FIELDS
                assert ("download_address" in f) == f["allow_download"]


def test_records_filter_on_media_start_time_in_ms() -> None:
    ds = Dataset()
    inside = ds.add_meeting(start=NOW - 100, duration=10, transcode_seconds=10)
    ds.add_meeting(start=NOW - 300, duration=10, transcode_seconds=10)
    got = ds.records(NOW, start_ms=int((NOW - 100) * 1000), end_ms=int(NOW * 1000))
    assert [r["meeting_record_id"] for r in got] == [inside]


def test_states_follow_the_clock() -> None:
    ds = Dataset()
    mid = ds.add_meeting(start=NOW, duration=600, transcode_seconds=120, files=[1000, 2000])
    assert ds.records(NOW - 1) == []
    assert ds.records(NOW)[0]["state"] == 1
    assert ds.records(NOW + 599)[0]["state"] == 1
    assert ds.records(NOW + 600)[0]["state"] == 2
    done = ds.records(NOW + 720)[0]
    assert done["state"] == 3 and done["meeting_record_id"] == mid
    assert [f["record_size"] for f in done["record_files"]] == [1000, 2000]
    first, second = done["record_files"]
    assert NOW * 1000 <= first["record_start_time"] < first["record_end_time"]
    assert first["record_end_time"] <= second["record_start_time"]
    assert second["record_end_time"] <= (NOW + 600) * 1000


def test_sharing_settings_show_in_the_files() -> None:
    ds = Dataset()
    ds.add_meeting(
        start=NOW - 3600,
        duration=60,
        password="pw1",
        allow_download=False,
        sharing_expire=123,
        required_same_corp=True,
    )
    ds.add_meeting(start=NOW - 7200, duration=60, sharing=False)
    shared, private = ds.records(NOW)
    f = shared["record_files"][0]
    assert f["sharing_state"] == 1 and f["password"] == "pw1" and f["sharing_expire"] == 123
    assert f["required_same_corp"] is True and f["allow_download"] is False
    assert "download_address" not in f
    assert set(private["record_files"][0]) == {
        "record_file_id",
        "record_start_time",
        "record_end_time",
        "record_size",
        "sharing_state",
    }


def test_download_addresses_are_stable_within_the_hour_and_then_renewed() -> None:
    ds = Dataset()
    ds.add_meeting(start=NOW - 7200, duration=60)
    t = (int(NOW) // 3600) * 3600 + 10
    a = ds.records(t)[0]["record_files"][0]["download_address"]
    b = ds.records(t + 1000)[0]["record_files"][0]["download_address"]
    c = ds.records(t + 3600)[0]["record_files"][0]["download_address"]
    assert a == b != c


def test_complete_now_set_state_and_update() -> None:
    ds = Dataset()
    mid = ds.add_meeting(start=NOW + 3600, duration=600)
    assert ds.records(NOW) == []
    ds.complete_now(mid)
    assert ds.records(NOW)[0]["state"] == 3
    ds.set_state(mid, 1)
    assert "record_files" not in ds.records(NOW)[0]
    ds.update(mid, subject="Renamed", password="new")
    assert ds.get(mid).subject == "Renamed"
    with pytest.raises(ValueError):
        ds.set_state(mid, 4)
    with pytest.raises(AttributeError):
        ds.update(mid, nonsense=1)
    with pytest.raises(KeyError):
        ds.complete_now("404")
    ds.remove(mid)
    assert len(ds) == 0


def test_tick_reports_each_completion_once() -> None:
    ds = Dataset()
    first = ds.add_meeting(start=NOW, duration=60, transcode_seconds=60)
    second = ds.add_meeting(start=NOW + 10, duration=60, transcode_seconds=60)
    seen: list[tuple[str, float]] = []
    ds.on_completed.append(lambda m, now: seen.append((m.meeting_record_id, now)))
    ds.on_completed.insert(0, lambda m, now: 1 / 0)  # a failing callback does not stop others
    assert ds.tick(NOW + 100) == []
    assert ds.tick(NOW + 125) == [first]
    assert ds.tick(NOW + 500) == [second]
    assert ds.tick(NOW + 900) == []
    assert seen == [(first, NOW + 125), (second, NOW + 500)]


def test_generated_meetings_already_done_are_not_reported() -> None:
    ds = Dataset.generate(NOW, days=2, seed=1)
    assert ds.tick(NOW) == []
    later = ds.tick(NOW + 3600)
    assert len(later) == 4  # the two recording and the two transcoding ones (not the upcoming)
    assert len(ds.tick(NOW + 3 * DAY)) == 1


def test_from_records_serves_fixtures_as_is() -> None:
    record = {
        "meeting_record_id": "1362742106631111111",
        "meeting_id": "6249027861881211111",
        "meeting_code": "29858611111",
        "media_start_time": 1613738006000,
        "subject": "test的快速会议",
        "userid": "test",
        "state": 3,
        "something_new": {"x": 1},
        "record_files": [
            {
                "record_file_id": "1362742106635911111",
                "record_start_time": 1613738011389,
                "record_end_time": 1613743058603,
                "record_size": 480236476,
                "sharing_state": 0,
            }
        ],
    }
    broken = {"meeting_record_id": "77", "media_start_time": 1613738000000, "state": 2}
    ds = Dataset.from_records([record, broken])
    got = ds.records(0)
    assert got == [record, broken]
    got[0]["subject"] = "changed"
    assert ds.records(10**12)[0]["subject"] == "test的快速会议"
    assert ds.find_file("1362742106635911111") is not None
    assert ds.tick(10**12) == []


def test_load_json_reads_a_list_or_an_api_answer(tmp_path) -> None:
    record = {
        "meeting_record_id": "1",
        "meeting_id": "2",
        "meeting_code": "3",
        "userid": "u",
        "media_start_time": 1_700_000_000_000,
        "subject": "s",
        "state": 1,
    }
    as_list = tmp_path / "list.json"
    as_list.write_text(json.dumps([record]), encoding="utf-8")
    as_answer = tmp_path / "answer.json"
    as_answer.write_text(json.dumps({"total_count": 1, "record_meetings": [record]}))
    assert Dataset.load_json(as_list).records(0) == [record]
    assert Dataset.load_json(as_answer).records(0) == [record]
    bad = tmp_path / "bad.json"
    bad.write_text('"nope"')
    with pytest.raises(ValueError):
        Dataset.load_json(bad)


def test_generate_history_is_large_fast_and_done() -> None:
    end = NOW
    started = time.perf_counter()
    ds = Dataset.generate_history(2000, end=end, seed=9)
    elapsed = time.perf_counter() - started
    assert len(ds) == 2000
    assert elapsed < 2.0
    starts = [m.start for m in ds.meetings()]
    assert end - 70 * DAY <= min(starts) < end - 60 * DAY
    assert max(starts) <= end - 4 * 3600
    assert all(m.state(end) == 3 for m in ds.meetings())
    assert ds.tick(end) == []
    total, page = ds.page(end, int((end - 31 * DAY) * 1000), int(end * 1000), 1, 20)
    assert 700 < total < 1100 and len(page) == 20


def test_concurrent_changes_and_reads_are_safe() -> None:
    ds = Dataset()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(50):
                ds.add_meeting(start=NOW - i, duration=1, transcode_seconds=1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(50):
                ds.records(NOW)
                ds.tick(NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (writer, writer, writer, reader, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ds) == 150
    assert len({m.meeting_record_id for m in ds.meetings()}) == 150
