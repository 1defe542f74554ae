"""Posting a recording's AI minutes, to-dos and chapters in the thread of its channel message,
exactly once, then noting it on the message (issue 11).

Like the parent posts: each (recording, channel, file) thread is claimed in the ledger
(store.threads) before posting; each reply is recorded with its ts once posted. Every reply
carries metadata naming its recording, file and part, so a claim that follows an attempt which
may have posted (a crash, a failed write) reads the thread (conversations.replies) and records
what is already there instead of posting it again. Once every reply is there, the parent is
edited in place (chat.update) to say so.

Who gets it: the route's `summary` option (bot.routing.summary_allowed): `thread` only for
recordings every file of which is shared company-wide or to everyone (none participant-only, as
search and `/recordings summary` judge a recording), `always` whatever the sharing, `off`
never. A route removed since the post counts as `off`; DEFAULT_CHANNEL deliveries (no route) as
`thread`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import islice
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.messages import RecordingMessages
from bot.delivery.slack_errors import describe, error_code, message_gone, retry_after
from bot.i18n import use_language
from bot.models import DEFAULT_LANG, DEFAULT_SUMMARY, RecordFile
from bot.routing import summary_allowed
from bot.slack.minutes import parent_summary_note, thread_reply_messages, with_summary_note
from bot.stopping import ShuttingDown
from bot.store import Store
from bot.store.content import KIND_CHAPTERS, KIND_MINUTES, STATE_GENERATING
from bot.store.threads import FAILED, MAX_ATTEMPTS, NOTED, POSTED, POSTING, ThreadCandidate

log = logging.getLogger(__name__)

REPLY_EVENT_TYPE = "tencent_recording_minutes"
SINCE_HOURS = 24.0
RETRY_SECONDS = 0.0  # other failures: on the next cycle
MAX_REPLY_PAGES = 10
# Candidates looked at per run: those with nothing to do (kept out of the channel, still
# generating, AI off) stay candidates for SINCE_HOURS and must not take the `limit` slots.
SCAN_CANDIDATES = 1000
# Only what Tencent is still generating is waited for: an error (a translation refused, say)
# settles it, and the thread goes out with what there is (the original, where needed).
_UNSETTLED = (STATE_GENERATING,)
THREADS_PER_CYCLE = 5  # threads worked on a cycle: their Slack calls never hold a cycle long


@dataclass
class ThreadReport:
    posted: int = 0  # reply messages posted
    recovered: int = 0  # replies found already in the thread
    noted: int = 0  # parents edited
    failed: int = 0
    error: str | None = None


def reply_metadata(meeting_record_id: str, record_file_id: str, part: int) -> dict[str, Any]:
    return {
        "event_type": REPLY_EVENT_TYPE,
        "event_payload": {
            "meeting_record_id": meeting_record_id,
            "record_file_id": record_file_id,
            "part": part,
        },
    }


def find_replies(
    client: WebClient, channel: str, parent_ts: str, meeting_record_id: str, record_file_id: str
) -> dict[int, str]:
    """{part: ts} of our replies for this file already in the thread."""
    found: dict[int, str] = {}
    pages = client.conversations_replies(
        channel=channel, ts=parent_ts, include_all_metadata=True, limit=200
    )
    for page in islice(pages, MAX_REPLY_PAGES):
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == REPLY_EVENT_TYPE
                and payload.get("meeting_record_id") == meeting_record_id
                and payload.get("record_file_id") == record_file_id
                and isinstance(payload.get("part"), int)
            ):
                found.setdefault(payload["part"], str(message["ts"]))
    return found


class ThreadPoster:
    """Posts due minutes threads; safe to run from several processes (the ledger decides)."""

    def __init__(
        self, store: Store, client: WebClient, messages: RecordingMessages, *, claimer: str
    ):
        self.store = store
        self.client = client
        self.messages = messages
        self.claimer = claimer

    def summary_policy(self, route_id: int | None) -> str:
        if route_id is None:
            return DEFAULT_SUMMARY
        route = self.store.routes.get(route_id)
        return "off" if route is None else route.summary

    def route_lang(self, route_id: int | None) -> str:
        route = self.store.routes.get(route_id) if route_id is not None else None
        return route.lang if route is not None else DEFAULT_LANG

    def post_due(self, limit: int = THREADS_PER_CYCLE) -> ThreadReport:
        """Post (or note) at most `limit` threads that have something to do."""
        report = ThreadReport()
        self.store.hold_claims(self.claimer)  # once a run: its claims are known to be ours
        since = self.store.now() - SINCE_HOURS * 3600
        worked = 0
        for candidate in self.store.threads.candidates(since, limit=SCAN_CANDIDATES):
            if worked >= limit:
                break
            try:
                with use_language(self.messages.language(candidate.route_id)):
                    worked += self._one(candidate, report)
            except ShuttingDown:
                raise
            except Exception as exc:  # one thread's failure never stops the others
                error = describe(exc)
                report.failed += 1
                report.error = error
                log.warning(
                    "could not post the minutes of %s in %s: %s",
                    candidate.meeting_record_id,
                    candidate.channel,
                    error,
                )
                self._release_failed(candidate, exc, error)
                worked += 1
        return report

    # -- one thread ----------------------------------------------------------------------------
    def _file(self, candidate: ThreadCandidate) -> tuple[Any, RecordFile] | None:
        meeting = self.store.recordings.get(candidate.meeting_record_id)
        if meeting is None:
            return None
        for file in meeting.record_files:
            if file.record_file_id == candidate.record_file_id:
                return meeting, file
        return None

    def _settled(self, record_file_id: str, lang: str = DEFAULT_LANG) -> bool:
        """Neither the minutes nor the chapters (in `lang`, and in the original) are still to
        come."""
        for kind in (KIND_MINUTES, KIND_CHAPTERS):
            for each in {lang, DEFAULT_LANG}:
                status = self.store.content.status(record_file_id, kind, each)
                if status is not None and status.state in _UNSETTLED:
                    return False
        return True

    def _one(self, candidate: ThreadCandidate, report: ThreadReport) -> bool:
        """Work on one thread; False when there was nothing to do (no Slack call)."""
        mid, channel, fid = candidate.meeting_record_id, candidate.channel, candidate.record_file_id
        if candidate.state == POSTED:
            self._note_parent(candidate, report)
            return True
        found = self._file(candidate)
        lang = self.route_lang(candidate.route_id)
        if found is None or not self._settled(fid, lang):
            return False
        meeting, _ = found
        policy = self.summary_policy(candidate.route_id)
        # The whole recording decides, as for search and `/recordings summary`: one
        # participant-only or unshared file keeps every file's minutes out of the channel.
        if not all(summary_allowed(policy, each) for each in meeting.record_files):
            return False  # not persisted: a route or the sharing may change within the window
        # In the route's language where Tencent translated it, else in the original.
        content = self.store.content
        minutes = content.get_minutes(fid, lang) or content.get_minutes(fid)
        chapters = content.get_chapters(fid, lang) or content.get_chapters(fid) or []
        messages = thread_reply_messages(minutes, chapters, subject=meeting.subject)
        if not messages:
            return False  # nothing to say (AI off, or empty)
        before = self.store.threads.claim(mid, channel, fid, self.claimer, live_claims_only=True)
        if before is None:
            return False
        threads = self.store.threads
        known = threads.replies(mid, channel, fid)
        if before > 0 and len(known) < len(messages):
            # An earlier attempt may have posted without recording it: look in the thread.
            for part, ts in find_replies(
                self.client, channel, candidate.parent_ts, mid, fid
            ).items():
                if part not in known:
                    threads.record_reply(mid, channel, fid, part, ts)
                    known[part] = ts
                    report.recovered += 1
        for part, message in enumerate(messages):
            if part in known:
                continue
            response = self.client.chat_postMessage(
                channel=channel,
                thread_ts=candidate.parent_ts,
                text=message["text"],
                blocks=message["blocks"],
                metadata=reply_metadata(mid, fid, part),
                unfurl_links=False,
                unfurl_media=False,
            )
            threads.record_reply(mid, channel, fid, part, str(response["ts"]))
            known[part] = str(response["ts"])
            report.posted += 1
        threads.set_state(mid, channel, fid, POSTED, parts=len(messages))
        self._note_parent(candidate, report, first_reply=known.get(0))
        return True

    def _note_parent(
        self, candidate: ThreadCandidate, report: ThreadReport, first_reply: str | None = None
    ) -> None:
        """Edit the parent message in place: its minutes are in the thread."""
        mid, channel, fid = candidate.meeting_record_id, candidate.channel, candidate.record_file_id
        meeting = self.store.recordings.get(mid)
        if meeting is None:
            self.store.threads.set_state(mid, channel, fid, NOTED)
            return
        if first_reply is None:
            first_reply = self.store.threads.replies(mid, channel, fid).get(0)
        rendered = self.messages.render(meeting, candidate.route_id)
        try:
            self.client.chat_update(
                channel=channel,
                ts=candidate.parent_ts,
                text=rendered.text,
                blocks=with_summary_note(
                    rendered.blocks, parent_summary_note(self._permalink(channel, first_reply))
                ),
                metadata=rendered.metadata,
            )
        except ShuttingDown:
            raise
        except Exception as exc:
            if not message_gone(exc):
                raise  # retried on the next run (the thread stays `posted`)
            log.info("the message of %s in %s is gone: not noted", mid, channel)
        else:
            report.noted += 1
        self.store.threads.set_state(mid, channel, fid, NOTED)

    def _permalink(self, channel: str, ts: str | None) -> str | None:
        if ts is None:
            return None
        try:
            return str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except ShuttingDown:
            raise
        except Exception:  # the note reads "in the thread" without a link
            return None

    def _release_failed(self, candidate: ThreadCandidate, exc: Exception, error: str) -> None:
        mid, channel, fid = candidate.meeting_record_id, candidate.channel, candidate.record_file_id
        threads = self.store.threads
        try:
            state = threads.state(mid, channel, fid)
            if state is None:
                return
            wait = RETRY_SECONDS
            if isinstance(exc, SlackApiError) and error_code(exc) == "ratelimited":
                wait = max(wait, retry_after(exc))
            if state == POSTING and threads.attempts(mid, channel, fid) >= MAX_ATTEMPTS:
                threads.set_state(mid, channel, fid, FAILED, error=error)
                return
            threads.set_state(
                mid, channel, fid, state, error=error, not_before=self.store.now() + wait
            )
        except Exception:  # the database itself failing: the claim expires on its own
            log.exception("could not record the failed thread of %s", mid)
