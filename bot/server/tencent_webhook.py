"""Tencent Meeting's webhook: the HTTP endpoint (verify, record, answer).

GET  ?check_str=...   the URL check: verify, decode, answer the plaintext.
POST {"data": ...}    an event: verify, record, answer 200 at once; the work is done afterwards
                      by a small pool of worker threads behind a bounded queue.

What a request must pass, in order (each failure is recorded as `rejected: <reason>` in
store.webhooks, at most REJECTIONS_RECORDED_PER_MINUTE a minute, and logged on one line without
the payload, at most bot.server.rejections.LINES_PER_MINUTE a minute):
  a JSON body with a `data` string (400), the three headers (401), the SHA-1 signature (401),
  a timestamp within 5 minutes (401), a (timestamp, nonce) pair not seen within 10 minutes (401:
  an honest retry from Tencent carries a new nonce, so a repeat is a replay), data that decodes
  (decrypts with TENCENT_MEETING_WEBHOOK_AES_KEY when set) to a valid event (400).

A valid event is `accepted`, or a `duplicate` when its trace_id was seen in the last 5 minutes
(a duplicate does no work: the first copy's work, or the poller, covers it).

A `recording.apply` event's requests are kept before the answer, and sent to their hosts in Slack
afterwards (bot/access.py). The work for an accepted `recording.completed` is the fast path
(bot/fastpath.py): each payload goes to `FastPath.complete` on a worker thread
(bot/server/workers.py), at background priority
(a person in Slack goes first). Payloads naming the same meeting (and start) are merged into
one, and at most MAX_PAYLOADS_PER_EVENT are worked on: a real event names one meeting, and what
is left over is left to the poller, which finds every recording anyway. When the work queue is
full, the event is left to the poller.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import unquote

from bot import metrics
from bot.config import ConfigError
from bot.fastpath import FETCH_MAX_WAIT, FastPath, FastPathCounters
from bot.server.rejections import RejectionLog
from bot.server.workers import WorkQueue
from bot.store import Store
from bot.store.content import KIND_CHAPTERS, KIND_MINUTES, KIND_TRANSCRIPT, STATE_NO_STS
from bot.store.webhooks import WebhookRepo
from bot.tencent.webhook import (
    EVENT_RECORDING_APPLY,
    EVENT_RECORDING_COMPLETED,
    EVENT_RECORDING_DELETED,
    EVENT_RECORDING_UPDATED,
    EVENT_SMART_MINUTES,
    EVENT_SMART_TRANSCRIPTS,
    RESULT_FAILED,
    EventPayload,
    StsTokenInfo,
    WebhookDecodeError,
    WebhookEvent,
    check_timestamp,
    decode_data,
    encode_data,
    parse_event,
    smart_result,
    verify_signature,
)
from bot.wiring import Services

log = logging.getLogger(__name__)

REPLAY_WINDOW = 300.0  # seconds a timestamp may be off, and how long nonces / trace ids are kept
REJECTIONS_RECORDED_PER_MINUTE = 100  # a flood of forgeries is counted, not stored
MAX_BODY = 512 << 10  # events are a few KB (50 payloads ~ 50 KB); anything larger is refused unread
MAX_PAYLOADS_PER_EVENT = 50  # distinct meetings worked on per event; the poller does the rest
MAX_IDS_SHOWN = 5  # meeting ids in a log line or an event's record
ANSWER = b"successfully received"

StartResponse = Callable[..., object]


class Rejected(Exception):
    """A request refused: `status` is the HTTP answer, `reason` a short payload-free text."""

    def __init__(self, status: str, reason: str, detail: str = ""):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.detail = detail  # for the log line only (payload-free: e.g. which field is bad)


def _unauthorized(reason: str) -> Rejected:
    return Rejected("401 Unauthorized", reason)


def _bad_request(reason: str, detail: str = "") -> Rejected:
    return Rejected("400 Bad Request", reason, detail)


@dataclass
class WebhookCounters(FastPathCounters):
    """What this process's webhook did (for tests, the bench and logs): the endpoint's counts,
    and the fast path's (which counts into the same object)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped: int = 0  # the work queue was full: left to the poller


