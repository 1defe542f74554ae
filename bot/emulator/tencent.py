"""A local stand-in for the Tencent Meeting REST API, faithful where the bot depends on it.

It checks every request as Tencent does (AppId / X-TC-Key / SdkId, timestamp within 5 minutes,
no replayed timestamp + nonce, the HMAC signature over the raw path + query as received), serves
`GET /v1/corp/records` (31-day rule, paging, 10 calls per rolling minute per AppId) and
`GET /v1/addresses/{record_file_id}`, and can inject faults. It records every call it receives.

Two clocks: the emulator's clock (`clock` + `advance()`) drives the meetings' states and the rate
window; the signature timestamp is checked against the real clock (`auth_clock`, time.time), so a
normal client's signed request still verifies after `advance()`.

Run it from tests (`with TencentEmulator(...) as emu: ... emu.url`) or as
`recordings-bot emulator --port 8780`.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.dataset import DOWNLOAD_LIFETIME, CompletedCallback, Dataset
from bot.models import STATE_DONE
from bot.tencent.signing import Credentials, sign, string_to_sign

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.emulator.webhook_sender import WebhookSender

log = logging.getLogger(__name__)

Clock = Callable[[], float]

RECORDS_PATH = "/v1/corp/records"
MAX_SKEW = 300.0  # seconds a timestamp may be off, and how long a nonce is remembered
MAX_RANGE = 31 * 86400
MAX_PAGE_SIZE = 20
DEFAULT_PAGE_SIZE = 10

E_TIMESTAMP = 190300
E_REPLAY = 190301
E_UNKNOWN_APP = 190303
E_SIGNATURE = 200003
E_PARAMETER = 190004
E_APP_MINUTE_LIMIT = 190310
E_API_MINUTE_LIMIT = 190313
E_INTERNAL = 500000
E_NOT_FOUND = 404  # unknown API path (HTTP 404)


# -- errors ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rejection:
    """An answer carrying error_info."""

    error_code: int
    message: str
    http_status: int = 400

    def body(self) -> dict[str, Any]:
        return error_body(self.error_code, self.message)


def error_body(code: int, message: str) -> dict[str, Any]:
    return {
        "error_info": {
            "error_code": code,
            "new_error_code": 200_000_000 + code,
            "message": message,
        }
    }


# -- request verification --------------------------------------------------------------------
class ReplayGuard:
    """Remembers (app, timestamp, nonce) for 5 minutes; thread-safe."""

    def __init__(self, window: float = MAX_SKEW):
        self.window = window
        self._seen: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, key: tuple[str, str, str], now: float) -> bool:
        """True the first time `key` is seen within the window (and remember it)."""
        with self._lock:
            if len(self._seen) > 1000:
                self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                return False
            self._seen[key] = now + self.window
            return True


def _header_lookup(headers: Mapping[str, str] | Any) -> Callable[[str], str | None]:
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    return lambda name: lowered.get(name.lower())


def check_request(
    method: str,
    uri: str,
    headers: Mapping[str, str] | Any,
    body: str,
    *,
    credentials: Credentials,
    now: float,
    replays: ReplayGuard | None = None,
) -> Rejection | None:
    """Verify a request as Tencent does; None when it passes.

    `uri` is the raw path plus query string exactly as received; `now` is the server's
    (real) clock. With `replays`, a (timestamp, nonce) pair is accepted once per 5 minutes.
    """
    get = _header_lookup(headers)
    app_id, secret_id, sdk_id = get("AppId"), get("X-TC-Key"), get("SdkId") or ""
    if app_id != credentials.app_id or secret_id != credentials.secret_id:
        return Rejection(E_UNKNOWN_APP, "unknown AppId or X-TC-Key")
    if sdk_id != credentials.sdk_id:
        return Rejection(E_UNKNOWN_APP, "unknown SdkId")
    timestamp = get("X-TC-Timestamp") or ""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return Rejection(E_TIMESTAMP, "X-TC-Timestamp is missing or not a number")
    if abs(now - int(timestamp)) > MAX_SKEW:
        return Rejection(E_TIMESTAMP, "X-TC-Timestamp is more than 5 minutes off")
    nonce = get("X-TC-Nonce") or ""
    signature = get("X-TC-Signature") or ""
    if not (nonce.isascii() and nonce.isdigit()) or not signature:
        return Rejection(E_SIGNATURE, "X-TC-Nonce or X-TC-Signature is missing")
    expected = sign(
        credentials.secret_key,
        string_to_sign(method, secret_id, nonce, timestamp, uri, body),
    )
    if not secrets.compare_digest(expected.encode(), signature.encode()):
        return Rejection(E_SIGNATURE, "signature verification failed")
    if replays is not None and not replays.first_use((app_id, timestamp, nonce), now):
        return Rejection(E_REPLAY, "replayed request: timestamp and nonce already used")
    return None


# -- corp/records parameters -----------------------------------------------------------------
@dataclass(frozen=True)
class RecordsQuery:
    start_time: int
    end_time: int
    page_size: int = DEFAULT_PAGE_SIZE
    page: int = 1


def _number(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{name} must be a number")
    return int(value)


def parse_records_query(query: Mapping[str, str]) -> RecordsQuery | Rejection:
    """The corp/records parameters, or the 190004 rejection Tencent answers."""
    try:
        start, end = _number(query, "start_time"), _number(query, "end_time")
        page_size = _number(query, "page_size")
        page = _number(query, "page")
        _number(query, "operator_id_type")
        _number(query, "query_record_type")
    except ValueError as exc:
        return Rejection(E_PARAMETER, f"invalid parameter: {exc}")
    if start is None or end is None:
        return Rejection(E_PARAMETER, "start_time and end_time are required")
    if end < start:
        return Rejection(E_PARAMETER, "end_time is before start_time")
    if end - start > MAX_RANGE:
        return Rejection(E_PARAMETER, "the time range may not exceed 31 days")
    page_size = DEFAULT_PAGE_SIZE if page_size is None else page_size
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        return Rejection(E_PARAMETER, "page_size must be between 1 and 20")
    page = 1 if page is None else page
    if page < 1:
        return Rejection(E_PARAMETER, "page starts at 1")
    return RecordsQuery(start, end, page_size, page)


# -- rate limit ------------------------------------------------------------------------------
class RateLimiter:
    """At most `limit` accepted calls per rolling `window` seconds per key; thread-safe."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def try_acquire(self, key: str, now: float) -> bool:
        """Count a call at `now` if the window has room; False (and not counted) otherwise."""
        with self._lock:
            calls = self._prune(key, now)
            if len(calls) >= self.limit:
                return False
            calls.append(now)
            return True

    def record(self, key: str, now: float) -> None:
        """Count a call whatever the window holds (a call the server failed on)."""
        with self._lock:
            self._prune(key, now).append(now)

    def used(self, key: str, now: float) -> int:
        with self._lock:
            return len(self._prune(key, now))

    def _prune(self, key: str, now: float) -> deque[float]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        return calls


