"""The content endpoints: AI minutes, chapters, transcripts, and the batch addresses with their
transcript file. Signed like every API call (the server checks that first), rate-limited per
AppId at the app-wide 300 calls a minute (190310), and shaped as the reference describes.

`Intelligence` holds the knobs a test turns:

    generating_calls   the first N content calls of a record file answer 500051 "智能化数据生成中"
                       (HTTP 500); `set_generating(id, n)` per recording
    ai_off(id)         the recording's AI features are off: 500182 for good
    available          False: the company's plan has none (500182 on every recording)
    hostile            content carries `<!channel>`, `<@U123>`, `*bold*`, `&` (or per recording)
    sts                the STS-Token rule (sts.py): transcripts/details and addresses/{id}

Assumed where Tencent publishes nothing: the transcript endpoints answer 500051 / 500182 as the
smart ones do; `ja` is served in the original language; the transcript file is plain text,
`Name(hh:mm:ss): text` per paragraph.
"""

from __future__ import annotations

import base64
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from bot.emulator.tencent.answers import (
    E_APP_MINUTE_LIMIT,
    E_NOT_FOUND,
    E_PARAMETER,
    Answer,
    Rejection,
)
from bot.emulator.tencent.content import FileContent, Paragraph, generate
from bot.emulator.tencent.dataset import DOWNLOAD_LIFETIME, Dataset, EmulatedFile, EmulatedMeeting
from bot.emulator.tencent.ratelimit import RateLimiter
from bot.emulator.tencent.sts import STS_HEADER, StsRule
from bot.models import STATE_DONE

E_GENERATING = 500051
E_AI_OFF = 500182
GENERATING_MESSAGE = "智能化数据生成中"
AI_OFF_MESSAGE = "该文件未打开智能录制开关"
APP_RATE_LIMIT = 300  # calls per minute per app (接口频控说明)

MINUTES_RE = re.compile(r"^/v1/smart/minutes/([^/]+)$")
CHAPTERS_PATH = "/v1/smart/chapters"
PARAGRAPHS_PATH = "/v1/records/transcripts/paragraphs"
DETAILS_PATH = "/v1/records/transcripts/details"
BATCH_ADDRESSES_PATH = "/v1/addresses"
TRANSCRIPT_FILE_PREFIX = "/transcript-file/"
_FILE_RE = re.compile(r"^/transcript-file/(\d+)\.txt$")
LANGS = ("default", "zh", "en", "ja")
MAX_ADDRESS_PAGE = 50
CACHED_FILES = 64  # generated contents kept (an hour of transcript is megabytes of objects)