# -- the WSGI app --------------------------------------------------------------------------------
class WebhookApp:
    """The WSGI app for /tencent/webhook: verifies and records each request, answers at once,
    and queues an accepted `recording.completed` for `complete` (one call per payload)."""

    def __init__(
        self,
        webhooks: WebhookRepo,
        complete: Callable[[EventPayload], None],
        *,
        token: str,
        aes_key: str | None = None,
        counters: WebhookCounters | None = None,
        workers: int = 2,
        queue_size: int = 256,
        clock: Callable[[], float] = time.time,
        keep_sts_token: Callable[[StsTokenInfo], None] | None = None,
        content_ready: Callable[[WebhookEvent], None] | None = None,
        deleted: Callable[[WebhookEvent], None] | None = None,
        updated: Callable[[EventPayload], None] | None = None,
        keep_access: Callable[[WebhookEvent], object] | None = None,
        access_requested: Callable[[WebhookEvent], object] | None = None,
    ):
        if not token:
            raise ConfigError(["TENCENT_MEETING_WEBHOOK_TOKEN is required for the webhook"])
        self.webhooks = webhooks
        self.complete = complete
        self.token = token
        self.aes_key = aes_key or None
        if self.aes_key:
            try:
                encode_data(b"", self.aes_key)
            except WebhookDecodeError as exc:
                raise ConfigError([f"TENCENT_MEETING_WEBHOOK_AES_KEY: {exc}"]) from None
        self.clock = clock
        self.keep_sts_token = keep_sts_token
        self.content_ready = content_ready
        self.deleted = deleted  # a recording.deleted event, on a worker (edits Slack messages)
        self.updated = updated  # each payload of a recording.updated event, on a worker
        self.keep_access = keep_access  # a recording.apply event's requests, kept at once
        self.access_requested = access_requested  # ... and sent to Slack on a worker
        # The events that have work after the answer: those with a handler.
        self._queued = {EVENT_RECORDING_COMPLETED}
        self._queued |= {EVENT_RECORDING_DELETED} if deleted else set()
        self._queued |= {EVENT_RECORDING_UPDATED} if updated else set()
        self._queued |= {EVENT_RECORDING_APPLY} if access_requested else set()
        self.counters = counters if counters is not None else WebhookCounters()
        self.rejections = RejectionLog(log, "tencent webhook")
        self._work: WorkQueue[WebhookEvent] = WorkQueue(
            self._do_work, workers=workers, size=queue_size, name="webhook"
        )

    # -- lifecycle -------------------------------------------------------------------------------
    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted event's work is done; False on timeout."""
        return self._work.wait_idle(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Finish the queued work, then stop the workers."""
        self._work.close(timeout)

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
            self._reject(event_name, rej, environ.get("REMOTE_ADDR"))
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
        if self.webhooks.seen_nonce(nonce_key, 2 * REPLAY_WINDOW):
            raise _unauthorized("replayed nonce")
        try:
            plaintext = decode_data(data, self.aes_key)
        except WebhookDecodeError:
            raise _bad_request("undecryptable data") from None
        try:
            return parse_event(plaintext)
        except WebhookDecodeError as exc:  # names the field, never its value
            raise _bad_request("malformed event", str(exc)) from None

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

    def _reject(self, event_name: str | None, rej: Rejected, remote: str | None) -> None:
        self.counters.count("rejected")
        metrics.WEBHOOK_EVENTS.labels("rejected").inc()
        reason = f"{rej.reason} ({rej.detail})" if rej.detail else rej.reason
        self.rejections.refused(rej.status.split()[0], reason, remote)
        try:
            self.webhooks.record_event(
                event=event_name,
                trace_id=None,
                meeting_id=None,
                outcome=f"rejected: {rej.reason}",
                per_minute_cap=REJECTIONS_RECORDED_PER_MINUTE,
            )
        except Exception as exc:  # the answer matters more than the audit row
            log.warning("could not record a rejected webhook: %s", type(exc).__name__)

    def _accept(self, event: WebhookEvent) -> None:
        duplicate = bool(event.trace_id) and self.webhooks.seen_nonce(
            f"trace:{event.event}:{event.trace_id}", REPLAY_WINDOW
        )
        meeting_ids = _ids_text(dict.fromkeys(p.meeting_id for p in event.payloads)) or None
        self.webhooks.record_event(
            event=event.event,
            trace_id=event.trace_id or None,
            meeting_id=meeting_ids,
            outcome="duplicate" if duplicate else "accepted",
        )
        self.counters.count("duplicates" if duplicate else "accepted")
        metrics.WEBHOOK_EVENTS.labels("duplicate" if duplicate else "accepted").inc()
        log.info(
            "tencent webhook: %s %s for meeting %s",
            "duplicate" if duplicate else "accepted",
            event.event,
            meeting_ids,
        )
        if not duplicate and event.sts_tokens and self.keep_sts_token is not None:
            for ticket in event.sts_tokens:  # cheap: kept before the answer
                self.keep_sts_token(ticket)
        if not duplicate and event.event in SMART_KINDS and self.content_ready is not None:
            try:  # cheap: one UPDATE; the next poll cycle fetches what it made due
                self.content_ready(event)
            except Exception as exc:  # the answer matters more: the backoff catches up
                log.warning("could not note a %s event: %s", event.event, type(exc).__name__)
        if not duplicate and event.access_requests and self.keep_access is not None:
            try:  # cheap: an INSERT per request; sent after the answer (or by the poll cycle)
                self.keep_access(event)
            except Exception as exc:
                log.warning("could not keep a recording.apply event: %s", type(exc).__name__)
        if duplicate or event.event not in self._queued:
            return
        if not self._work.submit(event):
            self.counters.count("dropped")
            log.warning("webhook work queue full: meeting %s is left to the poller", meeting_ids)

    def _do_work(self, event: WebhookEvent) -> None:
        """On a worker thread: the fast path for each distinct payload of an accepted event;
        a deletion's messages edited; requests to view a recording sent to Slack."""
        whole = {
            EVENT_RECORDING_DELETED: self.deleted,
            EVENT_RECORDING_APPLY: self.access_requested,
        }
        if event.event in whole:
            try:
                handler = whole[event.event]
                if handler is not None:
                    handler(event)
            except Exception:
                log.exception("a %s event failed; the poller will catch up", event.event)
            return
        payloads, left = distinct_payloads(event.payloads, MAX_PAYLOADS_PER_EVENT)
        if left:
            log.warning(
                "tencent webhook: an event named %d meetings; the first %d are done now, "
                "the other %d are left to the poller",
                len(payloads) + left,
                len(payloads),
                left,
            )
        work = self.updated if event.event == EVENT_RECORDING_UPDATED else self.complete
        try:
            for payload in payloads:
                if work is not None:
                    work(payload)
        except Exception:
            log.exception("webhook work failed; the poller will catch up")


def make_webhook_app(
    services: Services,
    *,
    workers: int = 2,
    queue_size: int = 256,
    clock: Callable[[], float] = time.time,
    fetch_max_wait: float = FETCH_MAX_WAIT,
) -> WebhookApp | None:
    """The /tencent/webhook WSGI app, or None when TENCENT_MEETING_WEBHOOK_TOKEN is not set."""
    settings = services.settings
    if not settings.tencent_webhook_token:
        return None
    counters = WebhookCounters()
    fastpath = FastPath(
        services.store,
        services.tencent,
        services.deliverer,
        services.poller.run_cycle,
        default_channel=settings.default_channel,
        pending_max_hours=settings.pending_max_hours,
        fetch_max_wait=fetch_max_wait,
        counters=counters,
    )
    return WebhookApp(
        services.store.webhooks,
        fastpath.complete,
        token=settings.tencent_webhook_token.get_secret_value(),
        aes_key=settings.tencent_webhook_aes_key.get_secret_value() or None,
        counters=counters,
        workers=workers,
        queue_size=queue_size,
        clock=clock,
        keep_sts_token=lambda ticket: keep_sts_token(services.store, ticket),
        content_ready=lambda event: content_ready(services.store, event),
        deleted=fastpath.deleted,
        updated=fastpath.updated,
        keep_access=services.access.keep if services.access is not None else None,
        access_requested=services.access.send_requested if services.access is not None else None,
    )


def keep_sts_token(store: Store, ticket: StsTokenInfo) -> None:
    """Keep an STS-Token that arrived in a `common.sts-token` event (the token is not logged);
    content that waited for one is due at once (the next poll cycle asks for it)."""
    kept = store.sts.keep(
        ticket.token, expires_at=ticket.expires_at, issued_ms=ticket.operate_time_ms
    )
    waiting = store.content.retry_now(STATE_NO_STS) if kept else 0
    log.info(
        "tencent webhook: STS-Token %s (request %s, expires at %s); %d waiting for one now due",
        "kept" if kept else "ignored: a newer one is kept",
        ticket.req_id,
        ticket.expires_at,
        waiting,
    )


# What each intelligence event says is ready (smart.minutes: the minutes, and the chapters
# generated with them).
SMART_KINDS = {
    EVENT_SMART_TRANSCRIPTS: (KIND_TRANSCRIPT,),
    EVENT_SMART_MINUTES: (KIND_MINUTES, KIND_CHAPTERS),
}


def content_ready(store: Store, event: WebhookEvent) -> int:
    """A `smart.transcripts` / `smart.minutes` event: the named files' content is due at once
    (the next poll cycle asks for it); how many pieces were made due. A failed one (`result`
    2) changes nothing: the usual backoff goes on. Files not yet posted are left (they are
    asked for as soon as they are); content already kept is not asked again."""
    kinds = SMART_KINDS.get(event.event, ())
    ids: list[str] = []
    for payload in event.payloads:
        if smart_result(event, payload) == RESULT_FAILED:
            log.info(
                "tencent webhook: %s reports a failure for meeting %s",
                event.event,
                payload.meeting_id,
            )
            continue
        ids.extend(payload.record_file_ids)
    made = store.content.due_now(ids, kinds) if ids and kinds else 0
    log.info("tencent webhook: %s made %d pieces of content due now", event.event, made)
    return made


# -- helpers -------------------------------------------------------------------------------------
def distinct_payloads(
    payloads: tuple[EventPayload, ...], cap: int
) -> tuple[list[EventPayload], int]:
    """(the first `cap` distinct payloads, how many distinct ones are left over).

    Payloads of the same meeting and start are one: the first, with every record file the
    others name."""
    merged: dict[tuple[str, int | None], EventPayload] = {}
    for payload in payloads:
        key = (payload.meeting_id, payload.start_time)
        first = merged.get(key)
        if first is None:
            merged[key] = payload
        elif not set(payload.record_file_ids) <= set(first.record_file_ids):
            ids = tuple(dict.fromkeys(first.record_file_ids + payload.record_file_ids))
            merged[key] = replace(first, record_file_ids=ids)
    distinct = list(merged.values())
    return distinct[:cap], max(0, len(distinct) - cap)


def _ids_text(ids: Iterable[str]) -> str:
    """Meeting ids for a log line or a record: the first MAX_IDS_SHOWN, then how many more."""
    ids = list(ids)
    shown = ",".join(ids[:MAX_IDS_SHOWN])
    return shown + (f" (+{len(ids) - MAX_IDS_SHOWN} more)" if len(ids) > MAX_IDS_SHOWN else "")


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
