"""The /tencent/webhook endpoint over real HTTP: a bot (store, Tencent client, deliverer,
poller) against the Tencent emulator and the Slack stand-in, served by waitress.

What the fast path decides for a payload is tested without HTTP in tests/test_fastpath.py; the
work queue in tests/server/test_workers.py. Here: verification, records, answers, and the
whole way from a request to a Slack message."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, Settings, load_settings
from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import RECORDS_PATH, TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.webhook_sender import (
    FORGERIES,
    WebhookSender,
    completed_event,
    deleted_event,
    updated_event,
)
from bot.health import collect_health
from bot.models import STATE_TRANSCODING, RouteSpec
from bot.server.http import RunningServer, make_wsgi_app, start_http_server
from bot.server.tencent_webhook import MAX_PAYLOADS_PER_EVENT, WebhookApp, make_webhook_app
from bot.slack.status import status_blocks
from bot.store import open_store
from bot.tencent.webhook import EventPayload
from bot.wiring import Services, build_services
from tests.server.run_helpers import wait_until

TOKEN = "webhook-test-token"
AES_KEY = (
    "dGhpcyBpcyBhIDMyLWJ5dGUga2V5IGZvciB0ZXN0cyE"  # 43 chars: b"this is a 32-byte key for tests!"
)
# printf 'hello tencent' | openssl enc -aes-256-cbc -K <hex of the key> -iv <hex of key[:16]> \
#   | base64
OPENSSL_VECTOR = "LBjpjbDQIMG1gUg8RF6AXA=="
BOT_TOKEN = "xoxb-test-token"
CHANNEL = "CGENERAL1"
ALICE_CHANNEL = "CALICE001"


@dataclass
class Env:
    settings: Settings
    services: Services
    webhook: WebhookApp
    tencent: TencentEmulator
    slack: SlackStandIn
    server: RunningServer

    @property
    def url(self) -> str:
        return f"{self.server.url}/tencent/webhook"

    def sender(self, **options) -> WebhookSender:
        return WebhookSender(
            self.url, TOKEN, self.settings.tencent_webhook_aes_key.get_secret_value(), **options
        )

    def meeting(self, *, done: bool = True, userid: str = "alice") -> str:
        """A recording of a meeting that started an hour ago: complete, or still transcoding."""
        mid = self.tencent.dataset.add_meeting(
            start=time.time() - 3600, duration=1800, transcode_seconds=10**6, userid=userid
        )
        self.tencent.dataset.set_state(mid, 3 if done else STATE_TRANSCODING)
        self.tencent.dataset.tick(self.tencent.now())  # no callbacks are attached: a no-op
        return mid

    def event(self, mid: str) -> dict:
        return completed_event(self.tencent.dataset.get(mid), self.tencent.now())

    def event_for_deleted(self, deleted: dict) -> dict:
        """A `recording.completed` for the recording a `recording.deleted` event named (late)."""
        return {**deleted, "event": "recording.completed", "trace_id": str(uuid.uuid4())}

    def posted(self, mid: str, channel: str | None = None) -> list[dict]:
        return [
            m
            for m in self.slack.messages(channel)
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("meeting_record_id")
            == mid
        ]

    def api_calls(self) -> int:
        return self.tencent.call_count(RECORDS_PATH)

    def snapshot(self) -> dict:
        conn = self.services.store.conn
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608
            for table in ("record_meetings", "record_files", "deliveries", "synced_ranges")
        } | {"messages": self.slack.messages()}

    def events(self) -> list[tuple]:
        return self.services.store.conn.execute(
            "SELECT event, trace_id, meeting_id, outcome FROM webhook_events ORDER BY id"
        ).fetchall()


def _make_env(tmp_path, aes_key: str = "") -> Iterator[Env]:
    tencent = TencentEmulator(rate_limit=10, dataset=Dataset(seed=5)).start()
    slack = SlackStandIn(bot_token=BOT_TOKEN).start()
    slack.add_channel(CHANNEL, "general")
    slack.add_channel(ALICE_CHANNEL, "alice-recordings")
    env = {
        "TENCENT_MEETING_API_URL": tencent.url,
        "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
        "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
        "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
        "TENCENT_MEETING_WEBHOOK_TOKEN": TOKEN,
        "TENCENT_MEETING_WEBHOOK_AES_KEY": aes_key,
        "RECORDINGS_DB": str(tmp_path / "bot.db"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": slack.api_url,
        "DEFAULT_CHANNEL": CHANNEL,
    }
    settings = load_settings(env, dotenv=False)
    services = build_services(settings)
    assert services.deliverer is not None
    services.deliverer.min_interval = 0
    services.store.routes.add(CHANNEL, RouteSpec())  # every recording
    services.store.routes.add(ALICE_CHANNEL, RouteSpec(match_host="alice"))
    webhook = make_webhook_app(services)
    assert isinstance(webhook, WebhookApp)
    server = start_http_server(make_wsgi_app(services, None, webhook_app=webhook))
    try:
        yield Env(settings, services, webhook, tencent, slack, server)
    finally:
        tencent.disable_webhooks()
        server.stop()
        webhook.close()
        services.close()
        slack.stop()
        tencent.stop()


@pytest.fixture
def env(tmp_path) -> Iterator[Env]:
    yield from _make_env(tmp_path)


@pytest.fixture
def aes_env(tmp_path) -> Iterator[Env]:
    yield from _make_env(tmp_path, AES_KEY)


# -- the URL check -------------------------------------------------------------------------------
def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def _aes_encrypt(key_text: str, plaintext: bytes) -> str:
    """AES-256-CBC, IV = key[:16], PKCS#7, written here apart from bot.tencent.webhook."""
    key = base64.b64decode(key_text + "=")
    pad = 16 - len(plaintext) % 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    padded = plaintext + bytes([pad]) * pad
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def test_aes_vector_is_independent_of_our_encoder() -> None:
    assert _aes_encrypt(AES_KEY, b"hello tencent") == OPENSSL_VECTOR