# -- faults ----------------------------------------------------------------------------------
FAULT_KINDS = frozenset(
    {
        "500",
        "503_html",
        "slow",
        "malformed_json",
        "wrong_shape",
        "missing_field",
        "drop",
        "throttle",
        "throttle_app",
        "error",
    }
)
# Faults where the server saw and failed on the call: they use up rate-limit room.
_COUNTED_FAULTS = frozenset({"500", "503_html", "malformed_json", "drop"})


@dataclass
class Fault:
    kind: str
    count: int | None = 1  # None: until cleared
    path_prefix: str = RECORDS_PATH
    delay: float = 5.0  # "slow": seconds before answering
    code: int | None = None  # "error": the error_code
    status: int = 400  # "error": the HTTP status
    message: str = ""
    variant: str = "no_total_page"  # "wrong_shape": or "meetings_not_list"
    field: str = "meeting_id"  # "missing_field": the field left out of the first record


class Faults:
    """Faults to inject into the next matching calls, first added first served.

    A fault is taken before the signature check. "slow" then answers normally after `delay`;
    "wrong_shape" and "missing_field" reshape the normal answer; the others replace it. On
    corp/records, "500", "503_html", "malformed_json" and "drop" use up rate-limit room (the
    server saw the call); the error kinds do not (rejected calls never count).
    """

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        count: int | None = 1,
        path_prefix: str = RECORDS_PATH,
        *,
        delay: float = 5.0,
        code: int | None = None,
        status: int = 400,
        message: str = "",
        variant: str = "no_total_page",
        field: str = "meeting_id",
    ) -> Fault:
        """Make the next `count` calls under `path_prefix` fail as `kind` (see FAULT_KINDS)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        if kind == "error" and code is None:
            raise ValueError('the "error" fault needs code=')
        if variant not in ("no_total_page", "meetings_not_list"):
            raise ValueError(f"unknown wrong_shape variant {variant!r}")
        fault = Fault(kind, count, path_prefix, delay, code, status, message, variant, field)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        """The fault for a call to `path`, if any (using up one of its count)."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._faults.remove(fault)
                    return fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


# -- calls -----------------------------------------------------------------------------------
class Call(NamedTuple):
    method: str
    path: str
    query: dict[str, str]
    status: int  # 0: dropped, or not answered yet
    error_code: int | None


