from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.meeting_content import Chapter, Minutes, Transcript, TranscriptParagraph
from bot.store import Store
from bot.store.content import (
    BACKOFF_FIRST,
    HIT_CLOSE,
    HIT_OPEN,
    Viewer,
    backoff_seconds,
    clean_words,
    snippet,
)
from tests.store.conftest import T0
from tests.store.test_store_recordings import meeting


def para(pid: int, text: str, speaker: str = "张伟", start_ms: int | None = None):
    start = pid * 10_000 if start_ms is None else start_ms
    return TranscriptParagraph(
        pid=str(pid),
        start_ms=start,
        end_ms=start + 9_000,
        speaker_name=speaker,
        speaker_userid="zhangwei" if speaker == "张伟" else None,
        text=text,
    )


def transcript(fid: str, *texts: str, speaker: str = "张伟") -> Transcript:
    return Transcript(
        record_file_id=fid,
        paragraphs=tuple(para(i, t, speaker) for i, t in enumerate(texts)),
        keywords=("预算",),
    )


def add(store: Store, mid: str, *texts: str, start: int = 1000, **kw) -> str:
    """A recording `mid` (one file `mid`-f) started at `start` (s), with this transcript."""
    fid = f"{mid}-f"
    store.recordings.save_meetings([meeting(mid, start=start, files=(fid,), **kw)])
    assert store.content.save_transcript(transcript(fid, *texts))
    return fid


def where(store: Store, words, **kw) -> list[tuple[str, str]]:
    return [(h.meeting_record_id, h.pid) for h in store.content.search_transcripts(words, **kw)]


# -- round trips ---------------------------------------------------------------------------------
def test_minutes_round_trip_and_languages(store):
    store.recordings.save_meetings([meeting("r1", files=("f1",))])
    m = Minutes(record_file_id="f1", minute="## 结论\n- 预算通过", todo="- 张伟: 下周交稿")
    assert store.content.save_minutes(m)
    assert store.content.save_minutes(m)  # idempotent
    en = Minutes(record_file_id="f1", minute="## Outcome", todo="- ship", lang="en")
    assert store.content.save_minutes(en)
    assert store.content.get_minutes("f1") == m
    assert store.content.get_minutes("f1", "en") == en
    assert store.content.get_minutes("f1", "ja") is None
    assert store.conn.execute("SELECT COUNT(*) FROM content_minutes").fetchone()[0] == 2
    assert store.content.status("f1", "minutes").state == "ready"


def test_chapters_round_trip_in_start_order(store):
    store.recordings.save_meetings([meeting("r1", files=("f1",))])
    chapters = [Chapter("2", "预算", 60_000), Chapter("1", "开场 Intro", 0)]
    assert store.content.get_chapters("f1") is None
    assert store.content.save_chapters("f1", chapters)
    assert store.content.get_chapters("f1") == [chapters[1], chapters[0]]
    assert store.content.save_chapters("f1", [])
    assert store.content.get_chapters("f1") == []


def test_transcript_round_trip(store):
    fid = add(store, "r1", "大家好，今天讨论预算。", "Budget is approved.")
    got = store.content.get_transcript(fid)
    assert got == transcript(fid, "大家好，今天讨论预算。", "Budget is approved.")
    assert store.content.transcript_stats() == (1, 2, len("大家好，今天讨论预算。") + 19)


def test_content_of_an_unknown_file_is_refused(store):
    assert not store.content.save_minutes(Minutes("nope", "m", "t"))
    assert not store.content.save_chapters("nope", [])
    assert not store.content.save_transcript(transcript("nope", "x"))
    assert not store.content.mark_status("nope", "minutes", "generating")
    assert not store.content.watch("nope", "minutes")
    assert store.content.get_transcript("nope") is None


def test_transcript_is_replaced_whole_and_unchanged_one_kept(store):
    fid = add(store, "r1", "第一段 预算", "第二段 预算", "第三段 预算")
    ids = [r[0] for r in store.conn.execute("SELECT id FROM transcript_paragraphs")]
    assert store.content.save_transcript(
        transcript(fid, "第一段 预算", "第二段 预算", "第三段 预算")
    )
    assert [r[0] for r in store.conn.execute("SELECT id FROM transcript_paragraphs")] == ids
    assert store.content.save_transcript(transcript(fid, "只剩一段 审批"))
    assert store.content.get_transcript(fid).paragraphs == (para(0, "只剩一段 审批"),)
    assert store.content.count_transcript_hits("预算") == 0
    assert where(store, "审批") == [("r1", "0")]
    assert store.conn.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0] == 1


