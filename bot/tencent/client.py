"""The Tencent Meeting REST client: signed, throttled, retrying.

Every attempt takes a slot from a `Throttle` first, so the client never sends more calls than
the API allows, even when several processes share the budget. Network failures, 5xx answers and
replays are retried (by tenacity) with capped exponential backoff and full jitter, each retry
taking a new slot; a throttling answer pauses the whole bucket; configuration mistakes
(signature, clock, permission) fail at once with a message that says what to fix.

The client is given its credentials and throttle: which credentials to use (and the demo
policy) is decided at the edge, in `bot.wiring`.

The content calls (AI minutes, chapters, transcripts, the batch addresses) have their own budget
bucket (`CONTENT_BUCKET`, `CONTENT_LIMIT` a minute), so they never take a corp/records slot.
The endpoints under Tencent's STS-Token rule (`GET /v1/addresses/{id}`, transcripts/details) get
the `STS-Token` header from the `sts_token` provider, asked on every attempt.

Nothing secret is logged: not the signature, the secret key, recording passwords, addresses or
the STS token.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from bot import metrics
from bot.meeting_content import Chapter, Minutes, Transcript, TranscriptParagraph
from bot.models import BACKGROUND, INTERACTIVE, Addresses, RecordMeeting, RecordsPage
from bot.tencent.content import (
    ParagraphSpan,
    RecordAddresses,
    TranscriptFile,
    TranscriptPage,
    parse_chapters,
    parse_minutes,
    parse_paragraph_index,
    parse_record_addresses,
    parse_transcript_page,
    parse_transcript_text,
)
from bot.tencent.errors import (
    MalformedRecordError,
    MalformedResponseError,
    ServerError,
    StsTokenError,
    TencentError,
    ThrottledError,
    TransportError,
    error_from_response,
)
from bot.tencent.records import parse_page
from bot.tencent.signing import Credentials, signed_headers
from bot.tencent.throttle import ADDRESSES_BUCKET, CONTENT_BUCKET, Throttle

log = logging.getLogger(__name__)

PRODUCTION_URL = "https://api.meeting.qq.com"
MAX_SPAN = 31 * 86400  # corp/records accepts a range of at most 31 days
PAGE_SIZE = 20  # the largest page corp/records serves
ADDRESSES_LIMIT = 60  # calls per minute we allow ourselves on /v1/addresses
# Content calls per minute we allow ourselves. Tencent documents no limit of their own: they
# share the app's 300 calls a minute (190310) and 200,000 a day (190311) with everything else.
# 60 + 60 (addresses) + 10 (corp/records) = 130 a minute leaves more than half the app's minute
# to other users of the same app and to the server counting differently; 60 a minute all day
# long (86,400) plus the others' maxima stays under the daily 200,000.
CONTENT_LIMIT = 60
TRANSCRIPT_PAGE = 100  # paragraphs per transcripts/details call when paging
LANGS = ("default", "zh", "en", "ja")
STS_HEADER = "STS-Token"

StsProvider = Callable[[], "str | None"]
_PAGE_KEYS = ("total_count", "current_size", "current_page", "total_page")

OnPage = Callable[[int, int, RecordsPage], None]


@dataclass
class PageLimit:
    """At most `pages` more pages for one caller, shared across windows. `reached` tells that
    a page was left unfetched because of it (the range was not fully read)."""

    pages: int
    reached: bool = False

    def take(self) -> bool:
        if self.pages <= 0:
            self.reached = True
            return False
        self.pages -= 1
        return True


@dataclass
class CallCount:
    """The calls made on behalf of one request (every attempt counts, retries too), counted by
    that request itself: the client's `calls_made` is shared by every thread, so a difference
    of it would count the calls of requests running at the same time. A count may add into
    `parent` too (a window's calls into the whole sync's)."""

    calls: int = 0
    parent: CallCount | None = None

    def add(self, n: int = 1) -> None:
        count: CallCount | None = self
        while count is not None:
            count.calls += n
            count = count.parent


def split_windows(start: int, end: int, max_span: int = MAX_SPAN) -> list[tuple[int, int]]:
    """Consecutive windows of at most `max_span` seconds covering [start, end].

    Neighbouring windows share their boundary second, so nothing falls between them whichever
    way the server treats the bounds (a meeting on the boundary is de-duplicated by the caller).
    """
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    if max_span <= 0:
        raise ValueError("max_span must be positive")
    windows = []
    lo = start
    while True:
        hi = min(lo + max_span, end)
        windows.append((lo, hi))
        if hi >= end:
            return windows
        lo = hi


def _seconds(value: int | float | datetime) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a datetime passed to the Tencent client must carry a time zone")
        return int(value.timestamp())
    return int(value)


def _parse_addresses(record_file_id: str, data: Mapping[str, Any]) -> Addresses:
    known = ("view_address", "download_address", "audio_address")
    values = {}
    for key in known:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise MalformedRecordError(f"response.{key}", "should be str")
        values[key] = value or None
    extra = {k: v for k, v in data.items() if k not in known and k != "record_file_id"}
    return Addresses(record_file_id=record_file_id, extra=extra, **values)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TencentError) and exc.retryable


def _backoff(base: float, cap: float) -> Callable[[RetryCallState], float]:
    """Full jitter: uniform in [0, min(cap, base * 2 ** (retry - 1))]; none after a throttling
    answer, whose pause is waited out in the throttle."""
    jitter = wait_random_exponential(multiplier=base, max=cap)

    def wait(state: RetryCallState) -> float:
        if state.outcome is not None and isinstance(state.outcome.exception(), ThrottledError):
            return 0.0
        return jitter(state)

    return wait


def _give_up(state: RetryCallState, label: str) -> Any:
    """The retries are spent: say so, and raise the last error."""
    assert state.outcome is not None
    log.warning(
        "%s failed after %d attempts: %s", label, state.attempt_number, state.outcome.exception()
    )
    return state.outcome.result()  # raises it


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_text(value: Any) -> Any:
    """`value` (decoded JSON) with every lone surrogate replaced by U+FFFD. JSON may carry one
    (`"\\ud800"`) though no UTF-8 text can: left in, a subject holding one would fail every
    write of the recording, and every cycle that fetches it."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_valid_text(item) for item in value]
    if isinstance(value, dict):
        return {_valid_text(key): _valid_text(item) for key, item in value.items()}
    return value


