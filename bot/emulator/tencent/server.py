"""The Tencent Meeting API on loopback: `TencentEmulator` and its HTTP server.

Two clocks: the emulator's clock (`clock` + `advance()`) drives the meetings' states and the rate
window; the signature timestamp is checked against the real clock (`auth_clock`, time.time), so a
normal client's signed request still verifies after `advance()`.

A call goes: record it, take a fault (before any check), serve the media links (checked by their
token), verify the signature, then answer corp/records or addresses, reshaped by the fault.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.tencent.addresses import ADDRESSES_RE, MEDIA_PREFIXES, addresses, media
from bot.emulator.tencent.answers import E_INTERNAL, E_NOT_FOUND, Answer, Rejection
from bot.emulator.tencent.approvals import APPROVALS_RE, Approvals
from bot.emulator.tencent.auth import ReplayGuard, check_request, header_lookup
from bot.emulator.tencent.dataset import CompletedCallback, Dataset
from bot.emulator.tencent.faults import COUNTED_FAULTS, Fault, Faults, replacement, reshape
from bot.emulator.tencent.intelligence import (
    TRANSCRIPT_FILE_PREFIX,
    Intelligence,
    is_content_path,
    sts_header,
)
from bot.emulator.tencent.ratelimit import RateLimiter
from bot.emulator.tencent.records import RECORDS_PATH, corp_records
from bot.emulator.tencent.sts import StsToken, sts_token_event
from bot.emulator.tencent.webhook_sender import WebhookSender, apply_event, smart_event
from bot.tencent.signing import Credentials

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Call(NamedTuple):
    method: str
    path: str
    query: dict[str, str]
    status: int  # 0: dropped, or not answered yet
    error_code: int | None


class TencentEmulator:
    """The Tencent Meeting API on loopback. `start()` serves in a daemon thread."""

    def __init__(
        self,
        app_id: str = DEMO_APP_ID,
        secret_id: str = DEMO_SECRET_ID,
        secret_key: str = DEMO_SECRET_KEY,
        sdk_id: str = "",
        rate_limit: int = 10,
        dataset: Dataset | None = None,
        clock: Clock = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_window: float = 60.0,
        auth_clock: Clock = time.time,
    ):
        self.credentials = Credentials(app_id, secret_id, secret_key, sdk_id)
        self.clock = clock
        self.auth_clock = auth_clock
        self._offset = 0.0
        self.dataset = dataset if dataset is not None else Dataset.generate(self.now())
        self.limiter = RateLimiter(rate_limit, rate_window)
        self.replays = ReplayGuard()
        self.faults = Faults()
        self.intelligence = Intelligence()  # content endpoints: generating, AI off, STS, hostile
        self.approvals = Approvals()  # requests to view a recording, and their approval calls
        self.host = host
        self.port = port
        self._calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._webhooks: tuple[WebhookSender, threading.Event, threading.Thread] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TencentEmulator:
        """An emulator accepting the credentials the bot would send with `settings` (the demo
        credentials when the settings have none). Overrides that are None are ignored."""
        own = settings.has_tencent_credentials
        kwargs: dict[str, Any] = {
            "app_id": settings.tencent_app_id if own else DEMO_APP_ID,
            "secret_id": settings.tencent_secret_id if own else DEMO_SECRET_ID,
            "secret_key": (
                settings.tencent_secret_key.get_secret_value() if own else DEMO_SECRET_KEY
            ),
            "sdk_id": settings.tencent_sdk_id if own else "",
            "rate_limit": settings.tencent_rate_limit,
        }
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> TencentEmulator:
        server = _Server((self.host, self.port), _Handler)
        server.emulator = self
        self._server = server
        self.port = server.server_address[1]
        self.dataset.links.base = self.url
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # how soon stop() is noticed
            daemon=True,
            name=f"tencent-emulator:{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.disable_webhooks()
        self._stopping.set()  # wakes "slow" faults
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> TencentEmulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- time ------------------------------------------------------------------------------
    def now(self) -> float:
        """The emulator's clock: `clock()` plus every `advance()`."""
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock (meeting states, rate window) forward."""
        self._offset += seconds

    def tick(self) -> list[str]:
        """Report meetings that reached state 3 to the dataset's `on_completed` callbacks."""
        return self.dataset.tick(self.now())

    @property
    def on_completed(self) -> list[CompletedCallback]:
        return self.dataset.on_completed

    # -- webhooks --------------------------------------------------------------------------
    def enable_webhooks(
        self,
        url: str,
        token: str,
        aes_key: str | None = None,
        *,
        tick_interval: float = 0.1,
        **options: Any,
    ) -> WebhookSender:
        """Send recording.completed to `url` when a recording reaches state 3 (a ticker thread
        checks every `tick_interval` s). `options`: delay=, duplicates=, drop= (WebhookSender)."""
        self.disable_webhooks()
        sender = WebhookSender(url, token, aes_key, **options)
        self.dataset.on_completed.append(sender.on_completed)
        stop = threading.Event()

        def ticker() -> None:
            while not stop.wait(tick_interval):
                try:
                    self.tick()
                except Exception:
                    log.exception("emulator tick failed")

        thread = threading.Thread(target=ticker, name="tencent-emulator:ticker", daemon=True)
        self._webhooks = (sender, stop, thread)
        thread.start()
        return sender

    def disable_webhooks(self) -> None:
        """Stop sending webhooks (delayed events not yet sent are cancelled)."""
        webhooks = self._webhooks
        if webhooks is None:
            return
        sender, stop, thread = webhooks
        self._webhooks = None
        stop.set()
        if thread is not threading.current_thread():
            thread.join(timeout=5)
        if sender.on_completed in self.dataset.on_completed:
            self.dataset.on_completed.remove(sender.on_completed)
        sender.close()

    @property
    def webhooks(self) -> WebhookSender | None:
        """The sender attached by `enable_webhooks`, if any."""
        return self._webhooks[0] if self._webhooks is not None else None

    def announce_content(self, meeting_record_id: str, *, result: int = 1) -> int:
        """The recording's AI content is generated now (its content calls stop answering
        "generating" unless `result` is 2); with webhooks enabled, Tencent's `smart.transcripts`
        and `smart.minutes` events are sent (synchronously). How many events were sent."""
        if result != 2:
            self.intelligence.set_generating(meeting_record_id, 0)
        sender = self.webhooks
        if sender is None:
            return 0
        meeting = self.dataset.get(meeting_record_id)
        sent = 0
        for name in ("smart.transcripts", "smart.minutes"):
            if name == "smart.transcripts" and result == 2:
                continue
            sender.send_event(
                smart_event(meeting, self.now(), name, result=result),
                meeting_record_id=meeting_record_id,
            )
            sent += 1
        return sent

    def request_access(
        self, meeting_record_id: str, requester: str, *, note: str = "", send: bool = True
    ) -> tuple[str, dict[str, Any]]:
        """`requester` asks to view the recording: (its apply_id, the `recording.apply` event),
        the event sent (synchronously) when `send` and webhooks are enabled."""
        apply_id = self.approvals.request(meeting_record_id)
        event = apply_event(
            self.dataset.get(meeting_record_id),
            apply_id,
            self.now(),
            requester=requester,
            note=note,
        )
        sender = self.webhooks
        if send and sender is not None:
            sender.send_event(event, meeting_record_id=meeting_record_id)
        return apply_id, event

    # -- the STS-Token rule ------------------------------------------------------------------
    def require_sts(self, required: bool = True) -> None:
        """Turn the STS-Token rule on (or off) for addresses/{id} and transcripts/details."""
        self.intelligence.sts.required = required

    def issue_sts_token(self, lifetime: float = 86400.0, *, send: bool = True) -> StsToken:
        """Issue (or rotate: the previous one stops working) the app's STS token; with `send`
        and webhooks enabled, announce it as a `common.sts-token` event (sent synchronously)."""
        token = self.intelligence.sts.issue(self.now(), lifetime)
        sender = self.webhooks
        if send and sender is not None:
            sender.send_event(sts_token_event(token, self.now()))
        return token

    def expire_sts_token(self) -> None:
        """The current STS token stops working."""
        self.intelligence.sts.expire()

    # -- calls -----------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._calls_lock:
            return list(self._calls)

    def call_count(self, path_prefix: str | None = None) -> int:
        """Calls received (API and media links alike), optionally only under `path_prefix`."""
        with self._calls_lock:
            if path_prefix is None:
                return len(self._calls)
            return sum(1 for c in self._calls if c.path.startswith(path_prefix))

    def reset_calls(self) -> None:
        with self._calls_lock:
            self._calls = []

    def _arrive(self, method: str, path: str, query: dict[str, str]) -> tuple[list[Call], int]:
        with self._calls_lock:
            self._calls.append(Call(method, path, query, 0, None))
            return self._calls, len(self._calls) - 1

    def _answered(self, slot: tuple[list[Call], int], answer: Answer) -> None:
        calls, index = slot
        with self._calls_lock:
            status = 0 if answer.drop else answer.status
            calls[index] = calls[index]._replace(status=status, error_code=answer.error_code)

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> Answer:
        """Answer one request (called by the HTTP handler; `raw_path` as received)."""
        now = self.now()
        self.dataset.tick(now)
        split = urlsplit(raw_path)
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        slot = self._arrive(method, path, query)
        try:
            answer = self._answer(method, raw_path, path, query, headers, body)
        except Exception:
            log.exception("emulator failed on %s %s", method, path)
            answer = Answer.error(Rejection(E_INTERNAL, "internal error", 500))
        self._answered(slot, answer)
        log.debug("%s %s -> %s %s", method, path, answer.status, answer.error_code or "")
        return answer

    def _answer(
        self,
        method: str,
        raw_path: str,
        path: str,
        query: dict[str, str],
        headers: Any,
        body: bytes,
    ) -> Answer:
        app_id = header_lookup(headers)("AppId") or ""
        fault = self.faults.take(path)
        if fault is not None:
            early = self._fault_answer(fault, path, app_id)
            if early is not None:
                return early
        if path.startswith(MEDIA_PREFIXES):
            return media(self.dataset, path, query, self.now())
        if path.startswith(TRANSCRIPT_FILE_PREFIX):
            return self.intelligence.transcript_file(self.dataset, path, query, self.now())
        rejection = check_request(
            method,
            raw_path,
            headers,
            body.decode("utf-8", errors="replace"),
            credentials=self.credentials,
            now=self.auth_clock(),
            replays=self.replays,
        )
        if rejection is not None:
            return Answer.error(rejection)
        now = self.now()
        if path == RECORDS_PATH:
            answer = corp_records(self.dataset, self.limiter, method, query, app_id, now)
        elif match := ADDRESSES_RE.match(path):
            refused = self.intelligence.sts.check(sts_header(headers), now)
            if refused is not None:
                return Answer.error(refused)
            answer = addresses(self.dataset, method, match.group(1), now)
        elif match := APPROVALS_RE.match(path):
            answer = self.approvals.answer(self.dataset, method, match.group(1), body)
        elif is_content_path(path):
            intel = self.intelligence
            answer = intel.answer(
                self.dataset, method, path, query, sts_header(headers), app_id, now
            )
        else:
            answer = Answer.error(Rejection(E_NOT_FOUND, f"no such API: {path}", 404))
        if fault is not None:
            reshape(fault, answer)
        return answer

    def _fault_answer(self, fault: Fault, path: str, app_id: str) -> Answer | None:
        """The answer of a fault that replaces the real one; None to go on (after a delay)."""
        if fault.kind in COUNTED_FAULTS and path == RECORDS_PATH:
            self.limiter.record(app_id, self.now())
        if fault.kind == "slow":
            self._stopping.wait(fault.delay)
        return replacement(fault)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: TencentEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    timeout = 30  # idle keep-alive connections are closed after this

    def _serve(self) -> None:
        emulator = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        answer = emulator.handle(self.command, self.path, self.headers, body)
        if answer.drop:
            self.close_connection = True
            return
        if isinstance(answer.payload, bytes):
            data = answer.payload
        else:
            try:
                data = json.dumps(answer.payload, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: JSON can carry it escaped, as \ud800
                data = json.dumps(answer.payload).encode("ascii")
        self.send_response(answer.status)
        content_type = answer.content_type
        if content_type in ("application/json", "text/html", "text/plain"):
            content_type += "; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # request lines carry query strings; `handle` logs method and path only

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. timed out on "slow")