def is_content_path(path: str) -> bool:
    return MINUTES_RE.match(path) is not None or path in (
        CHAPTERS_PATH,
        PARAGRAPHS_PATH,
        DETAILS_PATH,
        BATCH_ADDRESSES_PATH,
    )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Intelligence:
    """The knobs and per-file counters of the content endpoints; thread-safe."""

    def __init__(self, *, generating_calls: int = 2, rate_limit: int = APP_RATE_LIMIT):
        self.generating_calls = generating_calls
        self.available = True
        self.hostile = False
        self.sts = StsRule()
        self.limiter = RateLimiter(rate_limit)
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}  # record_file_id -> content calls answered
        self._generating: dict[str, int] = {}  # meeting_record_id -> its own N
        self._off: set[str] = set()
        self._hostile: set[str] = set()
        self._cache: OrderedDict[tuple[str, bool], FileContent] = OrderedDict()

    # -- knobs ---------------------------------------------------------------------------------
    def set_generating(self, meeting_record_id: str, calls: int) -> None:
        """The recording's first `calls` content calls (per file, from now) say "generating"."""
        with self._lock:
            self._generating[meeting_record_id] = calls

    def ai_off(self, meeting_record_id: str, off: bool = True) -> None:
        with self._lock:
            (self._off.add if off else self._off.discard)(meeting_record_id)

    def set_hostile(self, meeting_record_id: str, hostile: bool = True) -> None:
        with self._lock:
            (self._hostile.add if hostile else self._hostile.discard)(meeting_record_id)

    def calls_for(self, record_file_id: str) -> int:
        """Content calls answered for a file so far (generating ones included)."""
        with self._lock:
            return self._calls.get(record_file_id, 0)

    # -- state ---------------------------------------------------------------------------------
    def content(self, meeting: EmulatedMeeting, file: EmulatedFile) -> FileContent:
        """What the file says (generated once, then cached)."""
        with self._lock:
            hostile = self.hostile or meeting.meeting_record_id in self._hostile
        key = (file.record_file_id, hostile)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is None:
            duration = max(60.0, file.end - file.start)
            cached = generate(file.record_file_id, meeting.subject, duration, hostile=hostile)
            with self._lock:
                self._cache[key] = cached
                while len(self._cache) > CACHED_FILES:
                    self._cache.popitem(last=False)
        return cached

    def _take_call(self, meeting: EmulatedMeeting, file_id: str) -> Rejection | None:
        """Count a content call; the 500182 / 500051 rejection it gets, if any."""
        with self._lock:
            if not self.available or meeting.meeting_record_id in self._off:
                return Rejection(E_AI_OFF, AI_OFF_MESSAGE, 400)
            n = self._calls.get(file_id, 0) + 1
            self._calls[file_id] = n
            limit = self._generating.get(meeting.meeting_record_id, self.generating_calls)
        if n <= limit:
            return Rejection(E_GENERATING, GENERATING_MESSAGE, 500)
        return None

    # -- dispatch ------------------------------------------------------------------------------
    def answer(
        self,
        dataset: Dataset,
        method: str,
        path: str,
        query: Mapping[str, str],
        sts_header: str | None,
        app_id: str,
        now: float,
    ) -> Answer:
        """The answer to a verified call to a content path (`is_content_path`)."""
        if method != "GET":
            return Answer.error(Rejection(E_NOT_FOUND, f"{method} not allowed", 405))
        if path == BATCH_ADDRESSES_PATH:
            return self._batch_addresses(dataset, query, app_id, now)
        match = MINUTES_RE.match(path)
        file_id = match.group(1) if match else query.get("record_file_id", "")
        if not file_id:
            return Answer.error(Rejection(E_PARAMETER, "record_file_id is required"))
        found = dataset.find_file(file_id)
        if found is None or found[0].state(now) != STATE_DONE:
            return Answer.error(Rejection(E_PARAMETER, "record file not found"))
        meeting, file = found
        meeting_id = query.get("meeting_id")
        if meeting_id and meeting_id != meeting.meeting_id:
            return Answer.error(Rejection(E_PARAMETER, "meeting_id does not match the file"))
        params = _params(path, query)
        if isinstance(params, Rejection):
            return Answer.error(params)
        if not self.limiter.try_acquire(app_id, now):
            return Answer.error(
                Rejection(E_APP_MINUTE_LIMIT, "the app's per-minute call limit was exceeded")
            )
        if path == DETAILS_PATH:
            refused = self.sts.check(sts_header, now)
            if refused is not None:
                return Answer.error(refused)
        refused = self._take_call(meeting, file_id)
        if refused is not None:
            return Answer.error(refused)
        content = self.content(meeting, file)
        if match:
            return _minutes(content, params)
        if path == CHAPTERS_PATH:
            return _chapters(content, params)
        if path == PARAGRAPHS_PATH:
            return _paragraph_index(content)
        return _details(content, params)

    def _batch_addresses(
        self, dataset: Dataset, query: Mapping[str, str], app_id: str, now: float
    ) -> Answer:
        mid = query.get("meeting_record_id", "")
        page, size = query.get("page", "1"), query.get("page_size", str(MAX_ADDRESS_PAGE))
        if not (page.isdigit() and size.isdigit()) or int(page) < 1:
            return Answer.error(Rejection(E_PARAMETER, "page and page_size must be numbers"))
        page_n, size_n = int(page), int(size)
        if not 1 <= size_n <= MAX_ADDRESS_PAGE:
            return Answer.error(Rejection(E_PARAMETER, "page_size must be between 1 and 50"))
        try:
            meeting = dataset.get(mid) if mid else None
        except KeyError:
            meeting = None
        if meeting is None or meeting.state(now) != STATE_DONE:
            return Answer.error(Rejection(E_PARAMETER, "meeting record not found"))
        if not self.limiter.try_acquire(app_id, now):
            return Answer.error(
                Rejection(E_APP_MINUTE_LIMIT, "the app's per-minute call limit was exceeded")
            )
        files = meeting.files[(page_n - 1) * size_n : page_n * size_n]
        links = dataset.links
        expires = int(now) + DOWNLOAD_LIFETIME
        out = []
        for f in files:
            token = links.token(f.record_file_id, expires)
            ready = self._take_call(meeting, f.record_file_id) is None
            summary = []
            if ready:
                url = f"{links.base}{TRANSCRIPT_FILE_PREFIX}{f.record_file_id}.txt"
                summary.append(
                    {
                        "download_address": f"{url}?token={token}&expires={expires}",
                        "file_type": "txt",
                    }
                )
            out.append(
                {
                    "record_file_id": f.record_file_id,
                    "view_address": links.url("view", f.record_file_id, token, expires),
                    "download_address": links.url("download", f.record_file_id, token, expires),
                    "download_address_file_type": "mp4",
                    "audio_address": links.url("audio", f.record_file_id, token, expires),
                    "audio_address_file_type": "m4a",
                    "meeting_summary": summary,
                }
            )
        total = len(meeting.files)
        return Answer(
            200,
            {
                "total_count": total,
                "current_size": len(out),
                "current_page": page_n,
                "total_page": max(1, math.ceil(total / size_n)),
                "meeting_record_id": meeting.meeting_record_id,
                "meeting_id": meeting.meeting_id,
                "meeting_code": meeting.meeting_code,
                "subject": meeting.subject,
                "record_files": out,
            },
        )

    def transcript_file(
        self, dataset: Dataset, path: str, query: Mapping[str, str], now: float
    ) -> Answer:
        """The transcript file a batch address points at (checked by its token, not signed)."""
        match = _FILE_RE.match(path)
        expires = query.get("expires", "")
        if match is None or not expires.isdigit():
            return Answer(404, b"not found", "text/plain")
        found = dataset.find_file(match.group(1))
        if found is None:
            return Answer(404, b"not found", "text/plain")
        if not dataset.links.verify(match.group(1), query.get("token", ""), int(expires), now):
            return Answer(403, b"AccessDenied: the link is invalid or expired", "text/plain")
        text = self.content(*found).transcript_text()
        return Answer(200, text.encode("utf-8"), "text/plain")


