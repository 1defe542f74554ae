from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import RecordFile, RecordMeeting
from bot.store import Store
from bot.store.recordings import SaveResult
from tests.store.conftest import T0


def rfile(fid: str, start_ms: int, **kw) -> RecordFile:
    values = dict(
        record_file_id=fid,
        record_start_time=start_ms,
        record_end_time=start_ms + 60_000,
        record_size=1000,
        sharing_state=1,
    )
    values.update(kw)
    return RecordFile(**values)


def meeting(
    mid: str,
    *,
    state: int = 3,
    subject: str = "Weekly sync",
    start: int = 1000,
    files: tuple[str, ...] = ("f1",),
    userid: str = "alice",
    **kw,
) -> RecordMeeting:
    return RecordMeeting(
        meeting_record_id=mid,
        meeting_id="m-" + mid,
        meeting_code="123456789",
        userid=userid,
        media_start_time=start * 1000,
        subject=subject,
        state=state,
        record_files=tuple(rfile(f, start * 1000 + i * 1000) for i, f in enumerate(files)),
        **kw,
    )


def meeting_row(store: Store, mid: str) -> dict:
    row = store.conn.execute("SELECT * FROM record_meetings WHERE meeting_record_id = ?", [mid])
    return dict(row.fetchone()._mapping)


def file_ids(store: Store, mid: str) -> list[str]:
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT record_file_id FROM record_files WHERE meeting_record_id = ? ORDER BY 1", (mid,)
        )
    ]


def test_upsert_tracks_state_and_completion(store, clock):
    first = store.recordings.save_meetings([meeting("r1", state=1, files=())])
    assert first == SaveResult(new=["r1"], changed=[], completed=[], files_changed=[])
    row = meeting_row(store, "r1")
    assert (row["state"], row["first_seen_at"], row["updated_at"], row["completed_at"]) == (
        1,
        T0,
        T0,
        None,
    )

    clock.now = T0 + 10
    assert store.recordings.save_meetings([meeting("r1", state=1, files=())]) == SaveResult()
    clock.now = T0 + 20
    second = store.recordings.save_meetings([meeting("r1", state=2, files=("f1",))])
    assert second == SaveResult(changed=["r1"])

    clock.now = T0 + 30
    third = store.recordings.save_meetings([meeting("r1", state=3, files=("f1", "f2"))])
    # r1 was known unfinished (watched): it is posted whoever fetched it (bot.sync)
    assert third == SaveResult(changed=["r1"], completed=["r1"], completed_watched=["r1"])
    row = meeting_row(store, "r1")
    assert (row["state"], row["first_seen_at"], row["updated_at"], row["completed_at"]) == (
        3,
        T0,
        T0 + 30,
        T0 + 30,
    )
    assert file_ids(store, "r1") == ["f1", "f2"]

    # Seen again unchanged: nothing reported, completed_at kept.
    clock.now = T0 + 40
    assert store.recordings.save_meetings([meeting("r1", files=("f1", "f2"))]) == SaveResult()
    assert store.recordings.completed_at("r1") == T0 + 30

    # A file disappears from a finished recording: removed, reported as files_changed.
    clock.now = T0 + 50
    fourth = store.recordings.save_meetings([meeting("r1", files=("f2",))])
    assert fourth == SaveResult(changed=["r1"], files_changed=["r1"])
    assert file_ids(store, "r1") == ["f2"]
    assert meeting_row(store, "r1")["completed_at"] == T0 + 30


def test_new_finished_recording_is_new_and_completed(store):
    result = store.recordings.save_meetings([meeting("a"), meeting("b", state=2)])
    assert result == SaveResult(new=["a", "b"], completed=["a"])
    assert store.recordings.count() == 2


def test_unfinished_recording_keeps_files_not_listed(store):
    store.recordings.save_meetings([meeting("r", state=2, files=("f1", "f2"))])
    result = store.recordings.save_meetings([meeting("r", state=2, files=("f1",))])
    assert result == SaveResult()  # a partial list of an unfinished recording is not a change
    assert file_ids(store, "r") == ["f1", "f2"]