@dataclass
class _Answer:
    status: int
    payload: Any = None  # JSON-able, or bytes sent as-is
    content_type: str = "application/json"
    drop: bool = False
    error_code: int | None = None

    @classmethod
    def error(cls, rejection: Rejection) -> _Answer:
        return cls(rejection.http_status, rejection.body(), error_code=rejection.error_code)


_HTML_503 = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>"
)
_ADDRESSES_RE = re.compile(r"^/v1/addresses/([^/]+)$")
_MEDIA_RE = re.compile(r"^/(media|play)/(\d+)(?:\.(mp4|m4a))?$")


# -- the emulator ----------------------------------------------------------------------------
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
            kwargs={"poll_interval": 0.05},
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
        from bot.emulator.webhook_sender import WebhookSender

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

    def _answered(self, slot: tuple[list[Call], int], answer: _Answer) -> None:
        calls, index = slot
        with self._calls_lock:
            status = 0 if answer.drop else answer.status
            calls[index] = calls[index]._replace(status=status, error_code=answer.error_code)

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> _Answer:
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
            answer = _Answer.error(Rejection(E_INTERNAL, "internal error", 500))
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
    ) -> _Answer:
        app_id = _header_lookup(headers)("AppId") or ""
        fault = self.faults.take(path)
        if fault is not None:
            early = self._fault_answer(fault, path, app_id)
            if early is not None:
                return early
        if path.startswith(("/media/", "/play/", "/user-center/")):
            return self._media(path, query)
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
            return _Answer.error(rejection)
        now = self.now()
        if path == RECORDS_PATH:
            answer = self._corp_records(method, query, app_id, now)
        elif match := _ADDRESSES_RE.match(path):
            answer = self._addresses(method, match.group(1), now)
        else:
            answer = _Answer.error(Rejection(E_NOT_FOUND, f"no such API: {path}", 404))
        if fault is not None:
            _reshape(fault, answer)
        return answer

    def _fault_answer(self, fault: Fault, path: str, app_id: str) -> _Answer | None:
        """The answer of a fault that replaces the real one; None to go on (after a delay)."""
        if fault.kind in _COUNTED_FAULTS and path == RECORDS_PATH:
            self.limiter.record(app_id, self.now())
        kind = fault.kind
        if kind == "slow":
            self._stopping.wait(fault.delay)
            return None
        if kind == "500":
            rej = Rejection(fault.code or E_INTERNAL, fault.message or "internal error", 500)
            return _Answer.error(rej)
        if kind == "503_html":
            return _Answer(503, _HTML_503, "text/html")
        if kind == "malformed_json":
            return _Answer(200, b'{"total_count": 3, "current_size": 3, "record_meetings": [{"m')
        if kind == "drop":
            return _Answer(0, drop=True)
        if kind == "throttle":
            msg = fault.message or "the per-minute limit of this API was exceeded"
            return _Answer.error(Rejection(E_API_MINUTE_LIMIT, msg))
        if kind == "throttle_app":
            msg = fault.message or "the app's per-minute call limit was exceeded"
            return _Answer.error(Rejection(E_APP_MINUTE_LIMIT, msg))
        if kind == "error":
            assert fault.code is not None
            msg = fault.message or f"injected error {fault.code}"
            return _Answer.error(Rejection(fault.code, msg, fault.status))
        return None  # wrong_shape / missing_field reshape the real answer

    def _corp_records(self, method: str, query: dict[str, str], app_id: str, now: float) -> _Answer:
        if method != "GET":
            return _Answer.error(Rejection(E_NOT_FOUND, f"{method} not allowed", 405))
        params = parse_records_query(query)
        if isinstance(params, Rejection):
            return _Answer.error(params)
        if not self.limiter.try_acquire(app_id, now):
            return _Answer.error(
                Rejection(E_API_MINUTE_LIMIT, "the per-minute limit of this API was exceeded")
            )
        total, records = self.dataset.page(
            now, params.start_time * 1000, params.end_time * 1000, params.page, params.page_size
        )
        return _Answer(
            200,
            {
                "total_count": total,
                "current_size": len(records),
                "current_page": params.page,
                "total_page": math.ceil(total / params.page_size),
                "record_meetings": records,
            },
        )

    def _addresses(self, method: str, record_file_id: str, now: float) -> _Answer:
        if method != "GET":
            return _Answer.error(Rejection(E_NOT_FOUND, f"{method} not allowed", 405))
        found = self.dataset.find_file(record_file_id)
        if found is None or found[0].state(now) != STATE_DONE:
            return _Answer.error(Rejection(E_PARAMETER, "record file not found"))
        meeting, _file = found
        links = self.dataset.links
        expires = int(now) + DOWNLOAD_LIFETIME
        token = links.token(record_file_id, expires)  # random: fresh on every call
        return _Answer(
            200,
            {
                "record_file_id": record_file_id,
                "meeting_id": meeting.meeting_id,
                "meeting_code": meeting.meeting_code,
                "subject": meeting.subject,
                "view_address": links.url("view", record_file_id, token, expires),
                "download_address": links.url("download", record_file_id, token, expires),
                "download_address_file_type": "MP4",
                "audio_address": links.url("audio", record_file_id, token, expires),
                "audio_address_file_type": "M4A",
                "meeting_summary": [],
                "ai_meeting_transcripts": [],
            },
        )

    def _media(self, path: str, query: dict[str, str]) -> _Answer:
        """The pages and files the addresses point at (checked by token, not signed)."""
        if path.startswith("/user-center/"):
            return _Answer(
                200, b"<html><body>Shared recording (emulated)</body></html>", "text/html"
            )
        match = _MEDIA_RE.match(path)
        expires = query.get("expires", "")
        if match is None or not expires.isdigit():
            return _Answer(404, b"not found", "text/plain")
        kind, file_id = match.group(1), match.group(2)
        if self.dataset.find_file(file_id) is None:
            return _Answer(404, b"not found", "text/plain")
        if not self.dataset.links.verify(file_id, query.get("token", ""), int(expires), self.now()):
            return _Answer(403, b"AccessDenied: the link is invalid or expired", "text/plain")
        if kind == "play":
            return _Answer(
                200, b"<html><body>Recording player (emulated)</body></html>", "text/html"
            )
        return _Answer(200, f"EMULATED RECORDING {file_id}\n".encode() * 64, "video/mp4")