def sts_header(headers: Any) -> str | None:
    """The STS-Token header as received (None when absent)."""
    value = headers.get(STS_HEADER) if hasattr(headers, "get") else None
    return value if isinstance(value, str) else None


# -- parameters and answers -------------------------------------------------------------------
def _params(path: str, query: Mapping[str, str]) -> dict[str, Any] | Rejection:
    lang = query.get("lang", "default")
    if lang not in LANGS:
        return Rejection(E_PARAMETER, f"invalid parameter: lang must be one of {', '.join(LANGS)}")
    text_type = query.get("text_type", "1")
    if text_type not in ("1", "2"):
        return Rejection(E_PARAMETER, "invalid parameter: text_type must be 1 or 2")
    out: dict[str, Any] = {"lang": lang, "markdown": text_type == "2"}
    if path == DETAILS_PATH:
        pid, limit = query.get("pid"), query.get("limit")
        if pid is not None and not pid.isdigit():
            return Rejection(E_PARAMETER, "invalid parameter: pid")
        if limit is not None and not (limit.isdigit() and int(limit) >= 1):
            return Rejection(E_PARAMETER, "invalid parameter: limit")
        out["pid"] = pid
        out["limit"] = int(limit) if limit is not None else None
    return out


def _minutes(content: FileContent, params: Mapping[str, Any]) -> Answer:
    minute, todo = content.minute(params["lang"], markdown=params["markdown"])
    return Answer(200, {"meeting_minute": {"minute": minute, "todo": todo}})


def _chapters(content: FileContent, params: Mapping[str, Any]) -> Answer:
    chapters = [
        {
            "chapter_id": c.chapter_id,
            "chapter_name": _b64(content.chapter_name(c, params["lang"])),
            "pic_url": f"https://recordings.emulator.invalid/fast_record_image/{c.chapter_id}.jpg",
            "start_time": str(c.start_ms),
        }
        for c in content.chapters
    ]
    return Answer(200, {"chapter_list": chapters})


def _paragraph_index(content: FileContent) -> Answer:
    pids = [
        {"pid": p.pid, "start_time": p.start_ms, "end_time": p.end_ms} for p in content.paragraphs
    ]
    return Answer(200, {"pids": pids, "total": len(pids), "audio_detect": 1})


def _paragraph(p: Paragraph) -> dict[str, Any]:
    return {
        "pid": p.pid,
        "start_time": p.start_ms,
        "end_time": p.end_ms,
        "speaker_info": {"userid": p.userid, "username": p.username, "ms_open_id": _b64(p.userid)},
        "sentences": [
            {
                "sid": f"{p.pid}-{n}",
                "start_time": s.start_ms,
                "end_time": s.end_ms,
                "words": [
                    {
                        "wid": f"{p.pid}-{n}-{k}",
                        "start_time": w.start_ms,
                        "end_time": w.end_ms,
                        "text": w.text,
                    }
                    for k, w in enumerate(s.words)
                ],
            }
            for n, s in enumerate(p.sentences)
        ],
    }


def _details(content: FileContent, params: Mapping[str, Any]) -> Answer:
    paragraphs = list(content.paragraphs)
    pid, limit = params["pid"], params["limit"]
    paged = pid is not None or limit is not None
    first = int(pid) if pid is not None else 0
    chosen = paragraphs[first : first + limit if limit is not None else None]
    more = paged and first + len(chosen) < len(paragraphs)
    return Answer(
        200,
        {
            "minutes": {
                "paragraphs": [_paragraph(p) for p in chosen],
                "keywords": list(content.keywords),
                "audio_detect": 1,
            },
            "more": more,
        },
    )