def test_lone_surrogates_are_stored_as_question_marks(store):
    fid = add(store, "r1", "bad \ud800 text")
    assert store.content.get_transcript(fid).paragraphs[0].text == "bad ? text"


# -- status and backoff --------------------------------------------------------------------------
def test_generating_backs_off_and_off_is_not_asked_again(store, clock):
    store.recordings.save_meetings([meeting("r1", files=("f1", "f2"))])
    assert store.content.watch("f1", "minutes")
    assert not store.content.watch("f1", "minutes")  # already watched
    assert store.content.watch("f2", "minutes", at=T0 + 30)
    assert [d.record_file_id for d in store.content.due_for_check("minutes", T0)] == ["f1"]
    assert store.content.due_for_check("chapters", T0) == []

    store.content.mark_status("f1", "minutes", "generating", reason="500051")
    status = store.content.status("f1", "minutes")
    assert (status.state, status.attempts, status.reason) == ("generating", 1, "500051")
    assert status.next_try_at == T0 + BACKOFF_FIRST
    assert [d.record_file_id for d in store.content.due_for_check("minutes", T0 + 60)] == ["f2"]
    store.content.mark_status("f1", "minutes", "generating")
    assert store.content.status("f1", "minutes").next_try_at == T0 + 2 * BACKOFF_FIRST
    assert backoff_seconds(30) == 3600

    store.content.mark_status("f2", "minutes", "off", reason="500182")
    due = store.content.due_for_check("minutes", T0 + 10**6)
    assert [(d.record_file_id, d.meeting_record_id) for d in due] == [("f1", "r1")]
    assert store.content.status_counts() == {("minutes", "generating"): 1, ("minutes", "off"): 1}


def test_no_sts_waits_for_a_token_then_is_due(store):
    store.recordings.save_meetings([meeting("r1", files=("f1",))])
    store.content.mark_status("f1", "transcript", "no_sts")
    assert store.content.due_for_check("transcript", T0 + 10**6) == []
    assert store.content.retry_now("no_sts", "transcript") == 1
    assert [d.state for d in store.content.due_for_check("transcript", T0)] == ["no_sts"]
    assert store.content.save_transcript(transcript("f1", "内容"))
    assert store.content.status("f1", "transcript").state == "ready"
    assert store.content.due_for_check("transcript", T0 + 10**6) == []


def test_due_for_check_since_and_limit(store, clock):
    store.recordings.save_meetings([meeting("r1", files=("f1", "f2", "f3"))])
    store.content.watch("f1", "chapters")
    clock.now = T0 + 100
    store.content.watch("f2", "chapters")
    store.content.watch("f3", "chapters")
    due = store.content.due_for_check("chapters", T0 + 200, since=T0 + 50)
    assert [d.record_file_id for d in due] == ["f2", "f3"]
    assert len(store.content.due_for_check("chapters", T0 + 200, limit=1)) == 1


def test_bad_kind_or_state_is_refused(store):
    store.recordings.save_meetings([meeting("r1", files=("f1",))])
    with pytest.raises(ValueError):
        store.content.mark_status("f1", "video", "ready")
    with pytest.raises(ValueError):
        store.content.mark_status("f1", "minutes", "maybe")


# -- search --------------------------------------------------------------------------------------
def test_search_chinese_words_of_two_three_and_four_characters(store):
    add(store, "r1", "我们讨论一下预算审批的流程", "下周开周会", start=1000)
    add(store, "r2", "预算已经通过", start=2000)
    assert where(store, "预算") == [("r2", "0"), ("r1", "0")]
    assert where(store, "周会") == [("r1", "1")]  # at the very end of a paragraph
    assert where(store, "审批") == [("r1", "0")]
    assert where(store, "预算审") == [("r1", "0")]
    assert where(store, "预算审批") == [("r1", "0")]
    assert where(store, "审批流程") == []
    assert where(store, "预算 通过") == [("r2", "0")]  # every word, same paragraph
    assert where(store, "周") == [("r1", "1")]  # one character
    assert where(store, "会") == [("r1", "1")]