def test_subject_change_and_duplicates_last_wins(store):
    store.recordings.save_meetings([meeting("r", subject="旧标题")])
    result = store.recordings.save_meetings(
        [meeting("r", subject="中间"), meeting("r", subject="新标题 产品周会")]
    )
    # A completed recording renamed: what its messages show changed too.
    assert result == SaveResult(changed=["r"], shown_changed=["r"])
    assert meeting_row(store, "r")["subject"] == "新标题 产品周会"
    # The FTS index follows the subject.
    assert [m.meeting_record_id for m in store.recordings.search("产品周会")] == ["r"]
    assert store.recordings.search("旧标题") == []


def test_get_round_trips_without_addresses(store):
    files = (
        rfile("late", 5000, password="secret-pw", view_address="https://view.example/v?x=1"),
        rfile(
            "early",
            1000,
            download_address="https://dl.example/d?sig=2",
            allow_download=True,
            required_same_corp=False,
            sharing_expire=0,
            extra={"audio_address": "https://audio.example/a", "note": "kept"},
        ),
    )
    original = RecordMeeting(
        meeting_record_id="r",
        meeting_id="m",
        meeting_code="987654321",
        userid="bob",
        media_start_time=1000,
        subject="设计评审",
        state=3,
        record_files=files,
        extra={"host_name": "Bob", "view_address": "https://x"},
    )
    store.recordings.save_meetings([original])
    got = store.recordings.get("r")
    assert got is not None
    assert [f.record_file_id for f in got.record_files] == ["early", "late"]
    early, late = got.record_files
    assert late.password == "secret-pw"
    assert late.view_address is None and early.download_address is None
    assert (early.allow_download, early.required_same_corp, early.sharing_expire) == (
        True,
        False,
        0,
    )
    assert early.extra == {"note": "kept"}
    assert got.extra == {"host_name": "Bob"}
    assert (got.meeting_code, got.userid, got.subject) == ("987654321", "bob", "设计评审")
    # No address is anywhere in the database (its files; on PostgreSQL, every row as text).
    if store.is_postgresql:
        raw = "".join(
            str(tuple(row))
            for table in ("record_meetings", "record_files")
            for row in store.conn.execute(f"SELECT * FROM {table}")  # noqa: S608
        ).encode()
    else:
        store.close()
        raw = b"".join(p.read_bytes() for p in Path(store.path).parent.glob("bot.db*"))
    assert "设计评审".encode() in raw  # the check can see stored text
    assert b"secret-pw" not in raw  # the password is kept encrypted only
    for needle in (b"view.example", b"dl.example", b"audio.example"):
        assert needle not in raw


def test_get_many_and_missing(store):
    store.recordings.save_meetings([meeting("a"), meeting("b"), meeting("c")])
    assert [m.meeting_record_id for m in store.recordings.get_many(["c", "x", "a"])] == ["c", "a"]
    assert store.recordings.get("x") is None
    assert store.recordings.completed_at("x") is None


def test_in_range_newest_first_with_filters(store):
    store.recordings.save_meetings(
        [
            meeting("a", start=100, userid="alice"),
            meeting("b", start=200, userid="bob"),
            meeting("c", start=300, userid="alice"),
            meeting("d", start=400, userid="alice"),
        ]
    )
    ids = [m.meeting_record_id for m in store.recordings.in_range(100, 300)]
    assert ids == ["c", "b", "a"]  # both ends inclusive, newest first
    alice = store.recordings.in_range(0, 1000, userid="alice", limit=2, offset=1)
    assert [m.meeting_record_id for m in alice] == ["c", "a"]
    assert store.recordings.count_in_range(0, 1000) == 4
    assert store.recordings.count_in_range(150, 1000, userid="alice") == 2


SUBJECTS = {
    "zh": "产品周会 第12期",
    "en": "Weekly sync",
    "pct": "100% done",
    "snake": "snake_case talk",
    "quote": 'Say "hello" now',
    "and": "R&D AND ops",
    "star": "glob * star",
    "back": "path C:\\temp",
    "other": "闲聊",
}


@pytest.fixture
def searchable(store):
    store.recordings.save_meetings(
        [meeting(k, subject=s, start=i * 10) for i, (k, s) in enumerate(SUBJECTS.items())]
    )
    return store.recordings


