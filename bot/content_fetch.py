"""Asking Tencent for recordings' content as it becomes ready: AI minutes, chapters, transcripts.

A recording posted to a channel starts being watched (the deliverer calls store.content.watch);
each poll cycle then
asks for what is due (`ContentFetcher.run`), at most `max_calls` calls, in the background on the
content bucket (never a corp/records slot), and only for what started being watched in the last
`since_hours`. "Still generating" is asked again after a growing backoff; AI off is noted once
for the whole file and not asked again; a missing STS token is noted (asked again when one
arrives).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.models import BACKGROUND, DEFAULT_LANG
from bot.stopping import ShuttingDown
from bot.store import Store
from bot.store.content import (
    KIND_CHAPTERS,
    KIND_MINUTES,
    KIND_TRANSCRIPT,
    KINDS,
    STATE_ERROR,
    STATE_GENERATING,
    STATE_NO_STS,
    STATE_OFF,
    STATE_READY,
    DueCheck,
)
from bot.tencent.client import TencentMeetingClient
from bot.tencent.errors import (
    BudgetExhaustedError,
    ContentGeneratingError,
    ContentOffError,
    StsTokenError,
    TencentError,
)

log = logging.getLogger(__name__)

STS_RULE_KEY = "tencent.sts_rule"  # set once Tencent asked this app for an STS-Token
MAX_CALLS_PER_CYCLE = 12  # about 6 a minute at the default poll interval; the bucket has 60
SINCE_HOURS = 24.0


@dataclass
class FetchReport:
    calls: int = 0
    saved: int = 0
    generating: int = 0
    off: int = 0
    no_sts: int = 0
    errors: int = 0
    out_of_budget: bool = False


class ContentFetcher:
    def __init__(
        self,
        store: Store,
        client: TencentMeetingClient,
        *,
        max_calls: int = MAX_CALLS_PER_CYCLE,
        since_hours: float = SINCE_HOURS,
        max_wait: float | None = 0,
    ):
        """`max_wait`: seconds a call may wait for a content slot (0: never waits, as the
        poller wants; None: waits as long as it takes, as the backfill does)."""
        self.store = store
        self.client = client
        self.max_calls = max_calls
        self.since_hours = since_hours
        self.max_wait = max_wait

    def run(self) -> FetchReport:
        """Ask for what is due, at most `max_calls` calls; never waits for a call slot."""
        report = FetchReport()
        since = self.store.now() - self.since_hours * 3600
        for kind in (KIND_MINUTES, KIND_CHAPTERS, KIND_TRANSCRIPT):
            room = self.max_calls - report.calls
            if room <= 0 or report.out_of_budget:
                break
            for check in self.store.content.due_for_check(kind, limit=room, since=since):
                if report.calls >= self.max_calls or report.out_of_budget:
                    break
                # An earlier answer in this run may have settled it (AI off for the file).
                status = self.store.content.status(check.record_file_id, kind, check.lang)
                if status is not None and status.state in (STATE_READY, STATE_OFF):
                    continue
                self.check(check, report)
        return report

    def check(self, check: DueCheck, report: FetchReport) -> None:
        """Ask for one piece of content and record the answer (in the store and `report`)."""
        content = self.store.content
        fid, kind = check.record_file_id, check.kind
        sent_token = self.store.sts.current() if kind == KIND_TRANSCRIPT else None
        if kind == KIND_TRANSCRIPT and sent_token is None and self.store.state.get(STS_RULE_KEY):
            self._without_sts(check, report)  # details would refuse: go to the STS-free file
            return
        report.calls += 1
        try:
            if kind == KIND_MINUTES:
                content.save_minutes(self._call_minutes(fid, check.lang))
            elif kind == KIND_CHAPTERS:
                content.save_chapters(fid, self._call_chapters(fid, check.lang), check.lang)
            else:
                meeting = self.store.recordings.get(check.meeting_record_id)
                content.save_transcript(
                    self.client.get_transcript(
                        fid,
                        meeting_id=meeting.meeting_id if meeting else None,
                        page_size=None,
                        priority=BACKGROUND,
                        max_wait=self.max_wait,
                    )
                )
            report.saved += 1
        except BudgetExhaustedError:
            report.calls -= 1  # no call was made
            report.out_of_budget = True
        except ContentGeneratingError:
            content.mark_status(fid, kind, STATE_GENERATING, lang=check.lang)
            report.generating += 1
        except ContentOffError:
            # The file's AI features are off: every kind of its content, in every language
            # asked for, noted once.
            for each in KINDS:
                for lang in {check.lang, DEFAULT_LANG}:
                    content.mark_status(fid, each, STATE_OFF, reason="AI off", lang=lang)
            report.off += 1
            log.info("record file %s has its AI features off: not asked again", fid)
        except ShuttingDown:
            raise  # stopping: nothing was learnt about this content
        except StsTokenError as exc:
            if exc.token_sent and sent_token is not None:  # Tencent refused ours: stale
                self.store.sts.reject(sent_token)
                log.warning("Tencent refused the kept STS-Token: waiting for a new one")
            self.store.state.set(STS_RULE_KEY, True)  # this app is under the STS rule
            self._without_sts(check, report)
        except TencentError as exc:
            content.mark_status(fid, kind, STATE_ERROR, reason=str(exc)[:200], lang=check.lang)
            report.errors += 1
            log.warning("could not fetch the %s of record file %s: %s", kind, fid, exc)
        except Exception as exc:  # a bug or an odd answer: backed off, never blocking the rest
            reason = f"{type(exc).__name__}: {str(exc)[:150]}"
            content.mark_status(fid, kind, STATE_ERROR, reason=reason, lang=check.lang)
            report.errors += 1
            log.exception("could not save the %s of record file %s", kind, fid)

    def _without_sts(self, check: DueCheck, report: FetchReport) -> None:
        """The transcript needs an STS token and none is usable: read the STS-free batch
        addresses' transcript file instead; only when that fails too is it noted as waiting
        for a token (asked again when one arrives, or when Tencent says it is ready)."""
        content, fid = self.store.content, check.record_file_id
        if check.kind == KIND_TRANSCRIPT and report.calls < self.max_calls:
            report.calls += 1
            try:
                transcript = self.client.get_transcript_from_file(
                    check.meeting_record_id, fid, priority=BACKGROUND, max_wait=self.max_wait
                )
            except BudgetExhaustedError:
                report.calls -= 1
                report.out_of_budget = True
                return  # still due: the next cycle tries again
            except TencentError as exc:
                log.info("record file %s: no transcript without an STS token (%s)", fid, exc)
            else:
                if transcript.paragraphs:
                    content.save_transcript(transcript)
                    report.saved += 1
                    return
        content.mark_status(fid, check.kind, STATE_NO_STS, reason="no STS token", lang=check.lang)
        report.no_sts += 1

    def _call_minutes(self, fid: str, lang: str):
        return self.client.get_minutes(fid, lang=lang, priority=BACKGROUND, max_wait=self.max_wait)

    def _call_chapters(self, fid: str, lang: str):
        return self.client.get_chapters(fid, lang=lang, priority=BACKGROUND, max_wait=self.max_wait)