def test_search_english_any_case_and_substrings(store):
    add(store, "r1", "The Budget review is on Friday.", "AI roadmap: ok")
    assert where(store, "budget") == [("r1", "0")]
    assert where(store, "BUDGET Review") == [("r1", "0")]
    assert where(store, "ai") == [("r1", "1")]
    assert where(store, "ok") == [("r1", "1")]  # a short word ending the paragraph
    assert where(store, "dget") == [("r1", "0")]
    assert where(store, "budgets") == []


def test_hit_carries_meeting_speaker_time_and_marked_snippet(store):
    filler = "这是一段很长的讨论内容，" * 20
    add(store, "r1", filler + "最后我们确认了预算审批的时间表。" + filler, subject="产品周会")
    (hit,) = store.content.search_transcripts("预算审批")
    assert (hit.meeting_record_id, hit.subject, hit.record_file_id) == ("r1", "产品周会", "r1-f")
    assert (hit.speaker_name, hit.speaker_userid, hit.start_ms, hit.pid) == (
        "张伟",
        "zhangwei",
        0,
        "0",
    )
    assert hit.media_start_time == 1000 * 1000
    assert f"{HIT_OPEN}预算审批{HIT_CLOSE}" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet.replace(HIT_OPEN, "").replace(HIT_CLOSE, "")) == 120 + 2


def test_snippet_marks_every_word_and_strips_forged_markers():
    text = f"Budget {HIT_OPEN}fake{HIT_CLOSE} and more budget,\nthen   AI."
    got = snippet(text, ["budget", "ai"])
    assert got == (
        f"{HIT_OPEN}Budget{HIT_CLOSE} fake and more {HIT_OPEN}budget{HIT_CLOSE}, then "
        f"{HIT_OPEN}AI{HIT_CLOSE}."
    )
    assert snippet("short", ["zz"]) == "short"
    assert snippet("x" * 200, []) == "x" * 120 + "…"


def test_newest_recording_first_then_spoken_order(store):
    add(store, "old", "预算一", "预算二", start=1000)
    add(store, "new", "预算三", "预算四", start=5000)
    add(store, "mid", "预算五", start=3000)
    add(store, "same", "预算六", start=3000)  # same second: saved later, listed after
    assert where(store, "预算") == [
        ("new", "0"),
        ("new", "1"),
        ("mid", "0"),
        ("same", "0"),
        ("old", "0"),
        ("old", "1"),
    ]


def test_paging_count_and_cap(store):
    for i in range(5):
        add(store, f"r{i}", *(f"第{j}次提到预算" for j in range(3)), start=1000 + i)
    everything = where(store, "预算", limit=100)
    assert len(everything) == 15
    pages = [where(store, "预算", limit=4, offset=o) for o in range(0, 16, 4)]
    assert [h for page in pages for h in page] == everything
    assert store.content.count_transcript_hits("预算") == 15
    assert store.content.count_transcript_hits("预算", at_most=10) == 10
    assert store.content.count_transcript_hits("没有的词") == 0
    assert where(store, "预算", limit=0) == []


def test_start_and_end_bound_the_recording_start(store):
    for i, start in enumerate((1000, 2000, 3000)):
        add(store, f"r{i}", "预算", start=start)
    assert [m for m, _ in where(store, "预算", start=2000)] == ["r2", "r1"]
    assert [m for m, _ in where(store, "预算", end=2000)] == ["r1", "r0"]
    assert [m for m, _ in where(store, "预算", start=1500, end=2500)] == ["r1"]
    assert store.content.count_transcript_hits("预算", start=2000, end=2000) == 1