def found(repo, text, **kw) -> set[str]:
    return {m.meeting_record_id for m in repo.search(text, **kw)}


def test_search_chinese_short_and_long(searchable):
    assert found(searchable, "周会") == {"zh"}
    assert found(searchable, "产品周会") == {"zh"}
    assert found(searchable, "第12期 周会") == {"zh"}  # all words must match
    assert found(searchable, "周会 闲聊") == set()
    assert found(searchable, "周") == {"zh"}


def test_search_english_case_insensitive(searchable):
    assert found(searchable, "weekly") == {"en"}
    assert found(searchable, "SYNC weekly") == {"en"}
    assert found(searchable, "Sy") == {"en"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"', {"quote"}),
        ('"hello"', {"quote"}),
        ("%", {"pct"}),
        ("100%", {"pct"}),
        ("_", {"snake"}),
        ("e_c", {"snake"}),
        ("AND", {"and"}),
        ("and", {"and"}),
        ("*", {"star"}),
        ("* star", {"star"}),
        ("\\", {"back"}),
        ("C:\\temp", {"back"}),
        ("NEAR(", set()),
        ("OR", set()),
        ("(", set()),
        ("'", set()),
    ],
)
def test_search_special_characters_match_literally(searchable, text, expected):
    assert found(searchable, text) == expected
    assert searchable.count_search(text) == len(expected)


def test_search_with_range_user_and_paging(store):
    store.recordings.save_meetings(
        [meeting(f"r{i}", subject=f"周会 {i}", start=i, userid="u") for i in range(10)]
        + [meeting("x", subject="周会 x", start=5, userid="v")]
    )
    repo = store.recordings
    assert [m.meeting_record_id for m in repo.search("周会", limit=3)] == ["r9", "r8", "r7"]
    # Same start time: the row saved later comes first.
    assert [m.meeting_record_id for m in repo.search("周会", limit=2, offset=3)] == ["r6", "x"]
    assert found(repo, "周会", start=4, end=5) == {"r4", "r5", "x"}
    assert found(repo, "周会", start=4, end=5, userid="v") == {"x"}
    assert repo.count_search("周会", userid="u") == 10
    assert len(repo.search("   ")) == 11  # no words: everything


def test_pending_stuck_and_overdue(store, clock):
    now = T0
    hour = 3600
    store.recordings.save_meetings(
        [
            meeting("fresh", state=1, start=int(now - hour)),
            meeting("old", state=2, start=int(now - 100 * hour)),
            meeting("done", state=3, start=int(now - hour)),
        ]
    )
    repo = store.recordings
    assert [m.meeting_record_id for m in repo.pending(now, 72)] == ["fresh"]
    assert repo.overdue(now, 72) == ["old"]
    assert repo.pending_count() == 2
    assert repo.mark_stuck(["old", "done"]) == 1  # a finished one is never stuck
    assert [m.meeting_record_id for m in repo.stuck()] == ["old"]
    assert meeting_row(store, "old")["stuck_at"] == T0
    assert repo.pending_count() == 1
    assert repo.overdue(now, 72) == []
    # A stuck recording that finishes later leaves the stuck list.
    store.recordings.save_meetings([meeting("old", state=3, start=int(now - 100 * hour))])
    assert repo.stuck() == []


def synced_rows(store) -> list[tuple[int, int]]:
    rows = store.conn.execute('SELECT start, "end" FROM synced_ranges ORDER BY 1')
    return [tuple(r) for r in rows]


def test_synced_ranges_merge(store):
    repo = store.recordings
    assert repo.synced_until() is None
    repo.mark_synced(100, 200)
    repo.mark_synced(300, 400)
    assert synced_rows(store) == [(100, 200), (300, 400)]
    repo.mark_synced(200, 250)  # adjacent: merged
    assert synced_rows(store) == [(100, 250), (300, 400)]
    repo.mark_synced(120, 130)  # contained: no change
    assert synced_rows(store) == [(100, 250), (300, 400)]
    repo.mark_synced(240, 310)  # bridges both
    assert synced_rows(store) == [(100, 400)]
    repo.mark_synced(500, 500)  # empty: ignored
    assert synced_rows(store) == [(100, 400)]
    assert repo.synced_until() == 400


