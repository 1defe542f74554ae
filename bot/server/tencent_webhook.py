"""Tencent Meeting's `recording.completed` webhook: the fast path beside the poller.

GET  ?check_str=...   the URL check: verify, decode, answer the plaintext.
POST {"data": ...}    an event: verify, record, answer 200 at once; the work is done afterwards
                      by a small pool of worker threads behind a bounded queue.

What a request must pass, in order (each failure is recorded as `rejected: <reason>` in
store.webhooks and logged on one line, never with the payload):
  a JSON body with a `data` string (400), the three headers (401), the SHA-1 signature (401),
  a timestamp within 5 minutes (401), a (timestamp, nonce) pair not seen within 10 minutes (401:
  an honest retry from Tencent carries a new nonce, so a repeat is a replay), data that decodes
  (decrypts with TENCENT_MEETING_WEBHOOK_AES_KEY when set) to a valid event (400).

A valid event is `accepted`, or a `duplicate` when its trace_id was seen in the last 5 minutes
(a duplicate does no work: the first copy's work, or the poller, covers it).

The work for a `recording.completed` payload: find the meeting's recordings in a narrow window of
the corp/records API (see `fetch_window`), save them and plan their deliveries exactly as the
poller does, then post the completed ones of this meeting through the exactly-once ledger. When
the store already holds them complete with every file the event names, nothing is fetched. When
the API does not show them complete yet, or the API fails or the budget is spent, nothing is
posted now: the next poll cycle posts them. Whatever the order of webhook, retries and polls,
the ledger's atomic claims leave one message per channel.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from bot.config import ConfigError
from bot.models import STATE_DONE, RecordMeeting
from bot.store.budget import INTERACTIVE
from bot.sync import save_and_plan
from bot.tencent.client import MAX_SPAN
from bot.tencent.errors import TencentError
from bot.tencent.webhook import (
    EVENT_RECORDING_COMPLETED,
    EventPayload,
    WebhookDecodeError,
    WebhookEvent,
    check_timestamp,
    decode_data,
    encode_data,
    parse_event,
    verify_signature,
)
from bot.wiring import Services

log = logging.getLogger(__name__)

REPLAY_WINDOW = 300.0  # seconds a timestamp may be off, and how long nonces / trace ids are kept
REJECTIONS_RECORDED_PER_MINUTE = 100  # a flood of forgeries is counted, not stored
WINDOW_MARGIN = 60  # seconds either side of a meeting's start in the corp/records window
MAX_BODY = 1 << 20  # events are small; anything larger is refused unread
FETCH_MAX_WAIT = 10.0  # seconds a worker waits for an API slot before leaving it to the poller
EARLY_POLL_GAP = 30.0  # at most one early poll cycle this often (events without a start time)
ANSWER = b"successfully received"

StartResponse = Callable[..., object]


class Rejected(Exception):
    """A request refused: `status` is the HTTP answer, `reason` a short payload-free text."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _unauthorized(reason: str) -> Rejected:
    return Rejected("401 Unauthorized", reason)


def _bad_request(reason: str) -> Rejected:
    return Rejected("400 Bad Request", reason)


# -- pure decisions ------------------------------------------------------------------------------
def fetch_window(payload: EventPayload, known_starts: Iterable[int] = ()) -> tuple[int, int] | None:
    """The corp/records window [start, end] (Unix s) that holds this meeting's recordings.

    corp/records filters on media_start_time, the meeting's start: the event's
    meeting_info.start_time +- WINDOW_MARGIN finds it in one call (one page) however busy the
    account. Starts of this meeting's recordings the store already knows (seen unfinished by the
    poller) are included, so a recording started late in a long meeting is found too. With
    neither, None: a window guessed from operate_time (e.g. the last 24 h) could take many pages
    of the 10-a-minute budget, so the caller runs one early poll cycle instead, which covers the
    poller's lookback at its usual cost.
    """
    points = sorted({*known_starts, *([payload.start_time] if payload.start_time else [])})
    if not points:
        return None
    start, end = points[0] - WINDOW_MARGIN, points[-1] + WINDOW_MARGIN
    if end - start > MAX_SPAN and payload.start_time:
        start, end = payload.start_time - WINDOW_MARGIN, payload.start_time + WINDOW_MARGIN
    elif end - start > MAX_SPAN:
        start = end - MAX_SPAN
    return max(0, start), end


def complete_in_store(meetings: Sequence[RecordMeeting], record_file_ids: Iterable[str]) -> bool:
    """True when these stored recordings of the meeting are all complete and hold every file
    the event names: the store (and the ledger) already know all there is to know. An event
    naming no file proves nothing (a new recording of the meeting may be unknown yet)."""
    wanted = set(record_file_ids)
    if not meetings or not wanted or any(m.state != STATE_DONE for m in meetings):
        return False
    return wanted <= {f.record_file_id for m in meetings for f in m.record_files}


