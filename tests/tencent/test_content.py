"""The client's content methods against the emulator over loopback: minutes, chapters,
transcripts, batch addresses; "still generating", AI off, the STS-Token rule, hostile text, and
their own budget bucket."""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Iterator

import pytest
import requests

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.content import HOSTILE
from bot.emulator.tencent.dataset import Dataset
from bot.meeting_content import CONTENT_GENERATING, CONTENT_NO_STS, CONTENT_OFF, Chapter
from bot.models import BACKGROUND, INTERACTIVE
from bot.store import Store, open_store
from bot.tencent.client import CONTENT_LIMIT, TencentMeetingClient
from bot.tencent.content import decode_b64_text, parse_chapters, parse_transcript_page, to_ms
from bot.tencent.errors import (
    AuthenticationError,
    BudgetExhaustedError,
    ContentGeneratingError,
    ContentOffError,
    StsTokenError,
    error_from_response,
)
from bot.tencent.signing import Credentials
from bot.tencent.throttle import CONTENT_BUCKET, CORP_RECORDS_BUCKET, Throttle

NOW = 1_760_000_000.0
DAY = 86400


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class RecordingSession(requests.Session):
    """Remembers the headers of every request sent (to see where STS-Token goes)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, dict[str, str]]] = []

    def send(self, request, **kwargs):  # type: ignore[override]
        self.sent.append((request.url, dict(request.headers)))
        return super().send(request, **kwargs)


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    store = open_store(tmp_path / "content.db")
    yield store
    store.close()


@pytest.fixture
def emu() -> Iterator[TencentEmulator]:
    ds = Dataset()
    ids = {
        "zh": ds.add_meeting(start=NOW - DAY, duration=3600, subject="产品周会 第3期"),
        "en": ds.add_meeting(start=NOW - DAY / 2, duration=1800, subject="Weekly sync", files=2),
    }
    with TencentEmulator(dataset=ds, clock=Clock(), rate_limit=600) as emulator:
        emulator.intelligence.generating_calls = 0
        emulator.ids = ids  # type: ignore[attr-defined]
        yield emulator


def fid(emu: TencentEmulator, lang: str, n: int = 0) -> str:
    return emu.dataset.get(emu.ids[lang]).files[n].record_file_id  # type: ignore[attr-defined]


@pytest.fixture
def make_client(store):
    def make(emulator: TencentEmulator, **kwargs) -> TencentMeetingClient:
        throttle = Throttle(store.budget, limit=kwargs.pop("limit", 10))
        kwargs.setdefault("backoff_base", 0.01)
        kwargs.setdefault("timeout", (1.0, 5.0))
        creds = kwargs.pop("creds", Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY))
        return TencentMeetingClient(emulator.url, creds, throttle, operator_id="admin", **kwargs)

    return make


def content_calls(emu: TencentEmulator) -> list:
    return [c for c in emu.calls if c.path.startswith(("/v1/smart", "/v1/records/transcripts"))]


# -- what was said ---------------------------------------------------------------------------
def test_minutes_in_markdown_and_translated(emu, make_client) -> None:
    client = make_client(emu)
    minutes = client.get_minutes(fid(emu, "zh"))
    assert minutes.record_file_id == fid(emu, "zh") and minutes.lang == "default"
    assert minutes.minute.startswith("## 会议摘要") and "**结论**" in minutes.minute
    assert minutes.todo.startswith("## 会议待办")
    english = client.get_minutes(fid(emu, "zh"), lang="en")
    assert english.minute.startswith("## Meeting summary") and english.lang == "en"
    plain = client.get_minutes(fid(emu, "zh"), markdown=False)
    assert "**" not in plain.minute
    calls = content_calls(emu)
    assert [c.query["text_type"] for c in calls] == ["2", "2", "1"]
    assert all(c.query["operator_id"] == "admin" for c in calls)
    with pytest.raises(ValueError):
        client.get_minutes(fid(emu, "zh"), lang="fr")


def test_chapters_decoded_with_ms_offsets(emu, make_client) -> None:
    chapters = make_client(emu).get_chapters(fid(emu, "zh"))
    assert len(chapters) >= 2
    assert all(isinstance(c, Chapter) and c.name.endswith("讨论") for c in chapters)
    assert chapters[0].start_ms == 0 and all(isinstance(c.start_ms, int) for c in chapters)
    assert [c.start_ms for c in chapters] == sorted(c.start_ms for c in chapters)
    english = make_client(emu).get_chapters(fid(emu, "zh"), lang="en")
    assert english[0].name.endswith("discussion")


def test_transcript_paged_by_the_paragraph_index(emu, make_client) -> None:
    client = make_client(emu)
    file_id = fid(emu, "zh")
    transcript = client.get_transcript(file_id, page_size=20)
    found = emu.dataset.find_file(file_id)
    assert found is not None
    expected = emu.intelligence.content(*found).paragraphs
    assert [p.pid for p in transcript.paragraphs] == [p.pid for p in expected]
    assert [p.text for p in transcript.paragraphs] == [p.text for p in expected]
    assert transcript.paragraphs[0].speaker_name and transcript.paragraphs[0].speaker_userid
    assert len({p.speaker_name for p in transcript.paragraphs}) >= 2
    assert transcript.keywords and transcript.speakers_final
    calls = content_calls(emu)
    assert calls[0].path.endswith("/paragraphs")
    details = calls[1:]
    assert len(details) == math.ceil(len(expected) / 20)
    assert [c.query["pid"] for c in details] == [
        expected[i].pid for i in range(0, len(expected), 20)
    ]
    assert all(c.query["limit"] == "20" for c in details)
    emu.reset_calls()
    whole = client.get_transcript(file_id, page_size=None, meeting_id=found[0].meeting_id)
    assert whole == transcript
    (only,) = content_calls(emu)
    assert "pid" not in only.query and only.query["meeting_id"] == found[0].meeting_id


def test_english_sentences_do_not_run_together(emu, make_client) -> None:
    transcript = make_client(emu).get_transcript(fid(emu, "en"))
    text = transcript.paragraphs[0].text
    assert ". " in text and not text.endswith(" ") and "  " not in text


def test_record_addresses_with_the_transcript_file(emu, make_client) -> None:
    mid = emu.ids["en"]  # type: ignore[attr-defined]
    addresses = make_client(emu).get_record_addresses(mid)
    assert addresses.meeting_record_id == mid and addresses.subject == "Weekly sync"
    assert [f.record_file_id for f in addresses.files] == [fid(emu, "en", 0), fid(emu, "en", 1)]
    (transcript,) = addresses.files[0].transcript_files
    assert transcript.file_type == "txt"
    assert "token=" not in repr(addresses)  # links stay out of repr
    text = requests.get(transcript.download_address, timeout=5).text
    assert "(00:00:" in text


# -- not there (yet) -------------------------------------------------------------------------
def test_generating_then_ready_without_client_retries(emu, make_client) -> None:
    emu.intelligence.generating_calls = 2
    client = make_client(emu)
    for _ in range(2):
        with pytest.raises(ContentGeneratingError) as caught:
            client.get_minutes(fid(emu, "en"))
        assert caught.value.reason == CONTENT_GENERATING and not caught.value.retryable
    assert len(content_calls(emu)) == 2  # each answered once: the caller's backoff decides
    assert client.get_minutes(fid(emu, "en")).minute.startswith("## Meeting summary")
    emu.intelligence.set_generating(emu.ids["zh"], 1)  # type: ignore[attr-defined]
    with pytest.raises(ContentGeneratingError):
        client.get_transcript(fid(emu, "zh"))


def test_ai_off_is_permanent(emu, make_client) -> None:
    emu.intelligence.ai_off(emu.ids["zh"])  # type: ignore[attr-defined]
    client = make_client(emu)
    for call in (client.get_minutes, client.get_chapters, client.get_transcript):
        with pytest.raises(ContentOffError) as caught:
            call(fid(emu, "zh"))
        assert caught.value.reason == CONTENT_OFF and caught.value.error_code == 500182
    assert len(content_calls(emu)) == 3  # never retried


def test_signature_required(emu, make_client) -> None:
    client = make_client(emu, creds=Credentials(DEMO_APP_ID, DEMO_SECRET_ID, "wrong"))
    with pytest.raises(AuthenticationError):
        client.get_minutes(fid(emu, "zh"))


# -- the STS-Token rule ----------------------------------------------------------------------
def test_sts_missing_valid_and_stale(emu, make_client, caplog) -> None:
    emu.require_sts()
    current: list[str | None] = [None]
    session = RecordingSession()
    client = make_client(emu, sts_token=lambda: current[0], session=session)
    file_id = fid(emu, "zh")
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(StsTokenError) as caught:
            client.get_transcript(file_id)
        assert caught.value.reason == CONTENT_NO_STS and caught.value.token_sent is False
        with pytest.raises(StsTokenError):
            client.get_addresses(file_id)
        old = emu.issue_sts_token().token
        current[0] = old
        assert client.get_transcript(file_id).paragraphs
        assert client.get_addresses(file_id).download_address
        new = emu.issue_sts_token().token  # rotated; the store still holds the old one
        with pytest.raises(StsTokenError) as stale:
            client.get_transcript(file_id, page_size=None)
        assert stale.value.token_sent is True
        current[0] = new
        assert client.get_transcript(file_id, page_size=None).paragraphs
        client.get_minutes(file_id)
        client.get_chapters(file_id)
        client.get_record_addresses(emu.ids["zh"])  # type: ignore[attr-defined]
    for url, headers in session.sent:
        needs = "/transcripts/details" in url or "/v1/addresses/" in url
        if "STS-Token" in headers:
            assert needs, url  # sent only where the rule applies
    assert any("STS-Token" in h for _, h in session.sent)
    assert old not in caplog.text and new not in caplog.text


def test_sts_provider_failure_sends_none(emu, make_client) -> None:
    emu.require_sts()

    def broken() -> str:
        raise RuntimeError("store is locked")

    client = make_client(emu, sts_token=broken)
    with pytest.raises(StsTokenError) as caught:
        client.get_transcript(fid(emu, "zh"), page_size=None)
    assert caught.value.token_sent is False


def test_sts_error_known_by_its_message() -> None:
    body = {"error_info": {"error_code": 123456, "message": "缺少 STS-Token 请求头"}}
    assert isinstance(error_from_response(400, body), StsTokenError)
    body = {"error_info": {"error_code": 123456, "message": "sts_token expired"}}
    assert isinstance(error_from_response(400, body), StsTokenError)
    generating = {"error_info": {"error_code": 500051, "message": "智能化数据生成中"}}
    assert isinstance(error_from_response(500, generating), ContentGeneratingError)


# -- hostile text -----------------------------------------------------------------------------
def test_hostile_text_kept_as_data(emu, make_client) -> None:
    emu.intelligence.hostile = True
    client = make_client(emu)
    file_id = fid(emu, "en")
    minutes = client.get_minutes(file_id)
    assert HOSTILE in minutes.minute and HOSTILE in minutes.todo
    assert any(HOSTILE in c.name for c in client.get_chapters(file_id))
    transcript = client.get_transcript(file_id)
    assert "<!channel> <@U123> *bold* & <b>x</b>" in transcript.paragraphs[0].text
    assert any(p.speaker_name == HOSTILE for p in transcript.paragraphs)


# -- the budget -------------------------------------------------------------------------------
def test_content_calls_never_take_corp_records_slots(emu, make_client, store) -> None:
    client = make_client(emu, limit=2)
    assert client.content_throttle.bucket == CONTENT_BUCKET
    assert client.content_throttle.limit == CONTENT_LIMIT
    client.get_minutes(fid(emu, "zh"))
    client.get_chapters(fid(emu, "zh"))
    client.get_transcript(fid(emu, "zh"), page_size=50)
    client.get_record_addresses(emu.ids["zh"])  # type: ignore[attr-defined]
    ledger = store.budget
    assert ledger.calls_since(CORP_RECORDS_BUCKET, 0) == 0
    assert ledger.calls_since(CONTENT_BUCKET, 0) == len(
        [c for c in emu.calls if c.path.startswith(("/v1/smart", "/v1/records", "/v1/addresses"))]
    )
    # the content budget spent: corp/records still goes at once, content waits
    spent = make_client(
        emu, content_throttle=Throttle(store.budget, limit=1, bucket=CONTENT_BUCKET)
    )
    with pytest.raises(BudgetExhaustedError):
        spent.get_minutes(fid(emu, "zh"), max_wait=0)
    with pytest.raises(BudgetExhaustedError):
        spent.get_minutes(fid(emu, "zh"), priority=INTERACTIVE, max_wait=0)
    page = spent.fetch_page(int(NOW - 2 * DAY), int(NOW), 1, priority=BACKGROUND, max_wait=0)
    assert page.total_count == 2
    assert ledger.calls_since(CORP_RECORDS_BUCKET, 0) == 1


def test_interactive_content_call(emu, make_client) -> None:
    minutes = make_client(emu).get_minutes(fid(emu, "zh"), priority=INTERACTIVE, max_wait=5)
    assert minutes.minute


# -- parsing ----------------------------------------------------------------------------------
def test_base64_decoded_defensively() -> None:
    encoded = base64.b64encode("腾讯会议 <!channel>".encode()).decode()
    assert decode_b64_text(encoded) == "腾讯会议 <!channel>"
    for kept in ("## 会议摘要\n- a", "Alice", "Mike", "not base64!", "", "abc="):
        assert decode_b64_text(kept) == kept
    assert decode_b64_text(None) == "" and decode_b64_text(12) == "12"
    assert decode_b64_text(base64.b64encode(b"\xff\xfe\x00").decode()) != ""


def test_ms_strings_and_malformed_items() -> None:
    assert to_ms("3190") == 3190 and to_ms(42) == 42
    for bad in ("3.5s", None, True, "", [1]):
        with pytest.raises(ValueError):
            to_ms(bad)
    data = {
        "chapter_list": [
            {"chapter_id": "b", "chapter_name": "5byA5Zy6", "start_time": "90000"},
            {"chapter_id": "x", "chapter_name": "bad", "start_time": "soon"},
            "nonsense",
            {"chapter_id": "a", "chapter_name": "plain name", "start_time": 0},
        ]
    }
    chapters = parse_chapters("1", data)
    assert chapters == [Chapter("a", "plain name", 0), Chapter("b", "开场", 90000)]
    page = parse_transcript_page(
        "1",
        {
            "minutes": {
                "paragraphs": [
                    {"pid": "0", "start_time": 1, "end_time": 2, "sentences": []},
                    {"start_time": 1},
                ],
                "audio_detect": 0,
            }
        },
    )
    assert len(page.paragraphs) == 1 and page.paragraphs[0].speaker_name == ""
    assert page.speakers_final is False and page.more is False


# -- the transcript file (txt) ------------------------------------------------------------------
def test_the_transcript_file_reads_back_the_emulators_paragraphs() -> None:
    from bot.emulator.tencent.content import generate
    from bot.tencent.content import parse_transcript_text

    content = generate("123", "产品周会", 600.0)
    paragraphs = parse_transcript_text(content.transcript_text())
    assert [(p.speaker_name, p.start_ms // 1000, p.text) for p in paragraphs] == [
        (p.username, p.start_ms // 1000, p.text) for p in content.paragraphs
    ]
    assert all(a.end_ms == b.start_ms for a, b in zip(paragraphs, paragraphs[1:], strict=False))
    assert len({p.pid for p in paragraphs}) == len(paragraphs)


def test_the_transcript_file_keeps_lines_of_other_shapes_as_text() -> None:
    from bot.tencent.content import parse_transcript_text

    text = (
        "\ufeff会议记录\n"
        "张三(00:00:05): 大家好\n"
        "接着说\n"
        "\n"
        "李四（01:02:03）：好的 (yes): ok\n"
        "Bob (1:02): short clock\n"
    )
    paragraphs = parse_transcript_text(text)
    assert [(p.speaker_name, p.start_ms, p.text) for p in paragraphs] == [
        ("", 0, "会议记录"),
        ("张三", 5000, "大家好\n接着说"),
        ("李四", 3723000, "好的 (yes): ok"),
        ("Bob", 62000, "short clock"),
    ]
    assert paragraphs[-1].end_ms == paragraphs[-1].start_ms
    assert parse_transcript_text("") == []
