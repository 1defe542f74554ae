"""Exactly-once posting of completed recordings to their channels.

The ledger (store.deliveries) holds one row per (recording, channel). A delivery is claimed
(state `posting`) before the post and marked `sent` with its `ts` after. Every message carries
metadata naming its recording, so when a claim is found from an earlier attempt that may have
posted (a crash, a timeout), the channel's history is searched for our own message before
posting again. Slack errors lose nothing: the row stays undelivered (`failed`, with the error and
a `not_before` for Retry-After) until it is sent or its route is removed.

A post is tried at most twice: a 429 with a short Retry-After is waited out inline, and
`not_in_channel` joins the (public) channel; either way the post is tried once more and its
outcome is final for this run. A connection error is never retried here, nor by the client
(see bot/slack/webclient.py): the first try may have posted, and the next run's history search
finds out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import Enum, auto

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.config import Settings
from bot.delivery.broken_channels import AdminNotices, BrokenChannels
from bot.delivery.edits import MessageEditor
from bot.delivery.history import find_posted
from bot.delivery.messages import RecordingMessage, RecordingMessages
from bot.delivery.pacing import Pacer
from bot.delivery.report import DeliveryReport
from bot.delivery.slack_errors import (
    SlackFailure,
    broken_channel_reason,
    classify,
    describe,
    error_code,
    is_rate_limited,
    retry_after,
)
from bot.delivery.threads import ThreadPoster
from bot.delivery.watch import watch_content
from bot.models import RecordMeeting
from bot.slack.blocks import files_signature
from bot.stopping import ShuttingDown
from bot.store import Store
from bot.store.deliveries import Delivery

log = logging.getLogger(__name__)

BROKEN_RETRY_SECONDS = 600.0  # a channel that is gone or archived is retried every 10 min
FAILED_RETRY_SECONDS = 0.0  # other failures: on the next cycle


class Outcome(Enum):
    """What became of one delivery."""

    SENT = auto()
    RECOVERED = auto()  # found already posted
    FAILED = auto()  # this delivery failed; the channel's next ones still go
    SKIPPED = auto()  # claimed by someone else, or done already
    DEFER_CHANNEL = auto()  # failed, and the channel's later deliveries wait for the next run


class Deliverer:
    """Posts due deliveries. Safe to use from several threads and processes at once."""

    def __init__(
        self,
        store: Store,
        client: WebClient,
        settings: Settings,
        *,
        claimer: str = "deliverer",
        min_interval: float = 1.0,
        max_inline_retry_after: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.client = client
        self.settings = settings
        self.claimer = claimer
        self.max_inline_retry_after = max_inline_retry_after
        self._sleep = sleep
        self.pacer = Pacer(min_interval, sleep=sleep, monotonic=monotonic)
        self.messages = RecordingMessages(
            store.routes, settings.bot_timezone, settings.bot_language
        )
        self.notices = AdminNotices(client, settings.admin_channel, settings.bot_language)
        self.broken_channels = BrokenChannels(store, self.notices)
        self.editor = MessageEditor(store, client, self.messages)
        self.threads = ThreadPoster(store, client, self.messages, claimer=claimer)

    @property
    def min_interval(self) -> float:
        """Seconds between two posts to one channel (0 in tests)."""
        return self.pacer.min_interval

    @min_interval.setter
    def min_interval(self, seconds: float) -> None:
        self.pacer.min_interval = seconds

    # -- public ------------------------------------------------------------------------------
    def deliver_due(
        self, limit: int = 500, *, keep_going: Callable[[], bool] | None = None
    ) -> DeliveryReport:
        """Post every due delivery (oldest first), then update messages whose files changed.

        `keep_going` is asked before each post (the poller renews its lease there, and stops
        when it lost it: posting paced at one a second per channel can take a while)."""
        report = DeliveryReport()
        deferred: set[str] = set()
        self.store.hold_claims(self.claimer)  # once a run: its claims are known to be ours
        due = self.store.deliveries.due(self.store.now(), limit=limit, claimed_too=True)
        for delivery in due:
            if keep_going is not None and not keep_going():
                return report
            if delivery.channel in deferred:
                continue
            if self._deliver(delivery, report) is Outcome.DEFER_CHANNEL:
                deferred.add(delivery.channel)
        self.editor.apply_updates(report)
        return report

    def deliver_recording(self, meeting_record_id: str) -> DeliveryReport:
        """Post the due deliveries of one recording (the webhook's fast path)."""
        report = DeliveryReport()
        self.store.hold_claims(self.claimer)
        for delivery in self.store.deliveries.undelivered():
            if delivery.meeting_record_id == meeting_record_id:
                self._deliver(delivery, report)
        self.editor.apply_updates(report, only=meeting_record_id)
        return report

    def notify_admins(self, text: str) -> None:
        """Tell the admins' channel (ADMIN_CHANNEL) something; never raises."""
        self.notices.send(text)

    # -- one delivery ------------------------------------------------------------------------
    def _deliver(self, delivery: Delivery, report: DeliveryReport) -> Outcome:
        """Claim, recover or post, and write the outcome to the ledger (and count it)."""
        outcome = self._claim_and_post(delivery, report)
        metrics.DELIVERIES.labels(outcome.name.lower()).inc()
        return outcome

    def _claim_and_post(self, delivery: Delivery, report: DeliveryReport) -> Outcome:
        deliveries = self.store.deliveries
        mid, channel = delivery.meeting_record_id, delivery.channel
        before = deliveries.claim(mid, channel, self.claimer, live_claims_only=True)
        if before is None:
            return Outcome.SKIPPED  # someone else has it, or it is already done
        meeting = self.store.recordings.get(mid)
        if meeting is None:
            deliveries.mark_failed(mid, channel, "the recording is no longer in the store")
            report.failed += 1
            return Outcome.FAILED
        signature = files_signature(meeting)
        try:
            if before.attempts > 0 or before.state == "posting":
                found = find_posted(self.client, channel, mid, since=before.created_at)
                if found is not None:
                    ts, posted_signature = found
                    deliveries.mark_sent(mid, channel, ts, posted_signature or signature)
                    if posted_signature and posted_signature != signature:
                        deliveries.flag_for_update([mid])
                    log.info("recovered delivery of %s to %s: already posted", mid, channel)
                    self._watch_content(meeting, before.route_id)
                    report.recovered += 1
                    return Outcome.RECOVERED
            ts = self._post(channel, self.messages.render(meeting, before.route_id))
        except SlackApiError as exc:
            return self._on_slack_error(exc, before, report)
        except ShuttingDown:  # woken from a wait before posting: hand the delivery back
            deliveries.release(mid, channel)
            raise
        except Exception as exc:  # network errors, timeouts: retried on the next cycle
            deliveries.mark_failed(mid, channel, describe(exc))
            report.failed += 1
            report.error = describe(exc)
            return Outcome.DEFER_CHANNEL
        deliveries.mark_sent(mid, channel, ts, signature)
        report.sent += 1
        self._watch_content(meeting, before.route_id)
        self.broken_channels.works(channel)
        return Outcome.SENT

    def _watch_content(self, meeting: RecordMeeting, route_id: int | None) -> None:
        watch_content(self.store, meeting, route_id)

    def _post(self, channel: str, message: RecordingMessage) -> str:
        """Post the message (paced), with at most one retry; the message's `ts`."""
        try:
            return self._post_once(channel, message)
        except SlackApiError as exc:
            if not self._ready_to_retry(channel, exc):
                raise
        return self._post_once(channel, message)

    def _post_once(self, channel: str, message: RecordingMessage) -> str:
        self.pacer.wait_turn(channel)
        response = self.client.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    def _ready_to_retry(self, channel: str, exc: SlackApiError) -> bool:
        """Make a failed post worth one more try, if it can be: wait out a short rate limit, or
        join a public channel the bot is not in. False when the failure stands."""
        if is_rate_limited(exc):
            wait = retry_after(exc)
            if wait > self.max_inline_retry_after:
                return False
            self._sleep(wait)
            return True
        if error_code(exc) == "not_in_channel":
            self.client.conversations_join(channel=channel)  # public channels only
            return True
        return False

    def _on_slack_error(
        self, exc: SlackApiError, delivery: Delivery, report: DeliveryReport
    ) -> Outcome:
        """Record a Slack error in the ledger; whether the channel's later deliveries wait."""
        deliveries = self.store.deliveries
        mid, channel = delivery.meeting_record_id, delivery.channel
        error = describe(exc)
        report.failed += 1
        report.error = error
        now = self.store.now()
        failure = classify(exc)
        if failure is SlackFailure.RATE_LIMITED:
            deliveries.mark_failed(mid, channel, error, not_before=now + retry_after(exc))
            return Outcome.DEFER_CHANNEL
        if failure is SlackFailure.CHANNEL_BROKEN:
            deliveries.mark_failed(mid, channel, error, not_before=now + BROKEN_RETRY_SECONDS)
            self.broken_channels.broken(channel, broken_channel_reason(exc))
            return Outcome.DEFER_CHANNEL
        deliveries.mark_failed(mid, channel, error, not_before=now + FAILED_RETRY_SECONDS)
        if failure is SlackFailure.MESSAGE_REFUSED:
            return Outcome.FAILED  # this message only: the channel's next ones still go
        return Outcome.DEFER_CHANNEL
