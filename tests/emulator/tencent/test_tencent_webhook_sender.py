"""The emulator's webhook sender, against a loopback receiver that records what arrives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest

from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.webhook_sender import FORGERIES, WebhookSender, completed_event
from bot.models import STATE_TRANSCODING
from bot.server.http import start_http_server
from bot.tencent.webhook import (
    WebhookDecodeError,
    check_timestamp,
    decode_data,
    parse_event,
    verify_signature,
)

TOKEN = "sender-test-token"
AES_KEY = "dGhpcyBpcyBhIDMyLWJ5dGUga2V5IGZvciB0ZXN0cyE"


@dataclass
class Arrival:
    method: str
    headers: dict[str, str]
    query: str
    data: str
    at: float


@dataclass
class Receiver:
    """Records every request; answers a URL check with the decoded check_str."""

    aes_key: str | None
    arrivals: list[Arrival] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            k[5:].lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }  # timestamp, nonce, signature
        query = environ.get("QUERY_STRING", "")
        data = json.loads(body)["data"] if body else parse_qs(query)["check_str"][0]
        with self.changed:
            self.arrivals.append(
                Arrival(environ["REQUEST_METHOD"], headers, query, data, time.time())
            )
            self.changed.notify_all()
        answer = b"successfully received"
        if environ["REQUEST_METHOD"] == "GET":
            answer = decode_data(data, self.aes_key)
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))]
        )
        return [answer]

    def wait(self, count: int, timeout: float = 3.0) -> list[Arrival]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.arrivals) >= count, timeout):
                raise AssertionError(f"{len(self.arrivals)} requests arrived, expected {count}")
            return list(self.arrivals)


@dataclass
class Rig:
    emulator: TencentEmulator
    receiver: Receiver
    url: str

    def transcoding(self) -> str:
        mid = self.emulator.dataset.add_meeting(start=time.time() - 3600, transcode_seconds=10**6)
        self.emulator.dataset.set_state(mid, STATE_TRANSCODING)
        return mid


@pytest.fixture(scope="module", params=[None, AES_KEY], ids=["plain", "aes"])
def receiver(request) -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver(request.param)
    server = start_http_server(receiver)  # one per module: stopping waitress takes ~1 s
    try:
        yield receiver, f"{server.url}/tencent/webhook"
    finally:
        server.stop()


@pytest.fixture
def rig(receiver: tuple[Receiver, str]) -> Iterator[Rig]:
    recorder, url = receiver
    with recorder.changed:
        recorder.arrivals.clear()
    emulator = TencentEmulator(dataset=Dataset(seed=2)).start()
    try:
        yield Rig(emulator, recorder, url)
    finally:
        emulator.stop()


def _event(rig: Rig, arrival: Arrival) -> dict:
    h = arrival.headers
    assert verify_signature(TOKEN, h["timestamp"], h["nonce"], arrival.data, h["signature"])
    return json.loads(decode_data(arrival.data, rig.receiver.aes_key))


def test_a_completed_recording_is_sent_signed_and_encrypted(rig: Rig) -> None:
    mid = rig.transcoding()
    sender = rig.emulator.enable_webhooks(rig.url, TOKEN, rig.receiver.aes_key)
    completed = time.time()
    rig.emulator.dataset.complete_now(mid)
    [arrival] = rig.receiver.wait(1)
    assert arrival.at - completed < 1.0  # the ticker noticed within ~0.1 s
    assert arrival.method == "POST"
    assert len(arrival.headers["timestamp"]) == 13  # milliseconds, as in Tencent's example
    assert check_timestamp(arrival.headers["timestamp"], time.time())
    body = _event(rig, arrival)
    meeting = rig.emulator.dataset.get(mid)
    assert body["event"] == "recording.completed" and body["trace_id"]
    [payload] = body["payload"]
    info = payload["meeting_info"]
    assert info["meeting_id"] == meeting.meeting_id
    assert info["meeting_code"] == meeting.meeting_code
    assert info["creator"] == {"userid": meeting.userid, "user_name": meeting.userid}
    assert (info["start_time"], info["end_time"]) == (int(meeting.start), int(meeting.end))
    assert [f["record_file_id"] for f in payload["recording_files"]] == [
        f.record_file_id for f in meeting.files
    ]
    assert abs(payload["operate_time"] / 1000 - completed) < 2
    parsed = parse_event(json.dumps(body))  # what the bot parses
    assert parsed.payloads[0].start_time == int(meeting.start)
    assert rig.emulator.tick() == []  # reported once: no tick reports it again
    assert sender.wait_idle(3)  # and nothing is on its way
    assert len(rig.receiver.arrivals) == 1


def test_duplicates_repeat_the_event_with_new_nonces(rig: Rig) -> None:
    mid = rig.transcoding()
    sender = rig.emulator.enable_webhooks(rig.url, TOKEN, rig.receiver.aes_key, duplicates=2)
    rig.emulator.dataset.complete_now(mid)
    arrivals = rig.receiver.wait(3)
    assert sender.wait_idle(3)
    assert len({_event(rig, a)["trace_id"] for a in arrivals}) == 1
    assert len({a.headers["nonce"] for a in arrivals}) == 3
    assert [s.status for s in sender.sent] == [200, 200, 200]
    assert {s.meeting_record_id for s in sender.sent} == {mid}


def test_delay_and_drop(rig: Rig) -> None:
    first, second = rig.transcoding(), rig.transcoding()
    sender = rig.emulator.enable_webhooks(rig.url, TOKEN, rig.receiver.aes_key, delay=0.4)
    completed = time.time()
    rig.emulator.dataset.complete_now(first)
    [arrival] = rig.receiver.wait(1)
    assert arrival.at - completed >= 0.4
    sender.drop = True
    reported = threading.Event()  # set once the sender's callback has seen `second`
    rig.emulator.dataset.on_completed.append(
        lambda meeting, now: meeting.meeting_record_id == second and reported.set()
    )
    rig.emulator.dataset.complete_now(second)
    assert reported.wait(2)
    assert sender.dropped == [second]
    assert sender.wait_idle(3)  # nothing is on its way
    assert [s.meeting_record_id for s in sender.sent] == [first]
    assert len(rig.receiver.arrivals) == 1


def test_stopping_cancels_delayed_events(rig: Rig) -> None:
    mid = rig.transcoding()
    sender = rig.emulator.enable_webhooks(rig.url, TOKEN, rig.receiver.aes_key, delay=1.0)
    rig.emulator.dataset.complete_now(mid)
    rig.emulator.tick()  # reported here, unless the ticker was quicker
    assert not sender.wait_idle(0.1)  # an event is waiting out its delay
    rig.emulator.disable_webhooks()
    assert rig.emulator.webhooks is None
    assert sender.wait_idle(2)
    assert rig.receiver.arrivals == []


@pytest.mark.parametrize("kind", FORGERIES)
def test_forgeries_fail_the_check_they_target(rig: Rig, kind: str) -> None:
    sender = WebhookSender(rig.url, TOKEN, rig.receiver.aes_key)
    mid = rig.transcoding()
    event = completed_event(rig.emulator.dataset.get(mid), time.time())
    sender.send_event(event)
    sender.send_forged(kind, event)
    genuine, forged = rig.receiver.wait(2)
    h = forged.headers
    signed = verify_signature(TOKEN, h["timestamp"], h["nonce"], forged.data, h["signature"])
    assert signed == (kind != "bad_signature")
    assert check_timestamp(h["timestamp"], time.time()) == (kind != "stale_timestamp")
    replayed = (h["timestamp"], h["nonce"], forged.data) == (
        genuine.headers["timestamp"],
        genuine.headers["nonce"],
        genuine.data,
    )
    assert replayed == (kind == "replayed_nonce")
    if kind == "undecryptable":
        with pytest.raises(WebhookDecodeError):
            decode_data(forged.data, rig.receiver.aes_key)
    elif kind == "malformed_json":
        with pytest.raises(WebhookDecodeError):
            parse_event(decode_data(forged.data, rig.receiver.aes_key))
    else:
        assert parse_event(decode_data(forged.data, rig.receiver.aes_key)).trace_id


def test_unknown_forgery() -> None:
    with pytest.raises(ValueError, match="unknown forgery"):
        WebhookSender("http://127.0.0.1:9", TOKEN).send_forged("teleport")


def test_url_check_returns_the_answer(rig: Rig) -> None:
    sender = WebhookSender(rig.url, TOKEN, rig.receiver.aes_key)
    assert sender.url_check("check+me/=") == "check+me/="
    [arrival] = rig.receiver.arrivals
    assert arrival.method == "GET"
    h = arrival.headers
    assert verify_signature(TOKEN, h["timestamp"], h["nonce"], arrival.data, h["signature"])
