"""The content endpoints of the emulator over loopback: shapes, base64 and strings of ms,
"still generating" then content, AI off, the STS-Token rule, hostile text, signatures."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bot.config import DEMO_APP_ID
from bot.emulator.tencent.content import HOSTILE, generate
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator
from bot.emulator.tencent.sts import E_STS_TOKEN, STS_EVENT
from bot.tencent.errors import E_STS_TOKEN as CLIENT_E_STS_TOKEN
from bot.tencent.signing import Credentials, signed_headers
from tests.emulator.tencent.signed_calls import DAY, NOW, FakeClock, call, error_code


@pytest.fixture
def content_emu(clock: FakeClock):
    ds = Dataset()
    zh = ds.add_meeting(start=NOW - DAY, duration=3600, subject="产品周会 第12期", files=2)
    en = ds.add_meeting(start=NOW - DAY / 2, duration=1800, subject="Weekly sync")
    with TencentEmulator(dataset=ds, clock=clock) as emu:
        emu.intelligence.generating_calls = 0
        emu.ids = {"zh": zh, "en": en}  # type: ignore[attr-defined]
        yield emu


def file_of(emu: TencentEmulator, lang: str, n: int = 0) -> str:
    return emu.dataset.get(emu.ids[lang]).files[n].record_file_id  # type: ignore[attr-defined]


def sts_call(emu: TencentEmulator, uri: str, token: str | None) -> requests.Response:
    headers = signed_headers(emu.credentials, "GET", uri)
    if token is not None:
        headers["STS-Token"] = token
    return requests.get(emu.url + uri, headers=headers, timeout=5)


def test_minutes_markdown_and_plain_in_each_language(content_emu: TencentEmulator) -> None:
    fid = file_of(content_emu, "zh")
    md = call(content_emu, f"/v1/smart/minutes/{fid}?text_type=2")
    assert md.status_code == 200
    minute = md.json()["meeting_minute"]
    assert minute["minute"].startswith("## 会议摘要") and "**结论**" in minute["minute"]
    assert minute["todo"].startswith("## 会议待办") and "\n- " in minute["todo"]
    en = call(content_emu, f"/v1/smart/minutes/{fid}?text_type=2&lang=en").json()
    assert en["meeting_minute"]["minute"].startswith("## Meeting summary")
    plain = call(content_emu, f"/v1/smart/minutes/{fid}?lang=zh").json()["meeting_minute"]
    assert "#" not in plain["minute"] and "**" not in plain["minute"]
    again = call(content_emu, f"/v1/smart/minutes/{fid}?text_type=2").json()
    assert again["meeting_minute"] == minute  # deterministic per recording
    english_meeting = call(content_emu, f"/v1/smart/minutes/{file_of(content_emu, 'en')}")
    assert english_meeting.json()["meeting_minute"]["minute"].startswith("Meeting summary")
    bad = call(content_emu, f"/v1/smart/minutes/{fid}?lang=fr")
    assert bad.status_code == 400 and error_code(bad) == 190004


def test_chapters_have_base64_names_and_ms_strings(content_emu: TencentEmulator) -> None:
    fid = file_of(content_emu, "zh")
    resp = call(content_emu, f"/v1/smart/chapters?record_file_id={fid}")
    chapters = resp.json()["chapter_list"]
    assert len(chapters) >= 2
    for chapter in chapters:
        assert isinstance(chapter["start_time"], str) and chapter["start_time"].isdigit()
        name = base64.b64decode(chapter["chapter_name"], validate=True).decode("utf-8")
        assert name.endswith("讨论")
        assert chapter["chapter_id"] and chapter["pic_url"].startswith("https://")
    starts = [int(c["start_time"]) for c in chapters]
    assert starts == sorted(starts) and starts[0] == 0
    en = call(content_emu, f"/v1/smart/chapters?record_file_id={fid}&lang=en").json()
    name = base64.b64decode(en["chapter_list"][0]["chapter_name"]).decode()
    assert name.endswith("discussion")


def test_transcript_index_and_details_paging(content_emu: TencentEmulator) -> None:
    fid = file_of(content_emu, "zh")
    index = call(content_emu, f"/v1/records/transcripts/paragraphs?record_file_id={fid}").json()
    pids = index["pids"]
    assert index["total"] == len(pids) > 20 and index["audio_detect"] == 1
    assert all(isinstance(p["start_time"], int) for p in pids)
    whole = call(content_emu, f"/v1/records/transcripts/details?record_file_id={fid}").json()
    assert whole["more"] is False
    paragraphs = whole["minutes"]["paragraphs"]
    assert [p["pid"] for p in paragraphs] == [p["pid"] for p in pids]
    speakers = {p["speaker_info"]["username"] for p in paragraphs}
    assert len(speakers) >= 2
    first = paragraphs[0]
    words = first["sentences"][0]["words"]
    assert all(set(w) == {"wid", "start_time", "end_time", "text"} for w in words)
    assert first["start_time"] <= words[0]["start_time"] <= words[-1]["end_time"]
    text = "".join(w["text"] for s in first["sentences"] for w in s["words"])
    assert len(text) > 10
    assert sum(len(json.dumps(p, ensure_ascii=False)) for p in paragraphs) > 50_000  # an hour
    page = call(
        content_emu,
        f"/v1/records/transcripts/details?record_file_id={fid}&pid={pids[5]['pid']}&limit=3",
    ).json()
    assert [p["pid"] for p in page["minutes"]["paragraphs"]] == [p["pid"] for p in pids[5:8]]
    assert page["more"] is True
    last = pids[-2]["pid"]
    tail = call(
        content_emu, f"/v1/records/transcripts/details?record_file_id={fid}&pid={last}&limit=5"
    ).json()
    assert len(tail["minutes"]["paragraphs"]) == 2 and tail["more"] is False


def test_batch_addresses_with_a_transcript_file(content_emu: TencentEmulator) -> None:
    mid = content_emu.ids["zh"]  # type: ignore[attr-defined]
    resp = call(content_emu, f"/v1/addresses?meeting_record_id={mid}&operator_id=a")
    data = resp.json()
    assert data["meeting_record_id"] == mid and data["total_count"] == 2
    assert len(data["record_files"]) == 2
    summary = data["record_files"][0]["meeting_summary"]
    assert summary[0]["file_type"] == "txt"
    text = requests.get(summary[0]["download_address"], timeout=5)
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("text/plain")
    first_line = text.text.splitlines()[0]
    assert "(00:00:" in first_line and "): " in first_line
    forged = summary[0]["download_address"].replace("token=", "token=0")
    assert requests.get(forged, timeout=5).status_code == 403
    content_emu.advance(6 * 3600 + 1)
    assert requests.get(summary[0]["download_address"], timeout=5).status_code == 403
    missing = call(content_emu, "/v1/addresses?meeting_record_id=42")
    assert error_code(missing) == 190004


def test_generating_then_content(content_emu: TencentEmulator) -> None:
    content_emu.intelligence.generating_calls = 3
    fid = file_of(content_emu, "en")
    uri = f"/v1/smart/minutes/{fid}"
    for _ in range(3):
        resp = call(content_emu, uri)
        assert resp.status_code == 500
        assert resp.json()["error_info"]["error_code"] == 500051
        assert resp.json()["error_info"]["message"] == "智能化数据生成中"
    assert call(content_emu, uri).status_code == 200
    assert content_emu.intelligence.calls_for(fid) == 4
    # per recording: another one still generating, its batch addresses without transcript
    mid = content_emu.ids["zh"]  # type: ignore[attr-defined]
    content_emu.intelligence.set_generating(mid, 1)
    data = call(content_emu, f"/v1/addresses?meeting_record_id={mid}").json()
    assert all(f["meeting_summary"] == [] for f in data["record_files"])
    chapters = call(content_emu, f"/v1/smart/chapters?record_file_id={file_of(content_emu, 'zh')}")
    assert chapters.status_code == 200


def test_ai_off_is_permanent(content_emu: TencentEmulator) -> None:
    mid = content_emu.ids["en"]  # type: ignore[attr-defined]
    content_emu.intelligence.ai_off(mid)
    fid = file_of(content_emu, "en")
    for uri in (
        f"/v1/smart/minutes/{fid}",
        f"/v1/smart/chapters?record_file_id={fid}",
        f"/v1/records/transcripts/details?record_file_id={fid}",
    ):
        for _ in range(2):
            resp = call(content_emu, uri)
            assert resp.status_code == 400 and error_code(resp) == 500182
    other = call(content_emu, f"/v1/smart/minutes/{file_of(content_emu, 'zh')}")
    assert other.status_code == 200
    content_emu.intelligence.available = False  # the plan has none
    assert error_code(call(content_emu, f"/v1/smart/minutes/{file_of(content_emu, 'zh')}")) == (
        500182
    )


def test_sts_rule(content_emu: TencentEmulator) -> None:
    fid = file_of(content_emu, "en")
    details = f"/v1/records/transcripts/details?record_file_id={fid}"
    single = f"/v1/addresses/{fid}"
    assert sts_call(content_emu, details, None).status_code == 200  # off by default
    content_emu.require_sts()
    for uri in (details, single):
        resp = sts_call(content_emu, uri, None)
        assert resp.status_code == 400 and error_code(resp) == E_STS_TOKEN == CLIENT_E_STS_TOKEN
        assert "STS-Token" in resp.json()["error_info"]["message"]
    # endpoints the rule does not name need none
    assert sts_call(content_emu, f"/v1/smart/minutes/{fid}", None).status_code == 200
    assert (
        sts_call(
            content_emu, f"/v1/records/transcripts/paragraphs?record_file_id={fid}", None
        ).status_code
        == 200
    )
    mid = content_emu.ids["en"]  # type: ignore[attr-defined]
    assert sts_call(content_emu, f"/v1/addresses?meeting_record_id={mid}", None).status_code == 200
    old = content_emu.issue_sts_token()
    assert sts_call(content_emu, details, old.token).status_code == 200
    assert sts_call(content_emu, single, old.token).status_code == 200
    new = content_emu.issue_sts_token()  # rotated: the old one is stale
    assert error_code(sts_call(content_emu, details, old.token)) == E_STS_TOKEN
    assert sts_call(content_emu, details, new.token).status_code == 200
    content_emu.expire_sts_token()
    resp = sts_call(content_emu, details, new.token)
    assert error_code(resp) == E_STS_TOKEN and "expired" in resp.json()["error_info"]["message"]
    short = content_emu.issue_sts_token(lifetime=60)
    assert sts_call(content_emu, details, short.token).status_code == 200
    content_emu.advance(61)
    assert error_code(sts_call(content_emu, details, short.token)) == E_STS_TOKEN


def test_sts_token_event_is_sent_to_the_webhook(content_emu: TencentEmulator) -> None:
    received: list[bytes] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        content_emu.enable_webhooks(f"http://127.0.0.1:{server.server_address[1]}/", "tok")
        token = content_emu.issue_sts_token()
    finally:
        content_emu.disable_webhooks()
        server.shutdown()
        server.server_close()
    events = [json.loads(base64.b64decode(json.loads(body)["data"])) for body in received]
    sts = [e for e in events if e["event"] == STS_EVENT]  # (recording.completed may come too)
    assert len(sts) == 1
    info = sts[0]["payload"][0]["token_info"]
    assert info["sts_token"] == token.token and info["expire_ts"] == token.expire_ts


def test_hostile_text_is_served_as_data(content_emu: TencentEmulator) -> None:
    content_emu.intelligence.hostile = True
    fid = file_of(content_emu, "en")
    minute = call(content_emu, f"/v1/smart/minutes/{fid}?text_type=2").json()["meeting_minute"]
    assert HOSTILE in minute["minute"] and HOSTILE in minute["todo"]
    chapters = call(content_emu, f"/v1/smart/chapters?record_file_id={fid}").json()
    names = [base64.b64decode(c["chapter_name"]).decode() for c in chapters["chapter_list"]]
    assert any(HOSTILE in n for n in names)
    details = call(content_emu, f"/v1/records/transcripts/details?record_file_id={fid}").json()
    paragraphs = details["minutes"]["paragraphs"]
    text = "".join(w["text"] for s in paragraphs[0]["sentences"] for w in s["words"])
    assert "<!channel>" in text and "<@U123>" in text
    assert any(p["speaker_info"]["username"] == HOSTILE for p in paragraphs)
    content_emu.intelligence.hostile = False
    mid = content_emu.ids["zh"]  # type: ignore[attr-defined]
    plain = call(content_emu, f"/v1/smart/minutes/{file_of(content_emu, 'zh')}").json()
    assert HOSTILE not in plain["meeting_minute"]["minute"]
    content_emu.intelligence.set_hostile(mid)
    hostile = call(content_emu, f"/v1/smart/minutes/{file_of(content_emu, 'zh')}").json()
    assert HOSTILE in hostile["meeting_minute"]["minute"]


def test_content_calls_are_signature_checked(content_emu: TencentEmulator) -> None:
    fid = file_of(content_emu, "en")
    mid = content_emu.ids["en"]  # type: ignore[attr-defined]
    bad = Credentials(DEMO_APP_ID, content_emu.credentials.secret_id, "wrong-key")
    for uri in (
        f"/v1/smart/minutes/{fid}",
        f"/v1/smart/chapters?record_file_id={fid}",
        f"/v1/records/transcripts/paragraphs?record_file_id={fid}",
        f"/v1/records/transcripts/details?record_file_id={fid}",
        f"/v1/addresses?meeting_record_id={mid}",
    ):
        resp = call(content_emu, uri, bad)
        assert resp.status_code == 400 and error_code(resp) == 200003, uri
        unsigned = requests.get(content_emu.url + uri, timeout=5)
        assert unsigned.status_code == 400, uri
    assert content_emu.intelligence.calls_for(fid) == 0  # rejected calls never count


def test_content_calls_are_rate_limited_per_app(clock: FakeClock) -> None:
    ds = Dataset()
    mid = ds.add_meeting(start=NOW - DAY, duration=600)
    fid = ds.get(mid).files[0].record_file_id
    with TencentEmulator(dataset=ds, clock=clock) as emu:
        emu.intelligence.generating_calls = 0
        emu.intelligence.limiter.limit = 3
        codes = [call(emu, f"/v1/smart/minutes/{fid}").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 400]
        assert emu.calls[-1].error_code == 190310
        emu.advance(61)
        assert call(emu, f"/v1/smart/minutes/{fid}").status_code == 200


def test_generation_is_deterministic_and_realistic() -> None:
    a = generate("7777777777777777777", "Weekly sync", 3600)
    b = generate("7777777777777777777", "Weekly sync", 3600)
    assert a == b
    assert a.lang == "en" and generate("1", "技术评审", 600).lang == "zh"
    words = sum(len(p.text.split()) for p in a.paragraphs)
    assert 5000 < words < 12000  # about 140 words a minute for an hour
    assert len({p.username for p in a.paragraphs}) >= 2
    assert all(p.start_ms < p.end_ms for p in a.paragraphs)
    assert all(x.end_ms <= y.start_ms for x, y in zip(a.paragraphs, a.paragraphs[1:], strict=False))