def test_url_check_without_encryption(env: Env) -> None:
    ts, nonce = str(int(time.time() * 1000)), "12345"
    check_str = base64.b64encode("你好 check".encode()).decode()
    answer = requests.get(
        env.url,
        params={"check_str": check_str},
        headers={"timestamp": ts, "nonce": nonce, "signature": _sha1(TOKEN, ts, nonce, check_str)},
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.text == "你好 check"
    assert env.sender().url_check("plain-echo") == "plain-echo"


def test_url_check_with_encryption(aes_env: Env) -> None:
    ts, nonce = str(int(time.time())), "777"
    check_str = _aes_encrypt(AES_KEY, b"secret-echo+/=")
    started = time.monotonic()
    answer = requests.get(
        aes_env.url,
        params={"check_str": check_str},
        headers={"timestamp": ts, "nonce": nonce, "signature": _sha1(TOKEN, ts, nonce, check_str)},
        timeout=5,
    )
    assert time.monotonic() - started < 3
    assert (answer.status_code, answer.text) == (200, "secret-echo+/=")
    ts, nonce = str(int(time.time())), "779"
    answer = requests.get(
        f"{aes_env.url}?check_str={OPENSSL_VECTOR}",  # '+', '/', '=' sent as they are
        headers={
            "timestamp": ts,
            "nonce": nonce,
            "signature": _sha1(TOKEN, ts, nonce, OPENSSL_VECTOR),
        },
        timeout=5,
    )
    assert (answer.status_code, answer.text) == (200, "hello tencent")
    assert aes_env.sender().url_check("再见") == "再见"


def test_url_check_with_a_bad_signature_is_refused(aes_env: Env) -> None:
    ts, nonce = str(int(time.time())), "778"
    check_str = _aes_encrypt(AES_KEY, b"echo")
    answer = requests.get(
        aes_env.url,
        params={"check_str": check_str},
        headers={
            "timestamp": ts,
            "nonce": nonce,
            "signature": _sha1("wrong", ts, nonce, check_str),
        },
        timeout=5,
    )
    assert answer.status_code == 401
    assert "echo" not in answer.text
    assert aes_env.events() == [("url_check", None, None, "rejected: bad signature")]


# -- valid events --------------------------------------------------------------------------------
def test_a_valid_event_posts_the_recording_once_per_channel(aes_env: Env) -> None:
    mid = aes_env.meeting()
    started = time.monotonic()
    answer = aes_env.sender().send_event(aes_env.event(mid))
    assert answer is not None and answer.status_code == 200
    assert answer.text == "successfully received"
    assert time.monotonic() - started < 1.0  # answered before the work is done
    assert aes_env.webhook.wait_idle(5)
    assert len(aes_env.posted(mid, CHANNEL)) == 1
    assert len(aes_env.posted(mid, ALICE_CHANNEL)) == 1
    assert aes_env.api_calls() == 1
    query = aes_env.tencent.calls[0].query
    start = aes_env.tencent.dataset.get(mid).start
    assert int(query["start_time"]) == int(start) - 60
    assert int(query["end_time"]) == int(start) + 60
    assert [row[3] for row in aes_env.events()] == ["accepted"]
    # The narrow window is not marked synced: the poller's catch-up must not skip anything.
    assert aes_env.services.store.recordings.synced_until() is None
    counters = aes_env.webhook.counters  # the endpoint's counts and the fast path's, in one
    assert (counters.accepted, counters.fetched, counters.delivered) == (1, 1, 1)


def test_the_same_event_repeated_posts_once(env: Env) -> None:
    mid = env.meeting()
    event = env.event(mid)
    sender = env.sender()
    statuses = [sender.send_event(event).status_code for _ in range(3)]  # new nonce each time
    assert statuses == [200, 200, 200]
    assert env.webhook.wait_idle(5)
    assert len(env.posted(mid, CHANNEL)) == 1
    assert len(env.posted(mid, ALICE_CHANNEL)) == 1
    assert [row[3] for row in env.events()] == ["accepted", "duplicate", "duplicate"]
    assert env.api_calls() == 1  # duplicates do no work


def test_distinct_events_for_one_recording_racing_post_once(env: Env) -> None:
    mid = env.meeting()
    sender = env.sender()
    events = [env.event(mid) for _ in range(4)]  # four trace ids: the ledger must decide
    threads = [threading.Thread(target=sender.send_event, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert env.webhook.wait_idle(10)
    assert len(env.posted(mid, CHANNEL)) == 1
    assert len(env.posted(mid, ALICE_CHANNEL)) == 1
    assert [s.status for s in sender.sent] == [200] * 4


def test_an_event_racing_a_poll_cycle_posts_once(env: Env) -> None:
    mids = [env.meeting() for _ in range(3)]
    sender = env.sender()
    cycle = threading.Thread(target=env.services.poller.run_cycle)
    cycle.start()
    for mid in mids:
        sender.send_event(env.event(mid))
    cycle.join(10)
    assert env.webhook.wait_idle(10)
    for mid in mids:
        assert len(env.posted(mid, CHANNEL)) == 1
        assert len(env.posted(mid, ALICE_CHANNEL)) == 1
    assert len(env.slack.messages()) == 6


def test_an_event_without_a_start_time_runs_an_early_poll(env: Env) -> None:
    """The fast path's early poll is the bot's own poller (see tests/test_fastpath.py)."""
    mid = env.meeting()
    event = env.event(mid)
    for key in ("start_time", "end_time"):
        del event["payload"][0]["meeting_info"][key]
    env.sender().send_event(event)
    assert env.webhook.wait_idle(5)
    assert env.webhook.counters.early_polls == 1
    assert len(env.posted(mid, CHANNEL)) == 1


def test_other_events_are_recorded_but_do_nothing(env: Env) -> None:
    mid = env.meeting()
    event = env.event(mid) | {"event": "meeting.started"}
    assert env.sender().send_event(event).status_code == 200
    assert env.webhook.wait_idle(5)
    assert env.api_calls() == 0
    assert env.events()[0][0] == "meeting.started"


# -- forged and broken requests ------------------------------------------------------------------
EXPECTED = {
    "bad_signature": (401, "bad signature"),
    "stale_timestamp": (401, "stale timestamp"),
    "replayed_nonce": (401, "replayed nonce"),
    "undecryptable": (400, "undecryptable data"),
    "malformed_json": (400, "malformed event"),
}


@pytest.mark.parametrize("kind", FORGERIES)
def test_forged_events_change_nothing(aes_env: Env, kind: str) -> None:
    mid = aes_env.meeting()
    sender = aes_env.sender()
    if kind == "replayed_nonce":  # replay a genuine event after it did its work
        sender.send_event(aes_env.event(mid))
        assert aes_env.webhook.wait_idle(5)
    before, calls, rows = aes_env.snapshot(), aes_env.api_calls(), len(aes_env.events())
    answer = sender.send_forged(kind, aes_env.event(mid))
    assert answer is not None
    status, reason = EXPECTED[kind]
    assert answer.status_code == status
    assert aes_env.webhook.wait_idle(5)
    assert aes_env.snapshot() == before
    assert aes_env.api_calls() == calls
    new_rows = aes_env.events()[rows:]
    assert new_rows == [(None, None, None, f"rejected: {reason}")]


def test_a_body_that_is_not_json_is_refused(env: Env) -> None:
    answer = requests.post(env.url, data=b"{nope", timeout=5)
    assert answer.status_code == 400
    assert env.events() == [(None, None, None, "rejected: malformed body")]
    answer = requests.post(env.url, json={"data": "x"}, timeout=5)  # no headers
    assert answer.status_code == 401


def test_rejections_show_in_health_and_status(env: Env) -> None:
    env.sender().send_forged("bad_signature")
    mid = env.meeting()
    env.sender().send_event(env.event(mid))
    assert env.webhook.wait_idle(5)
    health = collect_health(env.services.store, env.settings)
    assert health.webhook is not None
    assert (health.webhook["accepted"], health.webhook["rejected"]) == (1, 1)
    assert health.webhook["last_event_at"] is not None
    text = json.dumps(status_blocks(health, "Asia/Shanghai")[1], ensure_ascii=False)
    assert "1 accepted" in text and "1 rejected" in text


# -- with the emulator sending -------------------------------------------------------------------
def test_the_emulator_webhook_posts_within_seconds_without_polling(aes_env: Env) -> None:
    mid = aes_env.meeting(done=False)
    aes_env.tencent.enable_webhooks(aes_env.url, TOKEN, AES_KEY, duplicates=1)
    started = time.monotonic()
    aes_env.tencent.dataset.complete_now(mid)
    aes_env.slack.wait_for(lambda: len(aes_env.posted(mid)) == 2, timeout=5)
    assert time.monotonic() - started < 2
    assert aes_env.tencent.webhooks.wait_idle(5)
    assert aes_env.webhook.wait_idle(5)
    assert len(aes_env.posted(mid, CHANNEL)) == 1
    assert [row[3] for row in aes_env.events()] == ["accepted", "duplicate"]


def test_a_lost_webhook_is_posted_by_the_next_poll(env: Env) -> None:
    mid = env.meeting(done=False)
    sender = env.tencent.enable_webhooks(env.url, TOKEN, drop=True)
    env.tencent.dataset.complete_now(mid)
    wait_until(lambda: mid in sender.dropped, timeout=3, what="the emulator to drop the event")
    assert sender.dropped == [mid]
    assert env.slack.messages() == [] and env.events() == []
    env.services.poller.run_cycle()
    assert len(env.posted(mid, CHANNEL)) == 1
    assert len(env.posted(mid, ALICE_CHANNEL)) == 1


def test_no_token_no_webhook(env: Env) -> None:
    import dataclasses

    services = dataclasses.replace(
        env.services, settings=env.settings.replace(tencent_webhook_token="")
    )
    assert make_webhook_app(services) is None


# -- the endpoint alone: its work queue ----------------------------------------------------------
def _event(meeting_id: str) -> dict:
    """A recording.completed for `meeting_id` (what the endpoint checks, nothing more)."""
    return {
        "event": "recording.completed",
        "trace_id": f"trace-{meeting_id}",
        "payload": [
            {
                "operate_time": int(time.time() * 1000),
                "recording_files": [{"record_file_id": f"9{meeting_id}"}],
                "meeting_info": {
                    "meeting_id": meeting_id,
                    "meeting_code": "900000003",
                    "subject": "queued",
                    "creator": {"userid": "sam", "user_name": "sam"},
                    "start_time": int(time.time()) - 3600,
                    "end_time": int(time.time()) - 1800,
                },
            }
        ],
    }


def test_a_full_work_queue_answers_at_once_and_leaves_the_event_to_the_poller(tmp_path) -> None:
    store = open_store(str(tmp_path / "bot.db"))
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def complete(payload: EventPayload) -> None:
        started.set()
        assert release.wait(10)
        done.append(payload.meeting_id)

    webhook = WebhookApp(store.webhooks, complete, token=TOKEN, workers=1, queue_size=1)
    server = start_http_server(webhook)
    try:
        sender = WebhookSender(server.url, TOKEN)
        assert sender.send_event(_event("m1")).status_code == 200
        assert started.wait(5)  # the only worker holds m1
        statuses = [sender.send_event(_event(mid)).status_code for mid in ("m2", "m3")]
        assert statuses == [200, 200]  # m2 waits in the queue; m3 finds it full
        counters = webhook.counters
        assert (counters.accepted, counters.dropped) == (3, 1)
        assert not webhook.wait_idle(0.05)  # m1 cannot finish before it is released
        release.set()
        assert webhook.wait_idle(5)
        assert done == ["m1", "m2"]
        events = store.conn.execute("SELECT meeting_id, outcome FROM webhook_events").fetchall()
        assert events == [("m1", "accepted"), ("m2", "accepted"), ("m3", "accepted")]
    finally:
        release.set()
        server.stop()
        webhook.close()
        store.close()


def test_work_that_fails_is_logged_and_the_next_event_is_done(tmp_path, caplog) -> None:
    store = open_store(str(tmp_path / "bot.db"))
    done: list[str] = []

    def complete(payload: EventPayload) -> None:
        if payload.meeting_id == "boom":
            raise RuntimeError("boom")
        done.append(payload.meeting_id)

    webhook = WebhookApp(store.webhooks, complete, token=TOKEN, workers=1)
    server = start_http_server(webhook)
    try:
        sender = WebhookSender(server.url, TOKEN)
        assert [sender.send_event(_event(m)).status_code for m in ("boom", "ok")] == [200, 200]
        assert webhook.wait_idle(5)
        assert done == ["ok"]
        assert "webhook work failed; the poller will catch up" in caplog.text
    finally:
        server.stop()
        webhook.close()
        store.close()


# -- hostile but signed events ------------------------------------------------------------------
@pytest.mark.parametrize("start_time", [10**30, -5, 1.5, "abc", 1e30, (2**32 + 1) * 1000], ids=repr)
def test_a_number_out_of_range_is_refused_at_the_edge(env: Env, caplog, start_time) -> None:
    """`start_time: 10**30` once reached the worker and raised OverflowError there."""
    mid = env.meeting()
    event = env.event(mid)
    event["payload"][0]["meeting_info"]["start_time"] = start_time

    answer = env.sender().send_event(event)

    assert answer is not None and answer.status_code == 400
    assert env.webhook.wait_idle(5)
    assert env.api_calls() == 0
    assert "webhook work failed" not in caplog.text and "Traceback" not in caplog.text
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "start_time" in refused[0].getMessage()
    assert [row[3] for row in env.events()] == ["rejected: malformed event"]


def test_an_event_with_a_thousand_payloads_does_at_most_fifty(tmp_path, caplog) -> None:
    """Payloads of one meeting are merged; at most MAX_PAYLOADS_PER_EVENT distinct ones are
    worked on, the rest left to the poller with one log line."""
    store = open_store(str(tmp_path / "bot.db"))
    done: list[EventPayload] = []
    webhook = WebhookApp(store.webhooks, done.append, token=TOKEN, workers=1)
    server = start_http_server(webhook)
    try:
        event = _event("m0")
        first = event["payload"][0]
        copies = []
        for i in range(400):  # the same meeting, naming other files of it
            copy = json.loads(json.dumps(first))
            copy["recording_files"] = [{"record_file_id": f"9m0-{i % 3}"}]
            copies.append(copy)
        others = [_event(f"m{i}")["payload"][0] for i in range(1, 600)]
        event["payload"] = [first, *copies, *others]

        answer = WebhookSender(server.url, TOKEN).send_event(event)

        assert answer is not None and answer.status_code == 200
        assert webhook.wait_idle(10)
        assert len(done) == MAX_PAYLOADS_PER_EVENT == 50
        assert [p.meeting_id for p in done] == [f"m{i}" for i in range(50)]
        assert done[0].record_file_ids == ("9m0", "9m0-0", "9m0-1", "9m0-2")
        assert "the other 550 are left to the poller" in caplog.text
        (recorded,) = store.conn.execute("SELECT meeting_id FROM webhook_events").fetchone()
        assert recorded == "m0,m1,m2,m3,m4 (+595 more)"
    finally:
        server.stop()
        webhook.close()
        store.close()


def test_the_fast_path_calls_the_api_at_background_priority(env: Env) -> None:
    """A person in Slack goes ahead of webhook work (a flood of events is not a person)."""
    mid = env.meeting()
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    assert len(env.posted(mid, CHANNEL)) == 1
    priorities = env.services.store.conn.execute("SELECT priority FROM api_calls").fetchall()
    assert priorities == [("background",)]


def test_an_sts_token_event_is_kept_and_sent_on_the_endpoints_under_the_rule(env, caplog) -> None:
    """Tencent apps created since 2026-01-16 need the `STS-Token` header on transcript details;
    the token arrives as a signed `common.sts-token` event and every process reads it."""
    import logging

    from bot.tencent.errors import StsTokenError

    caplog.set_level(logging.DEBUG)
    env.tencent.require_sts()
    env.tencent.intelligence.generating_calls = 0  # the transcript is ready
    mid = env.meeting()
    fid = env.tencent.dataset.get(mid).files[0].record_file_id
    client = env.services.tencent
    with pytest.raises(StsTokenError):  # none has arrived yet
        client.get_transcript_page(fid)
    env.tencent.enable_webhooks(env.url, TOKEN)
    token = env.tencent.issue_sts_token()  # sent as a signed event
    assert env.services.store.sts.current() == token.token
    assert client.get_transcript_page(fid).paragraphs  # the header went with the call
    info = env.services.store.sts.info()
    assert info is not None and info.usable
    assert token.token not in caplog.text
    # A late copy of an older event does not replace the newer token.
    older = {
        "event": "common.sts-token",
        "trace_id": "an-older-one",
        "payload": [
            {
                "operate_time": int((time.time() - 3600) * 1000),
                "token_info": {"req_id": "1", "sts_token": "stale-1", "expire_ts": 2**31},
            }
        ],
    }
    assert env.sender().send_event(older).status_code == 200
    assert env.services.store.sts.current() == token.token
    # A token about to expire is not sent: the endpoint answers as without one.
    env.tencent.expire_sts_token()
    with pytest.raises(StsTokenError):
        client.get_transcript_page(fid)


def test_a_malformed_sts_token_event_is_refused(env) -> None:
    bad = {"event": "common.sts-token", "trace_id": "t", "payload": [{"token_info": {}}]}
    assert env.sender().send_event(bad).status_code == 400
    assert env.services.store.sts.current() is None


# -- intelligence events: content due at once -----------------------------------------------------
def _posted_and_generating(env: Env) -> tuple[str, str]:
    """A recording posted by its event, whose content Tencent still says is generating (asked
    once, so the backoff has started): (meeting_record_id, record_file_id)."""
    env.tencent.intelligence.generating_calls = 10**6
    mid = env.meeting()
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    assert len(env.posted(mid, CHANNEL)) == 1
    env.services.poller.run_cycle()
    fid = env.tencent.dataset.get(mid).files[0].record_file_id
    content = env.services.store.content
    for kind in ("minutes", "transcript"):
        status = content.status(fid, kind)
        assert status is not None and status.state == "generating"
        assert status.next_try_at > time.time() + 60  # backing off
    return mid, fid


def test_smart_events_make_the_content_due_and_the_next_cycle_fetches_it(env: Env) -> None:
    mid, fid = _posted_and_generating(env)
    content = env.services.store.content
    env.tencent.enable_webhooks(env.url, TOKEN)
    assert env.tencent.announce_content(mid) == 2  # smart.transcripts, smart.minutes
    for kind in ("minutes", "chapters", "transcript"):
        assert content.status(fid, kind).next_try_at <= time.time()
    assert [e[0] for e in env.events()[-2:]] == ["smart.transcripts", "smart.minutes"]
    env.services.poller.run_cycle()
    assert content.get_minutes(fid) is not None
    assert content.get_transcript(fid) is not None
    assert content.status(fid, "transcript").state == "ready"
    # A late or repeated event changes nothing: what is kept is not asked for again.
    calls = env.tencent.intelligence.calls_for(fid)
    assert env.tencent.announce_content(mid) == 2
    assert content.status(fid, "minutes").next_try_at is None
    env.services.poller.run_cycle()
    assert env.tencent.intelligence.calls_for(fid) == calls


def test_a_failed_smart_minutes_event_changes_nothing(env: Env) -> None:
    mid, fid = _posted_and_generating(env)
    before = env.services.store.content.status(fid, "minutes")
    env.tencent.enable_webhooks(env.url, TOKEN)
    assert env.tencent.announce_content(mid, result=2) == 1
    assert env.services.store.content.status(fid, "minutes").next_try_at == before.next_try_at


def test_a_smart_minutes_event_with_result_at_the_top_level(env: Env) -> None:
    from bot.emulator.tencent.webhook_sender import smart_event

    mid, fid = _posted_and_generating(env)
    event = smart_event(env.tencent.dataset.get(mid), env.tencent.now(), "smart.minutes")
    del event["payload"][0]["result"], event["payload"][0]["job_id"]
    failed = event | {"result": 2, "job_id": "j1", "trace_id": "failed"}
    assert env.sender().send_event(failed).status_code == 200
    assert env.services.store.content.status(fid, "minutes").next_try_at > time.time() + 60
    done = event | {"result": 1, "job_id": "j1", "trace_id": "done"}
    assert env.sender().send_event(done).status_code == 200
    assert env.services.store.content.status(fid, "minutes").next_try_at <= time.time()


def test_a_smart_event_for_a_recording_not_posted_yet_is_harmless(env: Env) -> None:
    from bot.emulator.tencent.webhook_sender import smart_event

    mid = env.meeting()
    event = smart_event(env.tencent.dataset.get(mid), env.tencent.now(), "smart.transcripts")
    assert env.sender().send_event(event).status_code == 200
    assert env.events()[-1][3] == "accepted"
    assert env.services.store.content.status_counts() == {}


def test_an_sts_token_arriving_makes_the_content_waiting_for_one_due(env: Env) -> None:
    """Content that could not be had for want of an STS token is asked again as soon as a
    `common.sts-token` event brings one, not after a backoff."""
    env.tencent.require_sts()
    env.tencent.intelligence.generating_calls = 0
    # The STS-free way (the batch addresses' transcript file) fails too.
    env.tencent.faults.add("error", None, "/v1/addresses", code=10000, message="nope")
    mid = env.meeting()
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    env.services.poller.run_cycle()
    fid = env.tencent.dataset.get(mid).files[0].record_file_id
    content = env.services.store.content
    status = content.status(fid, "transcript")
    assert status.state == "no_sts" and status.next_try_at is None
    env.services.poller.run_cycle()
    assert content.get_transcript(fid) is None  # not asked again without a token
    health = collect_health(env.services.store, env.settings)
    assert health.content["no_sts"] == 1 and health.content["ready"] == 2  # minutes, chapters
    assert health.sts_needed
    status = json.dumps(status_blocks(health, "UTC")[1], ensure_ascii=False)
    assert "1 waiting for an STS token" in status and "common.sts-token" in status
    env.tencent.enable_webhooks(env.url, TOKEN)
    env.tencent.issue_sts_token()
    assert not collect_health(env.services.store, env.settings).sts_needed
    assert content.status(fid, "transcript").next_try_at <= time.time()
    env.services.poller.run_cycle()
    assert content.status(fid, "transcript").state == "ready"
    assert content.get_transcript(fid).paragraphs


def test_without_an_sts_token_the_transcript_comes_from_the_batch_addresses_file(
    env: Env, caplog
) -> None:
    """An app under the STS rule with no token yet still gets the transcript: the batch
    addresses (STS-free) name a txt transcript file, which is downloaded and read. Its link
    is never logged."""
    import logging

    caplog.set_level(logging.DEBUG)
    env.tencent.require_sts()
    env.tencent.intelligence.generating_calls = 0
    mid = env.meeting()
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    env.services.poller.run_cycle()
    fid = env.tencent.dataset.get(mid).files[0].record_file_id
    content = env.services.store.content
    assert content.status(fid, "transcript").state == "ready"
    transcript = content.get_transcript(fid)
    meeting, file = env.tencent.dataset.find_file(fid)
    expected = env.tencent.intelligence.content(meeting, file).paragraphs
    assert [(p.speaker_name, p.text) for p in transcript.paragraphs] == [
        (p.username, p.text.strip()) for p in expected
    ]
    assert content.search_transcripts(expected[0].text[:6])  # searchable like any other
    assert "token=" not in _bot_log(caplog)


def test_a_transcript_file_that_cannot_be_downloaded_leaves_it_waiting_for_a_token(
    env: Env, caplog
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    env.tencent.require_sts()
    env.tencent.intelligence.generating_calls = 0
    env.tencent.faults.add("error", None, "/transcript-file/", code=1, status=403)
    mid = env.meeting()
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    env.services.poller.run_cycle()
    fid = env.tencent.dataset.get(mid).files[0].record_file_id
    assert env.services.store.content.status(fid, "transcript").state == "no_sts"
    assert "HTTP 403" in _bot_log(caplog)
    assert "transcript-file/" not in _bot_log(caplog) and "token=" not in _bot_log(caplog)


def _bot_log(caplog) -> str:
    """What the bot logged (urllib3 logs URLs at DEBUG: `recordings-bot` silences it; the
    emulator logs paths without their query)."""
    return "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("bot.") and not r.name.startswith("bot.emulator")
    )


def test_a_kept_sts_token_tencent_refuses_is_never_sent_again(env: Env) -> None:
    """A token whose time by our clock is not up, but which Tencent refuses (rotated on its
    side), is dropped: `status` asks for a new one instead of sending the stale one forever."""
    env.tencent.require_sts()
    env.tencent.intelligence.generating_calls = 0
    env.tencent.faults.add("error", None, "/v1/addresses", code=10000, message="nope")
    env.services.store.sts.keep("a-token-tencent-no-longer-takes", expires_at=2**31)
    mid = env.meeting()
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    env.services.poller.run_cycle()
    fid = env.tencent.dataset.get(mid).files[0].record_file_id
    assert env.services.store.content.status(fid, "transcript").state == "no_sts"
    assert env.services.store.sts.current() is None  # refused: not sent again
    assert collect_health(env.services.store, env.settings).sts_needed


def test_once_an_app_is_known_to_need_an_sts_token_no_call_is_wasted_without_one(
    env: Env,
) -> None:
    env.tencent.require_sts()
    env.tencent.intelligence.generating_calls = 0
    first, second = env.meeting(), env.meeting()
    for mid in (first, second):
        assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    env.services.poller.run_cycle()
    env.services.poller.run_cycle()
    details = env.tencent.call_count("/v1/records/transcripts/details")
    assert details == 1  # the first refusal taught it; the second went to the file at once
    content = env.services.store.content
    for mid in (first, second):
        fid = env.tencent.dataset.get(mid).files[0].record_file_id
        assert content.status(fid, "transcript").state == "ready"


def test_a_deletion_event_edits_every_message_once_and_repeats_change_nothing(env: Env) -> None:
    mid = env.meeting(userid="alice")
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    assert len(env.posted(mid)) == 2  # CHANNEL and ALICE_CHANNEL
    gone = deleted_event(env.tencent.dataset.get(mid), env.tencent.now())
    env.tencent.dataset.remove(mid)  # Tencent's data follows

    for _ in range(2):  # the same deletion twice (a new trace id each time), then a late one
        answer = env.sender().send_event({**gone, "trace_id": str(uuid.uuid4())})
        assert answer is not None and answer.status_code == 200
        assert env.webhook.wait_idle(5)
    late = env.sender().send_event(env.event_for_deleted(gone))
    assert late is not None and late.status_code == 200
    assert env.webhook.wait_idle(5)

    assert env.services.store.recordings.get(mid).deleted
    for message in env.posted(mid):
        shown = json.dumps(message["blocks"], ensure_ascii=False)
        assert "Recording deleted" in shown
        assert not [b for b in message["blocks"] if b["type"] == "actions"]
        assert message["updated"] == 1  # edited once, whatever came after
    assert len(env.posted(mid)) == 2  # and never posted again


def test_a_deletion_of_files_the_store_never_held_changes_nothing(env: Env) -> None:
    mid = env.meeting()
    stranger = deleted_event(env.tencent.dataset.get(mid), env.tencent.now())
    answer = env.sender().send_event(stranger)
    assert answer is not None and answer.status_code == 200
    assert env.webhook.wait_idle(5)
    assert env.services.store.recordings.get(mid) is None
    assert env.slack.messages() == []


def test_an_update_event_edits_the_messages_at_once(env: Env) -> None:
    mid = env.meeting(userid="alice")
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    env.tencent.dataset.update(mid, subject="Renamed in Tencent", sharing=False)

    update = updated_event(env.tencent.dataset.get(mid), env.tencent.now())
    for _ in range(2):  # twice (new trace ids): the second finds nothing changed
        answer = env.sender().send_event({**update, "trace_id": str(uuid.uuid4())})
        assert answer is not None and answer.status_code == 200
        assert env.webhook.wait_idle(5)

    for message in env.posted(mid):
        shown = json.dumps(message["blocks"], ensure_ascii=False)
        assert "Renamed in Tencent" in shown
        watch = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert not [e for e in watch if e["text"]["text"] == "Watch"]
        assert message["updated"] == 1


def test_an_update_after_a_deletion_changes_nothing(env: Env) -> None:
    mid = env.meeting()
    assert env.sender().send_event(env.event(mid)).status_code == 200
    assert env.webhook.wait_idle(5)
    meeting = env.tencent.dataset.get(mid)
    update = updated_event(meeting, env.tencent.now())  # sent before, arriving late
    env.tencent.dataset.remove(mid)
    assert env.sender().send_event(deleted_event(meeting, env.tencent.now())).status_code == 200
    assert env.webhook.wait_idle(5)

    assert env.sender().send_event(update).status_code == 200
    assert env.webhook.wait_idle(5)

    assert env.services.store.recordings.get(mid).deleted
    for message in env.posted(mid):
        assert "Recording deleted" in json.dumps(message["blocks"], ensure_ascii=False)
        assert message["updated"] == 1