def _reshape(fault: Fault, answer: _Answer) -> None:
    """Apply a wrong_shape / missing_field fault to a successful JSON answer."""
    payload = answer.payload
    if answer.status != 200 or not isinstance(payload, dict):
        return
    if fault.kind == "wrong_shape":
        if fault.variant == "meetings_not_list":
            payload["record_meetings"] = {"record_meeting": payload.get("record_meetings")}
        else:
            payload.pop("total_page", None)
    elif fault.kind == "missing_field":
        meetings = payload.get("record_meetings")
        if isinstance(meetings, list):
            if not meetings:
                meetings.append(
                    {
                        "meeting_record_id": "1000000000000000001",
                        "meeting_id": "1000000000000000002",
                        "meeting_code": "100000003",
                        "userid": "ghost",
                        "media_start_time": 0,
                        "subject": "missing field",
                        "state": STATE_DONE,
                    }
                )
                payload["total_count"] = max(1, payload.get("total_count", 0))
                payload["current_size"] = len(meetings)
            meetings[0].pop(fault.field, None)


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
            data = json.dumps(answer.payload, ensure_ascii=False).encode("utf-8")
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


# -- command line ----------------------------------------------------------------------------
def serve_from_cli(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8780,
    rate_limit: int | None = None,
    app_id: str | None = None,
    secret_id: str | None = None,
    secret_key: str | None = None,
    fixture: str | None = None,
    days: int = 7,
    seed: int = 1,
) -> None:
    """`recordings-bot emulator`: serve until Ctrl-C. Prints the URL and the credentials' ids,
    never the secret key."""
    if fixture:
        dataset = Dataset.load_json(fixture)
        source = f"from {fixture}"
    else:
        dataset = Dataset.generate(time.time(), days=days, seed=seed)
        source = f"generated: {days} days, seed {seed}"
    emulator = TencentEmulator.from_settings(
        settings,
        host=host,
        port=port,
        rate_limit=rate_limit,
        app_id=app_id,
        secret_id=secret_id,
        secret_key=secret_key,
        dataset=dataset,
    )
    try:
        emulator.start()
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    creds = emulator.credentials
    if secret_key:
        key_source = "--secret-key"
    elif settings.has_tencent_credentials:
        key_source = "TENCENT_MEETING_SECRET_KEY"
    else:
        key_source = "the demo key, DEMO_SECRET_KEY in bot/config.py"
    print(f"Tencent Meeting emulator on {emulator.url}")
    print(f"  AppId:     {creds.app_id}")
    print(f"  SecretId:  {creds.secret_id}")
    print(f"  SdkId:     {creds.sdk_id or '(none)'}")
    print(f"  SecretKey: {key_source}")
    print(f"  {len(dataset)} meetings ({source})")
    print(f"  corp/records limit: {emulator.limiter.limit} calls per minute")
    print(f"Point the bot at it: TENCENT_MEETING_API_URL={emulator.url}")
    print("Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(1)
            emulator.tick()
    except KeyboardInterrupt:
        print("stopping")
    finally:
        emulator.stop()