def test_participant_only_transcripts_only_for_host_and_admins(store):
    add(store, "open", "预算", start=2000, userid="bob")
    fid = "closed-f"
    m = meeting("closed", start=1000, files=(fid,), userid="alice")
    files = (m.record_files[0].model_copy(update={"required_participant": True}),)
    store.recordings.save_meetings([m.model_copy(update={"record_files": files})])
    store.content.save_transcript(transcript(fid, "预算"))
    assert [h for h, _ in where(store, "预算", viewer=Viewer())] == ["open"]
    assert [h for h, _ in where(store, "预算", viewer=Viewer(userid="bob"))] == ["open"]
    assert [h for h, _ in where(store, "预算", viewer=Viewer(userid="alice"))] == [
        "open",
        "closed",
    ]
    assert [h for h, _ in where(store, "预算", viewer=Viewer(admin=True))] == ["open", "closed"]
    assert store.content.count_transcript_hits("预算", viewer=Viewer()) == 1


HOSTILE = [
    "\x00",
    "预\x00算",
    '"',
    '""',
    '"预算',
    "*",
    "预*",
    "NEAR",
    "NEAR(预算 审批)",
    "AND",
    "OR",
    "NOT",
    "-",
    "-预算",
    "(",
    ")",
    "()",
    "^",
    ":",
    "text:预算",
    "{text}",
    "🙂",
    "🙂🙂",
    "\ud800",
    "%",
    "_",
    "\\",
    "'",
    "a'b",
    "\u200b",
]


@pytest.mark.parametrize("word", HOSTILE)
def test_hostile_words_never_raise(store, word):
    add(store, "r1", '预算 NEAR AND "quoted" 100% a_b 🙂 (x) text:预算 a\'b')
    for words in (word, [word], f"预算 {word}", [word, "预算"]):
        store.content.search_transcripts(words, limit=5)
        store.content.count_transcript_hits(words)


def test_hostile_words_match_as_plain_text(store):
    add(store, "r1", '预算 NEAR AND "quoted" 100% a_b 🙂 (x) text:预算')
    add(store, "r2", "nothing special here", start=2000)
    assert where(store, "100%") == [("r1", "0")]
    assert where(store, "a_b") == [("r1", "0")]
    assert where(store, "%") == [("r1", "0")]
    assert where(store, '"quoted"') == [("r1", "0")]
    assert where(store, "🙂") == [("r1", "0")]
    assert where(store, "(x)") == [("r1", "0")]
    assert where(store, "NEAR") == [("r1", "0")]
    assert where(store, "\x00") == []  # nothing left to look for
    assert clean_words(["\x00", " ", "预算", "预算", "\ud800x"]) == ["预算", "?x"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.text(max_size=12) | st.lists(st.text(max_size=6), max_size=4))
def test_arbitrary_words_never_raise(store, words):
    if store.content.transcript_stats()[0] == 0:
        add(store, "r1", '预算 budget AI 🙂 "q" (x) - * NEAR', "周会")
    hits = store.content.search_transcripts(words, limit=3, offset=1)
    assert store.content.count_transcript_hits(words) >= len(hits)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=40), data=st.data())
def test_any_substring_of_a_paragraph_finds_it(store, text, data):
    """Every piece of a paragraph (any length, any characters) finds that paragraph."""
    store.conn.execute("DELETE FROM record_meetings")
    add(store, "r1", text)
    clean = clean_words([text])
    if not clean:
        return
    word = clean[0]
    i = data.draw(st.integers(0, len(word) - 1))
    j = data.draw(st.integers(i + 1, len(word)))
    piece = word[i:j].strip()
    if not clean_words([piece]) or piece.lower() != piece.upper().lower():
        return  # case folding differs between Python and SQLite for a few letters
    assert ("r1", "0") in where(store, [piece])


# -- removal -------------------------------------------------------------------------------------
def test_removed_recording_drops_its_content_and_index(store):
    fid = add(store, "r1", "预算审批", "周会")
    add(store, "r2", "预算", start=2000)
    store.content.save_minutes(Minutes(fid, "m", "t"))
    store.content.save_chapters(fid, [Chapter("1", "c", 0)])
    store.content.mark_status(fid, "minutes", "generating")
    with store.transaction() as conn:
        conn.execute("DELETE FROM record_meetings WHERE meeting_record_id = 'r1'")
    assert store.content.get_transcript(fid) is None
    assert store.content.get_minutes(fid) is None
    assert store.content.get_chapters(fid) is None
    assert store.content.status(fid, "minutes") is None
    assert where(store, "预算") == [("r2", "0")]
    assert where(store, "周会") == []
    assert store.conn.execute("SELECT COUNT(*) FROM transcript_paragraphs").fetchone()[0] == 1
    if not store.is_postgresql:  # SQLite's FTS index agrees with the paragraphs left
        store.conn.execute("INSERT INTO transcript_fts(transcript_fts) VALUES ('integrity-check')")