@dataclass
class WebhookCounters:
    """What this process's webhook did (for tests, the bench and logs)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    fetched: int = 0  # payloads that needed a corp/records fetch
    from_store: int = 0  # payloads the store already held complete
    delivered: int = 0  # recordings handed to the deliverer
    not_ready: int = 0  # not complete in the API yet: left to the poller
    failed: int = 0  # API errors or no budget: left to the poller
    early_polls: int = 0
    dropped: int = 0  # the work queue was full: left to the poller


# -- the WSGI app --------------------------------------------------------------------------------
class WebhookApp:
    """The WSGI app for /tencent/webhook, with its worker threads."""

    def __init__(
        self,
        services: Services,
        *,
        workers: int = 2,
        queue_size: int = 256,
        clock: Callable[[], float] = time.time,
        fetch_max_wait: float = FETCH_MAX_WAIT,
    ):
        settings = services.settings
        if not settings.tencent_webhook_token:
            raise ConfigError(["TENCENT_MEETING_WEBHOOK_TOKEN is required for the webhook"])
        self.services = services
        self.token = settings.tencent_webhook_token.get_secret_value()
        self.aes_key = settings.tencent_webhook_aes_key.get_secret_value() or None
        if self.aes_key:
            try:
                encode_data(b"", self.aes_key)
            except WebhookDecodeError as exc:
                raise ConfigError([f"TENCENT_MEETING_WEBHOOK_AES_KEY: {exc}"]) from None
        self.clock = clock
        self.fetch_max_wait = fetch_max_wait
        self.counters = WebhookCounters()
        self._counters_lock = threading.Lock()
        self._queue: queue.Queue[WebhookEvent | None] = queue.Queue(maxsize=queue_size)
        self._last_early_poll = -1e9
        self._early_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"webhook-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    # -- lifecycle -------------------------------------------------------------------------------
    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted event's work is done; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Finish the queued work, then stop the workers."""
        for _ in self._threads:
            try:
                self._queue.put(None, timeout=timeout)
            except queue.Full:
                break
        for thread in self._threads:
            thread.join(timeout=timeout)

    def _count(self, name: str, n: int = 1) -> None:
        with self._counters_lock:
            setattr(self.counters, name, getattr(self.counters, name) + n)

    # -- HTTP --------------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        event_name = "url_check" if method == "GET" else None
        try:
            if method == "GET":
                return _text(start_response, "200 OK", self._url_check(environ))
            if method != "POST":
                raise Rejected("405 Method Not Allowed", "method not allowed")
            event = self._verify_event(environ)
        except Rejected as rej:
            self._reject(event_name, rej)
            return _text(start_response, rej.status, rej.reason.encode("utf-8"))
        self._accept(event)
        return _text(start_response, "200 OK", ANSWER)

    def _url_check(self, environ: dict) -> bytes:
        check_str = _query_value(environ.get("QUERY_STRING", ""), "check_str")
        if check_str is None:
            raise _bad_request("no check_str")
        timestamp, nonce = self._verify_headers(environ, check_str)
        del timestamp, nonce  # a URL check changes nothing: a replayed one is harmless
        try:
            plaintext = decode_data(check_str, self.aes_key)
        except WebhookDecodeError:
            raise _bad_request("undecryptable check_str") from None
        log.info("tencent webhook: URL check answered")
        return plaintext

    def _verify_event(self, environ: dict) -> WebhookEvent:
        data = _read_data(environ)
        timestamp, nonce = self._verify_headers(environ, data)
        # A timestamp up to REPLAY_WINDOW ahead of our clock stays acceptable for twice that
        # long after it arrives: its nonce must be remembered as long, or a replay gets through.
        nonce_key = f"nonce:{timestamp}:{nonce}"
        if self.services.store.webhooks.seen_nonce(nonce_key, 2 * REPLAY_WINDOW):
            raise _unauthorized("replayed nonce")
        try:
            plaintext = decode_data(data, self.aes_key)
        except WebhookDecodeError:
            raise _bad_request("undecryptable data") from None
        try:
            return parse_event(plaintext)
        except WebhookDecodeError:
            raise _bad_request("malformed event") from None

    def _verify_headers(self, environ: dict, data: str) -> tuple[str, str]:
        timestamp = environ.get("HTTP_TIMESTAMP", "")
        nonce = environ.get("HTTP_NONCE", "")
        sig = environ.get("HTTP_SIGNATURE", "")
        if not (timestamp and nonce and sig):
            raise _unauthorized("missing timestamp, nonce or signature header")
        if not verify_signature(self.token, timestamp, nonce, data, sig):
            raise _unauthorized("bad signature")
        if not check_timestamp(timestamp, self.clock(), REPLAY_WINDOW):
            raise _unauthorized("stale timestamp")
        return timestamp, nonce

    def _reject(self, event_name: str | None, rej: Rejected) -> None:
        self._count("rejected")
        log.warning("tencent webhook rejected (%s): %s", rej.status.split()[0], rej.reason)
        try:
            self.services.store.webhooks.record_event(
                event=event_name,
                trace_id=None,
                meeting_id=None,
                outcome=f"rejected: {rej.reason}",
                per_minute_cap=REJECTIONS_RECORDED_PER_MINUTE,
            )
        except Exception as exc:  # the answer matters more than the audit row
            log.warning("could not record a rejected webhook: %s", type(exc).__name__)

    def _accept(self, event: WebhookEvent) -> None:
        store = self.services.store
        duplicate = bool(event.trace_id) and store.webhooks.seen_nonce(
            f"trace:{event.event}:{event.trace_id}", REPLAY_WINDOW
        )
        meeting_ids = ",".join(dict.fromkeys(p.meeting_id for p in event.payloads)) or None
        store.webhooks.record_event(
            event=event.event,
            trace_id=event.trace_id or None,
            meeting_id=meeting_ids,
            outcome="duplicate" if duplicate else "accepted",
        )
        self._count("duplicates" if duplicate else "accepted")
        log.info(
            "tencent webhook: %s %s for meeting %s",
            "duplicate" if duplicate else "accepted",
            event.event,
            meeting_ids,
        )
        if duplicate or event.event != EVENT_RECORDING_COMPLETED:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._count("dropped")
            log.warning("webhook work queue full: meeting %s is left to the poller", meeting_ids)

    # -- the work ----------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is None:
                    return
                for payload in event.payloads:
                    self._complete(payload)
            except Exception:
                log.exception("webhook work failed; the poller will catch up")
            finally:
                self._queue.task_done()

    def _complete(self, payload: EventPayload) -> None:
        services = self.services
        store = services.store
        mid = payload.meeting_id
        known = [
            m.start_seconds
            for m in store.recordings.pending(store.now(), services.settings.pending_max_hours)
            if m.meeting_id == mid
        ]
        window = fetch_window(payload, known)
        if window is None:
            self._early_poll(mid)
            return
        stored = [m for m in store.recordings.in_range(*window, limit=500) if m.meeting_id == mid]
        if complete_in_store(stored, payload.record_file_ids):
            self._count("from_store")
            mine = stored
        else:
            try:
                fetched = list(
                    services.tencent.list_corp_records(
                        window[0], window[1], priority=INTERACTIVE, max_wait=self.fetch_max_wait
                    )
                )
            except TencentError as exc:
                self._count("failed")
                log.warning("webhook: meeting %s left to the poller: %s", mid, exc)
                return
            # Saved and planned as the poller does; the window is not marked synced, so the
            # poller's catch-up after downtime (from the last synced time) skips nothing.
            save_and_plan(store, fetched, services.settings.default_channel, notify=True)
            self._count("fetched")
            mine = [m for m in fetched if m.meeting_id == mid]
        done = [m for m in mine if m.state == STATE_DONE]
        if not done:
            self._count("not_ready")
            log.info("webhook: meeting %s is not complete in the API yet; left to the poller", mid)
            return
        if services.deliverer is None:
            return
        for meeting in done:
            report = services.deliverer.deliver_recording(meeting.meeting_record_id)
            self._count("delivered")
            if report.error:
                log.warning(
                    "webhook: posting %s failed (%s); the poller retries",
                    meeting.meeting_record_id,
                    report.error,
                )

    def _early_poll(self, meeting_id: str) -> None:
        with self._early_lock:
            now = time.monotonic()
            if now - self._last_early_poll < EARLY_POLL_GAP:
                log.info("webhook: meeting %s left to the next poll cycle", meeting_id)
                return
            self._last_early_poll = now
        self._count("early_polls")
        log.info("webhook: meeting %s has no start time: running a poll cycle now", meeting_id)
        self.services.poller.run_cycle()


def make_webhook_app(services: Services, **kwargs: object) -> WebhookApp | None:
    """The /tencent/webhook WSGI app, or None when TENCENT_MEETING_WEBHOOK_TOKEN is not set."""
    if not services.settings.tencent_webhook_token:
        return None
    return WebhookApp(services, **kwargs)  # type: ignore[arg-type]


# -- helpers -------------------------------------------------------------------------------------
def _text(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _query_value(query: str, name: str) -> str | None:
    """A query parameter, percent-decoded but with '+' kept (base64 has '+', never spaces)."""
    for part in query.split("&"):
        key, sep, value = part.partition("=")
        if sep and unquote(key) == name:
            return unquote(value)
    return None


def _read_data(environ: dict) -> str:
    """The `data` string of an event's JSON body."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _bad_request("malformed body") from None
    if length > MAX_BODY:
        raise Rejected("413 Payload Too Large", "body too large")
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad_request("malformed body") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, str) or not data:
        raise _bad_request("malformed body")
    return data
