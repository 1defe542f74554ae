"""Backfill of what was said: the transcripts, AI minutes and chapters of older completed
recordings, one call each per record file, in the background on the content bucket (waiting for
its slots, never a corp/records one), with a progress bar.

Content already fetched is not asked again, nor a file whose AI features are off, nor one
waiting for an STS token (asked again when a token arrives), nor one answered "still generating"
whose backoff has not run out: those are now watched, and the poller asks again after the
backoff (bot/content_fetch.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tqdm import tqdm

from bot.content_fetch import ContentFetcher, FetchReport
from bot.store import Store
from bot.store.content import (
    KIND_CHAPTERS,
    KIND_MINUTES,
    KIND_TRANSCRIPT,
    STATE_ERROR,
    STATE_GENERATING,
    DueCheck,
)
from bot.tencent.client import TencentMeetingClient

# The transcript first: it is what search needs; minutes and chapters are one call each more.
BACKFILL_KINDS = (KIND_TRANSCRIPT, KIND_MINUTES, KIND_CHAPTERS)
_PAGE = 500


@dataclass
class ContentBackfillReport:
    files: int = 0  # record files of completed recordings in the range
    asked: int = 0  # pieces of content asked for
    fetch: FetchReport = field(default_factory=FetchReport)


def _due(store: Store, check: DueCheck, now: float) -> bool:
    status = store.content.status(check.record_file_id, check.kind, check.lang)
    if status is None:
        return True
    if status.state not in (STATE_GENERATING, STATE_ERROR):
        return False  # ready, AI off, waiting for an STS token
    return status.next_try_at is not None and status.next_try_at <= now


def content_todo(store: Store, start: int, end: int) -> tuple[int, list[DueCheck]]:
    """(record files of completed recordings started in [start, end], the content to ask)."""
    now = store.now()
    files = 0
    todo: list[DueCheck] = []
    offset = 0
    while True:
        meetings = store.recordings.in_range(start, end, limit=_PAGE, offset=offset)
        for meeting in meetings:
            if not meeting.done:
                continue
            for file in meeting.record_files:
                files += 1
                for kind in BACKFILL_KINDS:
                    check = DueCheck(
                        file.record_file_id, meeting.meeting_record_id, kind, "default", "", 0
                    )
                    if _due(store, check, now):
                        todo.append(check)
        if len(meetings) < _PAGE:
            return files, todo
        offset += _PAGE


def backfill_content(
    store: Store,
    client: TencentMeetingClient,
    start: int,
    end: int,
    *,
    rate_limit: int,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> ContentBackfillReport:
    """Fetch the content of the completed recordings started in [start, end] not fetched yet,
    waiting for content slots (at `rate_limit` calls a minute)."""
    files, todo = content_todo(store, start, end)
    report = ContentBackfillReport(files=files)
    if not todo:
        return report
    echo(
        f"Content: {len(todo)} transcript/minutes/chapters call(s) for {files} file(s); at "
        f"{rate_limit} calls/min that is about {len(todo) / rate_limit:.0f} min."
    )
    fetcher = ContentFetcher(store, client, max_calls=len(todo) * 2, max_wait=None)
    now = store.now()
    with tqdm(total=len(todo), unit="call", disable=not progress, dynamic_ncols=True) as bar:
        for check in todo:
            # An earlier answer may have settled it (AI off is noted for the whole file).
            if _due(store, check, now):
                report.asked += 1
                fetcher.check(check, report.fetch)
            bar.update(1)
            bar.set_postfix_str(f"~{max(0, bar.total - bar.n) / rate_limit:.1f} min left")
    if report.fetch.saved:
        store.content.optimize_index()  # many new transcripts: one index segment again
    return report