def test_missing_ranges(store):
    repo = store.recordings
    assert repo.missing_ranges(0, 100) == [(0, 100)]
    repo.mark_synced(10, 20)
    repo.mark_synced(40, 50)
    assert repo.missing_ranges(0, 100) == [(0, 10), (20, 40), (50, 100)]
    assert repo.missing_ranges(15, 45) == [(20, 40)]
    assert repo.missing_ranges(10, 20) == []
    assert repo.is_synced(12, 18)
    assert not repo.is_synced(15, 25)
    assert repo.synced_until() == 50


def test_large_batch_spans_chunks(store):
    batch = [meeting(f"r{i:05d}", start=i, files=(f"f{i}a", f"f{i}b")) for i in range(1200)]
    result = store.recordings.save_meetings(batch)
    assert len(result.new) == 1200 and len(result.completed) == 1200
    assert store.recordings.count() == 1200
    assert store.conn.execute("SELECT COUNT(*) FROM record_files").fetchone()[0] == 2400
    again = store.recordings.save_meetings(batch[:700] + [meeting("r00001", start=1, files=())])
    assert again.changed == ["r00001"] and again.files_changed == ["r00001"]
    assert file_ids(store, "r00001") == []


def test_by_meeting_code_newest_first_and_by_sharing_url(store):
    older = meeting("r-old", start=1000, files=("f-old",))
    newer = meeting("r-new", start=5000, files=("f-new",))
    other = meeting("r-other", start=3000, files=("f-other",)).model_copy(
        update={"meeting_code": "555000111"}
    )
    shared = other.record_files[0].model_copy(
        update={"sharing_url": "https://meeting.tencent.com/crm/abc"}
    )
    other = other.model_copy(update={"record_files": (shared,)})
    store.recordings.save_meetings([older, newer, other])
    assert [m.meeting_record_id for m in store.recordings.by_meeting_code("123456789")] == [
        "r-new",
        "r-old",
    ]
    assert store.recordings.by_meeting_code("000") == []
    for url in ("https://meeting.tencent.com/crm/abc", "https://meeting.tencent.com/crm/abc/"):
        found = store.recordings.by_sharing_url(url)
        assert found is not None and found.meeting_record_id == "r-other"
    assert store.recordings.by_sharing_url("https://meeting.tencent.com/crm/zzz") is None


def test_a_subject_holding_nul_is_not_a_change_when_seen_again(store):
    # PostgreSQL stores the NUL as U+FFFD: the same subject seen again must not read as changed.
    store.recordings.save_meetings([meeting("r", subject="周会\x00 notes")])
    assert store.recordings.save_meetings([meeting("r", subject="周会\x00 notes")]) == SaveResult()
    changed = store.recordings.save_meetings([meeting("r", subject="周会 notes")])
    assert changed == SaveResult(changed=["r"], shown_changed=["r"])


def test_only_recordings_wholly_inside_a_window_can_be_gone_from_its_listing(store):
    inside = meeting("in", start=1000, files=("in-f",))  # 1000 s .. its files' ends
    spans = meeting("span", start=1500, files=("span-f",))
    store.recordings.save_meetings([inside, spans])
    ends = {
        f.record_file_id: f.record_end_time // 1000 for m in (inside, spans) for f in m.record_files
    }
    window_end = max(ends["in-f"], 1500) + 1
    assert window_end < ends["span-f"]  # its file runs past the window's end

    gone = store.recordings.gone_from_listing(900, window_end, listed=[])
    assert gone == ["in"]  # the other may be listed in the next window, whatever Tencent reads
    assert store.recordings.gone_from_listing(900, window_end, listed=["in"]) == []
    assert store.recordings.mark_deleted(["in"]) == ["in"]
    assert store.recordings.mark_deleted(["in"]) == []  # once
    assert store.recordings.gone_from_listing(900, window_end, listed=[]) == []
    assert store.recordings.get("in").deleted and store.recordings.search("Weekly") == [
        store.recordings.get("span")
    ]