def test_file_dropped_by_a_later_sync_drops_its_transcript(store):
    store.recordings.save_meetings([meeting("r1", files=("f1", "f2"))])
    store.content.save_transcript(transcript("f1", "预算一"))
    store.content.save_transcript(transcript("f2", "预算二"))
    store.recordings.save_meetings([meeting("r1", files=("f2",))])
    assert [h.record_file_id for h in store.content.search_transcripts("预算")] == ["f2"]


def test_optimize_index_keeps_results(store):
    add(store, "r1", "预算审批", "AI roadmap")
    add(store, "r2", "预算", start=2000)
    before = where(store, "预算") + where(store, "ai")
    store.content.optimize_index()
    assert where(store, "预算") + where(store, "ai") == before


def test_a_meeting_password_said_aloud_is_masked_in_every_kind_of_content(store):
    # Content goes to channels and members; a password must never ride along with it.
    from tests.store.test_store_recordings import rfile

    secret = "K7Q9"
    m = meeting("r1", files=())
    m = m.model_copy(update={"record_files": (rfile("r1-f", 1_000_000, password=secret),)})
    store.recordings.save_meetings([m])
    store.content.save_minutes(Minutes("r1-f", f"## 摘要\n密码是 {secret}", f"- send {secret}"))
    store.content.save_chapters("r1-f", [Chapter("c1", f"Password {secret}", 0)])
    store.content.save_transcript(transcript("r1-f", f"the password is {secret}, see you"))
    shown = [
        store.content.get_minutes("r1-f").minute,
        store.content.get_minutes("r1-f").todo,
        store.content.get_chapters("r1-f")[0].name,
        store.content.get_transcript("r1-f").paragraphs[0].text,
    ]
    assert all(secret not in text and "••••" in text for text in shown), shown
    assert not store.content.search_transcripts([secret])


def test_postgresql_search_can_use_the_trigram_indexes(store):
    """On PostgreSQL, a word of 3+ characters is found through the pg_trgm GIN indexes (once
    optimize_index has merged their pending lists), for transcripts and subjects alike."""
    if not store.is_postgresql:
        pytest.skip("SQLite searches through its FTS5 tables (the tests above)")
    for i in range(40):
        add(store, f"r{i}", *(f"第{j}段 普通的内容 {i}" for j in range(20)), start=1000 + i)
    add(store, "rare", "这里提到一次 xylophone 和独一无二", start=5000, subject="独一无二的周会")
    store.content.optimize_index()

    def plan(sql: str, params: list) -> str:
        with store.transaction(lock=None) as conn:
            # Without plain scans, what is left is the bitmap scan of an index that can answer.
            conn.execute("SET LOCAL enable_seqscan = off")
            conn.execute("SET LOCAL enable_indexscan = off")
            return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))

    for word, viewer in (("xylophone", None), ("独一无二", None), ("独一无二", Viewer())):
        sql, params = store.content._query([word], None, None, viewer)
        assert "idx_paragraphs_text_trgm" in plan(f"{sql} LIMIT 10", params), word
        assert [m for m, _ in where(store, word, viewer=Viewer(admin=True))] == ["rare"]
    where_sql, params = store.recordings._search_where("独一无二", None, None, None)
    subject_plan = plan(f"SELECT m.id FROM record_meetings m WHERE {where_sql}", params)  # noqa: S608
    assert "idx_meetings_subject_trgm" in subject_plan


def test_a_deleted_recording_leaves_transcript_search(store):
    add(store, "gone", "我们先看一下预算的进展", start=1000)
    add(store, "kept", "预算下周再看", start=2000)
    assert {mid for mid, _ in where(store, ["预算"])} == {"gone", "kept"}

    assert store.recordings.mark_deleted(["gone"]) == ["gone"]

    assert [mid for mid, _ in where(store, ["预算"])] == ["kept"]
    assert store.content.count_transcript_hits(["预算"]) == 1