TRANSCRIPT_FILE_MAX_BYTES = 16 << 20  # an hour is ~50 KB of text: far beyond it, refused


class TencentMeetingClient:
    """Calls the Tencent Meeting REST API for one company (one set of credentials)."""

    def __init__(
        self,
        base_url: str,
        creds: Credentials,
        throttle: Throttle,
        *,
        operator_id: str = "",
        timeout: float | tuple[float, float] = (3.05, 15),
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        throttle_penalty: float = 60.0,
        addresses_throttle: Throttle | None = None,
        content_throttle: Throttle | None = None,
        sts_token: StsProvider | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.creds = creds
        self.throttle = throttle
        self.addresses_throttle = addresses_throttle or Throttle(
            throttle.ledger, limit=ADDRESSES_LIMIT, bucket=ADDRESSES_BUCKET, sleep=sleep
        )
        self.content_throttle = content_throttle or Throttle(
            throttle.ledger, limit=CONTENT_LIMIT, bucket=CONTENT_BUCKET, sleep=sleep
        )
        self.sts_token = sts_token  # the current STS token, or None: asked on every attempt
        self.operator_id = operator_id
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.throttle_penalty = throttle_penalty
        self.session = session or requests.Session()  # keep-alive between calls
        self._sleep = sleep
        self.calls_made = 0  # attempts sent by every thread (every retry counts): a total only

    # -- the API ----------------------------------------------------------------------------
    def fetch_page(
        self,
        start: int,
        end: int,
        page: int,
        *,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
        count: CallCount | None = None,
    ) -> RecordsPage:
        """One page (`PAGE_SIZE` meetings) of `GET /v1/corp/records` for [start, end]; each
        attempt is added to `count` too."""
        params: list[tuple[str, object]] = [
            ("start_time", int(start)),
            ("end_time", int(end)),
            ("page_size", PAGE_SIZE),
            ("page", int(page)),
        ]
        params += self._operator_params()
        label = f"corp/records {int(start)}..{int(end)} page {page}"
        data = self._get(
            "/v1/corp/records", params, self.throttle, priority, max_wait, label=label, count=count
        )
        missing = [key for key in _PAGE_KEYS if key not in data]
        if missing:
            raise MalformedResponseError(
                f"the answer to {label} has the wrong shape: no {', '.join(missing)}"
            )
        if data.get("record_meetings") is not None and not isinstance(
            data["record_meetings"], list
        ):
            raise MalformedResponseError(
                f"the answer to {label} has the wrong shape: record_meetings is not a list"
            )
        result = parse_page(data, strict=False)
        for problem in result.rejected:
            log.warning("%s: left out a %s", label, problem)
        log.debug(
            "%s: %d meetings (page %d of %d, %d in all)",
            label,
            len(result.record_meetings),
            result.current_page,
            result.total_page,
            result.total_count,
        )
        return result

    def list_corp_records(
        self,
        start: int | datetime,
        end: int | datetime,
        *,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
        on_page: OnPage | None = None,
        page_limit: PageLimit | None = None,
        count: CallCount | None = None,
        first_page: int = 1,
    ) -> Iterator[RecordMeeting]:
        """Every recorded meeting in [start, end], once each, over as many windows and pages as
        needed (a meeting seen twice while the data shifts under the paging is yielded once).
        With `page_limit`, it stops early once the limit is spent (see PageLimit.reached).
        The first window starts at `first_page` (resuming a listing cut short earlier).
        The calls it makes are added to `count` as well."""
        seen: set[str] = set()
        mine = CallCount(parent=count)  # this listing's own calls, whatever runs beside it
        first, last = _seconds(start), _seconds(end)
        for index, (lo, hi) in enumerate(split_windows(first, last)):
            page_number = max(1, first_page) if index == 0 else 1
            while True:
                if page_limit is not None and not page_limit.take():
                    return
                page = self.fetch_page(
                    lo, hi, page_number, priority=priority, max_wait=max_wait, count=mine
                )
                if on_page is not None:
                    on_page(index, page_number, page)
                for meeting in page.record_meetings:
                    if meeting.meeting_record_id in seen:
                        continue
                    seen.add(meeting.meeting_record_id)
                    yield meeting
                if not page.record_meetings or page_number >= page.total_page:
                    break
                page_number += 1
        log.info(
            "corp/records %d..%d: %d meetings in %d calls",
            first,
            last,
            len(seen),
            mine.calls,
        )

    def get_addresses(
        self,
        record_file_id: str,
        *,
        priority: str = INTERACTIVE,
        max_wait: float | None = 10.0,
    ) -> Addresses:
        """Fresh view / download addresses of one record file (`GET /v1/addresses/{id}`)."""
        path = "/v1/addresses/" + quote(str(record_file_id), safe="")
        label = f"addresses of record file {record_file_id}"
        data = self._get(
            path,
            self._operator_params(),
            self.addresses_throttle,
            priority,
            max_wait,
            label=label,
            sts=True,
        )
        return _parse_addresses(str(record_file_id), data)

    # -- what was said ------------------------------------------------------------------------
    def get_minutes(
        self,
        record_file_id: str,
        *,
        lang: str = "default",
        markdown: bool = True,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
    ) -> Minutes:
        """The AI minutes and to-dos of one record file (`GET /v1/smart/minutes/{id}`), in
        `lang` ("default": the original; "zh", "en", "ja": translated), Tencent's markdown
        unless `markdown=False`. Raises ContentGeneratingError (ask later), ContentOffError
        (never)."""
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}")
        path = "/v1/smart/minutes/" + quote(str(record_file_id), safe="")
        params = [*self._operator_params(), ("lang", lang), ("text_type", 2 if markdown else 1)]
        label = f"minutes of record file {record_file_id}"
        data = self._get(path, params, self.content_throttle, priority, max_wait, label=label)
        return parse_minutes(str(record_file_id), data, lang)

    def get_chapters(
        self,
        record_file_id: str,
        *,
        lang: str = "default",
        priority: str = BACKGROUND,
        max_wait: float | None = None,
    ) -> list[Chapter]:
        """The AI chapters of one record file (`GET /v1/smart/chapters`), names decoded, by
        start time."""
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}")
        params = [
            *self._operator_params(),
            ("record_file_id", str(record_file_id)),
            ("lang", lang),
        ]
        label = f"chapters of record file {record_file_id}"
        data = self._get(
            "/v1/smart/chapters", params, self.content_throttle, priority, max_wait, label=label
        )
        return parse_chapters(str(record_file_id), data)

    def get_paragraph_index(
        self,
        record_file_id: str,
        *,
        meeting_id: str | None = None,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
    ) -> list[ParagraphSpan]:
        """The transcript's paragraph ids and spans (`GET /v1/records/transcripts/paragraphs`;
        no STS-Token needed)."""
        params = self._transcript_params(record_file_id, meeting_id)
        label = f"transcript paragraphs of record file {record_file_id}"
        data = self._get(
            "/v1/records/transcripts/paragraphs",
            params,
            self.content_throttle,
            priority,
            max_wait,
            label=label,
        )
        return parse_paragraph_index(str(record_file_id), data)

    def get_transcript_page(
        self,
        record_file_id: str,
        *,
        meeting_id: str | None = None,
        pid: str | None = None,
        limit: int | None = None,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
    ) -> TranscriptPage:
        """One call of `GET /v1/records/transcripts/details` (STS-Token sent when provided):
        `limit` paragraphs from `pid` on, or the whole transcript without them."""
        params = self._transcript_params(record_file_id, meeting_id)
        if pid is not None:
            params.append(("pid", str(pid)))
        if limit is not None:
            params.append(("limit", int(limit)))
        label = f"transcript of record file {record_file_id}"
        data = self._get(
            "/v1/records/transcripts/details",
            params,
            self.content_throttle,
            priority,
            max_wait,
            label=label,
            sts=True,
        )
        return parse_transcript_page(str(record_file_id), data)

    def get_transcript(
        self,
        record_file_id: str,
        *,
        meeting_id: str | None = None,
        page_size: int | None = TRANSCRIPT_PAGE,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
    ) -> Transcript:
        """The whole transcript of one record file, with speakers and offsets.

        With `page_size`, the paragraph index is read first (1 call), then `page_size`
        paragraphs per details call from the indexed pids (never a guessed pid): 1 + ceil(n /
        page_size) calls. With `page_size=None`, one details call answers everything (the
        fewest calls, the largest answer). Raises ContentGeneratingError, ContentOffError,
        StsTokenError (the app needs an STS token and has none, or a stale one)."""
        if page_size is None:
            page = self.get_transcript_page(
                record_file_id, meeting_id=meeting_id, priority=priority, max_wait=max_wait
            )
            return Transcript(
                str(record_file_id), page.paragraphs, page.keywords, page.speakers_final
            )
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        index = self.get_paragraph_index(
            record_file_id, meeting_id=meeting_id, priority=priority, max_wait=max_wait
        )
        paragraphs: dict[str, TranscriptParagraph] = {}
        keywords: tuple[str, ...] = ()
        final = True
        for first in range(0, len(index), page_size):
            page = self.get_transcript_page(
                record_file_id,
                meeting_id=meeting_id,
                pid=index[first].pid,
                limit=page_size,
                priority=priority,
                max_wait=max_wait,
            )
            for paragraph in page.paragraphs:
                paragraphs.setdefault(paragraph.pid, paragraph)
            keywords = keywords or page.keywords
            final = final and page.speakers_final
            if not page.more:
                break
        ordered = sorted(paragraphs.values(), key=lambda p: (p.start_ms, p.pid))
        return Transcript(str(record_file_id), tuple(ordered), keywords, final)

    def get_record_addresses(
        self,
        meeting_record_id: str,
        *,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
    ) -> RecordAddresses:
        """Every file of one meeting recording with its links and transcript files
        (`GET /v1/addresses?meeting_record_id=`, all pages; no STS-Token needed). One call for
        up to 50 files."""
        files = []
        page_number, first = 1, None
        while True:
            params = [
                ("meeting_record_id", str(meeting_record_id)),
                *self._operator_params(),
                ("page_size", 50),
                ("page", page_number),
            ]
            label = f"addresses of meeting recording {meeting_record_id} page {page_number}"
            data = self._get(
                "/v1/addresses", params, self.content_throttle, priority, max_wait, label=label
            )
            page = parse_record_addresses(str(meeting_record_id), data)
            first = first or page
            files.extend(page.files)
            if not page.files or page_number >= page.total_page:
                break
            page_number += 1
        return RecordAddresses(
            first.meeting_record_id,
            first.meeting_id,
            first.subject,
            tuple(files),
            1,
            first.total_page,
        )

    def answer_access_request(
        self,
        meeting_record_id: str,
        apply_ids: list[str],
        *,
        approve: bool,
        operator_id: str,
        priority: str = INTERACTIVE,
        max_wait: float | None = None,
    ) -> None:
        """Approve (or ignore) requests to view a recording
        (`PUT /v1/records/approvals/{meeting_record_id}`), as `operator_id` (a userid: the
        recording's creator, a super admin or a recording manager may). Answering a request
        twice gives the same result: retries are safe."""
        path = f"/v1/records/approvals/{quote(str(meeting_record_id), safe='')}"
        body = json.dumps(
            {
                "operator_id": operator_id,
                "operator_id_type": 1,
                "apply_id_list": [str(a) for a in apply_ids],
                "action": 1 if approve else 2,
            },
            separators=(",", ":"),
        )
        label = f"{'approval' if approve else 'refusal'} of access to {meeting_record_id}"
        self._get(
            path,
            [],
            self.content_throttle,
            priority,
            max_wait,
            label=label,
            method="PUT",
            body=body,
        )

    def get_transcript_from_file(
        self,
        meeting_record_id: str,
        record_file_id: str,
        *,
        priority: str = BACKGROUND,
        max_wait: float | None = None,
        max_bytes: int = TRANSCRIPT_FILE_MAX_BYTES,
    ) -> Transcript:
        """The transcript without an STS-Token: the txt transcript file the batch
        `GET /v1/addresses` names for the file, downloaded and read (speakers by name only,
        offsets to the second). Raises TencentError when there is none or it cannot be read;
        the file's link is never logged nor put in an error."""
        addresses = self.get_record_addresses(
            meeting_record_id, priority=priority, max_wait=max_wait
        )
        found = next(
            (
                t
                for f in addresses.files
                if f.record_file_id == str(record_file_id)
                for t in f.transcript_files
                if t.file_type == "txt"
            ),
            None,
        )
        if found is None:
            raise TencentError(f"record file {record_file_id} has no transcript file (txt) yet")
        text = self.download_transcript_file(found, record_file_id, max_bytes=max_bytes)
        return Transcript(str(record_file_id), tuple(parse_transcript_text(text)), (), True)

    def download_transcript_file(
        self, file: TranscriptFile, record_file_id: str, *, max_bytes: int
    ) -> str:
        """The text of a transcript file (UTF-8, bad bytes replaced), at most `max_bytes`."""
        label = f"the transcript file of record file {record_file_id}"
        try:
            with self.session.get(
                file.download_address, timeout=self.timeout, stream=True
            ) as response:
                if response.status_code != 200:
                    raise TransportError(f"{label}: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_content(64 << 10):
                    body += chunk
                    if len(body) > max_bytes:
                        raise MalformedResponseError(f"{label} is larger than {max_bytes} bytes")
        except requests.RequestException as exc:
            raise TransportError(f"{label}: network error ({type(exc).__name__})") from None
        return bytes(body).decode("utf-8", "replace")

    def _transcript_params(
        self, record_file_id: str, meeting_id: str | None
    ) -> list[tuple[str, object]]:
        params: list[tuple[str, object]] = [
            ("record_file_id", str(record_file_id)),
            *self._operator_params(),
        ]
        if meeting_id:
            params.append(("meeting_id", str(meeting_id)))
        return params

    # -- one request, with retries -----------------------------------------------------------
    def _operator_params(self) -> list[tuple[str, object]]:
        if not self.operator_id:
            return []
        return [("operator_id", self.operator_id), ("operator_id_type", 1)]

    def _get(
        self,
        path: str,
        params: list[tuple[str, object]],
        throttle: Throttle,
        priority: str,
        max_wait: float | None,
        *,
        label: str,
        count: CallCount | None = None,
        sts: bool = False,
        method: str = "GET",
        body: str = "",
    ) -> dict[str, Any]:
        """`sts`: the endpoint is under the STS-Token rule (the header is sent when the
        provider has a token; asked anew on every attempt, so a rotated token is picked up).
        `method` and `body`: a PUT's JSON body (signed with it)."""
        query = urlencode(params, quote_via=quote, safe="")
        uri = f"{path}?{query}" if query else path
        endpoint = metrics.endpoint_of(path)

        def attempt() -> dict[str, Any]:
            throttle.acquire(priority, max_wait)  # every attempt takes a slot of its own
            if count is not None:
                count.add()
            token = self._current_sts_token() if sts else None
            extra = {STS_HEADER: token} if token else None
            try:
                data = self._send(uri, label, extra, method=method, body=body)
            except Exception as exc:
                if isinstance(exc, StsTokenError):
                    exc.token_sent = token is not None
                metrics.API_CALLS.labels(endpoint, metrics.outcome_of(exc)).inc()
                raise
            metrics.API_CALLS.labels(endpoint, "ok").inc()
            return data

        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=_backoff(self.backoff_base, self.backoff_cap),
            sleep=self._pause,
            before_sleep=lambda state: self._before_retry(state, throttle, label),
            retry_error_callback=lambda state: _give_up(state, label),
        )
        return retrying(attempt)

    def _before_retry(self, state: RetryCallState, throttle: Throttle, label: str) -> None:
        exc = state.outcome.exception() if state.outcome else None
        retry = state.attempt_number  # the attempts made so far: this is retry number `retry`
        if isinstance(exc, ThrottledError):
            # The server counted more calls than we did (another client on the same
            # account?): pause the bucket everywhere; acquire() then waits it out.
            throttle.penalize(self.throttle_penalty)
            log.warning(
                "%s throttled (%s); retry %d/%d after the pause",
                label,
                exc.error_code,
                retry,
                self.max_retries,
            )
            return
        log.warning(
            "%s failed (%s); retry %d/%d in %.2f s",
            label,
            exc,
            retry,
            self.max_retries,
            state.next_action.sleep if state.next_action else 0.0,
        )

    def _pause(self, seconds: float) -> None:
        """Tenacity's sleep: the injected one (which stopping interrupts). A throttled attempt
        waits for its pause in the throttle instead, so it has nothing to sleep here."""
        if seconds > 0:
            self._sleep(seconds)

    def _current_sts_token(self) -> str | None:
        """The provider's token (None without a provider, or when it fails or has none)."""
        if self.sts_token is None:
            return None
        try:
            token = self.sts_token()
        except Exception as exc:  # a store hiccup must not fail the call: it goes without
            log.warning("the STS token could not be read (%s)", type(exc).__name__)
            return None
        return token if isinstance(token, str) and token else None

    def _send(
        self,
        uri: str,
        label: str,
        extra_headers: Mapping[str, str] | None = None,
        *,
        method: str = "GET",
        body: str = "",
    ) -> dict[str, Any]:
        """One signed request of exactly `uri` (plus unsigned `extra_headers`, e.g. STS-Token);
        the parsed JSON object, or a typed error."""
        url = self.base_url + uri
        headers = signed_headers(self.creds, method, uri, body)
        if extra_headers:
            headers = {**headers, **extra_headers}
        request = requests.Request(method, url, headers=headers, data=body.encode() or None)
        prepared = self.session.prepare_request(request)
        prepared.url = url  # send the very string that was signed, never a re-encoded one
        settings = self.session.merge_environment_settings(url, {}, None, None, None)
        self.calls_made += 1
        try:
            response = self.session.send(
                prepared, timeout=self.timeout, allow_redirects=False, **settings
            )
            body = response.content
        except requests.Timeout as exc:
            raise TransportError(f"{label}: no answer in time ({type(exc).__name__})") from None
        except requests.RequestException as exc:
            raise TransportError(f"{label}: network error ({type(exc).__name__})") from None
        status = response.status_code
        try:
            data = _valid_text(response.json()) if body else None
        except ValueError:
            data = None
            if status >= 500:
                raise ServerError(
                    status, f"HTTP {status} with a body that is not JSON", http_status=status
                ) from None
            kind = response.headers.get("Content-Type", "unknown type")
            raise MalformedResponseError(
                f"the answer to {label} is not JSON (HTTP {status}, {kind})"
            ) from None
        error = error_from_response(status, data)
        if error is not None:
            raise error
        if status >= 500:
            raise ServerError(status, f"HTTP {status} without error_info", http_status=status)
        if not isinstance(data, dict):
            shape = "an empty body" if data is None else f"a JSON {type(data).__name__}"
            raise MalformedResponseError(
                f"the answer to {label} is {shape} (HTTP {status}), not an object"
            )
        if status >= 400:
            raise MalformedResponseError(
                f"the answer to {label} is HTTP {status} without error_info"
            )
        return data
